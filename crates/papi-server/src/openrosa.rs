//! The OpenRosa API that ODK Collect, KoboCollect and Enketo speak: the form list, form download,
//! and submission (`HEAD`, then `POST` multipart with `xml_submission_file`).
//!
//! Served under `/odk` (HTTP Basic with a papi user, or a bearer token) and under
//! `/odk/key/{token}` (a device token in the URL, as ODK Central's app users). An XML interview is
//! checked by the same `Survey::check_submission` and stored through the same group committer as a
//! JSON one; an edit (`meta/deprecatedID`) becomes a new version and the old one stops being live.
//! Each device downloads its own form: the place is picked from the villages it may collect from.
//! Every answer carries `X-OpenRosa-Version: 1.0`, and errors are OpenRosaResponse envelopes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequestParts, Multipart, Path, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use md5::{Digest, Md5};
use papi_auth::Action;
use papi_store::{AttachmentOutcome, EditOutcome, InsertOutcome, NewAttachment, PreparedInterview};
use papi_survey::{FieldError, Survey};
use uuid::Uuid;

use crate::auth::{sign_in, Actor, Door};
use crate::error::ApiError;
use crate::routes::Route;
use crate::AppState;

/// What a device may send in one POST before it must split a submission (ODK Collect reads it from
/// `X-OpenRosa-Accept-Content-Length`); the body limit leaves room for the multipart framing.
pub const ACCEPT_CONTENT_LENGTH: usize = 10 * 1024 * 1024;
/// Largest `xml_submission_file`: a PAPI-sized interview is about 40 KiB of XML.
pub const MAX_XML: usize = 2 * 1024 * 1024;
/// Most files one submission request may carry (photos, recordings, the audit log).
const MAX_FILES: usize = 64;

const RESPONSE_NS: &str = "http://openrosa.org/http/response";

/// The OpenRosa routes, to merge into the application's router.
/// OpenRosa's routes, under `/odk` (HTTP Basic or a bearer token) and under `/odk/key/{token}` (the
/// device key in the URL, for clients that cannot send a header).
pub(crate) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for prefix in ["/odk", "/odk/key/{token}"] {
        let device = [
            ("GET", "/formList", get(form_list)),
            ("GET", "/forms/{form_id}/{version}/form.xml", get(form_xml)),
            (
                "HEAD,POST",
                "/submission",
                axum::routing::head(submission_head).post(submit),
            ),
        ];
        for (methods, path, handler) in device {
            routes.push(Route::new(
                methods,
                format!("{prefix}{path}"),
                handler.layer(axum::middleware::map_response(openrosa_version)),
            ));
        }
    }
    routes
}

async fn openrosa_version(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("x-openrosa-version", HeaderValue::from_static("1.0"));
    response
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// An OpenRosaResponse envelope: one message, in Vietnamese and English.
fn envelope(status: StatusCode, nature: &str, code: &str, vi: &str, en: &str) -> Response {
    xml_response(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenRosaResponse xmlns=\"{RESPONSE_NS}\"><message nature=\"{nature}\" code=\"{code}\">{} / {}</message></OpenRosaResponse>\n",
            xml_escape(vi),
            xml_escape(en)
        ),
    )
}

/// An error of the OpenRosa routes: the API's error (status, stable code, vi and en messages),
/// rendered as an OpenRosaResponse envelope instead of JSON.
pub struct OpenRosaError(pub ApiError);

impl From<ApiError> for OpenRosaError {
    fn from(e: ApiError) -> Self {
        OpenRosaError(e)
    }
}

impl From<papi_store::StoreError> for OpenRosaError {
    fn from(e: papi_store::StoreError) -> Self {
        OpenRosaError(ApiError::from(e))
    }
}

fn error(status: StatusCode, code: &'static str, vi: String, en: String) -> OpenRosaError {
    OpenRosaError(ApiError::new(status, code, vi, en))
}

impl IntoResponse for OpenRosaError {
    fn into_response(self) -> Response {
        let e = self.0;
        // Each broken rule on a line of its own, so the enumerator sees what to fix.
        let details = |lang: &str| {
            e.errors
                .iter()
                .map(|f: &FieldError| {
                    format!("\n{}: {} ({})", f.field, f.message.get(lang), f.rule)
                })
                .collect::<String>()
        };
        let vi = format!("{}{}", e.vi, details("vi"));
        let en = format!("{}{}", e.en, details("en"));
        let mut response = envelope(e.status, "error", e.code, &vi, &en);
        if e.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"papi\", charset=\"UTF-8\""),
            );
        }
        if let Some(s) = e.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

/// A device allowed to collect, signed in by `auth::sign_in` (a token in the URL, HTTP Basic with a
/// papi user, or a bearer token).
pub struct Device {
    pub actor: Actor,
    /// The token of a `/odk/key/{token}` URL, to build download URLs under the same key.
    pub key: Option<String>,
}

impl FromRequestParts<Arc<AppState>> for Device {
    type Rejection = OpenRosaError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Device, OpenRosaError> {
        let actor = sign_in(parts, state, Door::OpenRosa).await?;
        actor.may(Action::SubmitInterview)?;
        let key = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|p| {
                p.iter()
                    .find(|(k, _)| *k == "token")
                    .map(|(_, v)| v.to_owned())
            });
        Ok(Device { actor, key })
    }
}

/// Where this device reaches the server: the scheme and host it used, and its key, if any.
fn base_url(headers: &HeaderMap, key: &Option<String>) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https")
        .unwrap_or("http");
    match key {
        Some(k) => format!("{scheme}://{host}/odk/key/{k}"),
        None => format!("{scheme}://{host}/odk"),
    }
}

fn unknown_form(form_id: &str, version: &str) -> OpenRosaError {
    error(
        StatusCode::NOT_FOUND,
        "openrosa.unknown_form",
        format!("Không có biểu mẫu {form_id} phiên bản {version} trên máy chủ."),
        format!("Form {form_id} version {version} is not on this server."),
    )
}

/// The XForm this device gets: its location picked from the places it may collect from. formList's
/// hash and the download both come from here, so the hash is that of the bytes served, and a device
/// sees a new form (and fetches it) when its assignments change.
async fn device_xform(
    state: &AppState,
    survey: &Survey,
    actor: &Actor,
) -> Result<String, OpenRosaError> {
    let places: Vec<Vec<(String, String)>> = crate::sample::places_for(state, survey, actor)
        .await?
        .iter()
        .map(|p| survey.location_in_column_order(&p.location))
        .collect();
    Ok(papi_xlsform::xform_with_places(survey, &places))
}

/// `GET formList`: every registered survey version, as the OpenRosa Form List API describes it.
async fn form_list(
    State(state): State<Arc<AppState>>,
    device: Device,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, OpenRosaError> {
    let base = base_url(&headers, &device.key);
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">",
    );
    for (id, version, _) in state.store.survey_definitions().await? {
        if query.get("formID").is_some_and(|f| *f != id) {
            continue;
        }
        let Some(survey) = state.survey(&id, &version).await? else {
            continue;
        };
        let xml = device_xform(&state, &survey, &device.actor).await?;
        body.push_str(&format!(
            "<xform><formID>{}</formID><name>{}</name><version>{}</version><hash>md5:{:x}</hash><downloadUrl>{base}/forms/{}/{}/form.xml</downloadUrl></xform>",
            xml_escape(&id),
            xml_escape(survey.title.get(survey.default_language())),
            xml_escape(&version),
            Md5::digest(xml.as_bytes()),
            xml_escape(&percent(&id)),
            xml_escape(&percent(&version)),
        ));
    }
    body.push_str("</xforms>\n");
    Ok(xml_response(StatusCode::OK, body))
}

/// A path segment, percent-encoded where it must be.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET forms/{id}/{version}/form.xml`: the XForm of a survey version, as this device gets it.
async fn form_xml(
    State(state): State<Arc<AppState>>,
    device: Device,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, OpenRosaError> {
    let form_id = params.get("form_id").cloned().unwrap_or_default();
    let version = params.get("version").cloned().unwrap_or_default();
    let survey = state
        .survey(&form_id, &version)
        .await?
        .ok_or_else(|| unknown_form(&form_id, &version))?;
    let xml = device_xform(&state, &survey, &device.actor).await?;
    Ok(xml_response(StatusCode::OK, xml))
}

/// `HEAD submission`: 204, and how large a POST may be.
async fn submission_head(_device: Device) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            "x-openrosa-accept-content-length",
            ACCEPT_CONTENT_LENGTH.to_string(),
        )],
    )
        .into_response()
}

fn multipart_error(status: StatusCode, detail: String) -> OpenRosaError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        error(
            status,
            "body.too_large",
            format!(
                "Nội dung gửi lên vượt quá {} MiB.",
                crate::MAX_BODY / (1024 * 1024)
            ),
            format!(
                "The request body is larger than {} MiB.",
                crate::MAX_BODY / (1024 * 1024)
            ),
        )
    } else {
        error(
            StatusCode::BAD_REQUEST,
            "openrosa.multipart_invalid",
            format!("Nội dung multipart/form-data không hợp lệ: {detail}"),
            format!("The body is not valid multipart/form-data: {detail}"),
        )
    }
}

fn accepted(status: StatusCode, vi: &str, en: &str) -> Response {
    envelope(status, "submit_success", "accepted", vi, en)
}

/// `POST submission`: multipart with `xml_submission_file` and the files its media questions name,
/// kept beside the interview.
async fn submit(
    State(state): State<Arc<AppState>>,
    device: Device,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, OpenRosaError> {
    let mut multipart = multipart.map_err(|e| multipart_error(e.status(), e.body_text()))?;
    let mut xml: Option<Vec<u8>> = None;
    let mut files: Vec<NewAttachment> = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e.status(), e.body_text()))?
    {
        let is_xml = field.name() == Some("xml_submission_file");
        // A file part is named after the file, as the instance's answer names it.
        let file_name = field
            .file_name()
            .or(field.name())
            .unwrap_or_default()
            .to_owned();
        let media_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| multipart_error(e.status(), e.body_text()))?
        {
            if !is_xml {
                // The body limit bounds every file together.
                bytes.extend_from_slice(&chunk);
                continue;
            }
            {
                if bytes.len() + chunk.len() > MAX_XML {
                    return Err(error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "openrosa.part_too_large",
                        format!(
                            "Tệp xml_submission_file vượt quá {} MiB.",
                            MAX_XML / (1024 * 1024)
                        ),
                        format!(
                            "xml_submission_file is larger than {} MiB.",
                            MAX_XML / (1024 * 1024)
                        ),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if !is_xml {
            if files.len() >= MAX_FILES {
                return Err(error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "openrosa.too_many_files",
                    format!("Một lần gửi có tối đa {MAX_FILES} tệp."),
                    format!("One submission carries at most {MAX_FILES} files."),
                ));
            }
            files.push(NewAttachment {
                name: file_name,
                media_type,
                content: bytes,
            });
            continue;
        }
        if is_xml {
            if xml.is_some() {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "openrosa.repeated_xml",
                    "Chỉ được gửi một tệp xml_submission_file.".into(),
                    "Send one xml_submission_file only.".into(),
                ));
            }
            xml = Some(bytes);
        }
    }
    let xml = xml.ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "openrosa.missing_xml",
            "Thiếu phần xml_submission_file trong nội dung multipart.".into(),
            "The multipart body has no xml_submission_file part.".into(),
        )
    })?;
    let instance = papi_xlsform::parse_instance(&xml)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e.code(), e.vi(), e.to_string()))?;
    let survey = state
        .survey(&instance.form_id, &instance.version)
        .await?
        .ok_or_else(|| unknown_form(&instance.form_id, &instance.version))?;
    let mut interview = survey
        .check_submission(&instance.to_submission(&survey))
        .map_err(|e| ApiError::invalid(e.errors))?;
    interview.enumerator = Some(device.actor.name.clone());
    crate::sample::check_place(&state, &survey, &device.actor, &interview).await?;
    let id = interview.id;
    // Only the files the interview's media questions name are kept; any other is left out, and the
    // response says so.
    let named = survey.media_files(&interview.answers);
    let sent = files.len();
    files.retain(|f| named.contains(&f.name));
    let left_out = sent - files.len();
    let (note_vi, note_en) = if left_out == 0 {
        (String::new(), String::new())
    } else {
        (
            format!(" {left_out} tệp không thuộc câu hỏi nào của phiếu nên không được lưu."),
            format!(" {left_out} file(s) no question of the interview names were not kept."),
        )
    };
    if let Some(old) = &instance.deprecated_id {
        let replaces = Uuid::parse_str(old).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "openrosa.invalid_deprecated_id",
                format!("deprecatedID '{old}' không phải là UUID."),
                format!("deprecatedID '{old}' is not a UUID."),
            )
        })?;
        let row = PreparedInterview::new(&survey, &interview).map_err(ApiError::from)?;
        let owner = device
            .actor
            .only_own(Action::SubmitInterview)
            .then_some(device.actor.name.as_str());
        let outcome = state
            .store
            .insert_edit(&survey, &row, replaces, owner)
            .await?;
        if matches!(outcome, EditOutcome::Created | EditOutcome::Duplicate) {
            keep_files(&state, id, &files).await?;
        }
        return match outcome {
            EditOutcome::Created => Ok(accepted(
                StatusCode::CREATED,
                &format!("Đã nhận bản sửa {id} của phiếu {replaces}.{note_vi}"),
                &format!("Edit {id} of interview {replaces} received.{note_en}"),
            )),
            EditOutcome::Duplicate => Ok(accepted(
                StatusCode::CREATED,
                &format!("Bản sửa {id} đã được nhận trước đó.{note_vi}"),
                &format!("Edit {id} was already received.{note_en}"),
            )),
            EditOutcome::Conflict => Err(conflict(id)),
            EditOutcome::UnknownOriginal => Err(error(
                StatusCode::NOT_FOUND,
                "openrosa.unknown_deprecated",
                format!("Không có phiếu {replaces} để sửa."),
                format!("There is no interview {replaces} to edit."),
            )),
            EditOutcome::OriginalSuperseded => Err(error(
                StatusCode::CONFLICT,
                "openrosa.edit_outdated",
                format!("Phiếu {replaces} đã được sửa bởi một bản khác; hãy sửa bản mới nhất."),
                format!("Interview {replaces} was already replaced by another edit; edit the newest version."),
            )),
        };
    }
    let outcome = state.committer.submit(survey, vec![interview]).await?[0];
    // A split submission sends its files over several requests, each with the instance again: the
    // files are kept once the interview is, whichever request brings them.
    if matches!(outcome, InsertOutcome::Created | InsertOutcome::Duplicate) {
        keep_files(&state, id, &files).await?;
    }
    match outcome {
        InsertOutcome::Created => Ok(accepted(
            StatusCode::CREATED,
            &format!("Đã nhận phiếu {id}.{note_vi}"),
            &format!("Interview {id} received.{note_en}"),
        )),
        // A resend (or the XML part repeated in a split submission): acknowledged, not stored twice.
        InsertOutcome::Duplicate => Ok(accepted(
            StatusCode::CREATED,
            &format!("Phiếu {id} đã được nhận trước đó.{note_vi}"),
            &format!("Interview {id} was already received.{note_en}"),
        )),
        InsertOutcome::Conflict => Err(conflict(id)),
    }
}

/// Keeps the files of a stored interview; another file under a name already kept is a conflict.
async fn keep_files(
    state: &AppState,
    id: Uuid,
    files: &[NewAttachment],
) -> Result<(), OpenRosaError> {
    if files.is_empty() {
        return Ok(());
    }
    let outcomes = state.store.keep_attachments(id, files).await?;
    match files
        .iter()
        .zip(outcomes)
        .find(|(_, o)| *o == AttachmentOutcome::Different)
    {
        Some((f, _)) => Err(error(
            StatusCode::CONFLICT,
            "attachment.conflict",
            format!("Phiếu {id} đã có tệp '{}' với nội dung khác.", f.name),
            format!(
                "Interview {id} already has a file '{}' with other content.",
                f.name
            ),
        )),
        None => Ok(()),
    }
}

fn conflict(id: Uuid) -> OpenRosaError {
    error(
        StatusCode::CONFLICT,
        "interview.conflict",
        format!("Phiếu {id} đã được lưu với nội dung khác."),
        format!("Interview {id} is already stored with different content."),
    )
}
