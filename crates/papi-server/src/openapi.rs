//! The OpenAPI document's frame (`GET /api/v1/openapi.json`): its title, tags and security scheme.
//! Its paths come from the handlers' own `#[utoipa::path]` annotations as the router registers them
//! (`lib.rs`, `routes!`), so a route cannot be served without being documented, or the reverse.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// An interview as a device submits it. Unknown fields are refused.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Submission {
    /// Generated on the device (UUID), the same on every resend.
    #[schema(format = Uuid, example = "0b0c5a8e-4f7c-4d59-9b53-6a1f1c2d3e4f")]
    id: String,
    survey: SurveyRef,
    /// Values of the survey's location columns (province, district, commune, village...): a village of
    /// the registered sample, for an enumerator one assigned to them.
    #[serde(default)]
    #[schema(example = json!({"province": "Bình Định", "district": "Tây Sơn", "commune": "Xã 01", "village": "Thôn 1"}))]
    location: BTreeMap<String, String>,
    /// Set by the server from the token for enumerators. There is no weight: the design weight is
    /// computed by the server from the registered sample, and an interview that carries one is refused.
    #[serde(default)]
    enumerator: Option<String>,
    #[serde(default)]
    #[schema(format = DateTime)]
    started_at: Option<String>,
    #[serde(default)]
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    /// Question id → answer: a string (select_one, text, date), a list of strings (select_multiple),
    /// a number (integer, decimal) or null (no answer).
    #[serde(default)]
    #[schema(value_type = Object)]
    answers: BTreeMap<String, serde_json::Value>,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SurveyRef {
    #[schema(example = "papi")]
    id: String,
    #[schema(example = "2019.1")]
    version: String,
}

/// A stored interview, as the roles that may read answers see it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StoredInterview {
    #[schema(format = Uuid)]
    id: String,
    survey: SurveyRef,
    location: BTreeMap<String, String>,
    weight: Option<f64>,
    enumerator: Option<String>,
    #[schema(format = DateTime)]
    started_at: Option<String>,
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    #[schema(value_type = Object)]
    answers: BTreeMap<String, serde_json::Value>,
    /// Arrival order, for keyset pagination.
    seq: i64,
    #[schema(format = DateTime)]
    received_at: String,
    /// received, approved, has_issues or rejected.
    review_state: String,
    /// The files sent with the interview (one interview's page only).
    attachments: Option<Vec<Attachment>>,
}

/// A file sent with an interview; its bytes are at `/api/v1/interviews/{id}/attachments/{name}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Attachment {
    name: String,
    media_type: String,
    size: i64,
    sha256: String,
}

/// The result of a submission.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Accepted {
    #[schema(format = Uuid)]
    id: String,
    /// `created` (201) or `duplicate` (200: already stored with the same content).
    status: String,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Batch {
    /// At most 500 interviews, each checked on its own as a `Submission`: an item that is not one
    /// gets its own 400 in the results, and the others are still stored.
    #[schema(value_type = Vec<Object>)]
    interviews: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// One result per item of a batch, in order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchResults {
    results: Vec<BatchItem>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchItem {
    index: usize,
    /// The item's id as sent, when it was a string.
    id: Option<String>,
    /// 201 created, 200 duplicate, 400/422 refused, 409 conflict.
    status: u16,
    result: Option<String>,
    code: Option<String>,
    message: Option<Message>,
    errors: Option<Vec<FieldError>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InterviewPage {
    items: Vec<StoredInterview>,
    /// Pass as `after` for the next page; null on the last.
    next_after: Option<i64>,
}

/// A message in Vietnamese and English.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Message {
    vi: String,
    en: String,
}

/// One broken rule.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldError {
    /// `answers.QUESTION`, `location.COLUMN`, `id`, `started_at`...
    field: String,
    question: Option<String>,
    /// Stable code of the rule, e.g. `answer.required`, `answer.not_relevant`.
    rule: String,
    message: Message,
}

/// Every error response.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Error {
    /// Stable machine code, e.g. `interview.conflict`, `auth.revoked_token`.
    code: String,
    status: u16,
    message: Message,
    errors: Option<Vec<FieldError>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SurveyList {
    items: Vec<SurveySummary>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SurveySummary {
    id: String,
    version: String,
    /// Language code → title.
    #[schema(value_type = Object)]
    title: BTreeMap<String, String>,
    languages: Vec<String>,
}

/// A definition as the web form reads it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SurveyDefinition {
    id: String,
    version: String,
    #[schema(value_type = Object)]
    title: BTreeMap<String, String>,
    languages: Vec<String>,
    /// The location columns an interview carries.
    location: Vec<String>,
    /// Each with id, type, label, hint, group, required, relevant, constraint, constraint_message and choices.
    #[schema(value_type = Vec<Object>)]
    questions: Vec<serde_json::Value>,
}

/// A sign-in.
#[derive(ToSchema, Deserialize)]
#[allow(dead_code)]
pub struct Credentials {
    username: String,
    password: String,
}

/// A bearer token issued to the device a user signed in on.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeviceToken {
    /// The token's id, by which it is revoked (`papi token revoke ID`).
    #[schema(format = Uuid)]
    id: String,
    /// The user's name: interviews sent with the token are recorded under it.
    name: String,
    /// The token itself, shown once.
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// The authenticated caller.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Caller {
    name: String,
    /// admin, supervisor, analyst, leader or enumerator.
    role: String,
    /// For a browser session: send it as `X-CSRF-Token` on requests that change anything.
    csrf_token: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    status: String,
    database: Option<String>,
    code: Option<String>,
}

/// An export to run in the background. Unknown fields are refused.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExportRequest {
    #[schema(example = "papi")]
    survey_id: String,
    #[schema(example = "2019.1")]
    version: String,
    format: ExportFormat,
    /// Start a CSV file with a UTF-8 byte-order mark (for Excel); CSV only.
    #[serde(default)]
    bom: bool,
    /// Only interviews in these review states; empty or absent: every state.
    #[serde(default)]
    review_states: Vec<ReviewState>,
}

#[derive(ToSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ExportFormat {
    Csv,
    Parquet,
    Xlsx,
}

#[derive(ToSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ReviewState {
    Received,
    Approved,
    HasIssues,
    Rejected,
}

/// An export job.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExportJob {
    #[schema(format = Uuid)]
    id: String,
    survey: SurveyRef,
    /// csv, parquet or xlsx.
    format: String,
    bom: bool,
    review_states: Vec<String>,
    /// queued, running, done or failed.
    status: String,
    progress: ExportProgress,
    /// Why the export failed.
    error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    links: ExportLinks,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExportProgress {
    rows_written: i64,
    /// Known once the job runs.
    rows_total: Option<i64>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub struct ExportLinks {
    /// This job.
    #[schema(rename = "self")]
    this: String,
    /// The file, once the job is done.
    file: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("papi token")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "papi collection API",
        description = "Interviews in, exactly once: idempotent submission by client-generated UUID, \
                       every rule of the survey definition checked, errors with stable codes in Vietnamese and English."
    ),
    components(schemas(Submission, SurveyRef, StoredInterview, Attachment, Accepted, Batch, BatchResults, BatchItem, InterviewPage, Message, FieldError, Error, Health, SurveyList, SurveySummary, SurveyDefinition, Caller, Credentials, DeviceToken, crate::device_file::DeviceFile,
        ExportRequest, ExportFormat, ReviewState, ExportJob, ExportProgress, ExportLinks,
        crate::dashboard::Dashboard, crate::dashboard::TaskUpdate, crate::recompute::Job,
        crate::fieldwork::Fieldwork, crate::fieldwork::ReviewRequest, crate::fieldwork::SettingsView,
        crate::sample::SampleRequest, crate::sample::Assignments, crate::sample::AssignmentRow)),
    modifiers(&BearerAuth),
    tags((name = "interviews", description = "Collection"), (name = "surveys", description = "Survey definitions"), (name = "exports", description = "Analyst exports (background jobs)"), (name = "service", description = "Health and the caller"), (name = "dashboard", description = "Published results for the leadership, and the plan's tasks"), (name = "fieldwork", description = "Supervision: progress, review, quality, settings"), (name = "sample", description = "The sample design: the registered sample, and villages assigned to enumerators"))
)]
pub struct ApiDoc;
