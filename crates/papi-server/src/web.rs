//! The enumerator's web form, a progressive web app served from the binary: `/form/`. It reads the
//! survey definition from `/api/v1/surveys/...`, checks answers live with the same expressions as the
//! server (`expr.js` mirrors `papi_survey::expr`), keeps interviews in IndexedDB and sends them when
//! there is signal. It also serves the script of the server-rendered pages, `/assets/pages.js`.

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;

use crate::AppState;

const INDEX: &str = include_str!("../web/index.html");
const APP: &str = include_str!("../web/app.js");
const EXPR: &str = include_str!("../web/expr.js");
const SW: &str = include_str!("../web/sw.js");
const MANIFEST: &str = include_str!("../web/manifest.webmanifest");
const PAGES: &str = include_str!("../web/pages.js");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/form", get(|| async { Redirect::permanent("/form/") }))
        .route(
            "/form/",
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/form/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP) }),
        )
        .route(
            "/form/expr.js",
            get(|| async { asset("text/javascript; charset=utf-8", EXPR) }),
        )
        .route(
            "/form/sw.js",
            get(|| async { asset("text/javascript; charset=utf-8", SW) }),
        )
        .route(
            "/form/manifest.webmanifest",
            get(|| async { asset("application/manifest+json", MANIFEST) }),
        )
        // The server-rendered pages' script (the pages themselves allow no inline one).
        .route(
            "/assets/pages.js",
            get(|| async { asset("text/javascript; charset=utf-8", PAGES) }),
        )
}
