//! The papi HTTP service (axum). It keeps no state that matters in its process: everything it knows
//! comes from the database (survey definitions are cached, but they are immutable), so several
//! instances can share one PostgreSQL, whose unique constraint on the interview id decides between
//! them.
//!
//! Handlers are thin: decode, authorise, call the store, encode. This crate writes no SQL.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use papi_store::Store;
use papi_survey::Survey;
use serde::Serialize;
use tokio::sync::RwLock;

pub mod analysis;
pub mod auth;
mod body;
pub mod commit;
pub mod compare;
mod cpu;
pub mod dashboard;
pub mod device;
pub mod device_file;
mod edge;
pub mod error;
pub mod exports;
pub mod fieldwork;
mod headers;
pub mod interviews;
pub mod listen;
mod locale;
pub mod metrics;
pub mod openapi;
pub mod openrosa;
mod pages;
pub mod recompute;
pub mod routes;
pub mod sample;
pub mod session;
pub mod signin;
pub mod surveys;
mod web;

use error::ApiError;

/// Largest request body: a PAPI-sized interview is about 30 KiB, a batch of 500 about 15 MiB (and an
/// ODK submission with its attachments).
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest body of the other API requests (one interview, a review, 10,000 villages' assignments).
pub const API_BODY: usize = 4 * 1024 * 1024;
/// Largest sign-in: a username and a password.
pub const SMALL_BODY: usize = 16 * 1024;

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
    /// Where CPU-bound work runs (off the async workers).
    pub(crate) cpu: cpu::CpuPool,
    /// Whether a TLS proxy in front sets `X-Forwarded-For` (`papi serve --behind-proxy`).
    pub(crate) behind_proxy: bool,
    /// How long finished jobs and export files are kept (`papi serve --keep-jobs-days`).
    keep_jobs: chrono::Duration,
    metrics: metrics::Metrics,
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
            cpu: cpu::CpuPool::default(),
            behind_proxy: false,
            keep_jobs: chrono::Duration::days(30),
            metrics: metrics::Metrics::default(),
        }
    }

    /// Keeps finished jobs (and export files) for `days` days.
    pub fn keep_jobs_days(mut self, days: u32) -> AppState {
        self.keep_jobs = chrono::Duration::days(i64::from(days.max(1)));
        self
    }

    /// Trusts the last address of `X-Forwarded-For` as the client's (only behind a proxy that sets it).
    pub fn behind_proxy(mut self, yes: bool) -> AppState {
        self.behind_proxy = yes;
        self
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
        let name = format!("{id} {version}");
        let survey = self
            .cpu
            .run(move || Survey::from_toml(&toml, &name))
            .await?
            .map_err(ApiError::internal)?;
        let survey = Arc::new(survey);
        self.surveys.write().await.insert(key, survey.clone());
        Ok(Some(survey))
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    routes::router(Arc::new(state))
}

/// The site icon (browsers ask for it on every page): a red square with "P", as SVG.
pub(crate) async fn favicon() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#8b1a1a"/><text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="bold" fill="#fff" text-anchor="middle">P</text></svg>"##,
    )
}

pub(crate) async fn api_not_found() -> ApiError {
    ApiError::not_found("đường dẫn API này", "this API route")
}

/// Serves until ctrl-c or SIGTERM, then finishes the requests in flight; `ready` is called with the
/// bound address once the service listens.
pub async fn serve(
    state: AppState,
    listen: SocketAddr,
    limits: listen::Limits,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let state = Arc::new(state);
    // The decoy hash for unknown users is made before the first sign-in, not during it.
    state
        .cpu
        .run(papi_auth::decoy_hash)
        .await
        .map_err(|e| std::io::Error::other(e.en))?;
    tokio::spawn(housekeeping(state.clone()));
    listen::bind_and_serve(routes::router(state), listen, limits, ready).await
}

/// Hourly: forgets old finished jobs and deletes their export files.
async fn housekeeping(state: Arc<AppState>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match exports::expire_old_jobs(&state, state.keep_jobs).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "expired export files deleted"),
            Err(e) => tracing::warn!(code = e.code, "expiring old jobs failed"),
        }
    }
}

/// Whether the service can reach its database.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// The database's kind, when it answers: `postgres` or `sqlite`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub database: Option<&'static str>,
    /// The store error's stable code, when the database does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
}

/// 200 when the service can reach its database, 503 when it cannot.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses(
        (status = 200, description = "Up, and the database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(Health {
            status: "ok",
            database: Some(state.store.backend().name()),
            code: None,
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: None,
                    code: Some(e.code()),
                }),
            )
                .into_response()
        }
    }
}

/// The front page sends each role to where its work is, and a visitor without a session to sign in
/// (and back here). It reads nothing from the database, so it tells a visitor nothing and costs the
/// same whatever the database holds.
pub(crate) async fn home(viewer: pages::Viewer) -> Response {
    let start = pages::home_of(viewer.actor.role);
    axum::response::Redirect::to(&pages::href(start, viewer.lang)).into_response()
}
