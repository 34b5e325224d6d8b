//! `papi recompute`: scores the interviews stored in the database (those the survey's review setting
//! lets in), records the score runs and publishes them to the leadership dashboard.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use indicatif::ProgressBar;
use papi_survey::{ReferenceTable, Survey};

use super::{open_store, progress_bar};

#[derive(Args)]
pub struct RecomputeArgs {
    /// Database URL: `sqlite:FILE` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// The survey id (default: the only survey in the database).
    #[arg(long)]
    pub survey_id: Option<String>,
    /// The survey version (default: the latest registered version of the survey).
    #[arg(long)]
    pub version: Option<String>,
    /// The wave's year on the history chart (default: the year the latest interview was finished).
    #[arg(long)]
    pub wave_year: Option<i32>,
    /// The official PAPI table to compare with (default: the one built in, 2011-2024).
    #[arg(long)]
    pub reference: Option<std::path::PathBuf>,
    /// Who publishes (default: the login name).
    #[arg(long)]
    pub published_by: Option<String>,
}

struct Bar(ProgressBar);

impl papi_recompute::Progress for Bar {
    fn reading(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
    fn phase(&self, what: &str) {
        self.0.set_message(what.to_owned());
    }
}

pub fn run(args: RecomputeArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let table = match &args.reference {
        Some(p) => ReferenceTable::load(p)?,
        None => ReferenceTable::official(),
    };
    runtime.block_on(async {
        let store = open_store(&args.database).await?;
        let definitions = store.survey_definitions().await?;
        let candidates: Vec<_> = definitions
            .iter()
            .filter(|(id, version, _)| {
                args.survey_id.as_ref().is_none_or(|s| s == id)
                    && args.version.as_ref().is_none_or(|v| v == version)
            })
            .collect();
        let ids: std::collections::BTreeSet<&String> =
            candidates.iter().map(|(id, ..)| id).collect();
        let (id, version, toml) = match (ids.len(), candidates.last()) {
            (1, Some(last)) => *last,
            (0, _) => {
                return Err(anyhow!(
                    "--survey-id/--version: no such survey in the database (it has: {})",
                    definitions
                        .iter()
                        .map(|(i, v, _)| format!("{i} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            _ => {
                return Err(anyhow!(
                    "--survey-id: the database holds several surveys; say which"
                ))
            }
        };
        let survey =
            Survey::from_toml(toml, &format!("{id} {version}")).map_err(|e| anyhow!("{e}"))?;
        let bar = Bar(progress_bar(0, "reading"));
        let by = args
            .published_by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
        let published = papi_recompute::recompute_and_publish(
            &store,
            &survey,
            &table,
            args.wave_year,
            &by,
            &bar,
        )
        .await?;
        bar.0.finish_and_clear();
        store.close().await;
        let p = &published.publication;
        let total = published.overall.groups.first().map(|g| g.total);
        println!(
            "published {} for {} {} (wave {}): {} interviews, total {}",
            p.id,
            survey.id,
            survey.version,
            p.publication.wave_year,
            published.interviews,
            total
                .and_then(|t| t.estimate.map(|e| match (t.ci_low, t.ci_high) {
                    (Some(lo), Some(hi)) => format!("{e:.2} (95% interval {lo:.2} to {hi:.2})"),
                    _ => format!("{e:.2} (no interval: too few PSUs for a variance)"),
                }))
                .unwrap_or_else(|| "not estimable".into())
        );
        if published.left_out > 0 {
            println!(
                "left out {} interview(s) that could not be scored:",
                published.left_out
            );
            for l in p.publication.left_out.iter().take(20) {
                println!("  {} ({}): {}", l.id, l.code, l.reason);
            }
            if published.left_out > 20 {
                println!(
                    "  ... and {} more (see the fieldwork page)",
                    published.left_out - 20
                );
            }
        }
        println!(
            "score runs: overall {}{}",
            p.publication.overall_run,
            p.publication
                .strata_run
                .map(|r| format!(", by stratum {r}"))
                .unwrap_or_default()
        );
        Ok(ExitCode::SUCCESS)
    })
}
