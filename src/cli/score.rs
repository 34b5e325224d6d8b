//! `papi score`: PAPI scores of a file of interviews or of the database, as JSON, a table or CSV.
//! A score of the database is recorded as an immutable score run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use papi_score::{Interval, Margins, Options, Variance};

use super::{load_survey, open_store, progress_bar, Paths};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScoreFormat {
    Json,
    Table,
    Csv,
}

/// How the 95% intervals are formed.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum IntervalArg {
    /// Student's t with the design's degrees of freedom, PSUs − strata (R's `degf`).
    T,
    /// ±1.959964 SE (R's default `confint`).
    Normal,
}

impl From<IntervalArg> for Interval {
    fn from(a: IntervalArg) -> Interval {
        match a {
            IntervalArg::T => Interval::T,
            IntervalArg::Normal => Interval::Normal,
        }
    }
}

/// How the standard errors are computed.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum VarianceArg {
    /// Taylor linearization (R's `svydesign`).
    Linearization,
    /// The delete-one-PSU jackknife, raking redone in every replicate (R's `as.svrepdesign(type = "JKn")`).
    Jackknife,
}

impl From<VarianceArg> for Variance {
    fn from(a: VarianceArg) -> Variance {
        match a {
            VarianceArg::Linearization => Variance::Linearization,
            VarianceArg::Jackknife => Variance::JackknifeJkn,
        }
    }
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
    /// 95% intervals: t (the design's degrees of freedom) or normal.
    #[arg(long, value_enum, default_value = "t")]
    pub interval: IntervalArg,
    /// Standard errors: linearization, or the JKn jackknife (one replicate per PSU, raking redone in
    /// each; df from the replicate weights, as R's degf).
    #[arg(long, value_enum, default_value = "linearization")]
    pub variance: VarianceArg,
    /// Every respondent counts alike, as PAPI's published (unweighted) figures: for like-for-like
    /// comparisons with the official table. Strata and clusters still shape the standard errors.
    #[arg(long, conflicts_with = "margins")]
    pub unweighted: bool,
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
    let table = super::load_reference(&args.paths.reference)?;
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
    let mut options = Options {
        by: args.by.clone(),
        margins,
        min_respondents: args.min_respondents,
        reference: Some((table, year)),
        interval: args.interval.into(),
        variance: args.variance.into(),
        unweighted: args.unweighted,
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
            let (set, store, registered) = runtime.block_on(async {
                let store = open_store(url).await?;
                let set = papi_recompute::read_interviews(&store, &survey, &papi_recompute::Quiet)
                    .await?;
                let registered = papi_recompute::registered_margins(&store, &survey).await?;
                anyhow::Ok((set, store, registered))
            })?;
            // The database's numbers are the published ones: raked to the margins registered with
            // the survey, unless --margins names others or --unweighted counts everyone alike.
            if options.margins.is_none() && !options.unweighted {
                options.margins = registered;
            }
            (set.frame.clone(), Some((set, store)))
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
    // A run of the database is scored where it is recorded, so the JSON printed is the one stored.
    let report = match &from_db {
        Some(_) => None,
        None => Some(papi_score::score(&survey, &frame, &options)?),
    };
    tracing::debug!(
        seconds = estimating.elapsed().as_secs_f64(),
        "estimates computed"
    );
    bar.inc(1);
    if let Some(path) = &args.weights_out {
        let weights = papi_score::analysis_weights(&survey, &frame, &options)?;
        let ids = frame
            .column("id")
            .ok_or_else(|| anyhow!("column 'id' is missing"))?;
        let mut w = csv::Writer::from_path(path)?;
        w.write_record(["id", "weight"])?;
        for (i, weight) in weights.iter().enumerate() {
            w.write_record([ids.text(i).unwrap_or_default(), weight.to_string()])?;
        }
        w.flush()?;
    }
    let report = if let Some((set, store)) = from_db {
        bar.set_message("recording the score run");
        let recorded_by = args
            .recorded_by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
        let parameters = serde_json::json!({
            "margins": options.margins.as_ref().map(|m| serde_json::json!(m.margins.iter().map(|x| &x.columns).collect::<Vec<_>>())),
            "margins_file": args.margins.as_ref().map(|p| p.display().to_string()),
            "interval": options.interval.name(),
            "variance": options.variance.name(),
            "unweighted": options.unweighted,
        });
        let (report, recorded) = runtime.block_on(async {
            let r = papi_recompute::record_run(
                &store,
                &survey,
                &set,
                &options,
                parameters,
                &recorded_by,
            )
            .await;
            store.close().await;
            r
        })?;
        eprintln!(
            "recorded score run {} ({} interviews, data {})",
            recorded.id,
            set.interviews,
            &set.data_hash[..12]
        );
        report
    } else {
        report.expect("a file's interviews are scored above")
    };
    let json = serde_json::to_string_pretty(&report)?;
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
