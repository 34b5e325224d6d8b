//! `papi score`: PAPI scores of a file of interviews or of the database, as JSON, a table or CSV.
//! A score of the database is recorded as an immutable score run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use papi_score::{Margins, Options};
use papi_store::NewScoreRun;
use papi_survey::ReferenceTable;
use sha2::{Digest, Sha256};

use super::{load_survey, open_store, progress_bar, Paths};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScoreFormat {
    Json,
    Table,
    Csv,
}

#[derive(Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// Interviews in the flat layout: CSV or Parquet (by extension).
    #[arg(
        long,
        conflicts_with = "database",
        required_unless_present = "database"
    )]
    pub responses: Option<PathBuf>,
    /// Score the interviews stored in this database (and record the run).
    #[arg(long)]
    pub database: Option<String>,
    /// Domain columns: one group per value (repeat for a cross-classification).
    #[arg(long = "by")]
    pub by: Vec<String>,
    /// Population margins to rake the weights to (TOML).
    #[arg(long)]
    pub margins: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: ScoreFormat,
    /// Year of the official table for the performance group (default: the latest year in it).
    #[arg(long)]
    pub year: Option<i32>,
    /// Fewest respondents behind an indicator estimate in a group; fewer gives null.
    #[arg(long, default_value_t = 1)]
    pub min_respondents: u64,
    /// Language of names in the table (vi or en).
    #[arg(long, default_value = "vi")]
    pub lang: String,
    /// Also write the analysis weights (raked, with --margins) to this CSV file: id, weight.
    #[arg(long)]
    pub weights_out: Option<PathBuf>,
    /// Who records a run of the database (default: the login name).
    #[arg(long)]
    pub recorded_by: Option<String>,
}

pub fn run(args: ScoreArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = load_survey(&args.paths.survey)?;
    let table = ReferenceTable::load(&args.paths.reference)?;
    let year = match args.year {
        Some(y) => {
            if table.year(y).all(|r| r.total.is_none()) {
                bail!("--year {y}: the official table has no complete totals for that year");
            }
            if !table
                .year(y)
                .any(|r| r.total.is_some() && r.dimensions.iter().all(Option::is_some))
            {
                bail!("--year {y}: that year's official totals have six dimensions (D7 and D8 came in 2018); an eight-dimension total compares from 2018 on");
            }
            y
        }
        None => table
            .rows
            .iter()
            .filter(|r| r.total.is_some())
            .map(|r| r.year)
            .max()
            .ok_or_else(|| anyhow!("the official table is empty"))?,
    };
    let margins = args.margins.as_deref().map(Margins::load).transpose()?;
    let options = Options {
        by: args.by.clone(),
        margins,
        min_respondents: args.min_respondents,
        reference: Some((table, year)),
    };
    let mut columns = papi_score::needed_columns(&survey, &options);
    if args.weights_out.is_some() {
        columns.insert(0, "id".to_owned());
    }

    let bar = progress_bar(3, "scoring");
    let started = std::time::Instant::now();
    let (frame, from_db) = match (&args.responses, &args.database) {
        (Some(path), _) => {
            bar.set_message(format!("reading {}", path.display()));
            (papi_table::read_file(path, &survey, &columns)?, None)
        }
        (None, Some(url)) => {
            bar.set_message("reading the database");
            let (frame, data_hash, count, store) = runtime.block_on(async {
                let store = open_store(url).await?;
                let mut interviews = Vec::new();
                let mut after = 0;
                loop {
                    let page = store.interviews_page(&survey, after, 10_000).await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    interviews.extend(page);
                }
                // The interview set's identity: ids and content hashes, in id order.
                let mut keys: Vec<(String, &str)> = interviews
                    .iter()
                    .map(|s| (s.interview.id.to_string(), s.content_hash.as_str()))
                    .collect();
                keys.sort();
                let mut h = Sha256::new();
                for (id, content) in &keys {
                    h.update(id.as_bytes());
                    h.update(b":");
                    h.update(content.as_bytes());
                    h.update(b"\n");
                }
                let frame = papi_table::frame_from_interviews(
                    &survey,
                    interviews.iter().map(|s| &s.interview),
                )?;
                anyhow::Ok((frame, hex::encode(h.finalize()), interviews.len(), store))
            })?;
            (frame, Some((data_hash, count, store)))
        }
        (None, None) => bail!("give --responses FILE or --database URL"),
    };
    if frame.height() == 0 {
        bail!("there are no interviews to score");
    }
    bar.inc(1);
    tracing::debug!(
        rows = frame.height(),
        seconds = started.elapsed().as_secs_f64(),
        "interviews read"
    );
    bar.set_message("estimating");
    let estimating = std::time::Instant::now();
    let report = papi_score::score(&survey, &frame, &options)?;
    tracing::debug!(
        seconds = estimating.elapsed().as_secs_f64(),
        "estimates computed"
    );
    bar.inc(1);
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.weights_out {
        let weights = papi_score::analysis_weights(&survey, &frame, &options)?;
        let ids = frame
            .column("id")?
            .cast(&polars::prelude::DataType::String)?;
        let ids = ids.str()?;
        let mut w = csv::Writer::from_path(path)?;
        w.write_record(["id", "weight"])?;
        for (id, weight) in ids.iter().zip(&weights) {
            w.write_record([id.unwrap_or(""), &weight.to_string()])?;
        }
        w.flush()?;
    }
    if let Some((data_hash, count, store)) = from_db {
        bar.set_message("recording the score run");
        let recorded_by = args
            .recorded_by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
        let run = NewScoreRun {
            survey_id: survey.id.clone(),
            survey_version: survey.version.clone(),
            definition_hash: survey.hash.clone(),
            data_hash,
            interviews: count as i64,
            parameters: serde_json::json!({
                "by": args.by,
                "margins": options.margins.as_ref().map(|m| serde_json::json!(m.margins.iter().map(|x| &x.columns).collect::<Vec<_>>())),
                "margins_file": args.margins.as_ref().map(|p| p.display().to_string()),
                "min_respondents": args.min_respondents,
                "year": year,
            }),
            recorded_by,
            result: json.clone(),
        };
        let recorded = runtime.block_on(async {
            let r = store.record_score_run(&run).await;
            store.close().await;
            r
        })?;
        eprintln!(
            "recorded score run {} ({} interviews, data {})",
            recorded.id,
            count,
            &run.data_hash[..12]
        );
    }
    bar.finish_and_clear();
    for w in &report.design.warnings {
        eprintln!("warning: {w}");
    }
    match args.format {
        ScoreFormat::Json => println!("{json}"),
        ScoreFormat::Table => print!(
            "{}",
            papi_score::render::table(&survey, &report, &args.lang)
        ),
        ScoreFormat::Csv => print!("{}", papi_score::render::csv(&survey, &report)?),
    }
    Ok(ExitCode::SUCCESS)
}
