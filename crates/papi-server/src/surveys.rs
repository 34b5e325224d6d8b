//! `/api/v1/surveys`: the registered survey versions, and one definition as JSON for the web form
//! (which checks answers live with the same rules as the server).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use papi_survey::{Label, Survey};

use papi_auth::Action;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// The registered survey versions.
#[derive(Serialize, ToSchema)]
pub struct SurveyList {
    pub items: Vec<SurveySummary>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveySummary {
    pub id: String,
    pub version: String,
    /// Language code → title.
    pub title: Label,
    pub languages: Vec<String>,
}

/// A definition as the web form reads it.
#[derive(Serialize, ToSchema)]
pub struct SurveyDefinition {
    pub id: String,
    pub version: String,
    pub title: Label,
    pub languages: Vec<String>,
    /// The location columns an interview carries.
    pub location: Vec<String>,
    /// The headings of the groups the questions name.
    pub groups: Vec<GroupHeading>,
    pub questions: Vec<DefinitionQuestion>,
}

/// A group's heading: the definition's own, or the label of the dimension it is named after.
#[derive(Serialize, ToSchema)]
pub struct GroupHeading {
    pub id: String,
    pub label: Label,
    pub appearance: Option<String>,
}

/// A question with its type, labels, choices and rules (the rules as XLSForm expressions).
#[derive(Serialize, ToSchema)]
pub struct DefinitionQuestion {
    pub id: String,
    /// XLSForm's type: select_one, select_multiple, integer, decimal, text, date...
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    pub label: Label,
    pub hint: Option<Label>,
    pub group: Option<String>,
    pub required: bool,
    pub relevant: Option<String>,
    pub constraint: Option<String>,
    pub constraint_message: Option<Label>,
    pub required_if: Option<String>,
    pub required_message: Option<Label>,
    pub guidance_hint: Option<Label>,
    pub calculation: Option<String>,
    pub choice_filter: Option<String>,
    /// The id of the repeat the question belongs to.
    pub repeat: Option<String>,
    pub repeat_count: Option<String>,
    pub default: Option<String>,
    pub appearance: Option<String>,
    pub read_only: bool,
    pub parameters: Option<String>,
    pub choices: Vec<DefinitionChoice>,
}

/// A choice of a select question.
#[derive(Serialize, ToSchema)]
pub struct DefinitionChoice {
    pub value: String,
    pub label: Label,
    /// The choice list's other columns (what a choice filter reads).
    pub columns: BTreeMap<String, String>,
}

/// `GET /api/v1/surveys`: every registered survey version.
#[utoipa::path(
    get,
    path = "/api/v1/surveys",
    tag = "surveys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The registered survey versions", body = SurveyList),
        (status = 401, description = "No valid token or session", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> Result<Json<SurveyList>, ApiError> {
    actor.may(Action::ReadSurveys)?;
    let mut items = Vec::new();
    for (id, version, _) in state.store.survey_definitions().await? {
        if let Some(s) = state.survey(&id, &version).await? {
            items.push(SurveySummary {
                id,
                version,
                title: s.title.clone(),
                languages: s.languages.clone(),
            });
        }
    }
    Ok(Json(SurveyList { items }))
}

/// `GET /api/v1/surveys/{id}/{version}`: the definition, as the form needs it.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}",
    tag = "surveys",
    params(("id" = String, Path, description = "Survey id"), ("version" = String, Path, description = "Survey version")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The definition: questions with their types, labels, choices and rules", body = SurveyDefinition),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<SurveyDefinition>, ApiError> {
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
pub fn definition(s: &Survey) -> SurveyDefinition {
    let questions = s
        .questions
        .iter()
        .map(|q| DefinitionQuestion {
            id: q.id.clone(),
            kind: q.kind.name(),
            label: q.label.clone(),
            hint: q.hint.clone(),
            group: q.group.clone(),
            required: q.required,
            relevant: q.relevant_source.clone(),
            constraint: q.constraint_source.clone(),
            constraint_message: q.constraint_message.clone(),
            required_if: q.required_if_source.clone(),
            required_message: q.required_message.clone(),
            guidance_hint: q.guidance_hint.clone(),
            calculation: q.calculation_source.clone(),
            choice_filter: q.choice_filter_source.clone(),
            repeat: q.repeat.map(|r| s.questions[r].id.clone()),
            repeat_count: q.repeat_count_source.clone(),
            default: q.default.clone(),
            appearance: q.appearance.clone(),
            read_only: q.read_only,
            parameters: q.parameters.clone(),
            choices: s
                .choices_of(q)
                .iter()
                .map(|c| DefinitionChoice {
                    value: c.value.clone(),
                    label: c.label.clone(),
                    columns: c.columns.clone(),
                })
                .collect(),
        })
        .collect();
    SurveyDefinition {
        id: s.id.clone(),
        version: s.version.clone(),
        title: s.title.clone(),
        languages: s.languages.clone(),
        location: s.design.location.clone(),
        groups: group_headings(s),
        questions,
    }
}

/// The headings of the groups questions name: the definition's own, else (PAPI's questionnaire names
/// a group after each dimension) the dimension's label, so that the form's screens have a heading.
fn group_headings(s: &Survey) -> Vec<GroupHeading> {
    let mut out: Vec<GroupHeading> = s
        .groups
        .iter()
        .map(|g| GroupHeading {
            id: g.id.clone(),
            label: g.label.clone(),
            appearance: g.appearance.clone(),
        })
        .collect();
    let mut named: Vec<&str> = Vec::new();
    for group in s.questions.iter().filter_map(|q| q.group.as_deref()) {
        if named.contains(&group) || s.groups.iter().any(|g| g.id == group) {
            continue;
        }
        named.push(group);
        if let Some(d) = s.dimensions.iter().find(|d| d.id == group) {
            out.push(GroupHeading {
                id: group.to_owned(),
                label: d.label.clone(),
                appearance: None,
            });
        }
    }
    out
}
