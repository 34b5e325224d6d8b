//! `/api/v1/exports`: analyst exports as background jobs. A POST records a queued job and answers 202
//! at once; the job runs on the service (one export at a time, so that fieldwork keeps its share of
//! the machine), writes its file under the exports directory, and records its progress in the
//! database; GET reads the job, and its `file` link streams the file from disk once it is done.
//!
//! Only analysts and administrators export (leaders never get respondents' answers), and a job is
//! seen only by whoever asked for it, or an administrator. Creations and downloads are audited.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::SecondsFormat;
use papi_auth::Action;
use papi_export::{Format, Options};
use papi_store::{ExportJob as StoredJob, NewExportJob};
use papi_survey::{FieldError, Survey, SurveyRef};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Semaphore;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// Where export files go, and how many exports may run at once.
pub struct Exports {
    pub dir: PathBuf,
    running: Arc<Semaphore>,
}

impl Exports {
    pub fn new(dir: PathBuf) -> Exports {
        Exports {
            dir,
            running: Arc::new(Semaphore::new(1)),
        }
    }
}

/// Forgets finished export and recompute jobs older than `keep`, and deletes the forgotten exports'
/// files. Returns how many files went.
pub async fn expire_old_jobs(state: &AppState, keep: chrono::Duration) -> Result<usize, ApiError> {
    let files = state.store.expire_jobs(chrono::Utc::now() - keep).await?;
    for name in &files {
        // Names are papi's own (never a client's), but stay inside the directory all the same.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            continue;
        }
        match tokio::fs::remove_file(state.exports.dir.join(name)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, file = name, "deleting an expired export"),
        }
    }
    Ok(files.len())
}

/// An export to run in the background. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    #[schema(example = "papi")]
    survey_id: String,
    #[schema(example = "2019.1")]
    version: String,
    /// csv, parquet or xlsx (another is refused with 422).
    #[schema(example = "csv")]
    format: String,
    /// Start a CSV file with a UTF-8 byte-order mark (for Excel); CSV only.
    #[serde(default)]
    bom: bool,
    /// Only interviews in these review states (received, approved, has_issues or rejected; another
    /// is refused with 422); empty or absent: every state.
    #[serde(default)]
    review_states: Vec<String>,
}

/// An export job.
#[derive(Serialize, ToSchema)]
pub struct ExportJob {
    pub id: Uuid,
    pub survey: SurveyRef,
    /// csv, parquet or xlsx.
    pub format: String,
    pub bom: bool,
    pub review_states: Vec<String>,
    /// queued, running, done or failed.
    pub status: String,
    pub progress: ExportProgress,
    /// Why the export failed.
    pub error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    pub links: ExportLinks,
}

#[derive(Serialize, ToSchema)]
pub struct ExportProgress {
    pub rows_written: i64,
    /// Known once the job runs.
    pub rows_total: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportLinks {
    /// This job.
    #[serde(rename = "self")]
    pub this: String,
    /// The file, once the job is done.
    pub file: Option<String>,
}

fn invalid(field: &str, code: &'static str, vi: String, en: String) -> ApiError {
    ApiError {
        errors: vec![FieldError::new(field, code, vi.clone(), en.clone())],
        ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en)
    }
}

/// `POST /api/v1/exports`: queue an export; 202 with the job.
#[utoipa::path(
    post,
    path = "/api/v1/exports",
    tag = "exports",
    request_body = ExportRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued: poll the job's `links.self` until `status` is done, then fetch `links.file`", body = ExportJob),
        (status = 400, description = "Malformed JSON, wrong types or unknown fields", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only analysts and administrators export", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Unknown survey version, format or review state, or a byte-order mark for a format other than CSV", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    body: Result<JsonBody<ExportRequest>, ApiError>,
) -> Result<Response, ApiError> {
    actor.may(Action::Export)?;
    let JsonBody(req) = body?;
    let format = Format::parse(&req.format).ok_or_else(|| {
        invalid(
            "format",
            "export.format",
            format!(
                "Định dạng '{}' không được hỗ trợ: csv, parquet hoặc xlsx.",
                req.format.replace('\0', "")
            ),
            format!(
                "Format '{}' is not supported: use csv, parquet or xlsx.",
                req.format.replace('\0', "")
            ),
        )
    })?;
    let review_states = papi_export::review_states(&req.review_states).map_err(|_| {
        invalid(
            "review_states",
            "export.review_state",
            "Trạng thái duyệt phải là received, approved, has_issues hoặc rejected.".into(),
            "Review states must be received, approved, has_issues or rejected.".into(),
        )
    })?;
    if req.bom && format != Format::Csv {
        return Err(invalid(
            "bom",
            "export.bom",
            "Dấu BOM chỉ dùng cho tệp CSV.".into(),
            "A byte-order mark applies to CSV only.".into(),
        ));
    }
    let survey = state
        .survey(&req.survey_id, &req.version)
        .await?
        .ok_or_else(|| {
            invalid(
                "survey_id",
                "survey.unknown",
                "Khảo sát hoặc phiên bản không tồn tại trên máy chủ.".into(),
                "Unknown survey or version on this server.".into(),
            )
        })?;
    let job = state
        .store
        .create_export_job(&NewExportJob {
            survey_id: survey.id.clone(),
            survey_version: survey.version.clone(),
            format: format.name().into(),
            bom: req.bom,
            review_states,
            requested_by: actor.name.clone(),
        })
        .await?;
    state
        .store
        .audit(
            &actor.name,
            "export.create",
            Some(&job.id.to_string()),
            &json!({
                "survey": survey.id, "version": survey.version, "format": format.name(),
                "bom": req.bom, "review_states": job.job.review_states,
            }),
        )
        .await?;
    tokio::spawn(run(state.clone(), job.clone(), survey, format));
    let location = HeaderValue::from_str(&format!("/api/v1/exports/{}", job.id))
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(encode(&job)),
    )
        .into_response())
}

/// Runs a job: waits for its turn, writes the file, and records progress and outcome.
async fn run(state: Arc<AppState>, job: StoredJob, survey: Arc<Survey>, format: Format) {
    let id = job.id;
    let outcome = run_export(&state, &job, &survey, format).await;
    let store = &state.store;
    let recorded = match outcome {
        Ok((rows, file)) => store.finish_export_job(id, rows, Ok(&file)).await,
        Err((rows, e)) => {
            tracing::warn!(job = %id, code = e.code(), error = %e, "export failed");
            let message = format!("{} ({})", e, e.code());
            store.finish_export_job(id, rows, Err(&message)).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(job = %id, error = %e, "cannot record the end of an export job");
    }
}

async fn run_export(
    state: &Arc<AppState>,
    job: &StoredJob,
    survey: &Survey,
    format: Format,
) -> Result<(i64, String), (i64, papi_export::ExportError)> {
    let _turn = state
        .exports
        .running
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let store = &state.store;
    let states = job.job.review_states.clone();
    let total = store
        .count_for_export(survey, &states)
        .await
        .map_err(|e| (0, e.into()))?;
    store
        .start_export_job(job.id, total)
        .await
        .map_err(|e| (0, e.into()))?;
    let dir = &state.exports.dir;
    std::fs::create_dir_all(dir).map_err(|e| {
        (
            0,
            papi_export::ExportError::Output {
                path: dir.display().to_string(),
                message: e.to_string(),
            },
        )
    })?;
    // A survey with repeats exports CSV and Parquet as a ZIP of tables.
    let file = format!("{}.{}", job.id, papi_export::file_extension(survey, format));
    let path = dir.join(&file);
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let options = Options {
        format,
        bom: job.job.bom,
        review_states: states,
    };
    let weights = papi_recompute::design::export_weights(store, survey)
        .await
        .map_err(|e| (0, papi_export::ExportError::Weights(e.to_string())))?;
    // Progress reaches the database twice a second while the export runs.
    let ticker = {
        let store = store.clone();
        let written = written.clone();
        let id = job.id;
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let n = written.load(Ordering::Relaxed);
                if n != last {
                    last = n;
                    let _ = store.export_job_progress(id, n as i64).await;
                }
            }
        })
    };
    let result = papi_export::export_to_file(store, survey, &options, weights, &path, move |n| {
        counter.store(n, Ordering::Relaxed)
    })
    .await;
    ticker.abort();
    let rows = written.load(Ordering::Relaxed) as i64;
    match result {
        Ok(n) => Ok((n as i64, file)),
        Err(e) => Err((rows, e)),
    }
}

/// A job as the API shows it.
fn encode(job: &StoredJob) -> ExportJob {
    let time = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let base = format!("/api/v1/exports/{}", job.id);
    ExportJob {
        id: job.id,
        survey: SurveyRef {
            id: job.job.survey_id.clone(),
            version: job.job.survey_version.clone(),
        },
        format: job.job.format.clone(),
        bom: job.job.bom,
        review_states: job.job.review_states.clone(),
        status: job.status.clone(),
        progress: ExportProgress {
            rows_written: job.rows_written,
            rows_total: job.rows_total,
        },
        error: job.error.clone(),
        created_at: time(&job.created_at),
        finished_at: job.finished_at.as_ref().map(time),
        links: ExportLinks {
            file: (job.status == "done").then(|| format!("{base}/file")),
            this: base,
        },
    }
}

/// The job of `id` if the caller may see it: its requester, or an administrator. Anyone else gets
/// the same 404 as for a job that does not exist.
async fn visible_job(state: &AppState, actor: &Actor, id: &str) -> Result<StoredJob, ApiError> {
    actor.may(Action::Export)?;
    let not_found = || {
        ApiError::not_found(
            &format!("lần xuất dữ liệu {}", id.replace('\0', "")),
            &format!("export {}", id.replace('\0', "")),
        )
    };
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let job = state.store.export_job(id).await?.ok_or_else(not_found)?;
    if job.job.requested_by != actor.name && actor.only_own(Action::Export) {
        return Err(not_found());
    }
    Ok(job)
}

/// `GET /api/v1/exports/{id}`: the job's status and progress, and when done its file link.
#[utoipa::path(
    get,
    path = "/api/v1/exports/{id}",
    tag = "exports",
    params(("id" = String, Path, description = "Export job UUID")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = ExportJob),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only analysts and administrators export", body = ErrorBody),
        (status = 404, description = "No such job, or another analyst's", body = ErrorBody)
    )
)]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    let job = visible_job(&state, &actor, &id).await?;
    Ok(Json(encode(&job)))
}

/// `GET /api/v1/exports/{id}/file`: the exported file, streamed from disk.
#[utoipa::path(
    get,
    path = "/api/v1/exports/{id}/file",
    tag = "exports",
    params(("id" = String, Path, description = "Export job UUID")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as an attachment. CSV and Parquet of a survey with repeats come as a ZIP: data.csv (or data.parquet), the interviews, and one file per repeat, one row per repetition", content(
            ("text/csv"),
            ("application/vnd.apache.parquet"),
            ("application/zip"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only analysts and administrators export", body = ErrorBody),
        (status = 404, description = "No such job, another analyst's, or its file is gone", body = ErrorBody),
        (status = 409, description = "The export is not done (queued, running or failed)", body = ErrorBody)
    )
)]
pub async fn file(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = visible_job(&state, &actor, &id).await?;
    let (Some(name), "done") = (job.file_name.as_deref(), job.status.as_str()) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "export.not_ready",
            format!("Tệp xuất chưa sẵn sàng (trạng thái: {}).", job.status),
            format!("The export is not ready (status: {}).", job.status),
        ));
    };
    let format = Format::parse(&job.job.format).ok_or_else(|| ApiError::internal("bad format"))?;
    let file = tokio::fs::File::open(state.exports.dir.join(name))
        .await
        .map_err(|_| {
            ApiError::not_found(
                &format!("tệp của lần xuất dữ liệu {}", job.id),
                &format!("the file of export {}", job.id),
            )
        })?;
    let len = file.metadata().await.map_err(ApiError::internal)?.len();
    state
        .store
        .audit(
            &actor.name,
            "export.download",
            Some(&job.id.to_string()),
            &json!({ "survey": job.job.survey_id, "version": job.job.survey_version, "format": job.job.format, "bytes": len }),
        )
        .await?;
    let zipped = name.ends_with(".zip");
    let extension = if zipped { "zip" } else { format.extension() };
    let content_type = if zipped {
        "application/zip"
    } else {
        format.content_type()
    };
    let download = format!(
        "{}-{}-{}.{}",
        job.job.survey_id, job.job.survey_version, job.id, extension
    );
    let download: String = download
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{download}\""))
                    .map_err(ApiError::internal)?,
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(len)),
        ],
        body,
    )
        .into_response())
}
