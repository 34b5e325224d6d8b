//! Interviews: their answers, and the check of an interview against its definition.
//!
//! Every rule is checked and every broken one reported together, so that an enumerator (or a script)
//! can fix an interview in one pass.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{FieldError, InterviewError};
use crate::expr::{self, Value};
use crate::model::{QuestionType, Scoring, Survey};
use crate::text::nfc;

/// One answer, typed by its question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Choice(String),
    Choices(Vec<String>),
    Integer(i64),
    Decimal(f64),
    Text(String),
    Date(NaiveDate),
}

impl Answer {
    /// The answer as a JSON value, the way the API takes it.
    pub fn to_json(&self) -> Json {
        match self {
            Answer::Choice(s) | Answer::Text(s) => Json::String(s.clone()),
            Answer::Choices(v) => Json::Array(v.iter().cloned().map(Json::String).collect()),
            Answer::Integer(n) => Json::from(*n),
            Answer::Decimal(x) => serde_json::Number::from_f64(*x)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Answer::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        }
    }

    /// The answer as one CSV cell (a select_multiple answer is its values separated by spaces).
    pub fn to_cell(&self) -> String {
        match self {
            Answer::Choice(s) | Answer::Text(s) => s.clone(),
            Answer::Choices(v) => v.join(" "),
            Answer::Integer(n) => n.to_string(),
            Answer::Decimal(x) => x.to_string(),
            Answer::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    fn value(&self) -> Value {
        match self {
            Answer::Integer(n) => Value::Number(*n as f64),
            Answer::Decimal(x) => Value::Number(*x),
            other => Value::Text(other.to_cell()),
        }
    }
}

/// Answers of one interview, one slot per question of the definition, in its order.
pub type Answers = Vec<Option<Answer>>;

struct Slots<'a>(&'a [Option<Answer>]);

impl expr::Answers for Slots<'_> {
    fn answer(&self, position: usize) -> Value {
        self.0
            .get(position)
            .and_then(Option::as_ref)
            .map(Answer::value)
            .unwrap_or(Value::Text(String::new()))
    }
}

fn type_error(q: &str, kind: QuestionType, got: &str) -> FieldError {
    let (vi, en) = match kind {
        QuestionType::SelectOne => (
            "một giá trị lựa chọn (chuỗi)",
            "one choice value (a string)",
        ),
        QuestionType::SelectMultiple => ("danh sách giá trị lựa chọn", "a list of choice values"),
        QuestionType::Integer => ("một số nguyên", "a whole number"),
        QuestionType::Decimal => ("một số", "a number"),
        QuestionType::Text => ("một chuỗi văn bản", "a text string"),
        QuestionType::Date => ("một ngày dạng YYYY-MM-DD", "a date as YYYY-MM-DD"),
    };
    FieldError::answer(
        q,
        "answer.wrong_type",
        format!("Câu {q} cần {vi}, nhận được {got}."),
        format!("Question {q} takes {en}, got {got}."),
    )
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

impl Survey {
    /// Turns a JSON answer into a typed one (types only; rules are checked by [`Survey::check_rules`]).
    fn answer_from_json(&self, position: usize, v: &Json) -> Result<Option<Answer>, FieldError> {
        let q = &self.questions[position];
        let wrong = || type_error(&q.id, q.kind, json_kind(v));
        if v.is_null() {
            return Ok(None);
        }
        Ok(Some(match q.kind {
            QuestionType::SelectOne => Answer::Choice(nfc(v.as_str().ok_or_else(wrong)?)),
            QuestionType::SelectMultiple => match v {
                Json::Array(items) => Answer::Choices(
                    items
                        .iter()
                        .map(|i| i.as_str().map(nfc).ok_or_else(wrong))
                        .collect::<Result<_, _>>()?,
                ),
                // XLSForm's own form: values separated by spaces.
                Json::String(s) => Answer::Choices(s.split_whitespace().map(nfc).collect()),
                _ => return Err(wrong()),
            },
            QuestionType::Integer => match v.as_i64() {
                Some(n) => Answer::Integer(n),
                None => match v.as_f64() {
                    Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Answer::Integer(x as i64),
                    _ => return Err(wrong()),
                },
            },
            QuestionType::Decimal => match v.as_f64() {
                Some(x) if x.is_finite() => Answer::Decimal(x),
                _ => return Err(wrong()),
            },
            QuestionType::Text => {
                let text = v.as_str().ok_or_else(wrong)?;
                let n = text.chars().count();
                if n > MAX_TEXT_ANSWER_CHARS {
                    return Err(FieldError::answer(
                        &q.id,
                        "text.too_long",
                        format!(
                            "Câu trả lời {} dài {n} ký tự; tối đa {MAX_TEXT_ANSWER_CHARS}.",
                            q.id
                        ),
                        format!(
                            "The answer to {} is {n} characters long; at most {MAX_TEXT_ANSWER_CHARS} are accepted.",
                            q.id
                        ),
                    ));
                }
                Answer::Text(nfc(text))
            }
            QuestionType::Date => {
                let s = v.as_str().ok_or_else(wrong)?;
                Answer::Date(parse_date(&q.id, s)?)
            }
        }))
    }

    /// Turns a CSV cell into a typed answer; an empty cell is no answer.
    pub fn answer_from_cell(
        &self,
        position: usize,
        cell: &str,
    ) -> Result<Option<Answer>, FieldError> {
        let q = &self.questions[position];
        let cell = cell.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        let quoted = format!("'{cell}'");
        Ok(Some(match q.kind {
            QuestionType::SelectOne => Answer::Choice(nfc(cell)),
            QuestionType::SelectMultiple => {
                Answer::Choices(cell.split_whitespace().map(nfc).collect())
            }
            QuestionType::Integer => Answer::Integer(
                cell.parse()
                    .map_err(|_| type_error(&q.id, q.kind, &quoted))?,
            ),
            QuestionType::Decimal => match cell.parse::<f64>() {
                Ok(x) if x.is_finite() => Answer::Decimal(x),
                _ => return Err(type_error(&q.id, q.kind, &quoted)),
            },
            QuestionType::Text => Answer::Text(nfc(cell)),
            QuestionType::Date => Answer::Date(parse_date(&q.id, cell)?),
        }))
    }

    /// Checks JSON answers (question id → value) against the definition: unknown questions, types,
    /// choices, required answers, constraints and skip logic, all errors together.
    pub fn check_answers(&self, raw: &Map<String, Json>) -> Result<Answers, Vec<FieldError>> {
        let mut answers: Answers = vec![None; self.questions.len()];
        let mut errors = Vec::new();
        for (id, v) in raw {
            let id = nfc(id);
            match self.question_position(&id) {
                None => errors.push(FieldError::answer(
                    &shown(&id),
                    "answer.unknown_question",
                    format!(
                        "Không có câu hỏi '{}' trong phiên bản khảo sát {}.",
                        shown(&id),
                        self.version
                    ),
                    format!(
                        "There is no question '{}' in survey version {}.",
                        shown(&id),
                        self.version
                    ),
                )),
                Some(i) => match self.answer_from_json(i, v) {
                    Ok(a) => answers[i] = a,
                    Err(e) => errors.push(e),
                },
            }
        }
        errors.extend(self.check_rules(&answers));
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }

    /// Checks typed answers against choices, required, relevance and constraints, in question order.
    pub fn check_rules(&self, answers: &[Option<Answer>]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // What later skip logic sees: answers of hidden or broken questions count as unanswered.
        let mut visible: Answers = vec![None; self.questions.len()];
        for (i, q) in self.questions.iter().enumerate() {
            let answer = answers.get(i).and_then(Option::as_ref);
            let relevant = q.relevant.as_ref().is_none_or(|e| {
                e.eval(&Slots(&visible), &Value::Text(String::new()))
                    .truthy()
            });
            let id = &q.id;
            match (answer, relevant) {
                (Some(_), false) => {
                    errors.push(FieldError::answer(
                        id,
                        "answer.not_relevant",
                        format!(
                            "Câu {id} bị ẩn theo điều kiện \"{}\" nên không được có câu trả lời.",
                            q.relevant_source.as_deref().unwrap_or("")
                        ),
                        format!(
                            "Question {id} is hidden by its skip logic \"{}\" and must have no answer.",
                            q.relevant_source.as_deref().unwrap_or("")
                        ),
                    ));
                    continue;
                }
                (None, true) if q.required => {
                    errors.push(FieldError::answer(
                        id,
                        "answer.required",
                        format!("Câu {id} là bắt buộc."),
                        format!("Question {id} is required."),
                    ));
                    continue;
                }
                (None, _) => continue,
                (Some(_), true) => {}
            }
            let answer = answer.expect("matched Some above");
            let before = errors.len();
            let choices = self.choices_of(q);
            let not_a_choice = |v: &str| {
                FieldError::answer(
                    id,
                    "answer.not_a_choice",
                    format!("'{}' không phải là lựa chọn của câu {id}.", shown(v)),
                    format!(
                        "'{}' is not a choice of question {id} (list '{}').",
                        shown(v),
                        q.choices.as_deref().unwrap_or("")
                    ),
                )
            };
            match answer {
                Answer::Choice(v) if !choices.iter().any(|c| &c.value == v) => {
                    errors.push(not_a_choice(v))
                }
                Answer::Choices(vs) => {
                    for (k, v) in vs.iter().enumerate() {
                        if !choices.iter().any(|c| &c.value == v) {
                            errors.push(not_a_choice(v));
                        } else if vs[..k].contains(v) {
                            errors.push(FieldError::answer(
                                id,
                                "answer.duplicate_choice",
                                format!("'{v}' được chọn hai lần ở câu {id}."),
                                format!("'{v}' is selected twice in question {id}."),
                            ));
                        }
                    }
                    if q.required && vs.is_empty() {
                        errors.push(FieldError::answer(
                            id,
                            "answer.required",
                            format!("Câu {id} là bắt buộc: chọn ít nhất một."),
                            format!("Question {id} is required: select at least one."),
                        ));
                    }
                }
                _ => {}
            }
            if errors.len() == before {
                if let Some(rule) = &q.constraint {
                    if !rule.eval(&Slots(&visible), &answer.value()).truthy() {
                        let src = q.constraint_source.as_deref().unwrap_or("");
                        let (vi, en) = match &q.constraint_message {
                            Some(m) => (m.get("vi").to_owned(), m.get("en").to_owned()),
                            None => (String::new(), String::new()),
                        };
                        errors.push(FieldError::answer(
                            id,
                            "answer.constraint",
                            format!("Câu trả lời '{}' của câu {id} không thỏa điều kiện \"{src}\". {vi}", answer.to_cell()).trim_end().to_owned(),
                            format!("Answer '{}' to question {id} breaks the constraint \"{src}\". {en}", answer.to_cell()).trim_end().to_owned(),
                        ));
                    }
                }
            }
            if errors.len() == before {
                visible[i] = Some(answer.clone());
            }
        }
        errors
    }

    /// Whether question `position` is shown, given the answers to the questions before it.
    pub fn is_relevant(&self, position: usize, answers: &[Option<Answer>]) -> bool {
        self.questions[position].relevant.as_ref().is_none_or(|e| {
            e.eval(&Slots(answers), &Value::Text(String::new()))
                .truthy()
        })
    }

    /// Whether an answer satisfies its question's constraint (true when it has none).
    pub fn satisfies_constraint(
        &self,
        position: usize,
        answers: &[Option<Answer>],
        answer: &Answer,
    ) -> bool {
        self.questions[position]
            .constraint
            .as_ref()
            .is_none_or(|e| e.eval(&Slots(answers), &answer.value()).truthy())
    }
}

/// A value as an error message quotes it: cut short, so that an error never echoes a huge input.
fn shown(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

fn parse_date(q: &str, s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::answer(
            q,
            "answer.invalid_date",
            format!("'{}' không phải là ngày hợp lệ dạng YYYY-MM-DD.", shown(s)),
            format!("'{}' is not a valid date as YYYY-MM-DD.", shown(s)),
        )
    })
}

impl Scoring {
    /// The score in [0, 1] of an answer, or `None` when it is missing (no answer, or "don't know").
    pub fn score(&self, answer: Option<&Answer>) -> Option<f64> {
        match (self, answer?) {
            (Scoring::Values(values), Answer::Choice(c)) => {
                values.iter().find(|(k, _)| k == c).map(|(_, v)| *v)
            }
            (Scoring::Range { lo, hi, reverse }, a) => {
                let x = match a {
                    Answer::Integer(n) => *n as f64,
                    Answer::Decimal(x) => *x,
                    _ => return None,
                };
                let s = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
                Some(if *reverse { 1.0 - s } else { s })
            }
            (Scoring::AnyOf(any), Answer::Choices(chosen)) => {
                Some(if chosen.iter().any(|c| any.contains(c)) {
                    1.0
                } else {
                    0.0
                })
            }
            _ => None,
        }
    }
}

/// A checked interview, ready to store or score. Holds no names or phone numbers: the definition's
/// questions are the only answers, and the location goes no finer than the village.
#[derive(Debug, Clone, PartialEq)]
pub struct Interview {
    /// Generated by the client, so that a resend is recognised.
    pub id: Uuid,
    pub survey_id: String,
    pub survey_version: String,
    /// Values of the definition's location columns, in their order.
    pub location: Vec<(String, String)>,
    pub weight: Option<f64>,
    pub enumerator: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub answers: Answers,
}

/// An interview as the API and the JSON lines files carry it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub id: String,
    pub survey: SurveyRef,
    #[serde(default)]
    pub location: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enumerator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub answers: Map<String, Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SurveyRef {
    pub id: String,
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

/// Longest place or enumerator name, in characters: the longest commune name in Viet Nam is under
/// 40; anything near this bound is not a name.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest text answer, in characters: a free-text answer is a sentence or a paragraph, never a file.
pub const MAX_TEXT_ANSWER_CHARS: usize = 4000;

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

impl Survey {
    /// A place's (column, value) pairs in the definition's location column order, those it has: a
    /// location read back from PostgreSQL's JSONB comes in that type's own key order.
    pub fn location_in_column_order(&self, pairs: &[(String, String)]) -> Vec<(String, String)> {
        self.design
            .location
            .iter()
            .filter_map(|col| pairs.iter().find(|(k, _)| k == col).cloned())
            .collect()
    }
}

impl Interview {
    /// The answers as a JSON object in question order, for storage.
    pub fn answers_json(&self, survey: &Survey) -> Json {
        let mut answers = Map::new();
        for (q, a) in survey.questions.iter().zip(&self.answers) {
            if let Some(a) = a {
                answers.insert(q.id.clone(), a.to_json());
            }
        }
        Json::Object(answers)
    }

    /// The location as a JSON object, in the definition's column order.
    pub fn location_json(&self) -> Json {
        let map: Map<String, Json> = self
            .location
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        Json::Object(map)
    }

    /// SHA-256 over everything the interview says; a resend with the same hash is the same interview.
    pub fn content_hash(&self, survey: &Survey) -> String {
        let mut s = survey.to_submission(self);
        // Who sent it is not content: the same interview resent by a device with a new token is a resend.
        s.enumerator = None;
        let canonical = serde_json::to_vec(&s).expect("a submission always serialises");
        hex::encode(Sha256::digest(canonical))
    }

    pub fn location_value(&self, column: &str) -> Option<&str> {
        self.location
            .iter()
            .find(|(k, _)| k == column)
            .map(|(_, v)| v.as_str())
    }
}
