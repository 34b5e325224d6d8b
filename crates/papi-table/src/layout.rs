//! The layout of an export: a main table, one row per interview, and a long table per repeat, one row
//! per repetition, as ODK Central and KoboToolbox give them.
//!
//! The main table is the flat layout ([`crate::columns`]) without the questions inside a repeat: a
//! repeat's column holds its number of repetitions (empty when the repeat was not asked), and each
//! repeat has its own table of `interview_id`, `repeat` (the repetition's position, from 1) and its
//! questions in definition order. A point, a trace or a shape is a GeoJSON geometry (RFC 7946:
//! longitude first), and a point's accuracy in metres, which GeoJSON has no place for, is a number
//! column `QUESTION_accuracy` right after it. A survey with no repeat and no geographic question
//! has exactly the flat layout. Scoring never reads a repeat (an indicator cannot be inside one), so
//! an export scores as the flat layout does.

use std::borrow::Cow;

use papi_survey::{Answer, QuestionType, Survey};

/// One repetition of a repeat: (question id, answer), unanswered left out.
type Repetition = [(String, Answer)];

use crate::geo;
use crate::{question_type, ColumnType};

/// The first columns of a repeat's table.
pub const INTERVIEW_ID: &str = "interview_id";
pub const REPETITION: &str = "repeat";

/// The suffix of a point's accuracy column.
pub const ACCURACY_SUFFIX: &str = "_accuracy";

/// What a question column of an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The answer (a geographic one as GeoJSON).
    Answer,
    /// A point's accuracy in metres.
    Accuracy,
    /// A repeat's number of repetitions.
    Repetitions,
}

/// One column of an export that comes from a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionColumn {
    pub name: String,
    /// The question's position in the definition.
    pub question: usize,
    pub part: Part,
    pub kind: ColumnType,
}

/// A cell's value, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Empty,
    Text(Cow<'a, str>),
    Whole(i64),
    Number(f64),
}

impl QuestionColumn {
    fn of(survey: &Survey, question: usize) -> Vec<QuestionColumn> {
        let q = &survey.questions[question];
        let mut cols = vec![QuestionColumn {
            name: q.id.clone(),
            question,
            part: if q.kind == QuestionType::Repeat {
                Part::Repetitions
            } else {
                Part::Answer
            },
            kind: if q.kind == QuestionType::Repeat {
                ColumnType::Whole
            } else {
                question_type(q.kind)
            },
        }];
        if q.kind == QuestionType::Geopoint {
            cols.push(QuestionColumn {
                name: format!("{}{ACCURACY_SUFFIX}", q.id),
                question,
                part: Part::Accuracy,
                kind: ColumnType::Number,
            });
        }
        cols
    }

    /// The cell of this column for `answer` (the answer to its question).
    pub fn value<'a>(&self, survey: &Survey, answer: Option<&'a Answer>) -> Value<'a> {
        let Some(answer) = answer else {
            return Value::Empty;
        };
        let kind = survey.questions[self.question].kind;
        match (self.part, answer) {
            (Part::Repetitions, Answer::Repeat(reps)) => Value::Whole(reps.len() as i64),
            (Part::Accuracy, Answer::Text(t)) => {
                geo::accuracy(t).map_or(Value::Empty, Value::Number)
            }
            (Part::Repetitions | Part::Accuracy, _) => Value::Empty,
            (Part::Answer, Answer::Text(t)) if geo::is_geographic(kind) => {
                geo::geojson(kind, t).map_or(Value::Empty, |g| Value::Text(Cow::Owned(g)))
            }
            (Part::Answer, Answer::Choice(t) | Answer::Text(t)) => Value::Text(Cow::Borrowed(t)),
            (Part::Answer, Answer::Integer(n)) => Value::Whole(*n),
            (Part::Answer, Answer::Decimal(x)) => Value::Number(*x),
            (Part::Answer, other) => Value::Text(Cow::Owned(other.to_cell())),
        }
    }

    /// The cell of this column in one repetition of its repeat.
    pub fn value_in<'a>(&self, survey: &Survey, repetition: &'a Repetition) -> Value<'a> {
        let id = &survey.questions[self.question].id;
        let answer = repetition.iter().find(|(q, _)| q == id).map(|(_, a)| a);
        self.value(survey, answer)
    }
}

/// A repeat's long table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatTable {
    /// The repeat question's position.
    pub question: usize,
    /// Its id, which names the table.
    pub name: String,
    /// The columns after `interview_id` and `repeat`.
    pub columns: Vec<QuestionColumn>,
}

impl RepeatTable {
    /// Every column's name: `interview_id`, `repeat`, then the repeat's questions.
    pub fn column_names(&self) -> Vec<String> {
        let mut names = vec![INTERVIEW_ID.to_owned(), REPETITION.to_owned()];
        names.extend(self.columns.iter().map(|c| c.name.clone()));
        names
    }

    /// The repetitions of this repeat in one interview's answers.
    pub fn repetitions<'a>(&self, answers: &'a [Option<Answer>]) -> &'a [Vec<(String, Answer)>] {
        match answers.get(self.question) {
            Some(Some(Answer::Repeat(reps))) => reps,
            _ => &[],
        }
    }
}

/// The tables of an export of one survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLayout {
    /// The question columns of the main table, after the interview's own columns.
    pub main: Vec<QuestionColumn>,
    /// One table per repeat, in definition order.
    pub repeats: Vec<RepeatTable>,
}

impl ExportLayout {
    pub fn new(survey: &Survey) -> ExportLayout {
        let mut main = Vec::new();
        let mut repeats: Vec<RepeatTable> = Vec::new();
        for (i, q) in survey.questions.iter().enumerate() {
            match q.repeat {
                None => main.extend(QuestionColumn::of(survey, i)),
                Some(r) => match repeats.iter_mut().find(|t| t.question == r) {
                    Some(t) => t.columns.extend(QuestionColumn::of(survey, i)),
                    None => repeats.push(RepeatTable {
                        question: r,
                        name: survey.questions[r].id.clone(),
                        columns: QuestionColumn::of(survey, i),
                    }),
                },
            }
            if q.kind == QuestionType::Repeat && !repeats.iter().any(|t| t.question == i) {
                repeats.push(RepeatTable {
                    question: i,
                    name: q.id.clone(),
                    columns: Vec::new(),
                });
            }
        }
        ExportLayout { main, repeats }
    }

    /// The main table's columns: the interview's own (`id`, places, weight, enumerator, times),
    /// then the question columns.
    pub fn main_columns(&self, survey: &Survey) -> Vec<String> {
        let mut cols = crate::meta_columns(survey);
        cols.extend(self.main.iter().map(|c| c.name.clone()));
        cols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFINITION: &str = r#"
[survey]
id = "layout"
version = "1"
title = { vi = "Thử", en = "Test" }
languages = ["vi", "en"]

[design]
location = ["district"]

[[questions]]
id = "members"
type = "integer"
label = { vi = "Số người", en = "People" }

[[questions]]
id = "member"
type = "repeat"
label = { vi = "Thành viên", en = "Member" }

[[questions]]
id = "age"
repeat = "member"
type = "integer"
label = { vi = "Tuổi", en = "Age" }

[[questions]]
id = "home"
repeat = "member"
type = "geopoint"
label = { vi = "Nhà", en = "Home" }

[[questions]]
id = "field"
type = "geopoint"
label = { vi = "Ruộng", en = "Field" }
"#;

    #[test]
    fn repeats_leave_the_main_table_for_their_own() {
        let survey = Survey::from_toml(DEFINITION, "layout.toml").unwrap();
        let layout = ExportLayout::new(&survey);
        assert_eq!(
            layout.main_columns(&survey),
            [
                "id",
                "district",
                "weight",
                "enumerator",
                "started_at",
                "finished_at",
                "members",
                "member",
                "field",
                "field_accuracy"
            ]
        );
        assert_eq!(layout.main[1].kind, ColumnType::Whole);
        assert_eq!(layout.repeats.len(), 1);
        assert_eq!(
            layout.repeats[0].column_names(),
            ["interview_id", "repeat", "age", "home", "home_accuracy"]
        );
        let reps = vec![
            vec![
                ("age".to_owned(), Answer::Integer(40)),
                ("home".to_owned(), Answer::Text("10.5 106.25 3 4.5".into())),
            ],
            vec![],
        ];
        let repeat = Answer::Repeat(reps.clone());
        assert_eq!(
            layout.main[1].value(&survey, Some(&repeat)),
            Value::Whole(2)
        );
        assert_eq!(layout.main[1].value(&survey, None), Value::Empty);
        let cols = &layout.repeats[0].columns;
        assert_eq!(cols[0].value_in(&survey, &reps[0]), Value::Whole(40));
        assert_eq!(
            cols[1].value_in(&survey, &reps[0]),
            Value::Text(r#"{"type":"Point","coordinates":[106.25,10.5,3]}"#.into())
        );
        assert_eq!(cols[2].value_in(&survey, &reps[0]), Value::Number(4.5));
        assert_eq!(cols[0].value_in(&survey, &reps[1]), Value::Empty);
    }
}
