//! `papi import`: interviews from JSON lines (the API's shape) into the database, all or nothing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use papi_survey::Submission;

use papi_store::{place_key, InsertOutcome, PlaceCheck};

use super::{load_survey, Paths};

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// JSON lines file, one interview per line.
    pub file: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
}

pub fn run(args: ImportArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = load_survey(&args.paths.survey)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    runtime.block_on(async {
        let store = super::open_store(&args.database).await?;
        store.register_survey(&survey).await?;
        let code = import(&args, &survey, &store, file).await;
        store.close().await;
        code
    })
}

async fn import(
    args: &ImportArgs,
    survey: &papi_survey::Survey,
    store: &papi_store::Store,
    file: std::fs::File,
) -> anyhow::Result<ExitCode> {
    // Check every line first, its place against the registered sample too: a file with any bad
    // interview stores nothing.
    let mut interviews = Vec::new();
    let mut bad = 0usize;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", args.file.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut result = serde_json::from_str::<Submission>(&line)
            .map_err(|e| vec![format!("invalid JSON: {e} (json.invalid)")])
            .and_then(|s| {
                survey
                    .check_submission(&s)
                    .map_err(|e| e.errors.iter().map(|e| e.to_string()).collect())
            });
        if let Ok(iv) = &result {
            let place = place_key(&iv.location);
            let refusal = match store
                .check_place(&survey.id, &survey.version, &place, None)
                .await?
            {
                PlaceCheck::NoSample => Some(format!(
                    "survey {} {} has no registered sample: register one with `papi sample register` first (location.no_sample)",
                    survey.id, survey.version
                )),
                PlaceCheck::NotInSample => Some(format!(
                    "{place} is not a village of the registered sample (location.not_in_sample)"
                )),
                PlaceCheck::NotAssigned | PlaceCheck::InSample => None,
            };
            if let Some(r) = refusal {
                result = Err(vec![r]);
            }
        }
        match result {
            Ok(iv) => interviews.push(iv),
            Err(errors) => {
                bad += 1;
                for e in errors {
                    eprintln!("{}:{}: {e}", args.file.display(), n + 1);
                }
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} invalid interview(s): nothing was imported");
        return Ok(ExitCode::from(1));
    }
    // One transaction for the whole file: a conflict anywhere stores nothing.
    let report = store.insert_interviews(survey, &interviews).await?;
    for (iv, outcome) in interviews.iter().zip(&report.outcomes) {
        if *outcome == InsertOutcome::Conflict {
            eprintln!(
                "interview {}: already stored with different content (interview.conflict)",
                iv.id
            );
        }
    }
    if !report.committed {
        eprintln!(
            "{} conflicting interview(s): nothing was imported",
            report.count(InsertOutcome::Conflict)
        );
        return Ok(ExitCode::from(1));
    }
    println!(
        "imported {} new interview(s), {} already stored",
        report.count(InsertOutcome::Created),
        report.count(InsertOutcome::Duplicate)
    );
    Ok(ExitCode::SUCCESS)
}
