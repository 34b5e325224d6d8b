//! `/api/v1/surveys`: the registered survey versions, and one definition as JSON for the web form
//! (which checks answers live with the same rules as the server).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use papi_survey::Survey;

use papi_auth::Action;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

/// `GET /api/v1/surveys`: every registered survey version.
#[utoipa::path(
    get,
    path = "/api/v1/surveys",
    tag = "surveys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The registered survey versions", body = crate::openapi::SurveyList),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> Result<Json<Value>, ApiError> {
    actor.may(Action::ReadSurveys)?;
    let mut items = Vec::new();
    for (id, version, _) in state.store.survey_definitions().await? {
        if let Some(s) = state.survey(&id, &version).await? {
            items.push(
                json!({ "id": id, "version": version, "title": s.title, "languages": s.languages }),
            );
        }
    }
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/surveys/{id}/{version}`: the definition, as the form needs it.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}",
    tag = "surveys",
    params(("id" = String, Path, description = "Survey id"), ("version" = String, Path, description = "Survey version")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The definition: questions with their types, labels, choices and rules", body = crate::openapi::SurveyDefinition),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 404, description = "No such survey version", body = crate::openapi::Error),
    )
)]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    actor.may(Action::ReadSurveys)?;
    let s = state.survey(&id, &version).await?.ok_or_else(|| {
        ApiError::not_found(
            &format!("khảo sát {id} phiên bản {version}"),
            &format!("survey {id} version {version}"),
        )
    })?;
    Ok(Json(definition(&s)))
}

/// A definition as the form reads it: questions with their types, labels, choices and rules.
pub fn definition(s: &Survey) -> Value {
    let questions: Vec<Value> = s
        .questions
        .iter()
        .map(|q| {
            json!({
                "id": q.id,
                "type": q.kind.name(),
                "label": q.label,
                "hint": q.hint,
                "group": q.group,
                "required": q.required,
                "relevant": q.relevant_source,
                "constraint": q.constraint_source,
                "constraint_message": q.constraint_message,
                "required_if": q.required_if_source,
                "required_message": q.required_message,
                "guidance_hint": q.guidance_hint,
                "calculation": q.calculation_source,
                "choice_filter": q.choice_filter_source,
                "repeat": q.repeat.map(|r| &s.questions[r].id),
                "repeat_count": q.repeat_count_source,
                "default": q.default,
                "appearance": q.appearance,
                "read_only": q.read_only,
                "parameters": q.parameters,
                "choices": s.choices_of(q).iter().map(|c| json!({ "value": c.value, "label": c.label, "columns": c.columns })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": s.id,
        "version": s.version,
        "title": s.title,
        "languages": s.languages,
        "location": s.design.location,
        "groups": group_headings(s),
        "questions": questions,
    })
}

/// The headings of the groups questions name: the definition's own, else (PAPI's questionnaire names
/// a group after each dimension) the dimension's label, so that the form's screens have a heading.
fn group_headings(s: &Survey) -> Vec<Value> {
    let mut out: Vec<Value> = s
        .groups
        .iter()
        .map(|g| json!({ "id": g.id, "label": g.label, "appearance": g.appearance }))
        .collect();
    let mut named: Vec<&str> = Vec::new();
    for group in s.questions.iter().filter_map(|q| q.group.as_deref()) {
        if named.contains(&group) || s.groups.iter().any(|g| g.id == group) {
            continue;
        }
        named.push(group);
        if let Some(d) = s.dimensions.iter().find(|d| d.id == group) {
            out.push(json!({ "id": group, "label": d.label, "appearance": null }));
        }
    }
    out
}
