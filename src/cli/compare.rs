//! `papi compare A B`: the change of every estimate from wave A to wave B, with its standard error,
//! interval and degrees of freedom. A and B are `papi score` JSON files or `run:ID` for a run recorded
//! in `--database` (papi-score's `compare`: independent samples), or both waves' interviews, CSV or
//! Parquet, scored here under `--survey` so that PSUs both waves share count with their covariance
//! (papi-score's `panel`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::Value;
use uuid::Uuid;

use super::score::{IntervalArg, VarianceArg};
use super::{load_survey, open_store, Paths};

#[derive(Clone, Copy, ValueEnum)]
pub enum CompareFormat {
    Json,
    Table,
}

#[derive(Args)]
pub struct CompareArgs {
    /// The earlier wave: a `papi score` JSON file, `run:ID` (a run recorded in --database), or its
    /// interviews (.csv or .parquet).
    pub a: String,
    /// The later wave, likewise.
    pub b: String,
    /// With interviews: the survey definition they are scored under, and the official table.
    #[command(flatten)]
    pub paths: Paths,
    /// With interviews: domain columns, one comparison per value.
    #[arg(long = "by")]
    pub by: Vec<String>,
    /// With interviews: t intervals (the design's degrees of freedom) or normal ones.
    #[arg(long, value_enum, default_value = "t")]
    pub interval: IntervalArg,
    /// With interviews: standard errors by linearization or the JKn jackknife.
    #[arg(long, value_enum, default_value = "linearization")]
    pub variance: VarianceArg,
    /// With interviews: every respondent counts alike.
    #[arg(long)]
    pub unweighted: bool,
    /// Where recorded runs are read from.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: CompareFormat,
}

fn load(
    which: &str,
    what: &str,
    database: Option<&str>,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Value> {
    if let Some(id) = what.strip_prefix("run:") {
        let id = Uuid::parse_str(id)
            .with_context(|| format!("{which} {what}: the run id is not a UUID"))?;
        let Some(url) = database else {
            bail!("{which} {what}: a recorded run is read from --database (or DATABASE_URL)");
        };
        let run = runtime.block_on(async {
            let store = open_store(url).await?;
            anyhow::Ok(store.score_run(id).await?)
        })?;
        let run =
            run.with_context(|| format!("{which} {what}: no such score run in the database"))?;
        return serde_json::from_str(&run.run.result)
            .with_context(|| format!("{which} {what}: the recorded result is not JSON"));
    }
    let path = PathBuf::from(what);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{which}: cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{which}: {} is not JSON", path.display()))
}

/// Whether a wave is given by its interviews (a CSV or Parquet file) rather than a report.
fn is_interviews(what: &str) -> bool {
    let lower = what.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".parquet")
}

/// Both waves scored here from their interviews, PSUs they share counted with their covariance.
fn compare_interviews(args: &CompareArgs) -> anyhow::Result<papi_score::compare::Comparison> {
    let survey = load_survey(&args.paths.survey)?;
    let options = papi_score::Options {
        by: args.by.clone(),
        interval: args.interval.into(),
        variance: args.variance.into(),
        unweighted: args.unweighted,
        ..papi_score::Options::default()
    };
    let columns = papi_score::needed_columns(&survey, &options);
    let read = |which: &str, what: &str| {
        papi_table::read_file(&PathBuf::from(what), &survey, &columns)
            .with_context(|| format!("{which}: reading the interviews {what}"))
    };
    let (a, b) = (read("A", &args.a)?, read("B", &args.b)?);
    Ok(papi_score::panel::compare_interviews(
        &survey, &a, &b, &options,
    )?)
}

pub fn run(args: CompareArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let comparison = match (is_interviews(&args.a), is_interviews(&args.b)) {
        (true, true) => compare_interviews(&args)?,
        (false, false) => {
            let a = load("A", &args.a, args.database.as_deref(), runtime)?;
            let b = load("B", &args.b, args.database.as_deref(), runtime)?;
            match papi_score::compare::compare(&a, &b) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("papi: {e} ({})", e.code());
                    return Ok(ExitCode::from(1));
                }
            }
        }
        _ => bail!(
            "A and B: give both waves as interviews (.csv or .parquet) or both as reports (JSON or run:ID), not one of each"
        ),
    };
    match args.format {
        CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&comparison)?),
        CompareFormat::Table => {
            let f = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"));
            println!(
                "{:<28} {:<30} {:>7} {:>7} {:>7} {:>6} {:>17} {:>6}  distinguishable from 0",
                "group", "estimate", "A", "B", "B − A", "SE", "95% interval", "df"
            );
            for g in &comparison.groups {
                let by = if g.by.as_object().is_some_and(|m| m.is_empty()) {
                    "all".to_owned()
                } else {
                    g.by.to_string()
                };
                let rows = std::iter::once(&g.total).chain(&g.dimensions);
                for c in rows {
                    println!(
                        "{:<28} {:<30} {:>7} {:>7} {:>7} {:>6} {:>17} {:>6}  {}",
                        by,
                        c.id,
                        f(c.a),
                        f(c.b),
                        f(c.change),
                        f(c.se),
                        format!("{} … {}", f(c.ci_low), f(c.ci_high)),
                        c.df.map_or_else(|| "—".to_owned(), |d| format!("{d:.1}")),
                        match c.distinguishable_from_zero {
                            Some(true) => "yes",
                            Some(false) => "no",
                            None => "—",
                        }
                    );
                }
            }
            println!("method: {}", comparison.method);
            if let Some(p) = comparison.psus {
                println!("PSUs: A {}, B {}, shared {}", p.a, p.b, p.shared);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
