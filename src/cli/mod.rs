//! Command-line parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod survey;

/// papi: citizen-satisfaction surveys with PAPI-style governance scoring.
#[derive(Parser)]
#[command(name = "papi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Survey definitions: check one, or validate interviews against it.
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Survey(cmd) => survey::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("papi: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The default survey definition shipped with papi.
pub fn default_survey() -> PathBuf {
    PathBuf::from("survey-defs/papi-2019.toml")
}
