//! `/api/v1/interviews`: submit one or many, read one, list with filters. Thin handlers: decode,
//! authorise, call the store (through the group committer for writes), encode.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use papi_auth::{Action, Scope};
use papi_store::{AttachmentInfo, InsertOutcome, InterviewFilter};
use papi_survey::{FieldError, Interview, Submission, Survey, SurveyRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody, Message};
use crate::AppState;

/// The result of a submission.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub id: Uuid,
    /// `created` (201) or `duplicate` (200: already stored with the same content).
    #[schema(value_type = String)]
    pub status: &'static str,
}

/// One result per item of a batch, in order.
#[derive(Serialize, ToSchema)]
pub struct BatchResults {
    pub results: Vec<BatchItem>,
}

/// What became of one item of a batch: `result` when it was stored (or already was), `code`,
/// `message` and `errors` when it was refused.
#[derive(Serialize, ToSchema)]
pub struct BatchItem {
    pub index: usize,
    /// The item's id as sent, when it was a string.
    pub id: Option<String>,
    /// 201 created, 200 duplicate, 400/422 refused, 409 conflict.
    pub status: u16,
    /// `created` or `duplicate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub result: Option<&'static str>,
    /// The error's stable code, as in an error response.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// A stored interview, as the roles that may read answers see it: the submission as stored, and
/// what the server adds.
#[derive(Serialize, ToSchema)]
pub struct StoredInterview {
    #[schema(format = Uuid)]
    pub id: String,
    pub survey: SurveyRef,
    pub location: BTreeMap<String, String>,
    /// The design weight, when the interview carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumerator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// Question id → answer, for the questions answered.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Arrival order, for keyset pagination.
    pub seq: i64,
    #[schema(format = DateTime)]
    pub received_at: String,
    /// received, approved, has_issues or rejected.
    pub review_state: String,
    /// The files sent with the interview (one interview's page only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// A file sent with an interview; its bytes are at `/api/v1/interviews/{id}/attachments/{name}`.
#[derive(Serialize, ToSchema)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

impl From<AttachmentInfo> for Attachment {
    fn from(a: AttachmentInfo) -> Attachment {
        Attachment {
            name: a.name,
            media_type: a.media_type,
            size: a.size,
            sha256: a.sha256,
        }
    }
}

/// A page of interviews.
#[derive(Serialize, ToSchema)]
pub struct InterviewPage {
    pub items: Vec<StoredInterview>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<i64>,
}

/// Checks a submission against its survey version; the enumerator is the caller, for enumerators.
async fn check(
    state: &AppState,
    actor: &Actor,
    sub: &Submission,
) -> Result<(Interview, Arc<Survey>), ApiError> {
    let survey = state
        .survey(&sub.survey.id, &sub.survey.version)
        .await?
        .ok_or_else(|| ApiError {
            errors: vec![FieldError::new(
                "survey",
                "survey.unknown",
                format!(
                    "Không có khảo sát {} phiên bản {} trên máy chủ.",
                    sub.survey.id, sub.survey.version
                ),
                format!(
                    "Survey {} version {} is not on this server.",
                    sub.survey.id, sub.survey.version
                ),
            )],
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "survey.unknown",
                "Khảo sát hoặc phiên bản không tồn tại.",
                "Unknown survey or version.",
            )
        })?;
    let mut interview = survey
        .check_submission(sub)
        .map_err(|e| ApiError::invalid(e.errors))?;
    // An enumerator's interviews are theirs, whatever the body says; an administrator may name one.
    if actor.only_own(Action::SubmitInterview) || interview.enumerator.is_none() {
        interview.enumerator = Some(actor.name.clone());
    }
    crate::sample::check_place(state, &survey, actor, &interview).await?;
    Ok((interview, survey))
}

/// Databases refuse NUL characters in text; such a value is bad input, caught at the edge.
fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// `POST /api/v1/interviews`: 201 stored, 200 already stored with the same content, 409 already stored
/// with other content, 422 with every field error.
#[utoipa::path(
    post,
    path = "/api/v1/interviews",
    tag = "interviews",
    request_body = Submission,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored (committed to disk)", body = Accepted),
        (status = 200, description = "Already stored with the same content: not stored twice", body = Accepted),
        (status = 400, description = "Malformed JSON, wrong JSON types, unknown fields, missing id", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No token, or an unknown, revoked or expired one", body = ErrorBody),
        (status = 403, description = "The role may not submit", body = ErrorBody),
        (status = 409, description = "Already stored with different content", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Breaks the survey definition (every field error listed), or unknown survey version", body = ErrorBody),
        (status = 503, description = "Overloaded: retry after the Retry-After seconds", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    body: Result<JsonBody<Submission>, ApiError>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    actor.may(Action::SubmitInterview)?;
    let JsonBody(sub) = body?;
    let (interview, survey) = check(&state, &actor, &sub).await?;
    let id = interview.id;
    let outcome = state.committer.submit(survey, vec![interview]).await?[0];
    match outcome {
        InsertOutcome::Created => Ok((
            StatusCode::CREATED,
            Json(Accepted {
                id,
                status: "created",
            }),
        )),
        InsertOutcome::Duplicate => Ok((
            StatusCode::OK,
            Json(Accepted {
                id,
                status: "duplicate",
            }),
        )),
        InsertOutcome::Conflict => Err(conflict(id)),
    }
}

fn conflict(id: Uuid) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "interview.conflict",
        format!("Phiếu {id} đã được lưu với nội dung khác."),
        format!("Interview {id} is already stored with different content."),
    )
}

/// Interviews sent together. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// At most 500 interviews, each checked on its own as a `Submission`: an item that is not one
    /// gets its own 400 in the results, and the others are still stored.
    #[schema(value_type = Vec<Object>)]
    interviews: Vec<Map<String, Value>>,
}

/// The valid items of a batch that answer one survey version, with their positions in the batch.
type SurveyItems = (Arc<Survey>, Vec<(usize, Interview)>);

/// Most interviews in one batch request.
pub const MAX_BATCH_ITEMS: usize = 500;

/// `POST /api/v1/interviews/batch`: one result per item, each item all-or-nothing.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/batch",
    tag = "interviews",
    request_body = Batch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item; each item all-or-nothing", body = BatchResults),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not submit", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 503, description = "Overloaded: retry later", body = ErrorBody)
    )
)]
pub async fn create_batch(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    batch: Result<JsonBody<Batch>, ApiError>,
) -> Result<Json<BatchResults>, ApiError> {
    actor.may(Action::SubmitInterview)?;
    let JsonBody(batch) = batch?;
    let results = submit_each(&state, &actor, batch.interviews).await?;
    Ok(Json(BatchResults { results }))
}

/// Checks and stores each of `items` as sent by `actor`: one result per item, each all-or-nothing.
pub(crate) async fn submit_each(
    state: &AppState,
    actor: &Actor,
    items: Vec<Map<String, Value>>,
) -> Result<Vec<BatchItem>, ApiError> {
    if items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch.too_large",
            format!("Mỗi lô tối đa {MAX_BATCH_ITEMS} phiếu."),
            format!("A batch holds at most {MAX_BATCH_ITEMS} interviews."),
        ));
    }
    let mut results: Vec<Option<BatchItem>> = items.iter().map(|_| None).collect();
    // Valid items, grouped by survey version, keep their positions.
    let mut groups: Vec<SurveyItems> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
        let checked = match serde_json::from_value::<Submission>(Value::Object(item)) {
            Err(e) => Err(ApiError::bad_json(&e)),
            Ok(sub) => check(state, actor, &sub).await,
        };
        match checked {
            Ok((iv, survey)) => match groups.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &survey)) {
                Some((_, items)) => items.push((i, iv)),
                None => groups.push((survey, vec![(i, iv)])),
            },
            Err(e) => results[i] = Some(item_error(i, id, e)),
        }
    }
    for (survey, items) in groups {
        let (positions, interviews): (Vec<usize>, Vec<Interview>) = items.into_iter().unzip();
        let ids: Vec<Uuid> = interviews.iter().map(|iv| iv.id).collect();
        let outcomes = state.committer.submit(survey, interviews).await?;
        for ((i, id), outcome) in positions.into_iter().zip(ids).zip(outcomes) {
            let stored = |status, result| BatchItem {
                index: i,
                id: Some(id.to_string()),
                status,
                result: Some(result),
                code: None,
                message: None,
                errors: None,
            };
            results[i] = Some(match outcome {
                InsertOutcome::Created => stored(201, "created"),
                InsertOutcome::Duplicate => stored(200, "duplicate"),
                InsertOutcome::Conflict => item_error(i, Some(id.to_string()), conflict(id)),
            });
        }
    }
    // Every item has had its result: refused above, or stored with its survey version's group.
    Ok(results.into_iter().flatten().collect())
}

fn item_error(i: usize, id: Option<String>, e: ApiError) -> BatchItem {
    let body = e.into_body();
    BatchItem {
        index: i,
        id,
        status: body.status,
        result: None,
        code: Some(body.code),
        message: Some(body.message),
        errors: Some(body.errors),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn encode(survey: &Survey, s: &papi_store::StoredInterview) -> StoredInterview {
    let sub = survey.to_submission(&s.interview);
    StoredInterview {
        id: sub.id,
        survey: sub.survey,
        location: sub.location,
        weight: sub.weight,
        enumerator: sub.enumerator,
        started_at: sub.started_at,
        finished_at: sub.finished_at,
        answers: sub.answers,
        seq: s.seq,
        received_at: time(s.received_at),
        review_state: s.review_state.clone(),
        attachments: None,
    }
}

/// Interview `id` with its definition, if `actor` may read it: the roles that read answers, an
/// enumerator only their own (another's does not exist for them).
async fn readable(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<(Arc<Survey>, papi_store::StoredInterview)>, ApiError> {
    let scope = actor.may(Action::ReadAnswers)?;
    let Some((survey_id, version)) = state.store.interview_survey(id).await? else {
        return Ok(None);
    };
    let Some(survey) = state.survey(&survey_id, &version).await? else {
        return Ok(None);
    };
    let Some(stored) = state.store.interview(&survey, id).await? else {
        return Ok(None);
    };
    if scope == Scope::Own && stored.interview.enumerator.as_deref() != Some(actor.name.as_str()) {
        return Ok(None);
    }
    Ok(Some((survey, stored)))
}

/// `GET /api/v1/interviews/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}",
    tag = "interviews",
    params(("id" = String, Path, description = "Interview UUID")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The interview", body = StoredInterview),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not read answers (leaders see aggregates only)", body = ErrorBody),
        (status = 404, description = "No such interview (or another enumerator's)", body = ErrorBody)
    )
)]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<StoredInterview>, ApiError> {
    let not_found =
        || ApiError::not_found(&format!("phiếu phỏng vấn {id}"), &format!("interview {id}"));
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let (survey, stored) = readable(&state, &actor, uuid)
        .await?
        .ok_or_else(not_found)?;
    let mut body = encode(&survey, &stored);
    let attachments = state.store.attachments_of(uuid).await?;
    body.attachments = Some(attachments.into_iter().map(Attachment::from).collect());
    Ok(Json(body))
}

/// `GET /api/v1/interviews/{id}/attachments/{name}`: a file sent with the interview (a photo, a
/// recording, a device's audit log), for the roles that read answers.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/attachments/{name}",
    tag = "interviews",
    params(
        ("id" = String, Path, description = "Interview UUID"),
        ("name" = String, Path, description = "The file's name, as the answer gives it")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its media type and SHA-256 (`ETag`)"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not read answers (leaders see aggregates only)", body = ErrorBody),
        (status = 404, description = "No such interview or file (or another enumerator's)", body = ErrorBody)
    )
)]
pub async fn attachment(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let not_found = || {
        ApiError::not_found(
            &format!("tệp {name} của phiếu phỏng vấn {id}"),
            &format!("file {name} of interview {id}"),
        )
    };
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    readable(&state, &actor, uuid)
        .await?
        .ok_or_else(not_found)?;
    let (info, bytes) = state
        .store
        .attachment(uuid, &name)
        .await?
        .ok_or_else(not_found)?;
    // Served as a download whatever its declared type, so that no uploaded file runs as a page.
    let disposition = format!(
        "attachment; filename=\"{}\"",
        info.name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, info.media_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::ETAG, format!("\"{}\"", info.sha256)),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/v1/interviews?survey=ID&version=V[&after=SEQ][&limit=N][&enumerator=][&review_state=]
/// [&received_since=RFC3339][&location.COLUMN=VALUE]`: oldest first, keyset-paginated by `after`.
#[utoipa::path(
    get,
    path = "/api/v1/interviews",
    tag = "interviews",
    params(
        ("survey" = String, Query, description = "Survey id"),
        ("version" = String, Query, description = "Survey version"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Keyset: `next_after` of the previous page"),
        ("limit" = Option<i64>, Query, minimum = 0, description = "Page size, 1 to 1000 (default 100)"),
        ("enumerator" = Option<String>, Query, description = "Only this enumerator's interviews"),
        ("review_state" = Option<String>, Query, description = "received, approved, has_issues or rejected"),
        ("received_since" = Option<String>, Query, format = DateTime, description = "Received at or after (RFC 3339)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page, oldest first; filter by location with `location.COLUMN=VALUE`", body = InterviewPage),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not read answers", body = ErrorBody),
        (status = 404, description = "Unknown survey version", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<InterviewPage>, ApiError> {
    let scope = actor.may(Action::ReadAnswers)?;
    let bad = |field: &str, vi: String, en: String| ApiError {
        errors: vec![FieldError::new(
            field,
            "query.invalid",
            vi.clone(),
            en.clone(),
        )],
        ..ApiError::new(StatusCode::BAD_REQUEST, "query.invalid", vi, en)
    };
    if let Some((k, _)) = q.iter().find(|(k, v)| has_nul(k) || has_nul(v)) {
        let k = k.replace('\0', "");
        return Err(bad(
            &k,
            format!("Tham số '{k}' chứa ký tự NUL."),
            format!("Parameter '{k}' contains a NUL character."),
        ));
    }
    let (Some(survey_id), Some(version)) = (q.get("survey"), q.get("version")) else {
        return Err(bad(
            "survey",
            "Cần tham số survey và version.".into(),
            "The survey and version parameters are required.".into(),
        ));
    };
    let survey = state.survey(survey_id, version).await?.ok_or_else(|| {
        ApiError::not_found(
            &format!("khảo sát {survey_id} phiên bản {version}"),
            &format!("survey {survey_id} version {version}"),
        )
    })?;
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                bad(
                    name,
                    format!("{name} phải là số nguyên không âm."),
                    format!("{name} must be a non-negative whole number."),
                )
            }),
        }
    };
    let mut filter = InterviewFilter {
        after_seq: number("after", 0)?,
        limit: number("limit", 100)?.clamp(1, 1000),
        enumerator: q.get("enumerator").cloned(),
        review_state: q.get("review_state").cloned(),
        ..InterviewFilter::default()
    };
    if let Some(since) = q.get("received_since") {
        let t = DateTime::parse_from_rfc3339(since).map_err(|_| {
            bad(
                "received_since",
                "received_since phải là thời điểm RFC 3339.".into(),
                "received_since must be an RFC 3339 timestamp.".into(),
            )
        })?;
        filter.received_since = Some(t.with_timezone(&Utc));
    }
    for (k, v) in &q {
        match k.strip_prefix("location.") {
            Some(col) if survey.design.location.iter().any(|c| c == col) => {
                filter.location.push((col.to_owned(), papi_survey::nfc(v)))
            }
            Some(col) => {
                return Err(bad(
                    k,
                    format!("'{col}' không phải cột địa bàn."),
                    format!("'{col}' is not a location column."),
                ))
            }
            None if [
                "survey",
                "version",
                "after",
                "limit",
                "enumerator",
                "review_state",
                "received_since",
            ]
            .contains(&k.as_str()) => {}
            None => {
                return Err(bad(
                    k,
                    format!("Tham số '{k}' không được hỗ trợ."),
                    format!("Unknown parameter '{k}'."),
                ))
            }
        }
    }
    filter.location.sort();
    if scope == Scope::Own {
        filter.enumerator = Some(actor.name.clone());
    }
    let page = state.store.list_interviews(&survey, &filter).await?;
    let next = (page.len() as i64 == filter.limit)
        .then(|| page.last().map(|s| s.seq))
        .flatten();
    let items = page.iter().map(|s| encode(&survey, s)).collect();
    Ok(Json(InterviewPage {
        items,
        next_after: next,
    }))
}
