//! `papi simulate`: simulated fieldwork to a file or straight into the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use papi_simulate::{write, Config, Geography, Profile, Simulation};
use papi_survey::{ReferenceTable, Survey};

use super::{load_survey, progress_bar, Paths};

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Csv,
    Parquet,
    Jsonl,
}

#[derive(Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// Random seed: the same seed gives the same interviews, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Total interviews (default: the full design, districts × communes × villages × per-village).
    #[arg(long)]
    pub count: Option<usize>,
    /// How many of the geography's districts to sample (default: all).
    #[arg(long)]
    pub districts: Option<usize>,
    #[arg(long, default_value_t = 2)]
    pub communes_per_district: usize,
    #[arg(long, default_value_t = 2)]
    pub villages_per_commune: usize,
    #[arg(long, default_value_t = 16)]
    pub per_village: usize,
    /// Target dimension scores: `baseline` (the definition's), `PROVINCE:YEAR` from the official
    /// table (e.g. binh-dinh:2018), or `flat:X`.
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// The province's districts and populations.
    #[arg(long, default_value = "survey-defs/geography/binh-dinh.toml")]
    pub geography: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: OutputFormat,
    /// Where to write (default: standard output). Written whole or not at all.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Store the interviews in this database instead of writing a file.
    #[arg(long, env = "DATABASE_URL", conflicts_with = "output")]
    pub database: Option<String>,
}

/// Builds the simulation the arguments describe.
pub fn plan<'a>(args: &SimulateArgs, survey: &'a Survey) -> anyhow::Result<Simulation<'a>> {
    let geography = Geography::load(&args.geography)?;
    let reference = if args.profile.contains(':') && !args.profile.starts_with("flat:") {
        Some(ReferenceTable::load(&args.paths.reference)?)
    } else {
        None
    };
    let profile = Profile::resolve(&args.profile, survey, reference.as_ref())?;
    let config = Config {
        seed: args.seed,
        districts: args.districts,
        communes_per_district: args.communes_per_district,
        villages_per_commune: args.villages_per_commune,
        interviews_per_village: args.per_village,
        count: args.count,
        ..Config::default()
    };
    Ok(Simulation::new(survey, &geography, &profile, &config)?)
}

pub fn run(args: SimulateArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = load_survey(&args.paths.survey)?;
    let sim = plan(&args, &survey)?;
    let total = sim.len();
    let bar = progress_bar(total as u64, "simulating");
    if let Some(url) = &args.database {
        let stored = runtime.block_on(super::store_interviews(
            url,
            &survey,
            sim.interviews(),
            &bar,
        ))?;
        bar.finish_and_clear();
        eprintln!(
            "stored {} new interview(s) of survey {} {} ({} already there)",
            stored.created, survey.id, survey.version, stored.duplicates
        );
        if stored.conflicts > 0 {
            bail!(
                "{} interview id(s) were already stored with different content",
                stored.conflicts
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let format = match args.format {
        OutputFormat::Csv => write::Format::Csv,
        OutputFormat::Parquet => write::Format::Parquet,
        OutputFormat::Jsonl => write::Format::Jsonl,
    };
    let progress = |n: usize| {
        if n % 1024 == 0 {
            bar.set_position(n as u64)
        }
    };
    let n = match &args.output {
        Some(path) => {
            // Write beside the target and rename: a failed run leaves no half-written file.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile_in(dir)?;
            let file = std::fs::File::create(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let result = write::write(
                &survey,
                sim.interviews(),
                format,
                std::io::BufWriter::new(file),
                progress,
            );
            match result {
                Ok(n) => {
                    std::fs::rename(&tmp, path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    n
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            }
        }
        None => write::write(
            &survey,
            sim.interviews(),
            format,
            std::io::BufWriter::new(std::io::stdout()),
            progress,
        )?,
    };
    bar.finish_and_clear();
    eprintln!(
        "simulated {n} interview(s) of survey {} {}",
        survey.id, survey.version
    );
    Ok(ExitCode::SUCCESS)
}

fn tempfile_in(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let name = format!(".papi-simulate-{}.tmp", std::process::id());
    Ok(dir.join(name))
}
