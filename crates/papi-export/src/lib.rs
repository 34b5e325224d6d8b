//! Analyst exports: the stored interviews of a survey version written as CSV, Parquet or XLSX, in
//! the flat layout that `papi score --responses` reads (SCORING.md §4: `id`, the location columns,
//! the weight, `enumerator`, `started_at`, `finished_at`, one column per question), with the
//! interview's `review_state` as a last column that scoring ignores. Export a database, score the
//! file, and the numbers are the database's, exactly.
//!
//! A repeat's answers are a long table of their own (`interview_id`, `repeat`, its questions; one row
//! per repetition), and the main table holds its number of repetitions: an XLSX file gets a sheet per
//! repeat, CSV and Parquet a file per repeat in a ZIP (`package`). Points, traces and shapes are
//! GeoJSON geometries, a point's accuracy a column of its own (`papi_table::ExportLayout`).
//!
//! Exports stream: interviews are read a keyset page at a time and each page is written out before
//! the next is held, so memory stays flat in the number of interviews. Reading (and decoding) runs on
//! the async runtime while a blocking thread writes, so the two overlap. The file is written under a
//! temporary name beside the output and renamed when complete: a failed export leaves nothing behind.
//!
//! Used by `papi export` and by the service's background export jobs. This crate knows nothing of
//! HTTP and writes no SQL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use papi_store::{place_key, Store, StoreError, StoredInterview, REVIEW_STATES};
use papi_survey::Survey;

mod cells;
mod csv_out;
mod package;
mod parquet_out;
mod xlsx_codebook;
mod xlsx_out;
mod xlsx_rows;
mod zip_package;

pub use package::{content_type, file_extension, is_package, needs_package, part_names};
pub use papi_table::{ExportLayout, INTERVIEW_ID, REPETITION};

/// Interviews read from the store at a time.
pub const PAGE: i64 = 1_000;

/// Pages read ahead of the writer.
const PAGES_AHEAD: usize = 2;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Parquet,
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Csv, Format::Parquet, Format::Xlsx];

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The format a file name's extension asks for (`.csv`, `.parquet`/`.pq`, `.xlsx`; `.zip`, a
    /// package of tables, is CSV unless told otherwise).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "pq" => Some(Format::Parquet),
            "zip" => Some(Format::Csv),
            e => Format::parse(e),
        }
    }

    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// The media type to serve the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// What to export, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    /// Start a CSV file with a UTF-8 byte-order mark, so that Excel reads Vietnamese correctly.
    pub bom: bool,
    /// Only interviews in these review states; empty: every state.
    pub review_states: Vec<String>,
}

/// Why an export failed; each has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("'{0}' is not a review state: use received, approved, has_issues or rejected")]
    ReviewState(String),
    #[error("a byte-order mark applies to CSV only, not to {0}")]
    BomNotCsv(&'static str),
    #[error("survey {id} version {version} is not in the database")]
    UnknownSurvey { id: String, version: String },
    #[error(
        "survey {id} version {version} is registered in the database with a different definition"
    )]
    DefinitionDiffers { id: String, version: String },
    #[error(
        "{rows} interviews do not fit in one Excel sheet (at most {max}); export CSV or Parquet"
    )]
    TooManyRows { rows: i64, max: i64 },
    #[error(
        "repeat '{repeat}' has more than {max} repetitions in all, more than one Excel sheet holds; export CSV or Parquet"
    )]
    TooManyRepetitions { repeat: String, max: i64 },
    #[error(
        "survey {survey} has repeats ({repeats}): one {format} file holds one table; name the output .zip to get the main table and one table per repeat in a ZIP"
    )]
    RepeatsNeedZip {
        survey: String,
        repeats: String,
        format: &'static str,
    },
    #[error("{path}: cannot write the export there: {message}")]
    Output { path: String, message: String },
    #[error("writing the {format} file: {message}")]
    Write {
        format: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the design weights cannot be computed from the registered sample: {0}")]
    Weights(String),
}

impl ExportError {
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::ReviewState(_) => "export.review_state",
            ExportError::BomNotCsv(_) => "export.bom",
            ExportError::UnknownSurvey { .. } => "export.unknown_survey",
            ExportError::DefinitionDiffers { .. } => "export.definition_differs",
            ExportError::TooManyRows { .. } => "export.too_many_rows",
            ExportError::TooManyRepetitions { .. } => "export.too_many_repetitions",
            ExportError::RepeatsNeedZip { .. } => "export.repeats_need_zip",
            ExportError::Output { .. } => "export.output",
            ExportError::Write { .. } => "export.write",
            ExportError::Store(e) => e.code(),
            ExportError::Weights(_) => "export.weights",
        }
    }

    fn write(format: Format, e: impl std::fmt::Display) -> ExportError {
        ExportError::Write {
            format: format.name(),
            message: e.to_string(),
        }
    }
}

/// Review states as given (repeats dropped, order kept), each checked.
pub fn review_states<S: AsRef<str>>(states: &[S]) -> Result<Vec<String>, ExportError> {
    let mut out: Vec<String> = Vec::new();
    for s in states {
        let s = s.as_ref().trim();
        if !REVIEW_STATES.contains(&s) {
            return Err(ExportError::ReviewState(s.to_owned()));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

/// Checks options that do not need the database.
pub fn check_options(options: &Options) -> Result<(), ExportError> {
    if options.bom && options.format != Format::Csv {
        return Err(ExportError::BomNotCsv(options.format.name()));
    }
    review_states(&options.review_states)?;
    Ok(())
}

/// The columns of an export's main table: the flat layout without the questions inside a repeat
/// (`papi_table::ExportLayout`), then `review_state`. A survey with no repeat and no geopoint has
/// exactly the flat layout.
pub fn columns(survey: &Survey) -> Vec<String> {
    let mut cols = ExportLayout::new(survey).main_columns(survey);
    cols.push(REVIEW_STATE.to_owned());
    cols
}

/// The name of the trailing metadata column.
pub const REVIEW_STATE: &str = "review_state";

/// Writes pages of interviews to a file of one format.
trait PageWriter {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError>;
    fn finish(self: Box<Self>) -> Result<(), ExportError>;
}

/// Exports the interviews of `survey` stored in `store` to `path`, and returns how many were written.
/// `progress` is called with the number written so far after each page (on the writer's thread).
/// The survey version must be registered in the database with this definition. On any error no file
/// is left at `path` (an existing file there is kept as it was).
///
/// `weights` (place key → design weight) are the weights papi computes from the registered sample
/// (papi-recompute's `export_weights`); every exported interview carries its village's, so that scoring
/// the export gives the database's numbers. `None`: the survey has no sample, and interviews keep the
/// weights they were stored with.
pub async fn export_to_file(
    store: &Store,
    survey: &Survey,
    options: &Options,
    weights: Option<HashMap<String, f64>>,
    path: &Path,
    progress: impl Fn(u64) + Send + 'static,
) -> Result<u64, ExportError> {
    check_options(options)?;
    let states = review_states(&options.review_states)?;
    let packaged = is_package(options.format, path);
    if needs_package(survey, options.format) && !packaged {
        return Err(ExportError::RepeatsNeedZip {
            survey: survey.id.clone(),
            repeats: ExportLayout::new(survey)
                .repeats
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            format: options.format.name(),
        });
    }
    match store.survey_definition(&survey.id, &survey.version).await? {
        None => {
            return Err(ExportError::UnknownSurvey {
                id: survey.id.clone(),
                version: survey.version.clone(),
            })
        }
        Some(toml) => {
            let same = Survey::from_toml(&toml, "registered").is_ok_and(|s| s.hash == survey.hash);
            if !same {
                return Err(ExportError::DefinitionDiffers {
                    id: survey.id.clone(),
                    version: survey.version.clone(),
                });
            }
        }
    }
    let total = store.count_for_export(survey, &states).await?;
    if options.format == Format::Xlsx && total > xlsx_out::MAX_ROWS {
        return Err(ExportError::TooManyRows {
            rows: total,
            max: xlsx_out::MAX_ROWS,
        });
    }
    let output_err = |e: &dyn std::fmt::Display| ExportError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(output_err(&"it is a directory"));
    }
    let temp = tempfile::Builder::new()
        .prefix(".papi-export-")
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(|e| output_err(&e))?;
    let file = temp.reopen().map_err(|e| output_err(&e))?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<StoredInterview>>(PAGES_AHEAD);
    let writer_survey = survey.clone();
    let writer_options = options.clone();
    let writer_states = states.clone();
    let writer_dir = dir.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<u64, ExportError> {
        let tables = package::Tables::new(&writer_dir, file, packaged)?;
        let mut w: Box<dyn PageWriter + '_> = match writer_options.format {
            Format::Csv => Box::new(csv_out::CsvPages::new(
                &writer_survey,
                tables,
                writer_options.bom,
            )?),
            Format::Parquet => Box::new(parquet_out::ParquetPages::new(&writer_survey, tables)?),
            Format::Xlsx => Box::new(xlsx_out::XlsxPages::new(
                &writer_survey,
                tables,
                &writer_states,
            )?),
        };
        let mut written = 0u64;
        while let Some(page) = rx.blocking_recv() {
            w.write_page(&page)?;
            written += page.len() as u64;
            progress(written);
        }
        w.finish()?;
        Ok(written)
    });

    let mut after = 0;
    let mut read_error = None;
    loop {
        let page = match store
            .interviews_page_in_states(survey, &states, after, PAGE)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        let Some(last) = page.last() else { break };
        after = last.seq;
        let mut page = page;
        if let Some(weights) = &weights {
            for s in &mut page {
                s.interview.weight = weights.get(&place_key(&s.interview.location)).copied();
            }
        }
        if tx.send(page).await.is_err() {
            break; // the writer stopped: its error says why
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| ExportError::write(options.format, e))?;
    if let Some(e) = read_error {
        return Err(e.into());
    }
    let written = written?;
    temp.persist(path).map_err(|e| output_err(&e.error))?;
    Ok(written)
}

/// A location column's name for people: (Vietnamese, English).
pub(crate) fn location_label(column: &str) -> (String, String) {
    let (vi, en) = match column {
        "province" => ("Tỉnh", "Province"),
        "district" => ("Huyện", "District"),
        "commune" => ("Xã", "Commune"),
        "village" => ("Thôn", "Village"),
        other => return (other.to_owned(), other.to_owned()),
    };
    (vi.to_owned(), en.to_owned())
}

/// A column of an export described for the codebook.
pub(crate) struct Described {
    pub id: String,
    pub vi: String,
    pub en: String,
    /// The question it comes from, and what of it.
    pub question: Option<(usize, papi_table::Part)>,
}

fn meta(id: &str, vi: &str, en: &str) -> Described {
    Described {
        id: id.to_owned(),
        vi: vi.to_owned(),
        en: en.to_owned(),
        question: None,
    }
}

fn question_columns(survey: &Survey, cols: &[papi_table::QuestionColumn]) -> Vec<Described> {
    cols.iter()
        .map(|c| {
            let q = &survey.questions[c.question];
            let (vi, en) = match c.part {
                papi_table::Part::Accuracy => (
                    format!("Độ chính xác (m): {}", q.label.get("vi")),
                    format!("Accuracy (m): {}", q.label.get("en")),
                ),
                _ => (q.label.get("vi").to_owned(), q.label.get("en").to_owned()),
            };
            Described {
                id: c.name.clone(),
                vi,
                en,
                question: Some((c.question, c.part)),
            }
        })
        .collect()
}

/// Every column of an export's main table with its labels and where it comes from.
pub(crate) fn column_labels(survey: &Survey) -> Vec<Described> {
    let mut out = vec![meta("id", "Mã phiếu", "Interview id")];
    for c in &survey.design.location {
        let (vi, en) = location_label(c);
        out.push(meta(c, &vi, &en));
    }
    out.push(meta(
        papi_table::weight_column(survey),
        "Trọng số",
        "Design weight",
    ));
    out.push(meta("enumerator", "Điều tra viên", "Enumerator"));
    out.push(meta("started_at", "Bắt đầu phỏng vấn", "Interview started"));
    out.push(meta(
        "finished_at",
        "Kết thúc phỏng vấn",
        "Interview finished",
    ));
    out.extend(question_columns(survey, &ExportLayout::new(survey).main));
    out.push(meta(REVIEW_STATE, "Trạng thái duyệt", "Review state"));
    out
}

/// Every column of a repeat's table with its labels.
pub(crate) fn repeat_labels(survey: &Survey, table: &papi_table::RepeatTable) -> Vec<Described> {
    let mut out = vec![
        meta(INTERVIEW_ID, "Mã phiếu", "Interview id"),
        meta(REPETITION, "Lần lặp", "Repetition"),
    ];
    out.extend(question_columns(survey, &table.columns));
    out
}
