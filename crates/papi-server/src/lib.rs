//! The papi HTTP service (axum). It keeps no state that matters in its process: everything it knows
//! comes from the database (survey definitions are cached, but they are immutable), so several
//! instances can share one PostgreSQL, whose unique constraint on the interview id decides between
//! them.
//!
//! Handlers are thin: decode, authorise, call the store, encode. This crate writes no SQL.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use papi_store::Store;
use papi_survey::Survey;
use serde_json::json;
use tokio::sync::RwLock;

pub mod auth;
pub mod commit;
pub mod dashboard;
pub mod error;
pub mod exports;
pub mod fieldwork;
mod headers;
pub mod interviews;
pub mod openapi;
pub mod openrosa;
mod pages;
pub mod recompute;
pub mod sample;
pub mod session;
pub mod surveys;
mod web;

use error::ApiError;

/// Largest request body: a PAPI-sized interview is about 30 KiB, a batch of 500 about 15 MiB.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// What every handler shares: the store, the group committer, and a cache of (immutable) definitions.
pub struct AppState {
    pub store: Store,
    pub committer: commit::Committer,
    /// Where export files go (`papi serve --exports-dir`), and the exports' turn.
    pub exports: exports::Exports,
    surveys: RwLock<HashMap<(String, String), Arc<Survey>>>,
    /// The official PAPI table the dashboard compares with.
    pub reference: papi_survey::ReferenceTable,
    runs: dashboard::RunCache,
    jobs: recompute::Jobs,
}

impl AppState {
    /// Must be called inside the async runtime: it starts the group committer.
    pub fn new(store: Store) -> AppState {
        AppState {
            committer: commit::Committer::start(store.clone()),
            exports: exports::Exports::new("papi-exports".into()),
            store,
            surveys: RwLock::new(HashMap::new()),
            reference: papi_survey::ReferenceTable::official(),
            runs: dashboard::RunCache::default(),
            jobs: recompute::Jobs::default(),
        }
    }

    /// Compares with this official table instead of the built-in one.
    pub fn with_reference(mut self, table: papi_survey::ReferenceTable) -> AppState {
        self.reference = table;
        self
    }

    /// Export files go to `dir`.
    pub fn with_exports_dir(mut self, dir: std::path::PathBuf) -> AppState {
        self.exports = exports::Exports::new(dir);
        self
    }

    /// A registered survey version, loaded once from the database.
    pub async fn survey(&self, id: &str, version: &str) -> Result<Option<Arc<Survey>>, ApiError> {
        // No survey has a NUL in its name, and PostgreSQL refuses to compare with one.
        if id.contains('\0') || version.contains('\0') {
            return Ok(None);
        }
        let key = (id.to_owned(), version.to_owned());
        if let Some(s) = self.surveys.read().await.get(&key) {
            return Ok(Some(s.clone()));
        }
        let Some(toml) = self.store.survey_definition(id, version).await? else {
            return Ok(None);
        };
        let survey =
            Survey::from_toml(&toml, &format!("{id} {version}")).map_err(ApiError::internal)?;
        let survey = Arc::new(survey);
        self.surveys.write().await.insert(key, survey.clone());
        Ok(Some(survey))
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/interviews",
            post(interviews::create).get(interviews::list),
        )
        .route("/interviews/batch", post(interviews::create_batch))
        .route("/interviews/{id}", get(interviews::get_one))
        .route("/interviews/{id}/review", post(fieldwork::review))
        .route("/interviews/{id}/reviews", get(fieldwork::reviews))
        .route("/dashboard/{id}/{version}", get(dashboard::api))
        .route("/plans/{plan}/tasks/{task}", put(dashboard::set_task))
        .route("/surveys/{id}/{version}/fieldwork", get(fieldwork::api))
        .route(
            "/surveys/{id}/{version}/settings",
            put(fieldwork::set_settings),
        )
        .route(
            "/surveys/{id}/{version}/sample",
            get(sample::get_sample).post(sample::register),
        )
        .route("/surveys/{id}/{version}/places", get(sample::get_places))
        .route(
            "/surveys/{id}/{version}/assignments",
            get(sample::get_assignments).put(sample::set_assignments),
        )
        .route("/surveys/{id}/{version}/recompute", post(recompute::start))
        .route("/recompute/{job}", get(recompute::status))
        .route("/exports", post(exports::create))
        .route("/exports/{id}", get(exports::get_one))
        .route("/exports/{id}/file", get(exports::file))
        .route("/openapi.json", get(openapi_json))
        .route("/session", get(session::whoami))
        .route("/surveys", get(surveys::list))
        .route("/surveys/{id}/{version}", get(surveys::get_one))
        .fallback(api_not_found);
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/favicon.ico", get(favicon))
        .route("/login", get(session::page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/dashboard", get(dashboard::index))
        .route("/dashboard/{id}/{version}", get(dashboard::page))
        .route(
            "/dashboard/{id}/{version}/print",
            get(dashboard::print_page),
        )
        .route(
            "/dashboard/{id}/{version}/charts/{file}",
            get(dashboard::chart),
        )
        .route(
            "/dashboard/{id}/{version}/dimensions/{dimension}",
            get(dashboard::dimension_page),
        )
        .route("/fieldwork", get(fieldwork::index))
        .route("/fieldwork/{id}/{version}", get(fieldwork::page))
        .route(
            "/fieldwork/{id}/{version}/interviews/{interview}",
            get(fieldwork::interview_page),
        )
        .merge(web::routes())
        .merge(openrosa::routes())
        .nest("/api/v1", api)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(headers::layer())
        .with_state(Arc::new(state))
}

async fn openapi_json() -> impl IntoResponse {
    use utoipa::OpenApi;
    Json(openapi::ApiDoc::openapi())
}

/// The site icon (browsers ask for it on every page): a red square with "P", as SVG.
async fn favicon() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#8b1a1a"/><text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="bold" fill="#fff" text-anchor="middle">P</text></svg>"##,
    )
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("this API route")
}

/// Serves until ctrl-c or SIGTERM; `ready` is called with the bound address once the service listens.
pub async fn serve(
    state: AppState,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// 200 when the service can reach its database, 503 when it cannot.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses(
        (status = 200, description = "Up, and the database answers", body = crate::openapi::Health),
        (status = 503, description = "The database does not answer", body = crate::openapi::Health),
    )
)]
pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": state.store.backend().name() }))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "code": e.code() })),
            )
                .into_response()
        }
    }
}

/// The front page sends each role to where its work is, and a visitor without a session to sign in
/// (and back here). It reads nothing from the database, so it tells a visitor nothing and costs the
/// same whatever the database holds.
async fn home(viewer: pages::Viewer) -> Response {
    use papi_auth::Role;
    let start = match viewer.actor.role {
        Role::Leader | Role::Analyst => "/dashboard",
        Role::Supervisor | Role::Admin => "/fieldwork",
        Role::Enumerator => "/form/",
    };
    axum::response::Redirect::to(&pages::href(start, viewer.lang)).into_response()
}
