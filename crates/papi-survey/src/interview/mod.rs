//! Interviews: their answers, and the check of an interview against its definition.
//!
//! Every rule is checked and every broken one reported together, so that an enumerator (or a script)
//! can fix an interview in one pass. The check comes in three parts: `submission.rs` takes the
//! interview as the API carries it (id, survey, place, enumerator, times), `answers.rs` types each
//! answer by its question (from JSON or a CSV cell, in the format its type asks for), and `rules.rs`
//! applies the definition's rules to the typed answers (choices and choice filters, required, skip
//! logic, constraints, repetitions, calculations).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::expr::Value;
use crate::model::{Scoring, Survey};

mod answers;
mod rules;
mod submission;

pub use submission::{Submission, SurveyRef};

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

/// A value as an error message quotes it: cut short, so that an error never echoes a huge input.
fn shown(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
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

/// Longest place or enumerator name, in characters: the longest commune name in Viet Nam is under
/// 40; anything near this bound is not a name.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest text answer, in characters: a free-text answer is a sentence or a paragraph, never a file.
pub const MAX_TEXT_ANSWER_CHARS: usize = 4000;

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
