//! An interview as the API and the JSON lines files carry it (`Submission`), checked into an
//! `Interview`: its id, survey, place, enumerator and times, then its answers; and back again.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::{shown, Interview, MAX_NAME_CHARS};
use crate::error::{FieldError, InterviewError};
use crate::model::Survey;
use crate::text::nfc;

/// An interview as the API and the JSON lines files carry it. Unknown fields are refused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Generated on the device (UUID), the same on every resend.
    #[cfg_attr(
        feature = "openapi",
        schema(format = Uuid, example = "0b0c5a8e-4f7c-4d59-9b53-6a1f1c2d3e4f")
    )]
    pub id: String,
    pub survey: SurveyRef,
    /// Values of the survey's location columns (province, district, commune, village...): a village of
    /// the registered sample, for an enumerator one assigned to them.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = json!({"province": "Bình Định", "district": "Tây Sơn", "commune": "Xã 01", "village": "Thôn 1"}))
    )]
    pub location: BTreeMap<String, String>,
    /// Not part of what a client sends: the design weight is computed by the server from the
    /// registered sample, and an interview that carries one is refused (`weight.not_accepted`). It is
    /// read only to say so, and written when a stored interview is read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub weight: Option<f64>,
    /// Set by the server from the token for enumerators. There is no weight: the design weight is
    /// computed by the server from the registered sample, and an interview that carries one is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enumerator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub finished_at: Option<String>,
    /// Question id → answer: a string (select_one, text, date), a list of strings (select_multiple),
    /// a number (integer, decimal) or null (no answer).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Map<String, Json>,
}

/// A survey version, by its id and version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyRef {
    #[cfg_attr(feature = "openapi", schema(example = "papi"))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(example = "2019.1"))]
    pub version: String,
}

fn json_has_nul(v: &Json) -> bool {
    match v {
        Json::String(s) => s.contains('\0'),
        Json::Array(items) => items.iter().any(json_has_nul),
        Json::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

fn too_long(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.chars().count();
    if n > max {
        // The field name itself may be the over-long part; it is cut to keep the error small.
        let field: String = field.chars().take(80).collect();
        errors.push(FieldError::new(
            field.clone(),
            "text.too_long",
            format!("{field} dài {n} ký tự; tối đa {max}."),
            format!("{field} is {n} characters long; at most {max} are accepted."),
        ));
    }
}

fn parse_time(
    field: &str,
    s: &Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let s = s.as_deref()?;
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "time.invalid",
                format!(
                    "'{}' không phải là thời điểm RFC 3339 (ví dụ 2019-07-01T08:30:00+07:00).",
                    shown(s)
                ),
                format!(
                    "'{}' is not an RFC 3339 timestamp (e.g. 2019-07-01T08:30:00+07:00).",
                    shown(s)
                ),
            ));
            None
        }
    }
}

impl Survey {
    /// Checks a submission against this definition and returns the interview, or every error.
    pub fn check_submission(&self, s: &Submission) -> Result<Interview, InterviewError> {
        let mut errors = Vec::new();
        // NUL characters have no place in survey text, and databases refuse them.
        let mut nul = |field: String| {
            errors.push(FieldError::new(
                field,
                "text.nul_character",
                "Văn bản chứa ký tự NUL (\\u0000).".into(),
                "The text contains a NUL character (\\u0000).".into(),
            ))
        };
        for (k, v) in &s.location {
            if k.contains('\0') || v.contains('\0') {
                nul(format!("location.{}", k.replace('\0', "")));
            }
        }
        if s.enumerator.as_deref().is_some_and(|e| e.contains('\0')) {
            nul("enumerator".into());
        }
        for (k, v) in &s.answers {
            if k.contains('\0') || json_has_nul(v) {
                nul(format!("answers.{}", k.replace('\0', "")));
            }
        }
        let id = match Uuid::parse_str(s.id.trim()) {
            Ok(id) if !id.is_nil() => Some(id),
            _ => {
                errors.push(FieldError::new(
                    "id",
                    "id.invalid",
                    format!("Mã phỏng vấn '{}' không phải là UUID.", shown(&s.id)),
                    format!("Interview id '{}' is not a UUID.", shown(&s.id)),
                ));
                None
            }
        };
        if s.survey.id != self.id || nfc(&s.survey.version) != self.version {
            errors.push(FieldError::new(
                "survey",
                "survey.mismatch",
                format!(
                    "Phỏng vấn thuộc khảo sát {} {}, không phải {} {}.",
                    shown(&s.survey.id),
                    shown(&s.survey.version),
                    self.id,
                    self.version
                ),
                format!(
                    "The interview answers survey {} {}, not {} {}.",
                    shown(&s.survey.id),
                    shown(&s.survey.version),
                    self.id,
                    self.version
                ),
            ));
        }
        let given: BTreeMap<String, String> = s
            .location
            .iter()
            .filter(|(k, v)| {
                k.chars().count() <= MAX_NAME_CHARS && v.chars().count() <= MAX_NAME_CHARS
            })
            .map(|(k, v)| (nfc(k), nfc(v.trim())))
            .collect();
        let mut location = Vec::new();
        for col in &self.design.location {
            match given.get(col) {
                Some(v) if !v.is_empty() => location.push((col.clone(), v.clone())),
                _ => errors.push(FieldError::new(
                    format!("location.{col}"),
                    "location.missing",
                    format!("Thiếu địa bàn '{col}'."),
                    format!("The location needs '{col}'."),
                )),
            }
        }
        for k in given.keys().filter(|k| !self.design.location.contains(k)) {
            errors.push(FieldError::new(
                format!("location.{k}"),
                "location.unknown",
                format!(
                    "'{k}' không phải là cột địa bàn của khảo sát ({}).",
                    self.design.location.join(", ")
                ),
                format!(
                    "'{k}' is not a location column of the survey ({}).",
                    self.design.location.join(", ")
                ),
            ));
        }
        // The design weight is the survey's, computed by papi from the registered sample: a client
        // that sends one is refused, whatever the value.
        if s.weight.is_some() {
            errors.push(FieldError::new(
                "weight",
                "weight.not_accepted",
                "Trọng số do máy chủ tính từ mẫu khảo sát; phiếu không được gửi trọng số.".into(),
                "The design weight is computed by the server from the survey's sample; an interview may not carry one.".into(),
            ));
        }
        for (k, v) in &s.location {
            too_long(&mut errors, &format!("location.{k}"), v, MAX_NAME_CHARS);
        }
        if let Some(e) = &s.enumerator {
            too_long(&mut errors, "enumerator", e, MAX_NAME_CHARS);
        }
        let started_at = parse_time("started_at", &s.started_at, &mut errors);
        let finished_at = parse_time("finished_at", &s.finished_at, &mut errors);
        if let (Some(a), Some(b)) = (started_at, finished_at) {
            if b < a {
                errors.push(FieldError::new(
                    "finished_at",
                    "time.order",
                    "Thời điểm kết thúc trước thời điểm bắt đầu.".into(),
                    "finished_at is before started_at.".into(),
                ));
            }
        }
        let answers = match self.check_answers(&s.answers) {
            Ok(a) => a,
            Err(e) => {
                errors.extend(e);
                Vec::new()
            }
        };
        match (errors.is_empty(), id) {
            (true, Some(id)) => Ok(Interview {
                id,
                survey_id: self.id.clone(),
                survey_version: self.version.clone(),
                location,
                weight: s.weight,
                enumerator: s.enumerator.as_deref().map(|e| nfc(e.trim())),
                started_at,
                finished_at,
                answers,
            }),
            _ => Err(InterviewError { errors }),
        }
    }

    /// The interview in the API's JSON shape (answers in question order, unanswered left out).
    pub fn to_submission(&self, iv: &Interview) -> Submission {
        let time =
            |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        let mut answers = Map::new();
        for (q, a) in self.questions.iter().zip(&iv.answers) {
            if let Some(a) = a {
                answers.insert(q.id.clone(), a.to_json());
            }
        }
        Submission {
            id: iv.id.to_string(),
            survey: SurveyRef {
                id: iv.survey_id.clone(),
                version: iv.survey_version.clone(),
            },
            location: iv.location.iter().cloned().collect(),
            weight: iv.weight,
            enumerator: iv.enumerator.clone(),
            started_at: time(&iv.started_at),
            finished_at: time(&iv.finished_at),
            answers,
        }
    }
}
