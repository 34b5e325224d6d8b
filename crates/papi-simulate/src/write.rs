//! Writing interviews as CSV (SCORING.md §4 layout), Parquet or JSON lines (the API's shape).

use std::io::Write;

use chrono::SecondsFormat;
use papi_survey::{Answer, Interview, QuestionType, Survey};
use polars::prelude::*;

use crate::SimulateError;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    Jsonl,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The columns of a flat file: `id`, the location columns, the weight, the enumerator, the interview's
/// start and finish, then one column per question, named by its id.
pub fn columns(survey: &Survey) -> Vec<String> {
    let mut cols = vec!["id".to_owned()];
    cols.extend(survey.design.location.iter().cloned());
    cols.push(weight_column(survey).to_owned());
    cols.extend(["enumerator", "started_at", "finished_at"].map(String::from));
    cols.extend(survey.questions.iter().map(|q| q.id.clone()));
    cols
}

fn weight_column(survey: &Survey) -> &str {
    survey.design.weight.as_deref().unwrap_or("weight")
}

fn time(t: &Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Writes interviews to `out` in `format`; returns how many were written.
pub fn write(
    survey: &Survey,
    interviews: impl Iterator<Item = Interview>,
    format: Format,
    out: impl Write + Send,
    mut progress: impl FnMut(usize),
) -> Result<usize, SimulateError> {
    let err = |e: &dyn std::fmt::Display| SimulateError::Write {
        format: format.name(),
        message: e.to_string(),
    };
    let mut n = 0;
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(columns(survey)).map_err(|e| err(&e))?;
            let mut record: Vec<String> = Vec::new();
            for iv in interviews {
                record.clear();
                record.push(iv.id.to_string());
                record.extend(iv.location.iter().map(|(_, v)| v.clone()));
                record.push(iv.weight.map(|w| w.to_string()).unwrap_or_default());
                record.push(iv.enumerator.clone().unwrap_or_default());
                record.push(time(&iv.started_at).unwrap_or_default());
                record.push(time(&iv.finished_at).unwrap_or_default());
                record.extend(
                    iv.answers
                        .iter()
                        .map(|a| a.as_ref().map(Answer::to_cell).unwrap_or_default()),
                );
                w.write_record(&record).map_err(|e| err(&e))?;
                n += 1;
                progress(n);
            }
            w.flush().map_err(|e| err(&e))?;
        }
        Format::Jsonl => {
            let mut w = std::io::BufWriter::new(out);
            for iv in interviews {
                serde_json::to_writer(&mut w, &survey.to_submission(&iv)).map_err(|e| err(&e))?;
                w.write_all(b"\n").map_err(|e| err(&e))?;
                n += 1;
                progress(n);
            }
            w.flush().map_err(|e| err(&e))?;
        }
        Format::Parquet => {
            let mut batch = ParquetBatch::new(survey);
            let schema = batch.schema();
            let mut writer = ParquetWriter::new(out)
                .with_compression(ParquetCompression::Zstd(None))
                .batched(&schema)
                .map_err(|e| err(&e))?;
            for iv in interviews {
                batch.push(&iv);
                n += 1;
                if batch.len() == ParquetBatch::ROWS {
                    writer.write_batch(&batch.take()?).map_err(|e| err(&e))?;
                }
                progress(n);
            }
            if batch.len() > 0 || n == 0 {
                writer.write_batch(&batch.take()?).map_err(|e| err(&e))?;
            }
            writer.finish().map_err(|e| err(&e))?;
        }
    }
    Ok(n)
}

/// Column buffers for one Parquet row group. Memory stays flat in the number of interviews.
struct ParquetBatch<'a> {
    survey: &'a Survey,
    text: Vec<Vec<Option<String>>>,
    weight: Vec<Option<f64>>,
    answers: Vec<AnswerColumn>,
    rows: usize,
}

enum AnswerColumn {
    Text(Vec<Option<String>>),
    Integer(Vec<Option<i64>>),
    Decimal(Vec<Option<f64>>),
}

impl<'a> ParquetBatch<'a> {
    const ROWS: usize = 50_000;

    fn new(survey: &'a Survey) -> Self {
        let answers = survey
            .questions
            .iter()
            .map(|q| match q.kind {
                QuestionType::Integer => AnswerColumn::Integer(Vec::new()),
                QuestionType::Decimal => AnswerColumn::Decimal(Vec::new()),
                _ => AnswerColumn::Text(Vec::new()),
            })
            .collect();
        // id, location..., enumerator, started_at, finished_at
        let text = vec![Vec::new(); 4 + survey.design.location.len()];
        ParquetBatch {
            survey,
            text,
            weight: Vec::new(),
            answers,
            rows: 0,
        }
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn push(&mut self, iv: &Interview) {
        let loc = self.survey.design.location.len();
        self.text[0].push(Some(iv.id.to_string()));
        for (i, (_, v)) in iv.location.iter().enumerate() {
            self.text[1 + i].push(Some(v.clone()));
        }
        self.text[1 + loc].push(iv.enumerator.clone());
        self.text[2 + loc].push(time(&iv.started_at));
        self.text[3 + loc].push(time(&iv.finished_at));
        self.weight.push(iv.weight);
        for (col, a) in self.answers.iter_mut().zip(&iv.answers) {
            match col {
                AnswerColumn::Integer(v) => v.push(match a {
                    Some(Answer::Integer(n)) => Some(*n),
                    _ => None,
                }),
                AnswerColumn::Decimal(v) => v.push(match a {
                    Some(Answer::Decimal(x)) => Some(*x),
                    Some(Answer::Integer(n)) => Some(*n as f64),
                    _ => None,
                }),
                AnswerColumn::Text(v) => v.push(a.as_ref().map(Answer::to_cell)),
            }
        }
        self.rows += 1;
    }

    fn schema(&self) -> Schema {
        let s = self.survey;
        let mut fields = vec![Field::new("id".into(), DataType::String)];
        fields.extend(
            s.design
                .location
                .iter()
                .map(|c| Field::new(c.as_str().into(), DataType::String)),
        );
        fields.push(Field::new(weight_column(s).into(), DataType::Float64));
        for c in ["enumerator", "started_at", "finished_at"] {
            fields.push(Field::new(c.into(), DataType::String));
        }
        for q in &s.questions {
            let dtype = match q.kind {
                QuestionType::Integer => DataType::Int64,
                QuestionType::Decimal => DataType::Float64,
                _ => DataType::String,
            };
            fields.push(Field::new(q.id.as_str().into(), dtype));
        }
        Schema::from_iter(fields)
    }

    /// The buffered rows as a data frame, in the schema's column order; the buffers are emptied.
    fn take(&mut self) -> Result<DataFrame, SimulateError> {
        let s = self.survey;
        let loc = s.design.location.len();
        let names = columns(s);
        let mut text = std::mem::take(&mut self.text).into_iter();
        let mut cols: Vec<Column> = Vec::with_capacity(names.len());
        cols.push(Column::new(
            names[0].as_str().into(),
            text.next().expect("id column"),
        ));
        for name in &names[1..=loc] {
            cols.push(Column::new(
                name.as_str().into(),
                text.next().expect("location column"),
            ));
        }
        cols.push(Column::new(
            names[loc + 1].as_str().into(),
            std::mem::take(&mut self.weight),
        ));
        for name in &names[loc + 2..loc + 5] {
            cols.push(Column::new(
                name.as_str().into(),
                text.next().expect("metadata column"),
            ));
        }
        for (q, col) in s.questions.iter().zip(self.answers.iter_mut()) {
            let name = q.id.as_str().into();
            cols.push(match col {
                AnswerColumn::Text(v) => Column::new(name, std::mem::take(v)),
                AnswerColumn::Integer(v) => Column::new(name, std::mem::take(v)),
                AnswerColumn::Decimal(v) => Column::new(name, std::mem::take(v)),
            });
        }
        self.text = vec![Vec::new(); 4 + loc];
        let rows = std::mem::replace(&mut self.rows, 0);
        DataFrame::new(rows, cols).map_err(|e| SimulateError::Write {
            format: "parquet",
            message: e.to_string(),
        })
    }
}
