//! Recompute as a background job: an analyst asks for it, the scores are computed from the database
//! off the request path, and the job reports its progress until the publication is recorded. The job
//! list lives in this instance's memory; the publication it makes lives in the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use papi_auth::Role;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

/// A recompute job's state, as `GET /api/v1/recompute/{job}` reports it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: Uuid,
    pub survey_id: String,
    pub version: String,
    pub requested_by: String,
    /// running, done or failed.
    pub status: String,
    pub phase: String,
    pub interviews_read: u64,
    pub interviews_total: u64,
    /// Interviews that could not be scored and were left out, with their reasons on the fieldwork page.
    pub left_out: Option<usize>,
    pub publication: Option<String>,
    pub total: Option<f64>,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct Jobs(Mutex<HashMap<Uuid, Job>>);

impl Jobs {
    fn update(&self, id: Uuid, f: impl FnOnce(&mut Job)) {
        if let Some(job) = self.0.lock().expect("jobs lock").get_mut(&id) {
            f(job);
        }
    }
}

struct JobProgress {
    state: Arc<AppState>,
    id: Uuid,
}

impl papi_recompute::Progress for JobProgress {
    fn reading(&self, done: u64, total: u64) {
        self.state.jobs.update(self.id, |j| {
            j.interviews_read = done;
            j.interviews_total = total;
        });
    }
    fn phase(&self, what: &str) {
        self.state
            .jobs
            .update(self.id, |j| j.phase = what.to_owned());
    }
}

/// `POST /api/v1/surveys/{survey_id}/{version}/recompute`: start recomputing and publishing.
#[utoipa::path(
    post,
    path = "/api/v1/surveys/{survey_id}/{version}/recompute",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("survey_id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 202, description = "The job started; poll its status URL", body = Job),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only analysts and admins publish", body = crate::openapi::Error),
        (status = 404, description = "No such survey version", body = crate::openapi::Error),
    )
)]
pub async fn start(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Response, ApiError> {
    if !matches!(actor.role, Role::Analyst | Role::Admin) {
        return Err(ApiError::forbidden("recompute and publish scores"));
    }
    let survey = state
        .survey(&id, &version)
        .await?
        .ok_or_else(|| ApiError::not_found("this survey version"))?;
    let job_id = Uuid::new_v4();
    let job = Job {
        id: job_id,
        survey_id: survey.id.clone(),
        version: survey.version.clone(),
        requested_by: actor.name.clone(),
        status: "running".into(),
        phase: "queued".into(),
        interviews_read: 0,
        interviews_total: 0,
        left_out: None,
        publication: None,
        total: None,
        error: None,
    };
    state
        .jobs
        .0
        .lock()
        .expect("jobs lock")
        .insert(job_id, job.clone());
    let worker = state.clone();
    let handle = tokio::runtime::Handle::current();
    // Scoring is CPU work: it runs on a blocking thread, not on the request workers.
    tokio::task::spawn_blocking(move || {
        let progress = JobProgress {
            state: worker.clone(),
            id: job_id,
        };
        let result = handle.block_on(papi_recompute::recompute_and_publish(
            &worker.store,
            &survey,
            &worker.reference,
            None,
            &actor.name,
            &progress,
        ));
        worker.jobs.update(job_id, |j| match result {
            Ok(p) => {
                j.status = "done".into();
                j.phase = "done".into();
                j.publication = Some(p.publication.id.to_string());
                j.left_out = Some(p.left_out);
                j.total = p.overall.groups.first().and_then(|g| g.total.estimate);
            }
            Err(e) => {
                tracing::warn!(error = %e, code = e.code(), "recompute failed");
                j.status = "failed".into();
                j.error = Some(format!("{} ({})", e, e.code()));
            }
        });
    });
    let mut response = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(v) = format!("/api/v1/recompute/{job_id}").parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /api/v1/recompute/{job}`: a recompute job's progress.
#[utoipa::path(
    get,
    path = "/api/v1/recompute/{job}",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("job" = String, Path, description = "The job id from the POST")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only analysts and admins", body = crate::openapi::Error),
        (status = 404, description = "No such job on this instance", body = crate::openapi::Error),
    )
)]
pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(job): Path<String>,
    actor: Actor,
) -> Result<Json<Job>, ApiError> {
    if !matches!(actor.role, Role::Analyst | Role::Admin) {
        return Err(ApiError::forbidden("see recompute jobs"));
    }
    let id = Uuid::parse_str(&job).map_err(|_| ApiError::not_found("this job"))?;
    state
        .jobs
        .0
        .lock()
        .expect("jobs lock")
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("this job"))
}
