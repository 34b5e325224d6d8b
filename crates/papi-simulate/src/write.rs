//! Writing interviews as CSV (SCORING.md §4 layout), Parquet or JSON lines (the API's shape).

use std::io::Write;

use papi_survey::{Answer, Interview, Survey};
use papi_table::{columns, time, ParquetRows};

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

/// Interviews per Parquet row group: memory stays flat in the number of interviews.
const ROWS_PER_GROUP: usize = 50_000;

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
                // As a device sends it: no weight, which the server computes from its sample.
                let mut submission = survey.to_submission(&iv);
                submission.weight = None;
                serde_json::to_writer(&mut w, &submission).map_err(|e| err(&e))?;
                w.write_all(b"\n").map_err(|e| err(&e))?;
                n += 1;
                progress(n);
            }
            w.flush().map_err(|e| err(&e))?;
        }
        Format::Parquet => {
            let mut writer =
                ParquetRows::new(survey, out, &[], ROWS_PER_GROUP).map_err(|e| err(&e))?;
            for iv in interviews {
                writer.push(&iv, &[]).map_err(|e| err(&e))?;
                n += 1;
                progress(n);
            }
            writer.finish().map_err(|e| err(&e))?;
        }
    }
    Ok(n)
}
