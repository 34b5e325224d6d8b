//! The enumerator's web form, a progressive web app served from the binary: `/form/`. It signs in
//! with a username and password and keeps a device token (`device.rs`), reads the survey definition
//! from `/api/v1/surveys/...`, shows one group of questions a screen, checks answers live with the
//! same expressions as the server (`expr.js` mirrors `papi_survey::expr`; `rules.js` applies them in
//! one pass), keeps interviews in IndexedDB and sends them in batches when there is signal. It also
//! serves the script of the server-rendered pages, `/assets/pages.js`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::routes::Route;

const JS: &str = "text/javascript; charset=utf-8";

/// The form's files under `/form/`: name, content type, text. The service worker caches them all.
const FORM_FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../web/index.html"),
    ),
    (
        "form.css",
        "text/css; charset=utf-8",
        include_str!("../web/form.css"),
    ),
    ("expr.js", JS, include_str!("../web/expr.js")),
    ("ui.js", JS, include_str!("../web/ui.js")),
    ("db.js", JS, include_str!("../web/db.js")),
    ("rules.js", JS, include_str!("../web/rules.js")),
    ("places.js", JS, include_str!("../web/places.js")),
    ("screens.js", JS, include_str!("../web/screens.js")),
    ("outbox.js", JS, include_str!("../web/outbox.js")),
    ("signin.js", JS, include_str!("../web/signin.js")),
    ("app.js", JS, include_str!("../web/app.js")),
    ("sw.js", JS, include_str!("../web/sw.js")),
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_str!("../web/manifest.webmanifest"),
    ),
];
const PAGES: &str = include_str!("../web/pages.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn form_file(name: &str) -> Response {
    match FORM_FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => asset(content_type, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The web form's files and the pages' script.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "GET",
            "/form",
            get(|| async { Redirect::permanent("/form/") }),
        ),
        Route::new("GET", "/form/", get(|| async { form_file("") })),
        Route::new(
            "GET",
            "/form/{file}",
            get(|Path(file): Path<String>| async move { form_file(&file) }),
        ),
        // The server-rendered pages' script (the pages themselves allow no inline one).
        Route::new(
            "GET",
            "/assets/pages.js",
            get(|| async { asset(JS, PAGES) }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_worker_caches_every_file_of_the_form() {
        let sw = include_str!("../web/sw.js");
        for (file, _, _) in FORM_FILES {
            if *file != "sw.js" {
                assert!(
                    sw.contains(&format!("\"/form/{file}\"")),
                    "sw.js does not cache /form/{file}"
                );
            }
        }
        let page = include_str!("../web/index.html");
        for (file, _, _) in FORM_FILES
            .iter()
            .filter(|(f, _, _)| f.ends_with(".js") && *f != "sw.js")
        {
            assert!(
                page.contains(&format!("src=\"/form/{file}\"")),
                "index.html does not load /form/{file}"
            );
        }
    }
}
