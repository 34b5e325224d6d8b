//! `papi sample`: the sample design. `draw` selects a sample from a sampling frame stage by stage and
//! writes every first-stage unit with its inclusion probability, the selected places with their design
//! weights, or the whole sample as JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use papi_sample::{draw, DrawOptions, Frame, FrameError, Sample};

#[derive(Subcommand)]
pub enum SampleCommand {
    /// Draw a sample from a sampling frame (TOML, or a CSV of PSUs); the same seed gives the same
    /// sample, byte for byte.
    Draw(DrawArgs),
    /// Draw a sample for a survey version and register it in the database: its villages become the
    /// only places interviews may come from, and the fieldwork's quotas (an administrator's act,
    /// audited; each registration is a new sample version).
    Register(RegisterArgs),
    /// Assign villages of the registered sample to an enumerator (a supervisor's act, audited).
    Assign(AssignArgs),
    /// Register census margins with a survey version: publications rake the design weights to them
    /// (an administrator's act, audited; each registration is a new version).
    Margins(MarginsArgs),
}

#[derive(Args)]
pub struct MarginsArgs {
    /// The margins file (TOML, as `papi score --margins` reads it).
    #[arg(long)]
    pub file: PathBuf,
    /// The survey definition whose version the margins are for.
    #[arg(long, default_value = "survey-defs/papi-2019.toml")]
    pub survey: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// Who registers them, for the record (default: the login name).
    #[arg(long)]
    pub registered_by: Option<String>,
}

/// The frame and how to draw from it.
#[derive(Args)]
pub struct PlanArgs {
    /// The sampling frame: TOML, or a CSV of PSUs with the header stratum,psu,size.
    #[arg(long)]
    pub frame: PathBuf,
    /// PSUs drawn in each stratum (the first stage's draw); required for a CSV frame.
    #[arg(long)]
    pub psus_per_stratum: Option<usize>,
    /// Units drawn at one level within each selected parent, overriding the frame's design:
    /// LEVEL=N (repeat for several levels).
    #[arg(long = "draw", value_name = "LEVEL=N")]
    pub draws: Vec<String>,
    /// Planned interviews in each selected place, overriding the frame's design.
    #[arg(long)]
    pub interviews: Option<usize>,
    /// Random seed: the same seed, frame and plan give the same sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// The survey definition whose version the sample is for (registered in the database if it is not).
    #[arg(long, default_value = "survey-defs/papi-2019.toml")]
    pub survey: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// Who registers it, for the record (default: the login name).
    #[arg(long)]
    pub registered_by: Option<String>,
}

#[derive(Args)]
pub struct AssignArgs {
    /// The survey definition whose version's sample is meant.
    #[arg(long, default_value = "survey-defs/papi-2019.toml")]
    pub survey: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// The enumerator (their token's name or their username).
    #[arg(long)]
    pub enumerator: String,
    /// Every village of the sample.
    #[arg(long, conflicts_with_all = ["place", "within"])]
    pub all: bool,
    /// One village, as the sample names it: its location values joined with " / " (repeatable).
    #[arg(long)]
    pub place: Vec<String>,
    /// Every village within a unit of the sample: a district's or a commune's name (repeatable).
    #[arg(long)]
    pub within: Vec<String>,
    /// Who assigns, for the record (default: the login name).
    #[arg(long)]
    pub assigned_by: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DrawFormat {
    /// One row per first-stage unit of the frame: stratum, psu, size, inclusion_probability, selected.
    Csv,
    /// One row per selected place: its levels, each stage's probability, size, planned interviews
    /// and base design weight.
    Places,
    /// The whole sample, as papi stores it.
    Json,
}

#[derive(Args)]
pub struct DrawArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: DrawFormat,
    /// Where to write (default: standard output). Written whole or not at all.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(cmd: SampleCommand, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    match cmd {
        SampleCommand::Draw(args) => run_draw(args),
        SampleCommand::Register(args) => run_register(args, runtime),
        SampleCommand::Assign(args) => run_assign(args, runtime),
        SampleCommand::Margins(args) => run_margins(args, runtime),
    }
}

/// The frame and the draw's options the arguments name, or the message that refuses them.
fn frame_and_options(args: &PlanArgs) -> Result<(Frame, DrawOptions), String> {
    let draws = parse_draws(&args.draws)?;
    let frame = match super::load_frame(&args.frame) {
        Ok(f) => f,
        Err(e @ FrameError::Unreadable { .. }) => return Err(format!("--frame: {e}")),
        Err(e) => {
            return Err(format!(
                "the sampling frame (--frame) was refused:\n  {}",
                e.to_string().replace('\n', "\n  ")
            ))
        }
    };
    if let Some(first) = frame.design.as_ref().and_then(|d| d.stages.first()) {
        // A CSV frame leaves the number of PSUs to the one who draws.
        if first.draw == 0 && args.psus_per_stratum.is_none() && !draws.contains_key(&first.level) {
            return Err(format!(
                "--psus-per-stratum is required: the CSV frame {} does not say how many PSUs to draw in each stratum",
                args.frame.display()
            ));
        }
    }
    let options = DrawOptions {
        seed: args.seed,
        psus_per_stratum: args.psus_per_stratum,
        draws,
        interviews: args.interviews,
    };
    Ok((frame, options))
}

fn cannot_draw(e: &dyn std::fmt::Display) -> String {
    format!(
        "the sample cannot be drawn (check --frame's [design] and --psus-per-stratum, --draw, --interviews):\n  {}",
        e.to_string().replace('\n', "\n  ")
    )
}

fn run_draw(args: DrawArgs) -> anyhow::Result<ExitCode> {
    let (frame, options) = match frame_and_options(&args.plan) {
        Ok(x) => x,
        Err(message) => return refused(&message),
    };
    let sample = match draw(&frame, &options) {
        Ok(s) => s,
        Err(e) => return refused(&cannot_draw(&e)),
    };
    let text = match args.format {
        DrawFormat::Csv => psus_csv(&sample)?,
        DrawFormat::Places => places_csv(&sample)?,
        DrawFormat::Json => sample.to_json() + "\n",
    };
    match &args.output {
        Some(path) => write_whole(path, &text)?,
        None => print!("{text}"),
    }
    eprintln!(
        "drew {} place(s), {} interview(s) planned, from frame {}{} with seed {}",
        sample.places.len(),
        sample.places.iter().map(|p| p.planned).sum::<usize>(),
        sample.frame_id,
        if sample.illustrative {
            " (illustrative figures)"
        } else {
            ""
        },
        sample.seed
    );
    Ok(ExitCode::SUCCESS)
}

fn run_register(args: RegisterArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = super::load_survey(&args.survey)?;
    let (frame, options) = match frame_and_options(&args.plan) {
        Ok(x) => x,
        Err(message) => return refused(&message),
    };
    let by = args.registered_by.clone().unwrap_or_else(super::login_name);
    runtime.block_on(async {
        let store = super::open_store(&args.database).await?;
        store.register_survey(&survey).await?;
        let result =
            papi_recompute::design::register_sample(&store, &survey, &frame, &options, &by).await;
        store.close().await;
        let (sample, version) = match result {
            Ok(x) => x,
            Err(e @ papi_recompute::DesignError::Store(_)) => return Err(e.into()),
            Err(papi_recompute::DesignError::Frame(e)) => return refused(&cannot_draw(&e)),
            Err(e) => return refused(&format!("--frame: {e} [{}]", e.code())),
        };
        println!(
            "registered sample version {version} of survey {} {}: {} villages, {} interviews planned, drawn from {} (frame {}, seed {}{})",
            survey.id,
            survey.version,
            sample.places.len(),
            sample.places.iter().map(|p| p.planned).sum::<usize>(),
            args.plan.frame.display(),
            sample.frame_id,
            sample.seed,
            if sample.illustrative { ", illustrative figures" } else { "" }
        );
        println!("sample {}", sample.hash());
        Ok(ExitCode::SUCCESS)
    })
}

fn run_margins(args: MarginsArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = super::load_survey(&args.survey)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("--file: cannot read {}", args.file.display()))?;
    let margins = match papi_score::Margins::from_toml(&text, &args.file.display().to_string()) {
        Ok(m) => m,
        Err(e) => return refused(&format!("--file: {e} [{}]", e.code())),
    };
    // Every margin's columns must be columns an interview has: the location or a question.
    let known = |c: &String| survey.design.location.contains(c) || survey.question(c).is_some();
    if let Some(c) = margins.columns().iter().find(|c| !known(c)) {
        return refused(&format!(
            "--file: margin column '{c}' is neither a location column nor a question of survey {} {}",
            survey.id, survey.version
        ));
    }
    let by = args.registered_by.clone().unwrap_or_else(super::login_name);
    runtime.block_on(async {
        let store = super::open_store(&args.database).await?;
        store.register_survey(&survey).await?;
        let version = store
            .register_margins(&survey.id, &survey.version, &text, &by)
            .await;
        store.close().await;
        println!(
            "registered margins version {} of survey {} {}: publications rake to {} margin(s)",
            version?,
            survey.id,
            survey.version,
            margins.margins.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn run_assign(args: AssignArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = super::load_survey(&args.survey)?;
    let enumerator = papi_survey::nfc(args.enumerator.trim());
    if enumerator.is_empty() || enumerator.chars().count() > papi_survey::interview::MAX_NAME_CHARS
    {
        return refused(&format!(
            "--enumerator: a name is needed, at most {} characters",
            papi_survey::interview::MAX_NAME_CHARS
        ));
    }
    if !args.all && args.place.is_empty() && args.within.is_empty() {
        return refused("say which villages: --all, --place KEY or --within NAME");
    }
    let by = args.assigned_by.clone().unwrap_or_else(super::login_name);
    runtime.block_on(async {
        let store = super::open_store(&args.database).await?;
        let places = store.sample_places(&survey.id, &survey.version).await?;
        if places.is_empty() {
            store.close().await;
            return refused(&format!(
                "survey {} {} has no registered sample in the database: register one with `papi sample register` first",
                survey.id, survey.version
            ));
        }
        let wanted: Vec<String> = if args.all {
            places.iter().map(|p| p.place.clone()).collect()
        } else {
            let mut wanted = Vec::new();
            for key in &args.place {
                let key = papi_survey::nfc(key.trim());
                if !places.iter().any(|p| p.place == key) {
                    store.close().await;
                    return refused(&format!("--place {key}: not a village of the registered sample"));
                }
                wanted.push(key);
            }
            for name in &args.within {
                let name = papi_survey::nfc(name.trim());
                let inside: Vec<String> = places
                    .iter()
                    .filter(|p| p.location.iter().skip(1).any(|(_, v)| *v == name))
                    .map(|p| p.place.clone())
                    .collect();
                if inside.is_empty() {
                    store.close().await;
                    return refused(&format!("--within {name}: no village of the registered sample lies in it"));
                }
                wanted.extend(inside);
            }
            wanted
        };
        let mut all = store.assignments(&survey.id, &survey.version, None).await?;
        let before = all.len();
        for place in wanted {
            if !all.iter().any(|a| a.place == place && a.enumerator == enumerator) {
                all.push(papi_store::Assignment {
                    place,
                    enumerator: enumerator.clone(),
                });
            }
        }
        let added = all.len() - before;
        store
            .set_assignments(&survey.id, &survey.version, &all, &by)
            .await?;
        store.close().await;
        println!(
            "assigned {added} more village(s) to {enumerator}; {} assignment(s) in all",
            all.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// The input was refused: say why, exit 1.
fn refused(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("papi: error: {message}");
    Ok(ExitCode::from(1))
}

/// `--draw LEVEL=N` options as a map, or a message naming the one that is not.
fn parse_draws(raw: &[String]) -> Result<BTreeMap<String, usize>, String> {
    let mut draws = BTreeMap::new();
    for item in raw {
        let parsed = item
            .split_once('=')
            .and_then(|(level, n)| Some((level.trim(), n.trim().parse::<usize>().ok()?)))
            .filter(|(level, _)| !level.is_empty());
        let Some((level, n)) = parsed else {
            return Err(format!(
                "--draw {item}: expected LEVEL=N, a level of the frame and a whole number (e.g. --draw commune=3)"
            ));
        };
        if draws.insert(level.to_owned(), n).is_some() {
            return Err(format!("--draw {level}=...: the level is given twice"));
        }
    }
    Ok(draws)
}

/// Probabilities and sizes with Rust's shortest round-trip form; an unknown size is left empty.
fn number(x: f64) -> String {
    if x.is_finite() {
        x.to_string()
    } else {
        String::new()
    }
}

fn psus_csv(sample: &Sample) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "stratum",
        "psu",
        "size",
        "inclusion_probability",
        "selected",
    ])?;
    for row in sample.psu_rows() {
        w.write_record([
            row.stratum,
            row.psu,
            number(row.size),
            number(row.inclusion_probability),
            row.selected.to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn places_csv(sample: &Sample) -> anyhow::Result<String> {
    let mut header: Vec<String> = sample.levels.clone();
    // A CSV frame's levels are already called stratum and psu.
    for column in ["stratum", "psu"] {
        if !sample.levels.iter().any(|l| l == column) {
            header.push(column.to_owned());
        }
    }
    header.extend(sample.plan.stages.iter().map(|s| format!("pi_{}", s.level)));
    header.extend(
        [
            "inclusion_probability",
            "size",
            "size_estimated",
            "planned",
            "base_weight",
        ]
        .map(str::to_owned),
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    for place in &sample.places {
        let mut row: Vec<String> = place.path.clone();
        if !sample.levels.iter().any(|l| l == "stratum") {
            row.push(place.stratum.clone());
        }
        if !sample.levels.iter().any(|l| l == "psu") {
            row.push(place.psu.clone());
        }
        row.extend(place.stage_probabilities.iter().map(|&p| number(p)));
        row.push(number(place.inclusion_probability));
        row.push(number(place.size));
        row.push(place.size_estimated.to_string());
        row.push(place.planned.to_string());
        row.push(number(place.base_weight));
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Writes beside the target and renames: a failed run leaves no half-written file.
fn write_whole(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".papi-sample-{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}
