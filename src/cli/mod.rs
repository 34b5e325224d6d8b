//! Command-line parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use papi_store::{InsertOutcome, Store};
use papi_survey::{Interview, Survey};

mod access;
mod backup;
mod bench;
mod compare;
mod defaults;
mod demo;
mod export;
mod import;
mod recompute;
mod sample;
mod score;
mod serve;
mod simulate;
mod survey;
mod xlsform;

/// papi: citizen-satisfaction surveys with PAPI-style governance scoring.
#[derive(Parser)]
#[command(name = "papi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (HTTP) on an embedded SQLite file or PostgreSQL.
    Serve(serve::ServeArgs),
    /// Generate simulated fieldwork: CSV, Parquet, JSON lines, or straight into a database.
    Simulate(simulate::SimulateArgs),
    /// PAPI scores with design-based 95% intervals, from a file or the database.
    Score(score::ScoreArgs),
    /// Recompute the scores from the database and publish them to the leadership dashboard.
    Recompute(recompute::RecomputeArgs),
    /// Export the stored interviews of a survey version as CSV, Parquet or XLSX (with a codebook);
    /// a survey's repeats as long tables (XLSX sheets, or a .zip of CSV or Parquet files).
    Export(export::ExportArgs),
    /// Import interviews from a JSON lines file into a database (all or nothing).
    Import(import::ImportArgs),
    /// Users who sign in with a password.
    #[command(subcommand)]
    User(access::UserCommand),
    /// Bearer tokens for devices and scripts.
    #[command(subcommand)]
    Token(access::TokenCommand),
    /// Benchmarks' load generator and reference measurements (see bench/).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Survey definitions: check one, or validate interviews against it.
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
    /// XLSForm workbooks in and out, and the ODK XForm of a definition.
    #[command(subcommand)]
    Xlsform(xlsform::XlsformCommand),
    /// The sample design: draw a sample from a sampling frame, register it, assign villages.
    #[command(subcommand)]
    Sample(sample::SampleCommand),
    /// The change of every estimate between two waves (two score reports or recorded runs).
    Compare(compare::CompareArgs),
    /// A consistent copy of an SQLite database while the service runs (PostgreSQL: pg_dump).
    Backup(backup::BackupArgs),
    /// Every route the service serves, one `METHOD PATH` a line: for a reverse proxy's rules or an
    /// audit of what is exposed.
    Routes,
}

/// Files most commands read.
#[derive(Args, Clone)]
pub struct Paths {
    /// The survey definition (TOML).
    #[arg(long, default_value = "survey-defs/papi-2019.toml")]
    pub survey: PathBuf,
    /// The official PAPI provincial scores.
    #[arg(long, default_value = REFERENCE)]
    pub reference: PathBuf,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        crate::keep_freed_memory();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAPI_LOG")
                .unwrap_or_else(|_| "warn,papi=info,papi_server=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("papi: error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args, &runtime),
        Command::Simulate(args) => simulate::run(args, &runtime),
        Command::Import(args) => import::run(args, &runtime),
        Command::Score(args) => score::run(args, &runtime),
        Command::Recompute(args) => recompute::run(args, &runtime),
        Command::Export(args) => export::run(args, &runtime),
        Command::Survey(cmd) => survey::run(cmd),
        Command::User(cmd) => access::run_user(cmd, &runtime),
        Command::Bench(cmd) => bench::run(cmd, &runtime),
        Command::Token(cmd) => access::run_token(cmd, &runtime),
        Command::Xlsform(cmd) => xlsform::run(cmd),
        Command::Sample(cmd) => sample::run(cmd, &runtime),
        Command::Backup(args) => backup::run(args, &runtime),
        Command::Compare(args) => compare::run(args, &runtime),
        Command::Routes => {
            for (method, path) in papi_server::routes::served() {
                println!("{method} {path}");
            }
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("papi: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Loads a definition (the shipped one is built in), turning its problems into one error that lists
/// them all.
pub fn load_survey(path: &std::path::Path) -> anyhow::Result<Survey> {
    let text = defaults::read(path)?;
    Survey::from_toml(&text, &path.display().to_string()).map_err(|e| anyhow!("{e}"))
}

/// The default path of the official PAPI table, which is built into the binary.
pub const REFERENCE: &str = "survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv";

/// Loads the official table to compare with: the file when it is there, else (for the default path)
/// the built-in copy.
pub fn load_reference(path: &std::path::Path) -> anyhow::Result<papi_survey::ReferenceTable> {
    if !path.exists() && path == std::path::Path::new(REFERENCE) {
        return Ok(papi_survey::ReferenceTable::official());
    }
    Ok(papi_survey::ReferenceTable::load(path)?)
}

/// Loads a sampling frame (the shipped ones are built in).
pub fn load_frame(path: &std::path::Path) -> Result<papi_sample::Frame, papi_sample::FrameError> {
    if defaults::on_disk(path) {
        return papi_sample::Frame::load(path);
    }
    let text = defaults::read(path).expect("a shipped default is built in");
    papi_sample::Frame::from_toml(&text, &path.display().to_string())
}

/// Loads the answer shares of simulated respondents (the shipped file is built in).
pub fn load_geography(path: &std::path::Path) -> anyhow::Result<papi_simulate::Geography> {
    let text = defaults::read(path)?;
    Ok(papi_simulate::Geography::from_toml(
        &text,
        &path.display().to_string(),
    )?)
}

pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    Ok(Store::open(url).await?)
}

/// A progress bar on standard error, hidden when it is not a terminal.
pub fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Counts of what a bulk store did.
#[derive(Default)]
pub struct Stored {
    pub created: usize,
    pub duplicates: usize,
    pub conflicts: usize,
}

/// How many interviews go into one transaction when loading in bulk.
const BULK_BATCH: usize = 5_000;

/// Stores interviews in batches of [`BULK_BATCH`], each one transaction.
pub async fn insert_all(
    store: &Store,
    survey: &Survey,
    interviews: impl Iterator<Item = Interview>,
    bar: &ProgressBar,
) -> anyhow::Result<Stored> {
    let mut stored = Stored::default();
    let mut batch = Vec::with_capacity(BULK_BATCH);
    let mut interviews = interviews.peekable();
    while interviews.peek().is_some() {
        batch.clear();
        batch.extend(interviews.by_ref().take(BULK_BATCH));
        let report = store.insert_interviews(survey, &batch).await?;
        stored.created += report.count(InsertOutcome::Created);
        stored.duplicates += report.count(InsertOutcome::Duplicate);
        stored.conflicts += report.count(InsertOutcome::Conflict);
        bar.inc(batch.len() as u64);
    }
    Ok(stored)
}

/// Who runs the command, for the records that name a person (the login name, or "unknown").
pub fn login_name() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}
