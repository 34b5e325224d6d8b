//! A phone's unsent interviews, saved to a file by the form (for a phone whose storage must be cleared,
//! or that breaks) and uploaded by a supervisor or an administrator: each interview is checked and
//! stored exactly as if the enumerator's device had sent it (the same rules, the places assigned to
//! that enumerator, recorded under their name), so one already sent, or uploaded twice, keeps its id
//! and is acknowledged without a second copy. The upload is audited under the uploader's name.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use papi_auth::{Action, Role};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::interviews::BatchItem;
use crate::AppState;

/// The file the form saves, as it saves it (in parts of at most 500 interviews).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceFile {
    /// What the file is: the one kind the form saves.
    pub format: Format,
    /// The name the device was signed in with: the interviews are recorded under it.
    #[schema(example = "ĐTV Lan")]
    pub enumerator: String,
    /// When the device wrote the file.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub saved_at: Option<DateTime<Utc>>,
    /// The interviews, as the device would have sent them.
    #[schema(value_type = Vec<Object>)]
    pub interviews: Vec<serde_json::Map<String, Value>>,
}

/// The kinds of file the form saves.
#[derive(Deserialize, utoipa::ToSchema)]
pub enum Format {
    #[serde(rename = "papi-unsent-interviews")]
    UnsentInterviews,
}

/// What became of a device's file: how many of its interviews were created, already stored, or
/// refused, and one result per interview, as for a batch.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceFileResults {
    /// The enumerator the interviews are recorded under, as the file names them.
    pub enumerator: String,
    pub created: usize,
    pub duplicate: usize,
    pub refused: usize,
    pub results: Vec<BatchItem>,
}

/// `POST /api/v1/interviews/device-file`: a device's file of unsent interviews, uploaded for it.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/device-file",
    tag = "interviews",
    request_body = DeviceFile,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per interview, as for a batch; with how many were created, already stored, or refused", body = DeviceFileResults),
        (status = 400, description = "Malformed JSON, not a file the form saved, or one that names no enumerator", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and administrators upload a device's file", body = ErrorBody),
        (status = 413, description = "More than 500 interviews in one request", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 503, description = "Overloaded: retry later", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    file: Result<JsonBody<DeviceFile>, ApiError>,
) -> Result<Json<DeviceFileResults>, ApiError> {
    actor.may(Action::UploadDeviceFile)?;
    let JsonBody(file) = file?;
    let enumerator = papi_survey::nfc(file.enumerator.trim());
    let Format::UnsentInterviews = file.format;
    if enumerator.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "device_file.no_enumerator",
            "Tệp không ghi tên điều tra viên của thiết bị.",
            "The file does not name the device's enumerator.",
        ));
    }
    // As if the enumerator's own device sent them.
    let device = Actor {
        name: enumerator.clone(),
        role: Role::Enumerator,
        csrf_token: None,
    };
    let results = crate::interviews::submit_each(&state, &device, file.interviews).await?;
    let count = |status: u16| results.iter().filter(|r| r.status == status).count();
    let (created, duplicate) = (count(201), count(200));
    let refused = results.len() - created - duplicate;
    state
        .store
        .audit(
            &actor.name,
            "interview.device_file",
            Some(&enumerator),
            &json!({ "created": created, "duplicate": duplicate, "refused": refused, "saved_at": file.saved_at }),
        )
        .await?;
    Ok(Json(DeviceFileResults {
        enumerator,
        created,
        duplicate,
        refused,
        results,
    }))
}
