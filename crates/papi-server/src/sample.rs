//! The sample design over HTTP: an admin registers a sample drawn by the server from a frame, anyone
//! who supervises or analyses reads it, supervisors assign its villages to enumerators, and every
//! interview's place is checked against it on arrival (JSON, batch and OpenRosa alike).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use papi_auth::{Action, Scope};
use papi_sample::{DrawOptions, Frame};
use papi_store::{place_key, Assignment, PlaceCheck, SamplePlace, StoreError};
use papi_survey::{FieldError, Interview, Survey, SurveyRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// The villages a caller may collect interviews from.
#[derive(Serialize, ToSchema)]
pub struct CollectionPlaces {
    pub survey: SurveyRef,
    /// The survey's location columns, from the top down.
    pub location_columns: Vec<String>,
    /// Whether the survey version has a registered sample (without one, no place is offered).
    pub sample_registered: bool,
    pub places: Vec<CollectionPlace>,
}

/// A village of the sample.
#[derive(Serialize, ToSchema)]
pub struct CollectionPlace {
    /// The village's key: its location values joined with " / ".
    pub place: String,
    /// Location column → value, in the survey's column order.
    #[schema(value_type = HashMap<String, String>)]
    pub location: Map<String, Value>,
}

/// A sample just drawn and registered.
#[derive(Serialize, ToSchema)]
pub struct SampleRegistered {
    pub survey: SurveyRef,
    /// The survey version's new current sample.
    pub sample_version: i64,
    pub sample_hash: String,
    pub frame_hash: String,
    /// How many villages were drawn.
    pub places: usize,
    /// Interviews planned over all the villages.
    pub planned: usize,
}

/// The registered sample: its version, who registered it, the draw, and its villages.
#[derive(Serialize, ToSchema)]
pub struct SampleView {
    pub survey: SurveyRef,
    pub sample_version: i64,
    pub sample_hash: String,
    pub frame_hash: String,
    /// The draw's parameters, as registered.
    #[schema(value_type = Object)]
    pub parameters: Value,
    pub registered_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: DateTime<Utc>,
    pub places: Vec<SampledPlace>,
}

/// A village of the sample, with its design.
#[derive(Serialize, ToSchema)]
pub struct SampledPlace {
    pub place: String,
    /// Location column → value, in the survey's column order.
    #[schema(value_type = HashMap<String, String>)]
    pub location: Map<String, Value>,
    pub planned: i64,
    /// Probability that the village entered the sample (the product of its stages').
    pub inclusion_probability: f64,
    /// One interview's design weight before the non-response adjustment.
    pub base_weight: f64,
}

/// Who works where.
#[derive(Serialize, ToSchema)]
pub struct AssignmentsView {
    pub survey: SurveyRef,
    pub location_columns: Vec<String>,
    /// Must an enumerator's interviews come from villages assigned to them?
    pub assignments_required: bool,
    pub assignments: Vec<AssignedPlace>,
}

/// A village and an enumerator assigned to it.
#[derive(Serialize, ToSchema)]
pub struct AssignedPlace {
    pub place: String,
    /// Location column → value, in the survey's column order; null for a place no longer in the sample.
    #[schema(value_type = Option<HashMap<String, String>>)]
    pub location: Option<Map<String, Value>>,
    pub enumerator: String,
}

/// Assignments replaced: how many rows, and how many enumerators they name.
#[derive(Serialize, ToSchema)]
pub struct AssignmentsSaved {
    pub assignments: usize,
    pub enumerators: usize,
}

/// Checks an interview's place against the survey's registered sample: it must be a village of the
/// sample and, for an enumerator, one assigned to them (unless the survey's `assignments_required`
/// setting is false). Nothing is stored when this fails.
pub(crate) async fn check_place(
    state: &AppState,
    survey: &Survey,
    actor: &Actor,
    interview: &Interview,
) -> Result<(), ApiError> {
    let place = place_key(&interview.location);
    let enumerator = actor
        .only_own(Action::SubmitInterview)
        .then_some(actor.name.as_str());
    let check = state
        .store
        .check_place(&survey.id, &survey.version, &place, enumerator)
        .await?;
    let field = format!(
        "location.{}",
        survey.design.location.last().map_or("", String::as_str)
    );
    let refuse = |code: &'static str, vi: String, en: String| {
        Err(ApiError {
            errors: vec![FieldError::new(field.clone(), code, vi.clone(), en.clone())],
            ..ApiError::unprocessable(code, vi, en)
        })
    };
    match check {
        PlaceCheck::InSample => Ok(()),
        PlaceCheck::NoSample => refuse(
            "location.no_sample",
            format!(
                "Khảo sát {} {} chưa có mẫu được đăng ký: chưa thể nhận phiếu.",
                survey.id, survey.version
            ),
            format!(
                "Survey {} {} has no registered sample yet: no interview can be accepted before it has one.",
                survey.id, survey.version
            ),
        ),
        PlaceCheck::NotInSample => refuse(
            "location.not_in_sample",
            format!("Địa bàn {place} không thuộc mẫu khảo sát."),
            format!("{place} is not a village of the survey's sample."),
        ),
        PlaceCheck::NotAssigned => {
            let settings = papi_recompute::settings(&state.store, survey)
                .await
                .map_err(ApiError::internal)?;
            if bound_to_assignments(actor, &settings) {
                refuse(
                    "location.not_assigned",
                    format!("Địa bàn {place} chưa được phân công cho {}.", actor.name),
                    format!("{place} is not assigned to {}.", actor.name),
                )
            } else {
                Ok(())
            }
        }
    }
}

/// Whether an actor's interviews must come from villages assigned to them: an enumerator's do, unless
/// the survey's `assignments_required` setting is false. The check on arrival and the places offered
/// to the form and to ODK both follow this one rule.
fn bound_to_assignments(actor: &Actor, settings: &papi_recompute::Settings) -> bool {
    actor.only_own(Action::SubmitInterview) && settings.assignments_required
}

/// The villages an actor may collect interviews from: their assigned villages when they are bound to
/// assignments, every village of the registered sample otherwise. No sample, no places.
pub(crate) async fn places_for(
    state: &AppState,
    survey: &Survey,
    actor: &Actor,
) -> Result<Vec<SamplePlace>, ApiError> {
    let mut places = state
        .store
        .sample_places(&survey.id, &survey.version)
        .await?;
    let settings = papi_recompute::settings(&state.store, survey)
        .await
        .map_err(ApiError::internal)?;
    if bound_to_assignments(actor, &settings) {
        let assigned: std::collections::HashSet<String> = state
            .store
            .assignments(&survey.id, &survey.version, Some(&actor.name))
            .await?
            .into_iter()
            .map(|a| a.place)
            .collect();
        places.retain(|p| assigned.contains(&p.place));
    }
    Ok(places)
}

/// `GET /api/v1/surveys/{survey_id}/{version}/places`: the villages the caller may collect interviews
/// from, which the enumerator's form offers as its cascading place pickers.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}/places",
    tag = "sample",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "The caller's places: an enumerator's assigned villages (or every village of the sample when the survey does not require assignments), every village for an administrator", body = CollectionPlaces),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The role does not collect interviews", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
    )
)]
pub async fn get_places(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<CollectionPlaces>, ApiError> {
    actor.may(Action::SubmitInterview)?;
    let survey = survey_or_404(&state, &id, &version).await?;
    let places = places_for(&state, &survey, &actor).await?;
    let has_sample = state
        .store
        .current_sample(&survey.id, &survey.version)
        .await?
        .is_some();
    Ok(Json(CollectionPlaces {
        survey: survey_ref(&survey),
        location_columns: survey.design.location.clone(),
        sample_registered: has_sample,
        places: places
            .iter()
            .map(|p| CollectionPlace {
                place: p.place.clone(),
                location: ordered(&survey, &p.location),
            })
            .collect(),
    }))
}

fn survey_ref(survey: &Survey) -> SurveyRef {
    SurveyRef {
        id: survey.id.clone(),
        version: survey.version.clone(),
    }
}

async fn survey_or_404(state: &AppState, id: &str, version: &str) -> Result<Arc<Survey>, ApiError> {
    state
        .survey(id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("phiên bản khảo sát này", "this survey version"))
}

/// A frame and how to draw from it: the server draws, so the sample is the server's computation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// The sampling frame's text: TOML (papi's frame format) or CSV (`stratum,psu,size`).
    pub frame: String,
    /// `toml` (the default) or `csv`.
    #[serde(default)]
    pub frame_format: Option<String>,
    /// The draw's seed: the same seed and frame give the same sample.
    pub seed: u64,
    /// PSUs drawn in each stratum (overrides the frame's first stage).
    #[serde(default)]
    pub psus_per_stratum: Option<usize>,
    /// Units drawn per parent, by level (overrides the frame's stages).
    #[serde(default)]
    pub draws: BTreeMap<String, usize>,
    /// Planned interviews per village (overrides the frame's).
    #[serde(default)]
    pub interviews: Option<usize>,
}

/// Largest frame accepted over HTTP: Viet Nam has about 10,000 communes and 80,000 villages, which
/// fit in a few MiB of TOML.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// `POST /api/v1/surveys/{survey_id}/{version}/sample`: draw a sample from a frame and register it.
#[utoipa::path(
    post,
    path = "/api/v1/surveys/{id}/{version}/sample",
    tag = "sample",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    request_body = SampleRequest,
    responses(
        (status = 201, description = "Drawn and registered: the survey version's new current sample", body = SampleRegistered),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 413, description = "The body is larger than this request allows", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only admins register samples", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
        (status = 422, description = "The frame or the draw breaks a rule (nothing is registered)", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<SampleRequest>, ApiError>,
) -> Result<(StatusCode, Json<SampleRegistered>), ApiError> {
    actor.may(Action::RegisterSample)?;
    let JsonBody(req) = body?;
    let survey = survey_or_404(&state, &id, &version).await?;
    if req.frame.len() > MAX_FRAME_BYTES {
        return Err(ApiError::unprocessable(
            "sample.frame_too_large",
            format!("frame: tối đa {} MiB", MAX_FRAME_BYTES / (1024 * 1024)),
            format!("frame: at most {} MiB", MAX_FRAME_BYTES / (1024 * 1024)),
        ));
    }
    let frame = match req.frame_format.as_deref().unwrap_or("toml") {
        "toml" => Frame::from_toml(&req.frame, "frame"),
        "csv" => Frame::from_csv(&req.frame, "frame"),
        other => {
            return Err(ApiError::unprocessable(
                "sample.frame_format",
                format!("frame_format: '{other}' phải là toml hoặc csv"),
                format!("frame_format: '{other}' must be toml or csv"),
            ))
        }
    }
    .map_err(|e| design_error(e.code(), &e.to_string()))?;
    let options = DrawOptions {
        seed: req.seed,
        psus_per_stratum: req.psus_per_stratum,
        draws: req.draws,
        interviews: req.interviews,
    };
    let (sample, sample_version) = papi_recompute::design::register_sample(
        &state.store,
        &survey,
        &frame,
        &options,
        &actor.name,
    )
    .await
    .map_err(|e| match e {
        papi_recompute::DesignError::Store(e) => ApiError::from(e),
        e => design_error(e.code(), &e.to_string()),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(SampleRegistered {
            survey: survey_ref(&survey),
            sample_version,
            sample_hash: sample.hash(),
            frame_hash: frame.hash,
            places: sample.places.len(),
            planned: sample.places.iter().map(|p| p.planned).sum::<usize>(),
        }),
    ))
}

fn design_error(code: &'static str, message: &str) -> ApiError {
    ApiError::unprocessable(
        code,
        format!("Khung mẫu hoặc cách rút mẫu không hợp lệ: {message}"),
        format!("The frame or the draw is not valid: {message}"),
    )
}

/// `GET /api/v1/surveys/{survey_id}/{version}/sample`: the current sample, its villages and design.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}/sample",
    tag = "sample",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "The registered sample: its version, who registered it, the draw, and its villages", body = SampleView),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Admins, supervisors and analysts only", body = ErrorBody),
        (status = 404, description = "No such survey version, or no sample registered", body = ErrorBody),
    )
)]
pub async fn get_sample(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<SampleView>, ApiError> {
    actor.may(Action::ReadSample)?;
    let survey = survey_or_404(&state, &id, &version).await?;
    let registered = state
        .store
        .current_sample(&survey.id, &survey.version)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "mẫu đã đăng ký của phiên bản khảo sát này",
                "a registered sample of this survey version",
            )
        })?;
    let places = state
        .store
        .sample_places(&survey.id, &survey.version)
        .await?;
    Ok(Json(SampleView {
        survey: survey_ref(&survey),
        sample_version: registered.sample_version,
        sample_hash: registered.sample_hash,
        frame_hash: registered.frame_hash,
        parameters: registered.parameters,
        registered_by: registered.registered_by,
        registered_at: registered.registered_at,
        places: places
            .iter()
            .map(|p| SampledPlace {
                place: p.place.clone(),
                location: ordered(&survey, &p.location),
                planned: p.planned,
                inclusion_probability: p.inclusion_probability,
                base_weight: p.base_weight,
            })
            .collect(),
    }))
}

/// A location as a JSON object in the survey's column order (PostgreSQL's JSONB reorders keys).
fn ordered(survey: &Survey, location: &[(String, String)]) -> Map<String, Value> {
    survey
        .location_in_column_order(location)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// `GET /api/v1/surveys/{survey_id}/{version}/assignments`: who works where. Enumerators get their
/// own villages (what the form offers them), with each village's location.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}/assignments",
    tag = "sample",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "Assignments: place, its location and the enumerator", body = AssignmentsView),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Leaders see aggregates only", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
    )
)]
pub async fn get_assignments(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<AssignmentsView>, ApiError> {
    let only = match actor.may(Action::ReadAssignments)? {
        Scope::Own => Some(actor.name.as_str()),
        Scope::All => None,
    };
    let survey = survey_or_404(&state, &id, &version).await?;
    let places = state
        .store
        .sample_places(&survey.id, &survey.version)
        .await?;
    let location_of: std::collections::HashMap<&str, &[(String, String)]> = places
        .iter()
        .map(|p| (p.place.as_str(), p.location.as_slice()))
        .collect();
    let assignments = state
        .store
        .assignments(&survey.id, &survey.version, only)
        .await?;
    let assignments_required = papi_recompute::settings(&state.store, &survey)
        .await
        .map_err(ApiError::internal)?
        .assignments_required;
    let assignments = assignments
        .into_iter()
        .map(|a| AssignedPlace {
            location: location_of
                .get(a.place.as_str())
                .map(|l| ordered(&survey, l)),
            place: a.place,
            enumerator: a.enumerator,
        })
        .collect();
    Ok(Json(AssignmentsView {
        survey: survey_ref(&survey),
        location_columns: survey.design.location.clone(),
        assignments_required,
        assignments,
    }))
}

/// One assignment: a village of the sample (its key, as the sample lists it) and an enumerator.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRow {
    pub place: String,
    pub enumerator: String,
}

/// The whole set of assignments of a survey version.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignments {
    pub assignments: Vec<AssignmentRow>,
}

/// `PUT /api/v1/surveys/{survey_id}/{version}/assignments`: replace the assignments (supervisor or
/// admin). Every place must be a village of the registered sample; nothing changes otherwise.
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}/{version}/assignments",
    tag = "sample",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    request_body = Assignments,
    responses(
        (status = 200, description = "The assignments as stored", body = AssignmentsSaved),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 413, description = "The body is larger than this request allows", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Only supervisors and admins assign", body = ErrorBody),
        (status = 404, description = "No such survey version", body = ErrorBody),
        (status = 422, description = "A row names a place outside the sample, or an empty or over-long name (nothing is changed)", body = ErrorBody),
    )
)]
pub async fn set_assignments(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<Assignments>, ApiError>,
) -> Result<Json<AssignmentsSaved>, ApiError> {
    actor.may(Action::AssignVillages)?;
    let JsonBody(req) = body?;
    let survey = survey_or_404(&state, &id, &version).await?;
    let mut rows = Vec::with_capacity(req.assignments.len());
    let mut seen = std::collections::HashSet::new();
    for (i, r) in req.assignments.iter().enumerate() {
        let enumerator = papi_survey::nfc(r.enumerator.trim());
        let place = papi_survey::nfc(r.place.trim());
        let bad = |vi: String, en: String| ApiError::unprocessable("assignment.invalid", vi, en);
        if enumerator.is_empty()
            || enumerator.contains('\0')
            || enumerator.chars().count() > papi_survey::interview::MAX_NAME_CHARS
        {
            return Err(bad(
                format!(
                    "assignments[{i}].enumerator: cần một tên, tối đa {} ký tự",
                    papi_survey::interview::MAX_NAME_CHARS
                ),
                format!(
                    "assignments[{i}].enumerator: a name is needed, at most {} characters",
                    papi_survey::interview::MAX_NAME_CHARS
                ),
            ));
        }
        if !seen.insert((place.clone(), enumerator.clone())) {
            return Err(bad(
                format!("assignments[{i}]: {enumerator} được phân công {place} hai lần"),
                format!("assignments[{i}]: {enumerator} is assigned to {place} twice"),
            ));
        }
        rows.push(Assignment { place, enumerator });
    }
    match state
        .store
        .set_assignments(&survey.id, &survey.version, &rows, &actor.name)
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotInSample(msg)) => {
            return Err(ApiError::unprocessable(
                "location.not_in_sample",
                format!("assignments: {msg}"),
                format!("assignments: {msg}"),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(AssignmentsSaved {
        assignments: rows.len(),
        enumerators: rows
            .iter()
            .map(|r| r.enumerator.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
    }))
}
