//! The dashboard's JSON API: the latest publication's aggregates, and an administrator's update of a
//! plan task's status.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use papi_auth::Action;
use papi_survey::plan::Plan;
use serde::Deserialize;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::AppState;

use super::*;

/// `GET /api/v1/dashboard/{survey_id}/{version}`: the dashboard's aggregates (no respondent's answers;
/// small strata suppressed).
#[utoipa::path(
    get,
    path = "/api/v1/dashboard/{survey_id}/{version}",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("survey_id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "The latest publication's aggregates", body = Dashboard),
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Enumerators do not see the dashboard", body = crate::error::ErrorBody),
        (status = 404, description = "No such survey version, or nothing published for it", body = crate::error::ErrorBody),
    )
)]
pub async fn api(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<Dashboard>, ApiError> {
    actor.may(Action::ViewDashboard)?;
    let (_, d) = load(&state, &id, &version).await?;
    d.map(Json).ok_or_else(|| {
        ApiError::not_found(
            "kết quả đã công bố cho phiên bản khảo sát này",
            "a published result for this survey version",
        )
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TaskUpdate {
    /// not_started, in_progress, done or delayed.
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// `PUT /api/v1/plans/{plan_id}/tasks/{task_id}`: an admin sets a plan task's status.
#[utoipa::path(
    put,
    path = "/api/v1/plans/{plan_id}/tasks/{task_id}",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("plan_id" = String, Path), ("task_id" = String, Path)),
    request_body = TaskUpdate,
    responses(
        (status = 200, description = "The task's new status"),
        (status = 400, description = "Malformed body", body = crate::error::ErrorBody),
        (status = 413, description = "The body is larger than this request allows", body = crate::error::ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = crate::error::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Only an admin updates tasks", body = crate::error::ErrorBody),
        (status = 404, description = "No such plan or task", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown status, or a note too long", body = crate::error::ErrorBody),
    )
)]
pub async fn set_task(
    State(state): State<Arc<AppState>>,
    Path((plan_id, task_id)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<TaskUpdate>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.may(Action::UpdatePlanTasks)?;
    let JsonBody(update) = body?;
    if !papi_store::TASK_STATES.contains(&update.status.as_str()) {
        return Err(ApiError::unprocessable(
            "plan.status",
            format!(
                "status: phải là một trong {}",
                papi_store::TASK_STATES.join(", ")
            ),
            format!(
                "status: must be one of {}",
                papi_store::TASK_STATES.join(", ")
            ),
        ));
    }
    let note = papi_survey::nfc(update.note.trim());
    if note.chars().count() > 2000 || note.contains('\0') {
        return Err(ApiError::unprocessable(
            "plan.note",
            "note: tối đa 2000 ký tự, không có ký tự NUL",
            "note: at most 2,000 characters, no NUL",
        ));
    }
    let Some((_, toml)) = state
        .store
        .plans()
        .await?
        .into_iter()
        .find(|(id, _)| *id == plan_id)
    else {
        return Err(ApiError::not_found("kế hoạch này", "this plan"));
    };
    let plan = Plan::from_toml(&toml, &plan_id).map_err(ApiError::internal)?;
    if !plan.tasks.iter().any(|t| t.id == task_id) {
        return Err(ApiError::not_found(
            "nhiệm vụ này của kế hoạch",
            "this task of the plan",
        ));
    }
    let s = state
        .store
        .set_task_status(&plan_id, &task_id, &update.status, &note, &actor.name)
        .await?;
    Ok(Json(serde_json::json!({
        "plan_id": plan_id, "task_id": s.task_id, "status": s.status, "note": s.note,
        "updated_by": s.updated_by, "updated_at": s.updated_at,
    })))
}
