//! Reading answers back as the database keeps them: the JSON object of `Interview::answers_json`,
//! keyed by the definition's question ids, each value typed by its question.
//!
//! Those answers were checked against this very definition when they arrived (a version's
//! definition never changes), so reading them back only decodes them: straight from the JSON text
//! into typed slots, with no JSON tree in between, no Unicode normalisation and no second pass of
//! skip logic and constraints. Exports and score runs read every stored answer, hundreds of
//! millions of them for a large survey, and this is where their time went. A value that does not
//! decode (an unknown question, a wrong type) is an error: the row was changed outside papi.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::interview::{Answer, Answers};
use crate::model::{AnswerKind, QuestionType, Survey};

impl Survey {
    /// Decodes the answers of a stored interview (see the module's documentation); the error says
    /// which question does not decode, and why.
    pub fn stored_answers(&self, json: &str) -> Result<Answers, String> {
        let mut answers: Answers = vec![None; self.questions.len()];
        let mut de = serde_json::Deserializer::from_str(json);
        AnswersSeed {
            survey: self,
            answers: &mut answers,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| e.to_string())?;
        Ok(answers)
    }
}

struct AnswersSeed<'s> {
    survey: &'s Survey,
    answers: &'s mut Answers,
}

impl<'de> DeserializeSeed<'de> for AnswersSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswersSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of answers by question id")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Stored answers follow the definition's order (SQLite keeps it; PostgreSQL's jsonb does
        // not), so the next key is most often the question after the last one.
        let mut next = 0;
        while let Some(position) = map.next_key_seed(QuestionSeed {
            survey: self.survey,
            likely: next,
        })? {
            next = position + 1;
            self.answers[position] = map.next_value_seed(AnswerSeed {
                survey: self.survey,
                position,
            })?;
        }
        Ok(())
    }
}

/// A key: the position of its question, without allocating the id; `likely` is tried first.
struct QuestionSeed<'s> {
    survey: &'s Survey,
    likely: usize,
}

impl<'de> DeserializeSeed<'de> for QuestionSeed<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for QuestionSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a question id")
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<usize, E> {
        let survey = self.survey;
        if survey
            .questions
            .get(self.likely)
            .is_some_and(|q| q.id == id)
        {
            return Ok(self.likely);
        }
        survey.question_position(id).ok_or_else(|| {
            E::custom(format!(
                "there is no question '{id}' in survey {} version {}",
                survey.id, survey.version
            ))
        })
    }
}

/// A value, typed by its question as `Survey::check_answers` types it.
struct AnswerSeed<'s> {
    survey: &'s Survey,
    position: usize,
}

impl AnswerSeed<'_> {
    fn kind(&self) -> QuestionType {
        self.survey.questions[self.position].kind
    }

    fn wrong<E: de::Error>(&self, got: &str) -> E {
        E::custom(format!(
            "question {} is {}, and its stored answer is {got}",
            self.survey.questions[self.position].id,
            self.kind().name()
        ))
    }
}

impl<'de> DeserializeSeed<'de> for AnswerSeed<'_> {
    type Value = Option<Answer>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Answer>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnswerSeed<'_> {
    type Value = Option<Answer>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "an answer to {} ({})",
            self.survey.questions[self.position].id,
            self.kind().name()
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(self.wrong("a boolean"))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(match self.kind().answer_kind() {
            AnswerKind::Choice => Answer::Choice(s.to_owned()),
            AnswerKind::Text | AnswerKind::Calculated => Answer::Text(s.to_owned()),
            AnswerKind::Choices => {
                Answer::Choices(s.split_whitespace().map(str::to_owned).collect())
            }
            AnswerKind::Date => Answer::Date(
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| self.wrong(&format!("'{s}', not a date as YYYY-MM-DD")))?,
            ),
            AnswerKind::Integer
            | AnswerKind::Decimal
            | AnswerKind::Nothing
            | AnswerKind::Repeat => return Err(self.wrong("a string")),
        }))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        match self.kind().answer_kind() {
            AnswerKind::Integer => Ok(Some(Answer::Integer(n))),
            AnswerKind::Decimal | AnswerKind::Calculated => Ok(Some(Answer::Decimal(n as f64))),
            _ => Err(self.wrong("a number")),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        match i64::try_from(n) {
            Ok(n) => self.visit_i64(n),
            Err(_) => self.visit_f64(n as f64),
        }
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        match self.kind().answer_kind() {
            AnswerKind::Integer if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                Ok(Some(Answer::Integer(x as i64)))
            }
            AnswerKind::Decimal | AnswerKind::Calculated if x.is_finite() => {
                Ok(Some(Answer::Decimal(x)))
            }
            _ => Err(self.wrong("a number")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match self.kind().answer_kind() {
            AnswerKind::Choices => {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(v) = seq.next_element::<String>()? {
                    values.push(v);
                }
                Ok(Some(Answer::Choices(values)))
            }
            // Repeats are few: each repetition is read as a JSON object, then typed.
            AnswerKind::Repeat => {
                let mut reps = Vec::new();
                while let Some(object) =
                    seq.next_element::<serde_json::Map<String, serde_json::Value>>()?
                {
                    let mut rep = Vec::with_capacity(object.len());
                    for (id, value) in object {
                        let position = self
                            .survey
                            .question_position(&id)
                            .filter(|&p| self.survey.questions[p].repeat == Some(self.position))
                            .ok_or_else(|| {
                                self.wrong::<A::Error>(&format!(
                                    "a repetition with '{id}', not one of its questions"
                                ))
                            })?;
                        let answer = AnswerSeed {
                            survey: self.survey,
                            position,
                        }
                        .deserialize(value)
                        .map_err(de::Error::custom)?;
                        if let Some(answer) = answer {
                            rep.push((id, answer));
                        }
                    }
                    reps.push(rep);
                }
                Ok(Some(Answer::Repeat(reps)))
            }
            _ => Err(self.wrong("a list")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(self.wrong("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Survey {
        Survey::from_toml(
            include_str!("../../../tests/fixtures/small.toml"),
            "small.toml",
        )
        .unwrap()
    }

    #[test]
    fn decodes_what_answers_json_wrote() {
        let survey = small();
        let raw = serde_json::json!({
            "sex": "yes", "age": 42, "visited_clinic": "yes", "clinic_quality": "good",
            "wait_minutes": 12.5, "road_good": "no", "channels": ["radio", "board"],
            "comment": "Đường \"tốt\"\n", "last_visit": "2026-10-31",
        });
        let checked = survey
            .check_answers(raw.as_object().unwrap())
            .expect("valid answers");
        let interview = crate::Interview::bare(&survey, checked.clone());
        let stored = interview.answers_json(&survey).to_string();
        assert_eq!(survey.stored_answers(&stored).unwrap(), checked);
        // Whole numbers written as decimals, and an integer answer to a decimal question.
        let a = survey
            .stored_answers(r#"{"age": 42.0, "wait_minutes": 7, "sex": null}"#)
            .unwrap();
        assert_eq!(
            a[survey.question_position("age").unwrap()],
            Some(Answer::Integer(42))
        );
        assert_eq!(
            a[survey.question_position("wait_minutes").unwrap()],
            Some(Answer::Decimal(7.0))
        );
        assert_eq!(a[survey.question_position("sex").unwrap()], None);
    }

    #[test]
    fn a_row_changed_outside_papi_is_named() {
        let survey = small();
        for (json, says) in [
            (r#"{"nope": "1"}"#, "no question 'nope'"),
            (r#"{"age": "42"}"#, "question age is integer"),
            (r#"{"age": 4.5}"#, "question age is integer"),
            (r#"{"channels": {"a": 1}}"#, "an object"),
            (r#"{"comment": true}"#, "a boolean"),
            (r#"{"last_visit": "31/10/2026"}"#, "not a date"),
            (r#"["sex"]"#, "an object of answers"),
            (r#"{"sex": "yes"} x"#, "trailing"),
        ] {
            let e = survey.stored_answers(json).unwrap_err();
            assert!(e.contains(says), "{json}: {e}");
        }
    }
}
