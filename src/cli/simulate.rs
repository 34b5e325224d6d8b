//! `papi simulate`: simulated fieldwork to a file or straight into the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use papi_sample::{DrawOptions, Frame, Sample};
use papi_simulate::population::Population;
use papi_simulate::{write, Config, Profile, Simulation};
use papi_survey::Survey;

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
    /// Random seed of the answers: the same seed gives the same interviews, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Total interviews, spread evenly over the sample's villages (default: as the sample plans).
    #[arg(long)]
    pub count: Option<usize>,
    #[command(flatten)]
    pub draw: SampleDraw,
    /// Target dimension scores: `baseline` (the definition's), `PROVINCE:YEAR` from the official
    /// table (e.g. binh-dinh:2018), or `flat:X`.
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// How the province's adults answer the questions that describe them.
    #[arg(long, default_value = "survey-defs/geography/binh-dinh.toml")]
    pub geography: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: OutputFormat,
    /// Where to write (default: standard output). Written whole or not at all.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Draw the interviews from one finite population of the frame, built from this seed: every
    /// adult of every village with their answers, whose true scores are the profile's. Samples drawn
    /// with different `--sample-seed`s then come from the same people (`--seed` picks who is
    /// interviewed in each sampled village), so their intervals can be checked against the truth.
    #[arg(long)]
    pub population_seed: Option<u64>,
    /// With `--population-seed`: every village this many times smaller (a smaller population is
    /// quicker to build).
    #[arg(long, default_value_t = 1.0, requires = "population_seed")]
    pub population_divisor: f64,
    /// With `--population-seed`: print the population's true scores (`papi score`'s JSON of
    /// everyone) instead of a sample's interviews.
    #[arg(long, requires = "population_seed", conflicts_with_all = ["output", "database"])]
    pub truth: bool,
    /// Store the interviews in this database instead of writing a file. They come from the sample
    /// registered there; when it has none, the sample drawn from `--frame` is registered first.
    #[arg(long, env = "DATABASE_URL", conflicts_with = "output")]
    pub database: Option<String>,
}

/// The sample a simulation draws its villages from, when no registered sample is used.
#[derive(Args, Clone)]
pub struct SampleDraw {
    /// The sampling frame.
    #[arg(long, default_value = "survey-defs/frames/binh-dinh.toml")]
    pub frame: PathBuf,
    /// Seed of the sample's draw (the default is the demo's sample, the one tests register).
    #[arg(long, default_value_t = DEFAULT_SAMPLE_SEED)]
    pub sample_seed: u64,
    /// Communes drawn in each district (default: the frame's design).
    #[arg(long)]
    pub communes_per_district: Option<usize>,
    /// Villages drawn in each commune (default: the frame's design).
    #[arg(long)]
    pub villages_per_commune: Option<usize>,
    /// Interviews planned in each village (default: the frame's design).
    #[arg(long)]
    pub per_village: Option<usize>,
}

/// The seed of the demo's sample draw.
pub const DEFAULT_SAMPLE_SEED: u64 = 2019;

impl SampleDraw {
    pub fn options(&self) -> DrawOptions {
        let mut draws = std::collections::BTreeMap::new();
        if let Some(n) = self.communes_per_district {
            draws.insert("commune".to_owned(), n);
        }
        if let Some(n) = self.villages_per_commune {
            draws.insert("village".to_owned(), n);
        }
        DrawOptions {
            seed: self.sample_seed,
            psus_per_stratum: None,
            draws,
            interviews: self.per_village,
        }
    }

    pub fn frame(&self) -> anyhow::Result<Frame> {
        super::load_frame(&self.frame)
            .map_err(|e| anyhow::anyhow!("--frame {}: {e}", self.frame.display()))
    }

    /// Draws the sample for `survey`.
    pub fn draw(&self, survey: &Survey) -> anyhow::Result<Sample> {
        let frame = self.frame()?;
        Ok(papi_recompute::design::draw_for_survey(survey, &frame, &self.options())?.0)
    }
}

/// The profile `--profile` names (a province and year needs the official table).
fn profile(args: &SimulateArgs, survey: &Survey) -> anyhow::Result<Profile> {
    let reference = if args.profile.contains(':') && !args.profile.starts_with("flat:") {
        Some(super::load_reference(&args.paths.reference)?)
    } else {
        None
    };
    Ok(Profile::resolve(&args.profile, survey, reference.as_ref())?)
}

/// Builds the simulation the arguments describe, in the villages of `sample`.
pub fn plan<'a>(
    args: &SimulateArgs,
    survey: &'a Survey,
    sample: &Sample,
) -> anyhow::Result<Simulation<'a>> {
    let geography = super::load_geography(&args.geography)?;
    let profile = profile(args, survey)?;
    let config = Config {
        seed: args.seed,
        count: args.count,
        ..Config::default()
    };
    Ok(Simulation::new(
        survey, sample, &geography, &profile, &config,
    )?)
}

/// The sample a database's interviews come from: the registered one, or the one drawn from the
/// frame, registered now (by whoever runs the command, as a registration from the CLI is).
pub async fn database_sample(
    store: &papi_store::Store,
    survey: &Survey,
    draw: &SampleDraw,
) -> anyhow::Result<Sample> {
    store.register_survey(survey).await?;
    if let Some(sample) = papi_recompute::design::current_sample(store, survey).await? {
        return Ok(sample);
    }
    let frame = draw.frame()?;
    let (sample, version) = papi_recompute::design::register_sample(
        store,
        survey,
        &frame,
        &draw.options(),
        &super::login_name(),
    )
    .await?;
    eprintln!(
        "registered sample version {version} of survey {} {}: {} villages drawn from {} (seed {})",
        survey.id,
        survey.version,
        sample.places.len(),
        draw.frame.display(),
        draw.sample_seed
    );
    Ok(sample)
}

pub fn run(args: SimulateArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = load_survey(&args.paths.survey)?;
    if let Some(url) = &args.database {
        let stored = runtime.block_on(async {
            let store = super::open_store(url).await?;
            let sample = database_sample(&store, &survey, &args.draw).await?;
            let sim = plan(&args, &survey, &sample)?;
            let bar = progress_bar(sim.len() as u64, "simulating");
            let stored = super::insert_all(&store, &survey, sim.interviews(), &bar).await;
            bar.finish_and_clear();
            store.close().await;
            stored
        })?;
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
    if let Some(population_seed) = args.population_seed {
        return from_population(&args, &survey, population_seed);
    }
    let sample = args.draw.draw(&survey)?;
    let sim = plan(&args, &survey, &sample)?;
    let bar = progress_bar(sim.len() as u64, "simulating");
    let progress = |n: usize| {
        if n % 1024 == 0 {
            bar.set_position(n as u64)
        }
    };
    let n = write_out(&args, &survey, sim.interviews(), progress)?;
    bar.finish_and_clear();
    eprintln!(
        "simulated {n} interview(s) of survey {} {}",
        survey.id, survey.version
    );
    Ok(ExitCode::SUCCESS)
}

/// `--population-seed`: the population of the frame (made smaller by `--population-divisor`), and
/// either its truth or a sample's interviews from it.
fn from_population(
    args: &SimulateArgs,
    survey: &Survey,
    population_seed: u64,
) -> anyhow::Result<ExitCode> {
    if !(args.population_divisor >= 1.0 && args.population_divisor.is_finite()) {
        bail!("--population-divisor must be a number of at least 1");
    }
    if args.database.is_some() {
        bail!("--population-seed writes a file or the truth; a database takes the sample registered there (leave out --population-seed)");
    }
    let mut draw_options = args.draw.options();
    let frame = args.draw.frame()?;
    let per_village = draw_options
        .interviews
        .or(frame.design.as_ref().map(|p| p.interviews))
        .unwrap_or(1);
    let frame = frame.scaled(args.population_divisor, per_village as f64);
    let geography = super::load_geography(&args.geography)?;
    let profile = profile(args, survey)?;
    let everyone = |p: &Population<'_>| -> anyhow::Result<papi_score::Report> {
        let bar = progress_bar(p.len() as u64, "scoring the population");
        let people: Vec<_> = p.people().inspect(|_| bar.inc(1)).collect();
        let df = papi_table::table_from_interviews(survey, &people)?;
        drop(people);
        bar.finish_and_clear();
        Ok(papi_score::score(
            survey,
            &df,
            &papi_score::Options::default(),
        )?)
    };
    let dimensions = |p: &Population<'_>| -> anyhow::Result<Vec<f64>> {
        Ok(everyone(p)?.groups[0]
            .dimensions
            .iter()
            .map(|d| d.value.estimate.unwrap_or(f64::NAN))
            .collect())
    };
    let population = Population::calibrated(
        survey,
        &frame,
        &geography,
        &profile,
        population_seed,
        dimensions,
    )?;
    if args.truth {
        let truth = everyone(&population)?;
        println!("{}", serde_json::to_string_pretty(&truth)?);
        eprintln!(
            "the population of {} adults (seed {population_seed}): true total {:.4}",
            population.len(),
            truth.groups[0].total.estimate.unwrap_or(f64::NAN)
        );
        return Ok(ExitCode::SUCCESS);
    }
    draw_options.interviews = Some(per_village);
    let sample = papi_recompute::design::draw_for_survey(survey, &frame, &draw_options)?.0;
    let interviews = population.interviews(&sample, args.seed)?;
    let n = write_out(args, survey, interviews.into_iter(), |_| {})?;
    eprintln!(
        "simulated {n} interview(s) from the population of {} adults (seed {population_seed}), sample seed {}",
        population.len(),
        args.draw.sample_seed
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `interviews` in `--format` to `--output`, whole or not at all (beside the target, then
/// renamed), or to standard output; returns how many were written.
fn write_out(
    args: &SimulateArgs,
    survey: &Survey,
    interviews: impl Iterator<Item = papi_survey::Interview>,
    progress: impl FnMut(usize),
) -> anyhow::Result<usize> {
    let format = match args.format {
        OutputFormat::Csv => write::Format::Csv,
        OutputFormat::Parquet => write::Format::Parquet,
        OutputFormat::Jsonl => write::Format::Jsonl,
    };
    let Some(path) = &args.output else {
        let out = std::io::BufWriter::new(std::io::stdout());
        return Ok(write::write(survey, interviews, format, out, progress)?);
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile_in(dir)?;
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    match write::write(
        survey,
        interviews,
        format,
        std::io::BufWriter::new(file),
        progress,
    ) {
        Ok(n) => {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.into())
        }
    }
}

fn tempfile_in(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let name = format!(".papi-simulate-{}.tmp", std::process::id());
    Ok(dir.join(name))
}
