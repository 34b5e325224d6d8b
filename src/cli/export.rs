//! `papi export`: the stored interviews of a survey version as CSV, Parquet or XLSX, in the flat
//! layout that `papi score --responses` reads, streamed a page at a time; a survey's repeats as long
//! tables (XLSX sheets, or CSV/Parquet files in a ZIP).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use papi_export::{ExportError, Format, Options};

use super::{load_survey, open_store, progress_bar};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Parquet,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum ReviewState {
    Received,
    Approved,
    HasIssues,
    Rejected,
}

impl ReviewState {
    fn name(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::Approved => "approved",
            ReviewState::HasIssues => "has_issues",
            ReviewState::Rejected => "rejected",
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// The survey definition (TOML) of the version to export; it must be registered in the database.
    #[arg(long, default_value = "survey-defs/papi-2019.toml")]
    pub survey: PathBuf,
    /// Database URL: `sqlite:FILE` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// The file to write (replaced only once the export is complete). A survey with repeats has a
    /// table per repeat besides the main one: XLSX puts each on a sheet; CSV and Parquet need a
    /// `.zip` name (data.csv and REPEAT.csv inside; refused otherwise). A `.zip` is CSV unless
    /// --format parquet.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// csv, parquet or xlsx (default: from the extension of --output; .zip is csv).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Start the CSV file with a UTF-8 byte-order mark, so that Excel shows Vietnamese correctly.
    #[arg(long)]
    pub bom: bool,
    /// Only interviews in this review state (repeat for several; default: every state).
    #[arg(long = "review-state", value_enum)]
    pub review_state: Vec<ReviewState>,
}

pub fn run(args: ExportArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Some(ExportFormat::Csv) => Format::Csv,
        Some(ExportFormat::Parquet) => Format::Parquet,
        Some(ExportFormat::Xlsx) => Format::Xlsx,
        None => Format::from_path(&args.output).ok_or_else(|| {
            anyhow!(
                "--format: cannot tell the format from the name of --output {} (use .csv, .parquet, .xlsx or .zip, or give --format csv|parquet|xlsx)",
                args.output.display()
            )
        })?,
    };
    let options = Options {
        format,
        bom: args.bom,
        review_states: args
            .review_state
            .iter()
            .map(|s| s.name().to_owned())
            .collect(),
    };
    if let Err(e) = papi_export::check_options(&options) {
        bail!("{}", explain(&e, &args));
    }
    let survey = load_survey(&args.survey)?;
    let started = std::time::Instant::now();
    let written = runtime.block_on(async {
        let store = open_store(&args.database).await?;
        let total = store
            .count_for_export(
                &survey,
                &papi_export::review_states(&options.review_states)?,
            )
            .await?;
        let bar = progress_bar(total as u64, &format!("exporting {}", format.name()));
        let b = bar.clone();
        let result = match papi_recompute::design::export_weights(&store, &survey).await {
            Ok(weights) => {
                papi_export::export_to_file(
                    &store,
                    &survey,
                    &options,
                    weights,
                    &args.output,
                    move |n| b.set_position(n),
                )
                .await
            }
            Err(e) => Err(papi_export::ExportError::Weights(e.to_string())),
        };
        bar.finish_and_clear();
        store.close().await;
        result.map_err(|e| anyhow!("{}", explain(&e, &args)))
    })?;
    eprintln!(
        "exported {written} interviews of {} {} to {} ({}) in {:.1} s",
        survey.id,
        survey.version,
        args.output.display(),
        format.name(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// An export error with the option it concerns.
fn explain(e: &ExportError, args: &ExportArgs) -> String {
    let option = match e {
        ExportError::ReviewState(_) => "--review-state",
        ExportError::BomNotCsv(_) => "--bom",
        ExportError::UnknownSurvey { .. } | ExportError::DefinitionDiffers { .. } => "--survey",
        ExportError::TooManyRows { .. } | ExportError::TooManyRepetitions { .. } => "--format",
        ExportError::Output { .. }
        | ExportError::Write { .. }
        | ExportError::RepeatsNeedZip { .. } => "--output",
        ExportError::Store(_) | ExportError::Weights(_) => "--database",
    };
    let hint = match e {
        ExportError::UnknownSurvey { .. } => format!(
            " (definition {}; register it by serving or importing with it)",
            args.survey.display()
        ),
        _ => String::new(),
    };
    format!("{option}: {e}{hint} [{}]", e.code())
}
