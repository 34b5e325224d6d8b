//! Recompute as a background job: an analyst asks for it, the scores are computed from the database
//! off the request path, and the job reports its progress until the publication is recorded. Jobs
//! live in the database: one runs per survey version at a time (a second request is answered with
//! the running job), and any instance answers a poll.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use papi_auth::Action;
use papi_store::{JobEnd, JobStart, RecomputeJob};
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

impl From<RecomputeJob> for Job {
    fn from(j: RecomputeJob) -> Job {
        Job {
            id: j.id,
            survey_id: j.survey_id,
            version: j.survey_version,
            requested_by: j.requested_by,
            status: j.status,
            phase: j.phase,
            interviews_read: j.interviews_read.max(0) as u64,
            interviews_total: j.interviews_total.max(0) as u64,
            left_out: j.left_out.map(|n| n.max(0) as usize),
            publication: j.publication,
            total: j.total,
            error: j.error,
        }
    }
}

/// How often a running job writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// How often a running job says it is alive (well within `papi_store::STALE_AFTER_MINUTES`).
const HEARTBEAT: Duration = Duration::from_secs(60);

/// Writes a job's progress to the database from the scoring thread, at most every `PROGRESS_EVERY`.
struct JobProgress {
    state: Arc<AppState>,
    handle: tokio::runtime::Handle,
    id: Uuid,
    last: Mutex<(Instant, String, u64, u64)>,
}

impl JobProgress {
    fn record(&self, change: impl FnOnce(&mut (Instant, String, u64, u64)), force: bool) {
        let (phase, read, total) = {
            let mut last = self.last.lock().expect("progress lock");
            change(&mut last);
            if !force && last.0.elapsed() < PROGRESS_EVERY {
                return;
            }
            last.0 = Instant::now();
            (last.1.clone(), last.2, last.3)
        };
        // The scoring thread is itself inside the runtime's `block_on`: the write goes to a task.
        let state = self.state.clone();
        let id = self.id;
        self.handle.spawn(async move {
            let written = state
                .store
                .recompute_progress(id, &phase, read as i64, total as i64)
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "recording a recompute job's progress");
            }
        });
    }
}

impl papi_recompute::Progress for JobProgress {
    fn reading(&self, done: u64, total: u64) {
        self.record(
            |l| {
                l.2 = done;
                l.3 = total;
            },
            false,
        );
    }
    fn phase(&self, what: &str) {
        self.record(|l| l.1 = what.to_owned(), true);
    }
}

/// `POST /api/v1/surveys/{survey_id}/{version}/recompute`: start recomputing and publishing.
#[utoipa::path(
    post,
    path = "/api/v1/surveys/{id}/{version}/recompute",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 202, description = "The job started; poll its status URL", body = Job),
        (status = 200, description = "A job for this survey version is already running: that job", body = Job),
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Only analysts and admins publish", body = crate::error::ErrorBody),
        (status = 404, description = "No such survey version", body = crate::error::ErrorBody),
    )
)]
pub async fn start(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Response, ApiError> {
    actor.may(Action::Recompute)?;
    let survey = state
        .survey(&id, &version)
        .await?
        .ok_or_else(|| ApiError::not_found("phiên bản khảo sát này", "this survey version"))?;
    let job = match state
        .store
        .start_recompute_job(&survey.id, &survey.version, &actor.name)
        .await?
    {
        JobStart::Started(job) => job,
        // One at a time per survey version: the running job answers a second request.
        JobStart::AlreadyRunning(job) => return Ok(job_response(StatusCode::OK, job)),
    };
    let job_id = job.id;
    // A heartbeat while the job runs, so that no other request takes it for an interrupted one
    // (scoring a million interviews may go minutes between progress reports).
    let beating = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HEARTBEAT);
        every.tick().await;
        loop {
            every.tick().await;
            match beating.store.touch_recompute_job(job_id).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => tracing::warn!(error = %e, "recompute heartbeat"),
            }
        }
    });
    let worker = state.clone();
    let handle = tokio::runtime::Handle::current();
    // Scoring is CPU work: it runs on a blocking thread, not on the request workers.
    tokio::task::spawn_blocking(move || {
        let progress = JobProgress {
            state: worker.clone(),
            handle: handle.clone(),
            id: job_id,
            last: Mutex::new((Instant::now(), "queued".into(), 0, 0)),
        };
        let result = handle.block_on(papi_recompute::recompute_and_publish(
            &worker.store,
            &survey,
            &worker.reference,
            None,
            &actor.name,
            &progress,
        ));
        let end = match result {
            Ok(p) => JobEnd::Done {
                publication: p.publication.id.to_string(),
                left_out: p.left_out as i64,
                total: p.overall.groups.first().and_then(|g| g.total.estimate),
            },
            Err(e) => {
                tracing::warn!(error = %e, code = e.code(), "recompute failed");
                JobEnd::Failed(format!("{} ({})", e, e.code()))
            }
        };
        if let Err(e) = handle.block_on(worker.store.finish_recompute_job(job_id, &end)) {
            tracing::error!(error = %e, "recording the end of a recompute job");
        }
    });
    Ok(job_response(StatusCode::ACCEPTED, job))
}

/// The job, with its status URL in `Location`.
fn job_response(status: StatusCode, job: RecomputeJob) -> Response {
    let location = format!("/api/v1/recompute/{}", job.id);
    let mut response = (status, Json(Job::from(job))).into_response();
    if let Ok(v) = location.parse() {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, v);
    }
    response
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
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Only analysts and admins", body = crate::error::ErrorBody),
        (status = 404, description = "No such job (or one forgotten after the jobs' retention)", body = crate::error::ErrorBody),
    )
)]
pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(job): Path<String>,
    actor: Actor,
) -> Result<Json<Job>, ApiError> {
    actor.may(Action::Recompute)?;
    let id =
        Uuid::parse_str(&job).map_err(|_| ApiError::not_found("lần tính lại này", "this job"))?;
    state
        .store
        .recompute_job(id)
        .await?
        .map(|j| Json(Job::from(j)))
        .ok_or_else(|| ApiError::not_found("lần tính lại này", "this job"))
}
