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
use crate::model::{AnswerKind, Choice, QuestionType, Scoring, Survey};
use crate::text::nfc;

/// One answer, typed by its question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Choice(String),
    Choices(Vec<String>),
    Integer(i64),
    Decimal(f64),
    /// Text, and the types answered by a text in a checked format (time, geopoint, a file name...).
    Text(String),
    Date(NaiveDate),
    /// A repeat's answers: one repetition each, its questions' ids and answers in question order.
    Repeat(Vec<Repetition>),
}

/// One repetition of a repeat: (question id, answer) in question order, unanswered left out.
pub type Repetition = Vec<(String, Answer)>;

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
            Answer::Repeat(reps) => Json::Array(
                reps.iter()
                    .map(|r| {
                        Json::Object(r.iter().map(|(k, a)| (k.clone(), a.to_json())).collect())
                    })
                    .collect(),
            ),
        }
    }

    /// The answer as one CSV cell (a select_multiple answer is its values separated by spaces, a
    /// repeat its JSON).
    pub fn to_cell(&self) -> String {
        match self {
            Answer::Choice(s) | Answer::Text(s) => s.clone(),
            Answer::Choices(v) => v.join(" "),
            Answer::Integer(n) => n.to_string(),
            Answer::Decimal(x) => x.to_string(),
            Answer::Date(d) => d.format("%Y-%m-%d").to_string(),
            Answer::Repeat(_) => self.to_json().to_string(),
        }
    }

    fn value(&self) -> Value {
        match self {
            Answer::Integer(n) => Value::Number(*n as f64),
            Answer::Decimal(x) => Value::Number(*x),
            Answer::Repeat(reps) => Value::Number(reps.len() as f64),
            other => Value::Text(other.to_cell()),
        }
    }
}

/// Answers of one interview, one slot per question of the definition, in its order.
pub type Answers = Vec<Option<Answer>>;

/// What an expression sees: the answers so far, and the choice a filter is deciding on.
struct Slots<'a> {
    survey: &'a Survey,
    answers: &'a [Option<Answer>],
    choice: Option<&'a Choice>,
    /// The repetition being checked, 1-based; 0 outside a repeat.
    repetition: usize,
}

impl<'a> Slots<'a> {
    fn new(survey: &'a Survey, answers: &'a [Option<Answer>]) -> Slots<'a> {
        Slots {
            survey,
            answers,
            choice: None,
            repetition: 0,
        }
    }
}

impl expr::Answers for Slots<'_> {
    fn answer(&self, position: usize) -> Value {
        self.answers
            .get(position)
            .and_then(Option::as_ref)
            .map(Answer::value)
            .unwrap_or(Value::Text(String::new()))
    }

    fn repeated(&self, position: usize) -> Vec<Value> {
        let q = &self.survey.questions[position];
        let repeat = if q.kind == QuestionType::Repeat {
            Some(position)
        } else {
            q.repeat
        };
        let Some(Some(Answer::Repeat(reps))) = repeat.and_then(|r| self.answers.get(r)) else {
            return Vec::new();
        };
        if q.kind == QuestionType::Repeat {
            return reps.iter().map(|_| Value::Number(1.0)).collect();
        }
        reps.iter()
            .filter_map(|r| r.iter().find(|(k, _)| *k == q.id).map(|(_, a)| a.value()))
            .collect()
    }

    fn choice_label(&self, position: usize, value: &str) -> Value {
        let q = &self.survey.questions[position];
        Value::Text(
            self.survey
                .choices_of(q)
                .iter()
                .find(|c| c.value == value)
                .map(|c| c.label.get(self.survey.default_language()).to_owned())
                .unwrap_or_default(),
        )
    }

    fn repetition(&self) -> usize {
        self.repetition
    }

    fn column(&self, name: &str) -> Value {
        let Some(choice) = self.choice else {
            return Value::Text(String::new());
        };
        match name {
            "name" => Value::Text(choice.value.clone()),
            "label" => Value::Text(choice.label.get(self.survey.default_language()).to_owned()),
            other => Value::Text(choice.columns.get(other).cloned().unwrap_or_default()),
        }
    }
}

fn type_error(q: &str, kind: QuestionType, got: &str) -> FieldError {
    use QuestionType as T;
    let (vi, en) = match kind {
        T::SelectOne => (
            "một giá trị lựa chọn (chuỗi)",
            "one choice value (a string)",
        ),
        T::SelectMultiple => ("danh sách giá trị lựa chọn", "a list of choice values"),
        T::Integer => ("một số nguyên", "a whole number"),
        T::Decimal | T::Range => ("một số", "a number"),
        T::Date | T::Today => ("một ngày dạng YYYY-MM-DD", "a date as YYYY-MM-DD"),
        T::Time => (
            "một giờ dạng HH:MM hoặc HH:MM:SS",
            "a time as HH:MM or HH:MM:SS",
        ),
        T::DateTime => (
            "một thời điểm dạng 2026-11-30T08:30:00+07:00",
            "a date and time such as 2026-11-30T08:30:00+07:00",
        ),
        T::Geopoint => (
            "một điểm 'vĩ_độ kinh_độ [độ_cao [độ_chính_xác]]'",
            "a point 'latitude longitude [altitude [accuracy]]'",
        ),
        T::Geotrace => (
            "ít nhất hai điểm cách nhau bởi ';'",
            "at least two points separated by ';'",
        ),
        T::Geoshape => (
            "ít nhất bốn điểm cách nhau bởi ';', điểm cuối trùng điểm đầu",
            "at least four points separated by ';', the last one the first",
        ),
        T::Acknowledge => ("'OK'", "'OK'"),
        T::Image | T::Audio | T::Video | T::File | T::Audit => {
            ("tên một tệp (không có thư mục)", "a file name (no folder)")
        }
        T::Calculate => ("một số hoặc một chuỗi", "a number or a text"),
        T::Note => (
            "không có câu trả lời (đây là ghi chú)",
            "no answer (it is a note)",
        ),
        T::Repeat => (
            "danh sách các lần lặp, mỗi lần là một đối tượng",
            "a list of repetitions, each an object",
        ),
        T::Text
        | T::Barcode
        | T::DeviceId
        | T::PhoneNumber
        | T::Username
        | T::Email
        | T::SubscriberId
        | T::SimSerial => ("một chuỗi văn bản", "a text string"),
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

/// A geographic point as ODK writes it: latitude, longitude, then optional altitude and accuracy.
fn valid_point(p: &str) -> bool {
    let parts: Vec<f64> = match p.split_whitespace().map(str::parse::<f64>).collect() {
        Ok(v) => v,
        Err(_) => return false,
    };
    (2..=4).contains(&parts.len())
        && parts.iter().all(|x| x.is_finite())
        && (-90.0..=90.0).contains(&parts[0])
        && (-180.0..=180.0).contains(&parts[1])
        && parts.get(3).is_none_or(|acc| *acc >= 0.0)
}

/// Whether a text answer has its type's format (a time, a point, a file name...).
fn text_format_ok(kind: QuestionType, s: &str) -> bool {
    use QuestionType as T;
    let s = s.trim();
    match kind {
        T::Time => {
            let clock = s
                .find(['Z', '+'])
                .or_else(|| s.rfind('-').filter(|&i| i > 0))
                .map_or(s, |i| &s[..i]);
            chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").is_ok()
                || chrono::NaiveTime::parse_from_str(clock, "%H:%M").is_ok()
        }
        T::DateTime => {
            DateTime::parse_from_rfc3339(s).is_ok()
                || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                || DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").is_ok()
        }
        T::Geopoint => valid_point(s),
        T::Geotrace | T::Geoshape => {
            let points: Vec<&str> = s
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let enough = if kind == T::Geotrace { 2 } else { 4 };
            points.len() >= enough
                && points.iter().all(|p| valid_point(p))
                && (kind == T::Geotrace || {
                    let coords = |p: &str| -> Vec<f64> {
                        p.split_whitespace()
                            .take(2)
                            .filter_map(|x| x.parse().ok())
                            .collect()
                    };
                    coords(points[0]) == coords(points[points.len() - 1])
                })
        }
        T::Acknowledge => s == "OK",
        T::Image | T::Audio | T::Video | T::File | T::Audit => {
            !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".."
        }
        _ => true,
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
        Ok(Some(match q.kind.answer_kind() {
            AnswerKind::Choice => Answer::Choice(nfc(v.as_str().ok_or_else(wrong)?)),
            AnswerKind::Choices => match v {
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
            AnswerKind::Integer => match v.as_i64() {
                Some(n) => Answer::Integer(n),
                None => match v.as_f64() {
                    Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Answer::Integer(x as i64),
                    _ => return Err(wrong()),
                },
            },
            AnswerKind::Decimal => match v.as_f64() {
                Some(x) if x.is_finite() => Answer::Decimal(x),
                _ => return Err(wrong()),
            },
            AnswerKind::Text => {
                let text = v.as_str().ok_or_else(wrong)?;
                self.text_answer(position, text)?
            }
            AnswerKind::Date => {
                let s = v.as_str().ok_or_else(wrong)?;
                Answer::Date(parse_date(&q.id, s)?)
            }
            AnswerKind::Calculated => match v {
                Json::String(s) if s.is_empty() => return Ok(None),
                Json::String(s) => self.text_answer(position, s)?,
                Json::Number(n) => match n.as_f64() {
                    Some(x) if x.is_finite() => Answer::Decimal(x),
                    _ => return Err(wrong()),
                },
                _ => return Err(wrong()),
            },
            // A form may send a note's empty element; anything else is not an answer to a note.
            AnswerKind::Nothing => match v {
                Json::String(s) if s.is_empty() => return Ok(None),
                _ => return Err(wrong()),
            },
            AnswerKind::Repeat => {
                let Json::Array(items) = v else {
                    return Err(wrong());
                };
                let mut reps = Vec::with_capacity(items.len());
                for item in items {
                    let Json::Object(map) = item else {
                        return Err(wrong());
                    };
                    let mut rep: Repetition = Vec::new();
                    for child in self.repeat_children(position) {
                        let cq = &self.questions[child];
                        if let Some(a) = map.get(&cq.id) {
                            if let Some(a) = self.answer_from_json(child, a)? {
                                rep.push((cq.id.clone(), a));
                            }
                        }
                    }
                    if let Some(k) = map.keys().find(|k| {
                        self.question_position(&nfc(k))
                            .and_then(|p| self.questions[p].repeat)
                            != Some(position)
                    }) {
                        return Err(FieldError::answer(
                            &q.id,
                            "answer.unknown_question",
                            format!(
                                "'{}' không phải là câu hỏi của nhóm lặp {}.",
                                shown(k),
                                q.id
                            ),
                            format!("'{}' is not a question of repeat {}.", shown(k), q.id),
                        ));
                    }
                    reps.push(rep);
                }
                Answer::Repeat(reps)
            }
        }))
    }

    /// The file names the media questions of `answers` give (photos, recordings, documents, the
    /// audit log), repetitions included: the files an interview may come with.
    pub fn media_files(&self, answers: &Answers) -> Vec<String> {
        let mut files = Vec::new();
        for (q, a) in self.questions.iter().zip(answers) {
            match a {
                Some(Answer::Text(name)) if q.kind.is_media() => files.push(name.clone()),
                Some(Answer::Repeat(reps)) => {
                    for (id, a) in reps.iter().flatten() {
                        let media = self.question(id).is_some_and(|c| c.kind.is_media());
                        if let (true, Answer::Text(name)) = (media, a) {
                            files.push(name.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        files
    }

    /// The positions of the questions inside the repeat at `position`.
    pub fn repeat_children(&self, position: usize) -> impl Iterator<Item = usize> + '_ {
        (position + 1..self.questions.len())
            .take_while(move |&j| self.questions[j].repeat == Some(position))
    }

    /// A text answer: its length bounded and its format the one its type asks for.
    fn text_answer(&self, position: usize, text: &str) -> Result<Answer, FieldError> {
        let q = &self.questions[position];
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
        if !text_format_ok(q.kind, text) {
            return Err(type_error(&q.id, q.kind, &format!("'{}'", shown(text))));
        }
        let text = match q.kind {
            QuestionType::Text | QuestionType::Calculate => nfc(text),
            _ => nfc(text.trim()),
        };
        Ok(Answer::Text(text))
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
        let quoted = format!("'{}'", shown(cell));
        Ok(Some(match q.kind.answer_kind() {
            AnswerKind::Choice => Answer::Choice(nfc(cell)),
            AnswerKind::Choices => Answer::Choices(cell.split_whitespace().map(nfc).collect()),
            AnswerKind::Integer => Answer::Integer(
                cell.parse()
                    .map_err(|_| type_error(&q.id, q.kind, &quoted))?,
            ),
            AnswerKind::Decimal => match cell.parse::<f64>() {
                Ok(x) if x.is_finite() => Answer::Decimal(x),
                _ => return Err(type_error(&q.id, q.kind, &quoted)),
            },
            AnswerKind::Text => self.text_answer(position, cell)?,
            AnswerKind::Date => Answer::Date(parse_date(&q.id, cell)?),
            AnswerKind::Calculated => match cell.parse::<f64>() {
                Ok(x) if x.is_finite() => Answer::Decimal(x),
                _ => self.text_answer(position, cell)?,
            },
            AnswerKind::Nothing => return Err(type_error(&q.id, q.kind, &quoted)),
            // A repeat's cell is its JSON, as `Answer::to_cell` writes it.
            AnswerKind::Repeat => {
                let json: Json =
                    serde_json::from_str(cell).map_err(|_| type_error(&q.id, q.kind, &quoted))?;
                return self.answer_from_json(position, &json);
            }
        }))
    }

    /// Checks JSON answers (question id → value) against the definition: unknown questions, types,
    /// choices, required answers, constraints and skip logic, all errors together; calculations are
    /// computed here, whatever the client sent for them.
    pub fn check_answers(&self, raw: &Map<String, Json>) -> Result<Answers, Vec<FieldError>> {
        let mut answers: Answers = vec![None; self.questions.len()];
        let mut errors = Vec::new();
        for (id, v) in raw {
            let id = nfc(id);
            match self.question_position(&id) {
                Some(i) if self.questions[i].repeat.is_none() => {
                    match self.answer_from_json(i, v) {
                        Ok(a) => answers[i] = a,
                        Err(e) => errors.push(e),
                    }
                }
                found => {
                    let (vi, en) = match found {
                        Some(i) => {
                            let r = &self.questions[self.questions[i].repeat.unwrap_or(i)].id;
                            (
                                format!(
                                    "Câu '{}' thuộc nhóm lặp {r}: gửi nó trong {r}.",
                                    shown(&id)
                                ),
                                format!(
                                    "Question '{}' is inside repeat {r}: send it within {r}.",
                                    shown(&id)
                                ),
                            )
                        }
                        None => (
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
                        ),
                    };
                    errors.push(FieldError::answer(
                        &shown(&id),
                        "answer.unknown_question",
                        vi,
                        en,
                    ))
                }
            }
        }
        errors.extend(self.check_rules(&mut answers));
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }

    /// Checks typed answers against choices, required, relevance and constraints, in question order,
    /// and puts the server's value of every calculation in its slot.
    pub fn check_rules(&self, answers: &mut Answers) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // What later skip logic sees: answers of hidden or broken questions count as unanswered.
        let mut visible: Answers = vec![None; self.questions.len()];
        for i in 0..self.questions.len() {
            let q = &self.questions[i];
            if q.repeat.is_some() {
                continue;
            }
            let given = answers.get_mut(i).and_then(Option::take);
            let shown_as = q.id.clone();
            let kept = match given {
                Some(Answer::Repeat(reps)) if self.is_relevant(i, &visible) => {
                    let reps = self.check_repetitions(i, reps, &visible, &mut errors);
                    Some(Answer::Repeat(reps))
                }
                given => self.check_one(i, given, &visible, &shown_as, 0, &mut errors),
            };
            if let Some(a) = &kept {
                visible[i] = Some(a.clone());
            }
            if let Some(slot) = answers.get_mut(i) {
                *slot = kept;
            }
        }
        errors
    }

    /// Checks each repetition of the repeat at `position` as its own small interview, its questions
    /// seeing the answers before the repeat and the earlier answers of the same repetition.
    fn check_repetitions(
        &self,
        position: usize,
        reps: Vec<Repetition>,
        visible: &Answers,
        errors: &mut Vec<FieldError>,
    ) -> Vec<Repetition> {
        let q = &self.questions[position];
        if let Some(count) = &q.repeat_count {
            let want = count
                .eval(&Slots::new(self, visible), &Value::Text(String::new()))
                .number();
            if want.is_finite() && want != reps.len() as f64 {
                errors.push(FieldError::answer(
                    &q.id,
                    "answer.repeat_count",
                    format!(
                        "Nhóm lặp {} cần {want} lần lặp, nhận được {}.",
                        q.id,
                        reps.len()
                    ),
                    format!(
                        "Repeat {} needs {want} repetitions, got {}.",
                        q.id,
                        reps.len()
                    ),
                ));
            }
        }
        let children: Vec<usize> = self.repeat_children(position).collect();
        let mut out = Vec::with_capacity(reps.len());
        for (n, rep) in reps.into_iter().enumerate() {
            let mut scope = visible.clone();
            let mut given: Answers = vec![None; self.questions.len()];
            for (k, a) in rep {
                if let Some(p) = self.question_position(&k) {
                    given[p] = Some(a);
                }
            }
            let mut kept: Repetition = Vec::new();
            for &j in &children {
                let field = format!("{}[{}].{}", q.id, n + 1, self.questions[j].id);
                let a = self.check_one(j, given[j].take(), &scope, &field, n + 1, errors);
                if let Some(a) = a {
                    scope[j] = Some(a.clone());
                    kept.push((self.questions[j].id.clone(), a));
                }
            }
            out.push(kept);
        }
        out
    }

    /// Checks one answer given what is visible before it; returns what later questions see (and what
    /// is kept: a calculation's value, or nothing for a hidden calculation). `field` names the answer
    /// in errors (`q` or `repeat[2].q`).
    fn check_one(
        &self,
        i: usize,
        answer: Option<Answer>,
        visible: &Answers,
        field: &str,
        repetition: usize,
        errors: &mut Vec<FieldError>,
    ) -> Option<Answer> {
        let q = &self.questions[i];
        let slots = || Slots {
            repetition,
            ..Slots::new(self, visible)
        };
        let blank = Value::Text(String::new());
        let relevant = q
            .relevant
            .as_ref()
            .is_none_or(|e| e.eval(&slots(), &blank).truthy());
        let id = &q.id;
        let at = |e: FieldError| FieldError {
            field: format!("answers.{field}"),
            ..e
        };
        if q.kind == QuestionType::Calculate {
            if !relevant {
                return None;
            }
            let calc = q.calculation.as_ref()?;
            if calc.uses_device_values() {
                return answer;
            }
            return match calc.eval(&slots(), &blank) {
                Value::Number(x) if x.is_finite() => Some(Answer::Decimal(x)),
                Value::Number(_) => None,
                Value::Bool(b) => Some(Answer::Text(b.to_string())),
                Value::Text(t) if t.is_empty() => None,
                Value::Text(t) => Some(Answer::Text(t)),
            };
        }
        match (&answer, relevant) {
            (Some(_), false) => {
                errors.push(at(FieldError::answer(
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
                )));
                return None;
            }
            (None, true)
                if q.required
                    || q.required_if
                        .as_ref()
                        .is_some_and(|e| e.eval(&slots(), &blank).truthy()) =>
            {
                let (vi, en) = match &q.required_message {
                    Some(m) => (m.get("vi").to_owned(), m.get("en").to_owned()),
                    None => (String::new(), String::new()),
                };
                errors.push(at(FieldError::answer(
                    id,
                    "answer.required",
                    format!("Câu {id} là bắt buộc. {vi}").trim_end().to_owned(),
                    format!("Question {id} is required. {en}")
                        .trim_end()
                        .to_owned(),
                )));
                return None;
            }
            (None, _) => return None,
            (Some(_), true) => {}
        }
        let answer = answer.expect("matched Some above");
        let before = errors.len();
        let choices = self.choices_of(q);
        let offered = |v: &str| -> Option<&Choice> {
            let choice = choices.iter().find(|c| c.value == v)?;
            match &q.choice_filter {
                None => Some(choice),
                Some(filter) => {
                    let with_choice = Slots {
                        choice: Some(choice),
                        ..slots()
                    };
                    filter.eval(&with_choice, &blank).truthy().then_some(choice)
                }
            }
        };
        let not_a_choice = |v: &str| {
            let filtered = q.choice_filter.is_some() && choices.iter().any(|c| c.value == v);
            let (vi_more, en_more) = if filtered {
                (
                    format!(
                        " (bị lọc bởi \"{}\")",
                        q.choice_filter_source.as_deref().unwrap_or("")
                    ),
                    format!(
                        " (its choice filter \"{}\" leaves it out, given the answers before)",
                        q.choice_filter_source.as_deref().unwrap_or("")
                    ),
                )
            } else {
                (String::new(), String::new())
            };
            at(FieldError::answer(
                id,
                "answer.not_a_choice",
                format!(
                    "'{}' không phải là lựa chọn của câu {id}{vi_more}.",
                    shown(v)
                ),
                format!(
                    "'{}' is not a choice of question {id} (list '{}'){en_more}.",
                    shown(v),
                    q.choices.as_deref().unwrap_or("")
                ),
            ))
        };
        match &answer {
            Answer::Choice(v) if offered(v).is_none() => errors.push(not_a_choice(v)),
            Answer::Choices(vs) => {
                for (k, v) in vs.iter().enumerate() {
                    if offered(v).is_none() {
                        errors.push(not_a_choice(v));
                    } else if vs[..k].contains(v) {
                        errors.push(at(FieldError::answer(
                            id,
                            "answer.duplicate_choice",
                            format!("'{v}' được chọn hai lần ở câu {id}."),
                            format!("'{v}' is selected twice in question {id}."),
                        )));
                    }
                }
                if q.required && vs.is_empty() {
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.required",
                        format!("Câu {id} là bắt buộc: chọn ít nhất một."),
                        format!("Question {id} is required: select at least one."),
                    )));
                }
            }
            Answer::Decimal(x) if q.kind == QuestionType::Range => {
                let (start, end, step) = q.range_scale();
                let (lo, hi) = (start.min(end), start.max(end));
                let steps = (x - start) / step;
                if *x < lo || *x > hi || (steps - steps.round()).abs() > 1e-9 {
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.out_of_range",
                        format!("{x} không nằm trên thang của câu {id} (từ {start} đến {end}, bước {step})."),
                        format!("{x} is not on the scale of question {id} (from {start} to {end}, step {step})."),
                    )));
                }
            }
            _ => {}
        }
        if errors.len() == before {
            if let Some(rule) = &q.constraint {
                if !rule.eval(&slots(), &answer.value()).truthy() {
                    let src = q.constraint_source.as_deref().unwrap_or("");
                    let (vi, en) = match &q.constraint_message {
                        Some(m) => (m.get("vi").to_owned(), m.get("en").to_owned()),
                        None => (String::new(), String::new()),
                    };
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.constraint",
                        format!(
                            "Câu trả lời '{}' của câu {id} không thỏa điều kiện \"{src}\". {vi}",
                            shown(&answer.to_cell())
                        )
                        .trim_end()
                        .to_owned(),
                        format!(
                            "Answer '{}' to question {id} breaks the constraint \"{src}\". {en}",
                            shown(&answer.to_cell())
                        )
                        .trim_end()
                        .to_owned(),
                    )));
                }
            }
        }
        (errors.len() == before).then_some(answer)
    }

    /// Whether question `position` is shown, given the answers to the questions before it.
    pub fn is_relevant(&self, position: usize, answers: &[Option<Answer>]) -> bool {
        self.questions[position].relevant.as_ref().is_none_or(|e| {
            e.eval(&Slots::new(self, answers), &Value::Text(String::new()))
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
            .is_none_or(|e| e.eval(&Slots::new(self, answers), &answer.value()).truthy())
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
            (Scoring::Values(values), Answer::Choice(c) | Answer::Text(c)) => {
                values.iter().find(|(k, _)| k == c).map(|(_, v)| *v)
            }
            // A calculation's number scored by value: `1 = 1.0`.
            (Scoring::Values(values), Answer::Decimal(x)) => values
                .iter()
                .find(|(k, _)| k.parse::<f64>().is_ok_and(|k| k == *x))
                .map(|(_, v)| *v),
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

#[cfg(test)]
impl Interview {
    /// An interview of `survey` with these answers and nothing else: no place, times or enumerator.
    pub(crate) fn bare(survey: &Survey, answers: Answers) -> Interview {
        Interview {
            id: Uuid::nil(),
            survey_id: survey.id.clone(),
            survey_version: survey.version.clone(),
            location: Vec::new(),
            weight: None,
            enumerator: None,
            started_at: None,
            finished_at: None,
            answers,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"
[survey]
id = "household"
version = "1"
title = { en = "Household" }
languages = ["en"]

[choices]
yn = [{ value = "yes", label = { en = "Yes" } }, { value = "no", label = { en = "No" } }]

[[questions]]
id = "adults"
type = "integer"
label = { en = "Adults?" }

[[questions]]
id = "member"
type = "repeat"
label = { en = "Member" }

[[questions]]
id = "age"
repeat = "member"
type = "integer"
label = { en = "Age?" }

[[questions]]
id = "older"
repeat = "member"
type = "calculate"
calculation = "if(${age} > ${adults}, 'yes', 'no')"

[[questions]]
id = "total_age"
type = "calculate"
calculation = "sum(${age}) + ${adults}"

[[questions]]
id = "ticket"
type = "calculate"
calculation = "once(uuid())"

[[questions]]
id = "note1"
type = "note"
label = { en = "${total_age} years in all" }
"#;

    fn check(answers: Json) -> Result<Answers, Vec<FieldError>> {
        let survey = Survey::from_toml(FORM, "household.toml").unwrap();
        survey.check_answers(answers.as_object().unwrap())
    }

    #[test]
    fn calculations_are_the_servers_whatever_the_client_sent() {
        let survey = Survey::from_toml(FORM, "household.toml").unwrap();
        let answers = check(serde_json::json!({
            "adults": 2,
            "member": [{ "age": 40 }, { "age": 1, "older": "yes" }],
            "total_age": 9999,
            "ticket": "d3b07384",
            "note1": "",
        }))
        .unwrap();
        let at = |id: &str| answers[survey.question_position(id).unwrap()].clone();
        assert_eq!(at("total_age"), Some(Answer::Decimal(43.0)));
        // A value only the device knows is kept as the device sent it.
        assert_eq!(at("ticket"), Some(Answer::Text("d3b07384".into())));
        assert_eq!(at("note1"), None);
        let Some(Answer::Repeat(reps)) = at("member") else {
            panic!("no repetitions: {answers:?}")
        };
        assert_eq!(
            reps,
            vec![
                vec![
                    ("age".into(), Answer::Integer(40)),
                    ("older".into(), Answer::Text("yes".into()))
                ],
                vec![
                    ("age".into(), Answer::Integer(1)),
                    ("older".into(), Answer::Text("no".into()))
                ],
            ]
        );
        // What is stored reads back the same.
        let iv = Interview::bare(&survey, answers.clone());
        let stored = iv.answers_json(&survey).to_string();
        assert_eq!(survey.stored_answers(&stored).unwrap(), answers);
    }

    #[test]
    fn a_note_takes_no_answer_and_a_repeat_only_its_own_questions() {
        let errors = check(serde_json::json!({ "note1": "hello" })).unwrap_err();
        assert_eq!(errors[0].rule, "answer.wrong_type");
        let errors = check(serde_json::json!({ "member": [{ "adults": 3 }] })).unwrap_err();
        assert_eq!(errors[0].rule, "answer.unknown_question");
        let errors = check(serde_json::json!({ "member": { "age": 3 } })).unwrap_err();
        assert_eq!(errors[0].rule, "answer.wrong_type");
    }
}
