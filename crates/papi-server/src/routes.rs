//! Every route the service serves, declared once. The API's routes come from their handlers'
//! `#[utoipa::path]` (utoipa-axum's `routes!` takes the method and path from it), so the router and
//! the OpenAPI document are made from the same declaration. The other routes (pages, the web form's
//! files, OpenRosa's, the document itself) are a list of [`Route`]s that the router is built from.
//! [`served`] lists both, as `papi routes` prints them, so that the permission test walks what is
//! served and a route added here without a row there fails it.

use std::sync::Arc;

use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, MethodRouter};
use axum::{Json, Router};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{
    analysis, api_not_found, body, compare, dashboard, device, device_file, edge, exports, favicon,
    fieldwork, headers, home, interviews, metrics, openapi, openrosa, recompute, sample, session,
    surveys, web, AppState, API_BODY, MAX_BODY, SMALL_BODY,
};

/// A route outside the API's document: the methods it answers (comma-separated, as `papi routes`
/// prints them), its path, and its handlers.
pub struct Route {
    pub methods: &'static str,
    pub path: String,
    pub(crate) handler: MethodRouter<Arc<AppState>>,
}

impl Route {
    pub(crate) fn new(
        methods: &'static str,
        path: impl Into<String>,
        handler: MethodRouter<Arc<AppState>>,
    ) -> Route {
        Route {
            methods,
            path: path.into(),
            handler,
        }
    }
}

/// The API's routes, each declared once by its handler.
fn api_routes() -> OpenApiRouter<Arc<AppState>> {
    let api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(interviews::create, interviews::list))
        .routes(routes!(interviews::get_one))
        .routes(routes!(interviews::attachment))
        .routes(routes!(fieldwork::review))
        .routes(routes!(fieldwork::reviews))
        .routes(routes!(dashboard::api))
        .routes(routes!(dashboard::set_task))
        .routes(routes!(fieldwork::api))
        .routes(routes!(fieldwork::set_settings))
        .routes(routes!(sample::get_places))
        .routes(routes!(sample::get_assignments, sample::set_assignments))
        .routes(routes!(recompute::start))
        .routes(routes!(recompute::status))
        .routes(routes!(compare::compare))
        .routes(routes!(exports::create))
        .routes(routes!(exports::get_one))
        .routes(routes!(exports::file))
        .routes(routes!(session::whoami))
        .routes(routes!(device::issue, device::revoke))
        .routes(routes!(surveys::list))
        .routes(routes!(surveys::get_one))
        .layer(from_fn_with_state(API_BODY, body::limit_body));
    // Requests that carry many interviews or a whole sampling frame.
    let bulk = OpenApiRouter::new()
        .routes(routes!(interviews::create_batch))
        .routes(routes!(device_file::upload))
        .routes(routes!(sample::get_sample, sample::register));
    let sign_in = OpenApiRouter::new()
        .routes(routes!(session::page, session::login))
        .layer(from_fn_with_state(SMALL_BODY, body::limit_body));
    let service = OpenApiRouter::new()
        .routes(routes!(crate::healthz))
        .routes(routes!(metrics::scrape))
        .routes(routes!(session::logout));
    api.merge(bulk).merge(sign_in).merge(service)
}

/// The routes outside the API's document.
fn other_routes(document: Arc<utoipa::openapi::OpenApi>) -> Vec<Route> {
    let mut routes = vec![
        Route::new(
            "GET",
            "/api/v1/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        ),
        Route::new("GET", "/", get(home)),
        Route::new("GET", "/favicon.ico", get(favicon)),
        Route::new("GET", "/dashboard", get(dashboard::index)),
        Route::new("GET", "/dashboard/{id}/{version}", get(dashboard::page)),
        Route::new(
            "GET",
            "/dashboard/{id}/{version}/print",
            get(dashboard::print_page),
        ),
        Route::new(
            "GET",
            "/dashboard/{id}/{version}/charts/{file}",
            get(dashboard::chart),
        ),
        Route::new(
            "GET",
            "/dashboard/{id}/{version}/dimensions/{dimension}",
            get(dashboard::dimension_page),
        ),
        Route::new("GET", "/analysis", get(analysis::index)),
        Route::new("GET", "/analysis/{id}/{version}", get(analysis::page)),
        Route::new("GET", "/fieldwork", get(fieldwork::index)),
        Route::new("GET", "/fieldwork/{id}/{version}", get(fieldwork::page)),
        Route::new(
            "GET",
            "/fieldwork/{id}/{version}/interviews/{interview}",
            get(fieldwork::interview_page),
        ),
    ];
    routes.extend(web::routes());
    routes.extend(openrosa::routes());
    routes
}

/// The application's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let (api, document) = api_routes().split_for_parts();
    let mut app = Router::new().merge(api);
    for route in other_routes(Arc::new(document)) {
        app = app.route(&route.path, route.handler);
    }
    let app = app
        // Any other path under the API's prefix: the API's own 404, in JSON.
        .route("/api/v1/{*rest}", any(api_not_found))
        // Bodies are limited per route by the layers above (a declared length over the limit is
        // refused before anything is read); axum's own default limit is replaced by them.
        .layer(from_fn_with_state(MAX_BODY, body::limit_body))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .with_state(state);
    // The security headers go on every response, those of the edge's layers included.
    edge::layers(app).layer(headers::layer())
}

/// Every route served, as (method, path), sorted by path then method. The API's prefix also answers
/// any other path with its JSON 404; that fallback is not a route.
pub fn served() -> Vec<(String, String)> {
    let (_, document) = api_routes().split_for_parts();
    let mut out = Vec::new();
    for (path, item) in &document.paths.paths {
        let operations = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::OPTIONS, &item.options),
            (Method::HEAD, &item.head),
            (Method::PATCH, &item.patch),
            (Method::TRACE, &item.trace),
        ];
        for (method, operation) in operations {
            if operation.is_some() {
                out.push((method.to_string(), path.clone()));
            }
        }
    }
    for route in other_routes(Arc::new(document)) {
        for method in route.methods.split(',') {
            out.push((method.to_owned(), route.path.clone()));
        }
    }
    out.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    out
}
