//! Interviews into a table of the flat layout (stored interviews for scoring, a simulated population).

use papi_survey::{Answer, Interview, QuestionType, Survey};

use crate::column::{Column, NumberColumn, TextBuilder};
use crate::table::Table;
use crate::{columns, time, weight_column, TableError};

/// Column buffers that turn interviews into a [`Table`] of the flat layout.
pub struct TableBuilder<'a> {
    survey: &'a Survey,
    /// id, location..., enumerator, started_at, finished_at
    text: Vec<TextBuilder>,
    weight: Vec<f64>,
    answers: Vec<AnswerColumn>,
    rows: usize,
}

enum AnswerColumn {
    Text(TextBuilder),
    Number(Vec<f64>, bool),
}

impl<'a> TableBuilder<'a> {
    pub fn new(survey: &'a Survey) -> Self {
        TableBuilder::with_capacity(survey, 0)
    }

    /// A builder with room for `rows` interviews.
    pub fn with_capacity(survey: &'a Survey, rows: usize) -> Self {
        let answers = survey
            .questions
            .iter()
            .map(|q| match q.kind {
                QuestionType::Integer => AnswerColumn::Number(Vec::with_capacity(rows), true),
                QuestionType::Decimal | QuestionType::Range => {
                    AnswerColumn::Number(Vec::with_capacity(rows), false)
                }
                _ => AnswerColumn::Text(TextBuilder::with_capacity(rows)),
            })
            .collect();
        let text = (0..survey.design.location.len() + 4)
            .map(|_| TextBuilder::with_capacity(rows))
            .collect();
        TableBuilder {
            survey,
            text,
            weight: Vec::with_capacity(rows),
            answers,
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn push(&mut self, iv: &Interview) {
        let loc = self.survey.design.location.len();
        self.text[0].push(Some(&iv.id.to_string()));
        for (i, col) in self.survey.design.location.iter().enumerate() {
            self.text[1 + i].push(iv.location_value(col));
        }
        self.text[1 + loc].push(iv.enumerator.as_deref());
        self.text[2 + loc].push(time(&iv.started_at).as_deref());
        self.text[3 + loc].push(time(&iv.finished_at).as_deref());
        self.weight.push(iv.weight.unwrap_or(f64::NAN));
        for (col, a) in self.answers.iter_mut().zip(&iv.answers) {
            match col {
                AnswerColumn::Number(v, _) => v.push(match a {
                    Some(Answer::Integer(n)) => *n as f64,
                    Some(Answer::Decimal(x)) => *x,
                    _ => f64::NAN,
                }),
                AnswerColumn::Text(v) => match a {
                    Some(Answer::Choice(c)) | Some(Answer::Text(c)) => v.push(Some(c)),
                    Some(other) => v.push(Some(&other.to_cell())),
                    None => v.push(None),
                },
            }
        }
        self.rows += 1;
    }

    /// Replaces the weights of the buffered rows, in row order: the design weights computed from the
    /// registered sample, known only once every row's village has been counted.
    pub fn set_weights(&mut self, weights: Vec<Option<f64>>) {
        assert_eq!(weights.len(), self.rows, "one weight per buffered row");
        self.weight.clear();
        self.weight
            .extend(weights.into_iter().map(|w| w.unwrap_or(f64::NAN)));
    }

    /// The buffered rows as a table in the layout's column order.
    pub fn finish(self) -> Result<Table, TableError> {
        let s = self.survey;
        let loc = s.design.location.len();
        let names = columns(s);
        let mut table = Table::new(self.rows);
        let mut text = self.text.into_iter();
        let mut name = names.iter();
        let mut add = |table: &mut Table, column: Column| {
            table.with_column(name.next().expect("a name per column"), column)
        };
        for _ in 0..=loc {
            add(
                &mut table,
                Column::Text(text.next().expect("text").finish()),
            )?;
        }
        debug_assert_eq!(names[loc + 1], weight_column(s));
        add(
            &mut table,
            Column::Number(NumberColumn {
                values: self.weight,
                whole: false,
            }),
        )?;
        for _ in 0..3 {
            add(
                &mut table,
                Column::Text(text.next().expect("text").finish()),
            )?;
        }
        for col in self.answers {
            add(
                &mut table,
                match col {
                    AnswerColumn::Text(b) => Column::Text(b.finish()),
                    AnswerColumn::Number(values, whole) => {
                        Column::Number(NumberColumn { values, whole })
                    }
                },
            )?;
        }
        Ok(table)
    }
}

/// All interviews in one table.
pub fn table_from_interviews<'a>(
    survey: &Survey,
    interviews: impl IntoIterator<Item = &'a Interview>,
) -> Result<Table, TableError> {
    let interviews = interviews.into_iter();
    let mut b = TableBuilder::with_capacity(survey, interviews.size_hint().0);
    for iv in interviews {
        b.push(iv);
    }
    b.finish()
}
