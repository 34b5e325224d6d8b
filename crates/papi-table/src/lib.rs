//! Interviews as columnar tables, in the flat layout of SCORING.md §4: `id`, the location columns, the
//! weight, the enumerator, start and finish times, then one column per question.
//!
//! A [`Table`] holds typed columns: text (choice answers, places) as small integer codes into a
//! dictionary of distinct values, numbers as `f64`. The scoring engine reads CSV, Parquet or stored
//! interviews into the same table, so that every source gives the same numbers; the simulator and the
//! exports write Parquet through [`ParquetRows`]. This crate knows nothing of SQL or HTTP.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use papi_survey::{QuestionType, Survey};

mod column;
mod csv_in;
pub mod geo;
mod interviews;
mod layout;
mod parquet_in;
mod parquet_out;
mod parquet_table;
mod table;
#[cfg(test)]
mod tests;

pub use column::{Codes, Column, NumberColumn, TextBuilder, TextColumn, NO_VALUE};
pub use interviews::{table_from_interviews, TableBuilder};
pub use layout::{
    ExportLayout, Part, QuestionColumn, RepeatTable, Value, ACCURACY_SUFFIX, INTERVIEW_ID,
    REPETITION,
};
pub use parquet_out::ParquetRows;
pub use parquet_table::TableRows;
pub use table::Table;

/// Why a table could not be read or written.
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
    #[error("writing Parquet: {0}")]
    Write(String),
}

impl TableError {
    pub fn code(&self) -> &'static str {
        match self {
            TableError::Read { .. } => "table.unreadable",
            TableError::Column { .. } => "table.column",
            TableError::Build(_) => "table.build",
            TableError::Write(_) => "table.write",
        }
    }
}

/// The name of the weight column: the definition's, or `weight`.
pub fn weight_column(survey: &Survey) -> &str {
    survey.design.weight.as_deref().unwrap_or("weight")
}

/// The columns of the flat layout, in order.
pub fn columns(survey: &Survey) -> Vec<String> {
    let mut cols = meta_columns(survey);
    cols.extend(survey.questions.iter().map(|q| q.id.clone()));
    cols
}

/// The interview's own columns, before the questions': `id`, the places, the weight, the
/// enumerator, start and finish times.
pub fn meta_columns(survey: &Survey) -> Vec<String> {
    let mut cols = vec!["id".to_owned()];
    cols.extend(survey.design.location.iter().cloned());
    cols.push(weight_column(survey).to_owned());
    cols.extend(["enumerator", "started_at", "finished_at"].map(String::from));
    cols
}

/// What a column of the layout holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// Whole numbers (integer questions).
    Whole,
    /// Numbers (the weight, decimal and range questions).
    Number,
}

impl ColumnType {
    fn describe(self) -> &'static str {
        match self {
            ColumnType::Whole => "whole numbers",
            ColumnType::Number => "numbers",
            ColumnType::Text => "text",
        }
    }
}

/// The type of a question's column.
pub fn question_type(kind: QuestionType) -> ColumnType {
    match kind {
        QuestionType::Integer => ColumnType::Whole,
        QuestionType::Decimal | QuestionType::Range => ColumnType::Number,
        _ => ColumnType::Text,
    }
}

/// The type of a column in the flat layout; a column outside it is text.
pub fn column_type(survey: &Survey, name: &str) -> ColumnType {
    if name == weight_column(survey) {
        return ColumnType::Number;
    }
    match survey.question_position(name) {
        Some(q) if !survey.design.location.iter().any(|l| l == name) => {
            question_type(survey.questions[q].kind)
        }
        _ => ColumnType::Text,
    }
}

/// A timestamp as the flat layout writes it (RFC 3339, UTC, seconds).
pub fn time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Reads the columns `wanted` of a CSV or Parquet file (by its extension) into a table typed by the
/// flat layout: location and choice columns as text, numbers as numbers. A column that is missing or
/// a cell that cannot be read as its column's type is an error that names the column and the row.
pub fn read_file(path: &Path, survey: &Survey, wanted: &[String]) -> Result<Table, TableError> {
    let types: Vec<ColumnType> = wanted.iter().map(|c| column_type(survey, c)).collect();
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        parquet_in::read(path, wanted, &types)
    } else {
        csv_in::read(path, wanted, &types)
    }
}

fn missing(file: &str, column: &str) -> TableError {
    TableError::Column {
        file: file.to_owned(),
        column: column.to_owned(),
        message: "is missing".into(),
    }
}

/// A cell as a number: empty is no value (NaN); `whole` refuses a fraction.
fn parse_number(cell: &[u8], whole: bool) -> Option<f64> {
    let text = std::str::from_utf8(cell).ok()?.trim();
    if text.is_empty() {
        return Some(f64::NAN);
    }
    if whole {
        text.parse::<i64>().ok().map(|n| n as f64)
    } else {
        text.parse::<f64>().ok()
    }
}

/// The error of a cell that is not a number (`row` counts data rows from 1).
fn not_a_number(file: &str, column: &str, whole: bool, row: usize, cell: &str) -> TableError {
    let t = if whole {
        ColumnType::Whole
    } else {
        ColumnType::Number
    };
    TableError::Column {
        file: file.to_owned(),
        column: column.to_owned(),
        message: format!("must hold {}: row {row} has '{cell}'", t.describe()),
    }
}
