//! Interviews as columnar tables (polars data frames), in the flat layout of SCORING.md §4: `id`, the
//! location columns, the weight, the enumerator, start and finish times, then one column per question.
//!
//! The simulator writes Parquet through [`FrameBuilder`], the scoring engine reads CSV, Parquet or
//! stored interviews into the same frame, so that every source gives the same numbers. This crate
//! knows nothing of SQL or HTTP.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use papi_survey::{Answer, Interview, QuestionType, Survey};
use polars::prelude::*;

/// Why a table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: {message}")]
    Read { file: String, message: String },
    #[error("{file}: column '{column}' {message}")]
    Column {
        file: String,
        column: String,
        message: String,
    },
    #[error("building the table: {0}")]
    Build(String),
}

impl TableError {
    pub fn code(&self) -> &'static str {
        match self {
            TableError::Read { .. } => "table.unreadable",
            TableError::Column { .. } => "table.column",
            TableError::Build(_) => "table.build",
        }
    }
}

/// The name of the weight column: the definition's, or `weight`.
pub fn weight_column(survey: &Survey) -> &str {
    survey.design.weight.as_deref().unwrap_or("weight")
}

/// The columns of the flat layout, in order.
pub fn columns(survey: &Survey) -> Vec<String> {
    let mut cols = vec!["id".to_owned()];
    cols.extend(survey.design.location.iter().cloned());
    cols.push(weight_column(survey).to_owned());
    cols.extend(["enumerator", "started_at", "finished_at"].map(String::from));
    cols.extend(survey.questions.iter().map(|q| q.id.clone()));
    cols
}

/// The type of a question's column.
pub fn question_dtype(kind: QuestionType) -> DataType {
    match kind {
        QuestionType::Integer => DataType::Int64,
        QuestionType::Decimal | QuestionType::Range => DataType::Float64,
        _ => DataType::String,
    }
}

/// The typed schema of the flat layout.
pub fn schema(survey: &Survey) -> Schema {
    let mut fields = vec![Field::new("id".into(), DataType::String)];
    fields.extend(
        survey
            .design
            .location
            .iter()
            .map(|c| Field::new(c.as_str().into(), DataType::String)),
    );
    fields.push(Field::new(weight_column(survey).into(), DataType::Float64));
    for c in ["enumerator", "started_at", "finished_at"] {
        fields.push(Field::new(c.into(), DataType::String));
    }
    for q in &survey.questions {
        fields.push(Field::new(q.id.as_str().into(), question_dtype(q.kind)));
    }
    Schema::from_iter(fields)
}

/// A timestamp as the flat layout writes it (RFC 3339, UTC, seconds).
pub fn time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Column buffers that turn interviews into data frames, a batch at a time.
pub struct FrameBuilder<'a> {
    survey: &'a Survey,
    /// id, location..., enumerator, started_at, finished_at
    text: Vec<StringChunkedBuilder>,
    weight: Vec<Option<f64>>,
    answers: Vec<AnswerColumn>,
    rows: usize,
}

enum AnswerColumn {
    Text(StringChunkedBuilder),
    Integer(Vec<Option<i64>>),
    Decimal(Vec<Option<f64>>),
}

impl<'a> FrameBuilder<'a> {
    pub fn new(survey: &'a Survey) -> Self {
        let answers = survey
            .questions
            .iter()
            .map(|q| match q.kind {
                QuestionType::Integer => AnswerColumn::Integer(Vec::new()),
                QuestionType::Decimal | QuestionType::Range => AnswerColumn::Decimal(Vec::new()),
                _ => AnswerColumn::Text(text_builder(&q.id)),
            })
            .collect();
        let text = text_builders(survey);
        FrameBuilder {
            survey,
            text,
            weight: Vec::new(),
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
        self.text[0].append_value(iv.id.to_string());
        for (i, col) in self.survey.design.location.iter().enumerate() {
            self.text[1 + i].append_option(iv.location_value(col));
        }
        self.text[1 + loc].append_option(iv.enumerator.as_deref());
        self.text[2 + loc].append_option(time(&iv.started_at));
        self.text[3 + loc].append_option(time(&iv.finished_at));
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
                AnswerColumn::Text(v) => match a {
                    Some(Answer::Choice(c)) | Some(Answer::Text(c)) => v.append_value(c),
                    Some(other) => v.append_value(other.to_cell()),
                    None => v.append_null(),
                },
            }
        }
        self.rows += 1;
    }

    /// Replaces the weights of the buffered rows, in row order: the design weights computed from the
    /// registered sample, known only once every row's village has been counted.
    pub fn set_weights(&mut self, weights: Vec<Option<f64>>) {
        assert_eq!(weights.len(), self.rows, "one weight per buffered row");
        self.weight = weights;
    }

    /// The buffered rows as a data frame in the schema's column order; the buffers are emptied.
    pub fn take(&mut self) -> Result<DataFrame, TableError> {
        let s = self.survey;
        let loc = s.design.location.len();
        let mut text = std::mem::replace(&mut self.text, text_builders(s)).into_iter();
        let mut next_text = || text.next().expect("a text column").finish().into_column();
        let mut cols: Vec<Column> = Vec::with_capacity(5 + loc + s.questions.len());
        for _ in 0..=loc {
            cols.push(next_text()); // id, then the location columns
        }
        cols.push(Column::new(
            weight_column(s).into(),
            std::mem::take(&mut self.weight),
        ));
        for _ in 0..3 {
            cols.push(next_text()); // enumerator, started_at, finished_at
        }
        for (q, col) in s.questions.iter().zip(self.answers.iter_mut()) {
            let name = q.id.as_str().into();
            cols.push(match col {
                AnswerColumn::Text(v) => std::mem::replace(v, text_builder(&q.id))
                    .finish()
                    .into_column(),
                AnswerColumn::Integer(v) => Column::new(name, std::mem::take(v)),
                AnswerColumn::Decimal(v) => Column::new(name, std::mem::take(v)),
            });
        }
        let rows = std::mem::replace(&mut self.rows, 0);
        DataFrame::new(rows, cols).map_err(|e| TableError::Build(e.to_string()))
    }
}

fn text_builder(name: &str) -> StringChunkedBuilder {
    StringChunkedBuilder::new(name.into(), 0)
}

fn text_builders(survey: &Survey) -> Vec<StringChunkedBuilder> {
    let mut names = vec!["id".to_owned()];
    names.extend(survey.design.location.iter().cloned());
    names.extend(["enumerator", "started_at", "finished_at"].map(String::from));
    names.iter().map(|n| text_builder(n)).collect()
}

/// All interviews in one frame.
pub fn frame_from_interviews<'a>(
    survey: &Survey,
    interviews: impl IntoIterator<Item = &'a Interview>,
) -> Result<DataFrame, TableError> {
    let mut b = FrameBuilder::new(survey);
    for iv in interviews {
        b.push(iv);
    }
    b.take()
}

/// Reads the columns `wanted` of a CSV or Parquet file (by its extension) into a frame typed by the
/// flat layout: location and choice columns as text, numbers as numbers. A column that is missing or
/// cannot be read as its type is an error that names it.
pub fn read_file(path: &Path, survey: &Survey, wanted: &[String]) -> Result<DataFrame, TableError> {
    let file = path.display().to_string();
    let full = schema(survey);
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let read_err = |e: PolarsError| TableError::Read {
        file: file.clone(),
        message: e.to_string(),
    };
    let df = if is_parquet {
        let f = std::fs::File::open(path).map_err(|e| TableError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let mut reader = ParquetReader::new(f);
        let present = reader.schema().map_err(read_err)?;
        for c in wanted {
            if !present.contains(c.as_str()) {
                return Err(missing(&file, c));
            }
        }
        reader
            .with_columns(Some(wanted.to_vec()))
            .finish()
            .map_err(read_err)?
    } else {
        read_csv_text(path, wanted).map_err(|message| TableError::Read {
            file: file.clone(),
            message,
        })?
    };
    // Cast each column to its type in the layout (columns outside the layout stay text).
    let mut cols = Vec::with_capacity(wanted.len());
    for name in wanted {
        let col = df.column(name).map_err(read_err)?;
        let target = full.get(name.as_str()).cloned().unwrap_or(DataType::String);
        let cast = match (&target, col.dtype()) {
            (t, d) if t == d => col.clone(),
            (DataType::String, _) => col.cast(&DataType::String).map_err(read_err)?,
            (t, DataType::String) => {
                // Strict: a cell that is not a number fails, and says which.
                let trimmed = col
                    .str()
                    .map_err(read_err)?
                    .apply_values(|s| s.trim().to_owned().into());
                let strict = trimmed.into_series().strict_cast(t);
                match strict {
                    Ok(s) => s.into_column(),
                    Err(_) => {
                        let bad = first_unparsable(col, t);
                        return Err(TableError::Column {
                            file,
                            column: name.clone(),
                            message: format!("must hold {}: {bad}", describe(t)),
                        });
                    }
                }
            }
            (t, _) => col.strict_cast(t).map_err(|_| TableError::Column {
                file: file.clone(),
                column: name.clone(),
                message: format!("is {} but must hold {}", col.dtype(), describe(t)),
            })?,
        };
        cols.push(cast);
    }
    DataFrame::new(df.height(), cols).map_err(|e| TableError::Build(e.to_string()))
}

fn missing(file: &str, column: &str) -> TableError {
    TableError::Column {
        file: file.to_owned(),
        column: column.to_owned(),
        message: "is missing".into(),
    }
}

fn describe(t: &DataType) -> &'static str {
    match t {
        DataType::Int64 => "whole numbers",
        DataType::Float64 => "numbers",
        _ => "text",
    }
}

fn first_unparsable(col: &Column, t: &DataType) -> String {
    let Ok(ca) = col.str() else {
        return "a value of another type".into();
    };
    for (row, v) in ca.iter().enumerate() {
        let Some(v) = v else { continue };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let ok = match t {
            DataType::Int64 => v.parse::<i64>().is_ok(),
            _ => v.parse::<f64>().is_ok(),
        };
        if !ok {
            return format!("row {} has '{v}'", row + 2);
        }
    }
    "a value cannot be read".into()
}

/// Reads the `wanted` columns of a CSV file as text (an empty cell is null). Every column is read as
/// text first, so that a bad cell is reported against its column.
fn read_csv_text(path: &Path, wanted: &[String]) -> Result<DataFrame, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| e.to_string())?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let mut positions = Vec::with_capacity(wanted.len());
    for c in wanted {
        match header.iter().position(|h| h == c) {
            Some(i) => positions.push(i),
            None => return Err(format!("column '{c}' is missing")),
        }
    }
    let mut columns: Vec<StringChunkedBuilder> = wanted.iter().map(|c| text_builder(c)).collect();
    let mut record = csv::StringRecord::new();
    let mut height = 0;
    while reader.read_record(&mut record).map_err(|e| e.to_string())? {
        for (col, &i) in columns.iter_mut().zip(&positions) {
            match record.get(i).unwrap_or("") {
                "" => col.append_null(),
                cell => col.append_value(cell),
            }
        }
        height += 1;
    }
    let cols = columns
        .into_iter()
        .map(|b| b.finish().into_column())
        .collect();
    DataFrame::new(height, cols).map_err(|e| e.to_string())
}
