//! The fieldwork's JSON API: review decisions and their history, the fieldwork's figures, and the
//! survey's settings.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use papi_auth::Action;
use papi_store::REVIEW_STATES;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::pages::Lang;
use crate::AppState;

use super::*;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    /// received, approved, has_issues or rejected.
    pub state: String,
    /// Required when the state is has_issues or rejected.
    #[serde(default)]
    pub comment: String,
}

/// A review decision on an interview, as recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewRecorded {
    /// The interview.
    pub id: Uuid,
    /// The state before the decision.
    pub from: String,
    /// The state decided: received, approved, has_issues or rejected.
    pub state: String,
    pub comment: String,
    pub reviewer: String,
    #[schema(value_type = String, format = DateTime)]
    pub reviewed_at: DateTime<Utc>,
}

/// An interview's review history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewHistory {
    /// The interview.
    pub id: Uuid,
    /// Oldest first.
    pub reviews: Vec<ReviewEntry>,
}

/// One review decision.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewEntry {
    /// The state before the decision.
    pub from: String,
    /// The state decided.
    pub state: String,
    pub comment: String,
    pub reviewer: String,
    #[schema(value_type = String, format = DateTime)]
    pub reviewed_at: DateTime<Utc>,
}

/// `POST /api/v1/interviews/{id}/review`: a supervisor's decision on an interview, with a comment.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/review",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The interview id (UUID)")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "The decision, as recorded", body = ReviewRecorded),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 413, description = "The body is larger than this request allows", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and admins review", body = ErrorBody),
        (status = 404, description = "No such interview", body = ErrorBody),
        (status = 422, description = "Unknown state, or a comment missing or too long", body = ErrorBody),
    )
)]
pub async fn review(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    actor: Actor,
    body: Result<JsonBody<ReviewRequest>, ApiError>,
) -> Result<Json<ReviewRecorded>, ApiError> {
    actor.may(Action::Review)?;
    let JsonBody(req) = body?;
    let uuid = Uuid::parse_str(&id)
        .map_err(|_| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    if !REVIEW_STATES.contains(&req.state.as_str()) {
        return Err(ApiError::unprocessable(
            "review.state",
            format!("state: phải là một trong {}", REVIEW_STATES.join(", ")),
            format!("state: must be one of {}", REVIEW_STATES.join(", ")),
        ));
    }
    let comment = papi_survey::nfc(req.comment.trim());
    if comment.contains('\0') || comment.chars().count() > 2000 {
        return Err(ApiError::unprocessable(
            "review.comment",
            "comment: tối đa 2000 ký tự, không có ký tự NUL",
            "comment: at most 2,000 characters, no NUL",
        ));
    }
    if matches!(req.state.as_str(), "has_issues" | "rejected") && comment.is_empty() {
        return Err(ApiError::unprocessable(
            "review.comment_required",
            "comment: cần ghi rõ vấn đề khi đánh dấu có vấn đề hoặc loại phiếu",
            "comment: say what is wrong when marking an interview has_issues or rejected",
        ));
    }
    let r = state
        .store
        .review_interview(uuid, &req.state, &comment, &actor.name)
        .await?
        .ok_or_else(|| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    Ok(Json(ReviewRecorded {
        id: r.interview_id,
        from: r.from_state,
        state: r.to_state,
        comment: r.comment,
        reviewer: r.reviewer,
        reviewed_at: r.reviewed_at,
    }))
}

/// `GET /api/v1/interviews/{id}/reviews`: an interview's review history.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/reviews",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The interview id (UUID)")),
    responses(
        (status = 200, description = "Review decisions, oldest first", body = ReviewHistory),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and admins", body = ErrorBody),
        (status = 404, description = "No such interview", body = ErrorBody),
    )
)]
pub async fn reviews(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    actor: Actor,
) -> Result<Json<ReviewHistory>, ApiError> {
    actor.may(Action::Review)?;
    let uuid = Uuid::parse_str(&id)
        .map_err(|_| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    if state.store.interview_survey(uuid).await?.is_none() {
        return Err(ApiError::not_found("phiếu phỏng vấn này", "this interview"));
    }
    let history = state.store.reviews(uuid).await?;
    Ok(Json(ReviewHistory {
        id: uuid,
        reviews: history
            .into_iter()
            .map(|r| ReviewEntry {
                from: r.from_state,
                state: r.to_state,
                comment: r.comment,
                reviewer: r.reviewer,
                reviewed_at: r.reviewed_at,
            })
            .collect(),
    }))
}

/// `GET /api/v1/surveys/{survey_id}/{version}/fieldwork`: the fieldwork page's figures.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}/fieldwork",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "Progress, per-enumerator days, review states and quality flags", body = Fieldwork),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and admins", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
    )
)]
pub async fn api(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<Fieldwork>, ApiError> {
    actor.may(Action::ViewFieldwork)?;
    let survey = survey_or_404(&state, &id, &version).await?;
    Ok(Json(gather(&state, &survey).await?))
}

/// `PUT /api/v1/surveys/{survey_id}/{version}/settings`: change settings (supervisor or admin; the
/// settings that protect respondents, admin only).
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}/{version}/settings",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    request_body(content = serde_json::Value, description = "Settings to change: score_include (approved | approved_or_unreviewed), short_interview_minutes (number), dashboard_min_respondents (integer ≥ 10; admins only), assignments_required (true | false); values as strings or JSON values"),
    responses(
        (status = 200, description = "All settings after the change", body = SettingsView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 413, description = "The body is larger than this request allows", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and admins, and only admins for dashboard_min_respondents (nothing is changed)", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
        (status = 422, description = "An unknown setting or a value that breaks its rule (nothing is changed)", body = ErrorBody),
    )
)]
pub async fn set_settings(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<serde_json::Map<String, serde_json::Value>>, ApiError>,
) -> Result<Json<SettingsView>, ApiError> {
    actor.may(Action::ChangeFieldworkSettings)?;
    let JsonBody(map) = body?;
    let survey = survey_or_404(&state, &id, &version).await?;
    // Check them all before changing any.
    let mut changes = Vec::new();
    for (key, value) in &map {
        if !actor.can(Action::change_setting(key)) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "auth.forbidden",
                format!(
                    "Vai trò {} không được phép thay đổi cài đặt {key}.",
                    crate::pages::role_name(actor.role, Lang::Vi)
                ),
                format!("The {} role may not change the setting {key}.", actor.role),
            ));
        }
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => String::from("(not a string, number or boolean)"),
        };
        papi_recompute::check_setting(key, &value).map_err(|e| {
            ApiError::unprocessable(
                "settings.invalid",
                format!("Cài đặt không hợp lệ: {e}"),
                e.to_string(),
            )
        })?;
        changes.push((key.clone(), value));
    }
    state
        .store
        .set_settings(&survey.id, &survey.version, &changes, &actor.name)
        .await?;
    let s = papi_recompute::settings(&state.store, &survey)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SettingsView {
        score_include: s.include.name().to_owned(),
        short_interview_minutes: s.short_minutes,
        dashboard_min_respondents: s.min_respondents,
        assignments_required: s.assignments_required,
    }))
}
