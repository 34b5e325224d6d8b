//! `papi serve`: the service, optionally seeded with a simulated demo province.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use papi_server::AppState;
use papi_survey::plan::Plan;
use papi_survey::Survey;

use super::simulate::{plan, OutputFormat, SampleDraw, SimulateArgs, DEFAULT_SAMPLE_SEED};
use super::{load_survey, open_store, progress_bar, Paths};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// Database URL: `sqlite:FILE` (embedded, the default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// Address to listen on.
    #[arg(long, env = "PAPI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where export files are written (default: `exports/` beside an SQLite database file, or
    /// `papi-exports/` in the current directory for PostgreSQL).
    #[arg(long, env = "PAPI_EXPORTS_DIR")]
    pub exports_dir: Option<std::path::PathBuf>,
    /// Seed an empty database with a simulated survey of the demo province (Bình Định, 2018 profile).
    #[arg(long)]
    pub demo: bool,
    /// A TLS proxy in front of papi sets `X-Forwarded-For` and `X-Forwarded-Proto`: trust the
    /// address it appends as the client's (sign-in throttling is per address). Only behind such a
    /// proxy: otherwise any client could name its own address.
    #[arg(long, env = "PAPI_BEHIND_PROXY")]
    pub behind_proxy: bool,
    /// Seconds a client has to send a request's headers before its connection is closed.
    #[arg(long, env = "PAPI_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Open connections at once; further clients wait until one closes.
    #[arg(long, env = "PAPI_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Days finished export and recompute jobs are kept; older ones are forgotten and their
    /// export files deleted (checked at start and hourly).
    #[arg(long, env = "PAPI_KEEP_JOBS_DAYS", default_value_t = 30)]
    pub keep_jobs_days: u32,
    /// Action plans to register (every .toml file in this folder), shown beside their dimensions.
    #[arg(long, default_value = "survey-defs/plans")]
    pub plans: std::path::PathBuf,
}

pub fn run(args: ServeArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let survey = load_survey(&args.paths.survey)?;
    let reference = super::load_reference(&args.paths.reference)?;
    let plans = load_plans(&args.plans, &survey)?;
    runtime.block_on(async {
        let store = open_store(&args.database).await?;
        if args.demo {
            // The demo makes accounts with known names, an administrator among them: never in a
            // database that real people use.
            let real: Vec<String> = store
                .usernames()
                .await?
                .into_iter()
                .filter(|u| !u.starts_with("demo-"))
                .collect();
            if !real.is_empty() {
                eprintln!(
                    "papi: error: --demo: the database {} holds users who are not the demo's ({}); the demo seeds and signs in only on a database of its own",
                    redact(&args.database),
                    real.join(", ")
                );
                return Ok(ExitCode::from(1));
            }
        }
        store.register_survey(&survey).await?;
        for (plan, toml) in &plans {
            store.register_plan(&plan.plan.id, toml).await?;
        }
        if args.demo && store.count_interviews(&survey.id, &survey.version).await? == 0 {
            let sim_args = SimulateArgs {
                paths: args.paths.clone(),
                seed: 2019,
                count: None,
                draw: SampleDraw {
                    frame: "survey-defs/frames/binh-dinh.toml".into(),
                    sample_seed: DEFAULT_SAMPLE_SEED,
                    communes_per_district: None,
                    villages_per_commune: None,
                    per_village: None,
                },
                profile: "baseline".into(),
                geography: "survey-defs/geography/binh-dinh.toml".into(),
                format: OutputFormat::Csv,
                output: None,
                database: None,
                population_seed: None,
                population_divisor: 1.0,
                truth: false,
            };
            let sample = super::demo::register_sample(&store, &survey, &sim_args.draw).await?;
            let sim = plan(&sim_args, &survey, &sample)?;
            let bar = progress_bar(sim.len() as u64, "seeding the demo");
            let stored = super::insert_all(&store, &survey, sim.interviews(), &bar).await?;
            bar.finish_and_clear();
            eprintln!(
                "demo: stored {} simulated interviews of {}",
                stored.created,
                survey.title.get("en")
            );
            super::demo::fieldwork(&store, &survey).await?;
        }
        if args.demo && store.publications(&survey.id, &survey.version).await?.is_empty() {
            super::demo::publish(&store, &survey, &reference).await?;
        }
        // Demo sign-ins and tokens, one per role, new at each start (the previous ones stop working).
        let mut demo_access = Vec::new();
        if args.demo {
            for role in papi_auth::Role::ALL {
                let name = format!("demo-{role}");
                // Setting a password enables an account: one that was disabled stays so, tokens too.
                if store.user(&name).await?.is_some_and(|u| u.disabled) {
                    store.revoke_tokens(&name).await?;
                    eprintln!("demo: {name} is disabled and stays so (--demo does not enable it)");
                    continue;
                }
                let (password, _) = papi_auth::new_token();
                let password = password["papi_".len().."papi_".len() + 16].to_owned();
                let hash = papi_auth::hash_password(&password)?;
                if !store.set_password(&name, &hash).await? {
                    store.create_user(&name, &hash, role.name()).await?;
                }
                store.revoke_tokens(&name).await?;
                let token = super::access::create_token(&store, role, &name, None, "papi serve --demo").await?;
                demo_access.push((role, name, password, token));
            }
        }
        let count = store.count_interviews(&survey.id, &survey.version).await?;
        let interrupted = store.fail_interrupted_export_jobs().await?;
        if interrupted > 0 {
            eprintln!("{interrupted} export job(s) left unfinished by the last run are marked failed");
        }
        let exports_dir = args
            .exports_dir
            .clone()
            .unwrap_or_else(|| default_exports_dir(&args.database));
        let backend = store.backend().name();
        let state = AppState::new(store)
            .with_reference(reference)
            .with_exports_dir(exports_dir)
            .behind_proxy(args.behind_proxy)
            .keep_jobs_days(args.keep_jobs_days);
        let limits = papi_server::listen::Limits {
            max_connections: args.max_connections.max(1),
            header_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
            ..Default::default()
        };
        papi_server::serve(state, args.listen, limits, |addr| {
            println!(
                "papi is serving survey {} {} ({count} interviews, {backend} database {})",
                survey.id,
                survey.version,
                redact(&args.database)
            );
            println!("open http://{addr}/ in a browser; health check at http://{addr}/healthz");
            println!("leadership dashboard: http://{addr}/dashboard; fieldwork supervision: http://{addr}/fieldwork; analysis (recompute, export): http://{addr}/analysis");
            if !demo_access.is_empty() {
                println!("demo sign-ins at http://{addr}/login (new passwords at each start):");
                for (_, name, password, _) in &demo_access {
                    println!("  {name:<16} {password}");
                }
                println!("the enumerator's form: http://{addr}/form/ (sign in there as demo-enumerator)");
                println!("demo access tokens (send as 'Authorization: Bearer TOKEN'; new at each start):");
                for (role, _, _, token) in &demo_access {
                    println!("  {:<11} {token}", role.name());
                }
            }
            println!("press ctrl-c to stop");
        })
        .await
        .with_context(|| format!("cannot serve on {}", args.listen))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Every plan (`*.toml`) in `dir`, checked against the survey; a missing folder means no plans.
fn load_plans(dir: &std::path::Path, survey: &Survey) -> anyhow::Result<Vec<(Plan, String)>> {
    // The shipped plans are built in, for a service started away from the repository.
    let mut texts: Vec<(String, String)> = super::defaults::shipped_plans(dir)
        .into_iter()
        .map(|(file, text)| (file, text.to_owned()))
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let toml = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read plan {}", path.display()))?;
            texts.push((path.display().to_string(), toml));
        }
    }
    let mut plans = Vec::new();
    for (file, toml) in texts {
        let plan = Plan::from_toml(&toml, &file)?;
        // A plan written for another survey (no dimension in common) is simply not this one's.
        if !plan
            .tasks
            .iter()
            .any(|t| survey.dimensions.iter().any(|d| d.id == t.dimension))
        {
            eprintln!(
                "plan {} answers none of the dimensions of survey {}: not registered",
                plan.plan.id, survey.id
            );
            continue;
        }
        plan.check_against(survey, &file)?;
        plans.push((plan, toml));
    }
    Ok(plans)
}

/// `exports/` beside an SQLite file, `papi-exports/` in the current directory otherwise.
fn default_exports_dir(database: &str) -> std::path::PathBuf {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return "papi-exports".into();
    }
    let path = database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .unwrap_or(database);
    match std::path::Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("exports"),
        _ => "exports".into(),
    }
}

fn redact(url: &str) -> String {
    match url.rfind('@') {
        Some(at) => match url[..at].rfind(':') {
            Some(c) if url[..c].contains("://") && !url[..c].ends_with('/') => {
                format!("{}:***{}", &url[..c], &url[at..])
            }
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
