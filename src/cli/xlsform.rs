//! `papi xlsform import`, `papi xlsform export` and `papi xlsform xform`: survey definitions to and
//! from the XLSForm workbooks that ODK and KoBoToolbox users edit, and the XForm ODK Collect reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use papi_survey::Survey;

use super::load_survey;

#[derive(Subcommand)]
pub enum XlsformCommand {
    /// Read an XLSForm workbook into a survey definition (TOML); nothing is written unless the
    /// whole workbook is valid.
    Import {
        /// The XLSForm workbook (.xlsx).
        workbook: PathBuf,
        /// Where to write the definition (default: the workbook's name with .toml).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print problems as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a survey definition as an XLSForm workbook, to open in Excel, edit and re-import.
    Export {
        /// The survey definition (TOML).
        definition: PathBuf,
        /// Where to write the workbook (default: the definition's name with .xlsx).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write the ODK XForm (XML) of a survey definition. Alone, its location is typed in; with
    /// --database, it is picked from cascading selects over every village of the registered sample,
    /// as the server serves it to an administrator's device (an enumerator's device gets its own
    /// villages).
    Xform {
        /// The survey definition (TOML).
        definition: PathBuf,
        /// Where to write the XForm (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The database whose registered sample of this survey version gives the places to pick
        /// (not read from DATABASE_URL: without this option the form stands alone).
        #[arg(long)]
        database: Option<String>,
    },
}

/// Writes `bytes` next to `path` and renames it into place, so a failed write leaves nothing behind.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("papi-partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Every village of the survey version's registered sample, its location in the survey's columns.
fn sample_places(url: &str, survey: &Survey) -> anyhow::Result<Vec<Vec<(String, String)>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = super::open_store(url).await?;
        let places = store.sample_places(&survey.id, &survey.version).await;
        store.close().await;
        Ok(places?
            .into_iter()
            .map(|p| {
                // PostgreSQL's JSONB gives a location's columns back in its own order.
                survey
                    .design
                    .location
                    .iter()
                    .filter_map(|col| p.location.iter().find(|(k, _)| k == col).cloned())
                    .collect()
            })
            .collect())
    })
}

pub fn run(cmd: XlsformCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        XlsformCommand::Import {
            workbook,
            output,
            json,
        } => match papi_xlsform::import_workbook(&workbook) {
            Ok(papi_xlsform::Imported {
                toml,
                survey,
                warnings,
            }) => {
                let output = output.unwrap_or_else(|| workbook.with_extension("toml"));
                write_whole(&output, toml.as_bytes())?;
                // What papi left out or changed is said, never dropped silently.
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "output": output.display().to_string(),
                            "survey": survey.id,
                            "version": survey.version,
                            "questions": survey.questions.len(),
                            "indicators": survey.indicators.len(),
                            "warnings": warnings,
                        })
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "{}: survey {} version {}: {} questions, {} indicators, {} dimensions{}",
                    output.display(),
                    survey.id,
                    survey.version,
                    survey.questions.len(),
                    survey.indicators.len(),
                    survey.dimensions.len(),
                    if warnings.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} warning(s) above)", warnings.len())
                    }
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if json {
                    println!("{}", serde_json::json!({ "problems": e.problems }));
                } else {
                    eprint!("{e}");
                }
                Ok(ExitCode::from(1))
            }
        },
        XlsformCommand::Export { definition, output } => {
            let survey = load_survey(&definition)?;
            let bytes = papi_xlsform::export_workbook(&survey)?;
            let output = output.unwrap_or_else(|| definition.with_extension("xlsx"));
            write_whole(&output, &bytes)?;
            println!(
                "{}: XLSForm of survey {} version {} ({} questions, {} indicators)",
                output.display(),
                survey.id,
                survey.version,
                survey.questions.len(),
                survey.indicators.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        XlsformCommand::Xform {
            definition,
            output,
            database,
        } => {
            let survey = load_survey(&definition)?;
            let xml = match database {
                Some(url) => {
                    let places = sample_places(&url, &survey)?;
                    if places.is_empty() {
                        eprintln!(
                            "survey {} {} has no registered sample in {url}: the form's place pickers are empty",
                            survey.id, survey.version
                        );
                    }
                    papi_xlsform::xform_with_places(&survey, &places)
                }
                None => papi_xlsform::xform(&survey),
            };
            match output {
                Some(path) => write_whole(&path, xml.as_bytes())?,
                None => print!("{xml}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
