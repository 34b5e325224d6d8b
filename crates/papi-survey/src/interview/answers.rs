//! Answers typed by their questions: from the API's JSON or a CSV cell, each in the format its
//! question's type asks for (a whole number, a date, a time, a point, a file name...), with the
//! repetitions of a repeat typed question by question.

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value as Json};

use super::{shown, Answer, Answers, Repetition, MAX_TEXT_ANSWER_CHARS};
use crate::error::FieldError;
use crate::model::{AnswerKind, QuestionType, Survey};
use crate::text::nfc;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interview::Interview;

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
