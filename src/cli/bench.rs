//! `papi bench`: load generation and reference measurements for the benchmarks in `bench/`.
//! Benchmarks, not tests: they report figures, they do not pass or fail.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use papi_survey::Submission;

use super::{load_survey, open_store, Paths};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Send interviews (JSON lines) to a running service from many connections; report the
    /// acknowledged rate and latency percentiles.
    Ingest {
        /// Base URL of the service.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A bearer token that may submit.
        #[arg(long, env = "PAPI_TOKEN")]
        token: String,
        /// Interviews to send, one JSON object a line (`papi simulate --format jsonl`).
        interviews: PathBuf,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Request pages of a running service from several connections, round-robin over `paths`; report
    /// latency percentiles per path.
    Pages {
        /// Base URL of the service.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A bearer token that may read the pages.
        #[arg(long, env = "PAPI_TOKEN")]
        token: String,
        /// Requests per path.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Paths to request (e.g. /dashboard/papi/2019.1).
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// The reference: insert the same interviews straight into a database from one process, in
    /// transactions of 500, and report rows per second.
    Insert {
        #[command(flatten)]
        paths: Paths,
        interviews: PathBuf,
        #[arg(long)]
        database: String,
    },
}

fn read_lines(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::new(f)
        .lines()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

pub fn run(cmd: BenchCommand, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Ingest {
            url,
            token,
            interviews,
            concurrency,
        } => {
            let bodies = Arc::new(read_lines(&interviews)?);
            let next = Arc::new(AtomicUsize::new(0));
            let latencies = Arc::new(Mutex::new(Vec::with_capacity(bodies.len())));
            let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
            let endpoint = format!("{}/api/v1/interviews", url.trim_end_matches('/'));
            let started = Instant::now();
            let workers: Vec<_> = (0..concurrency.max(1))
                .map(|_| {
                    let (bodies, next, latencies, statuses, endpoint, token) = (
                        bodies.clone(),
                        next.clone(),
                        latencies.clone(),
                        statuses.clone(),
                        endpoint.clone(),
                        token.clone(),
                    );
                    std::thread::spawn(move || {
                        let agent = ureq::AgentBuilder::new()
                            .timeout(Duration::from_secs(60))
                            .build();
                        let mut mine = Vec::new();
                        let mut counts = std::collections::BTreeMap::<u16, usize>::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(body) = bodies.get(i) else { break };
                            let t = Instant::now();
                            let status = match agent
                                .post(&endpoint)
                                .set("Authorization", &format!("Bearer {token}"))
                                .set("Content-Type", "application/json")
                                .send_string(body)
                            {
                                Ok(r) => r.status(),
                                Err(ureq::Error::Status(s, _)) => s,
                                Err(_) => 0,
                            };
                            mine.push(t.elapsed());
                            *counts.entry(status).or_default() += 1;
                        }
                        latencies.lock().expect("not poisoned").extend(mine);
                        let mut all = statuses.lock().expect("not poisoned");
                        for (s, n) in counts {
                            *all.entry(s).or_default() += n;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join()
                    .map_err(|_| anyhow::anyhow!("a load worker panicked"))?;
            }
            let elapsed = started.elapsed().as_secs_f64();
            let mut lat = latencies.lock().expect("not poisoned").clone();
            lat.sort();
            let statuses = statuses.lock().expect("not poisoned").clone();
            let acknowledged: usize = statuses
                .iter()
                .filter(|(s, _)| **s == 201 || **s == 200)
                .map(|(_, n)| n)
                .sum();
            println!(
                "sent {} interviews from {concurrency} connections in {elapsed:.2} s: {:.0} acknowledged/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; statuses {:?}",
                lat.len(),
                acknowledged as f64 / elapsed,
                percentile(&lat, 0.50),
                percentile(&lat, 0.95),
                percentile(&lat, 0.99),
                lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
                statuses
            );
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Pages {
            url,
            token,
            requests,
            concurrency,
            paths,
        } => {
            let base = url.trim_end_matches('/').to_owned();
            let jobs: Arc<Vec<usize>> = Arc::new(
                (0..requests * paths.len())
                    .map(|i| i % paths.len())
                    .collect(),
            );
            let next = Arc::new(AtomicUsize::new(0));
            let results = Arc::new(Mutex::new(vec![Vec::new(); paths.len()]));
            let failures = Arc::new(AtomicUsize::new(0));
            let paths = Arc::new(paths);
            let workers: Vec<_> = (0..concurrency.max(1))
                .map(|_| {
                    let (jobs, next, results, failures, paths, base, token) = (
                        jobs.clone(),
                        next.clone(),
                        results.clone(),
                        failures.clone(),
                        paths.clone(),
                        base.clone(),
                        token.clone(),
                    );
                    std::thread::spawn(move || {
                        let agent = ureq::AgentBuilder::new()
                            .timeout(Duration::from_secs(60))
                            .build();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&p) = jobs.get(i) else { break };
                            let t = Instant::now();
                            let ok = agent
                                .get(&format!("{base}{}", paths[p]))
                                .set("Authorization", &format!("Bearer {token}"))
                                .call()
                                .ok()
                                .and_then(|r| {
                                    let mut body = Vec::new();
                                    std::io::Read::read_to_end(&mut r.into_reader(), &mut body).ok()
                                })
                                .is_some();
                            let elapsed = t.elapsed();
                            if ok {
                                results.lock().expect("not poisoned")[p].push(elapsed);
                            } else {
                                failures.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join()
                    .map_err(|_| anyhow::anyhow!("a load worker panicked"))?;
            }
            let results = results.lock().expect("not poisoned");
            for (path, lat) in paths.iter().zip(results.iter()) {
                let mut lat = lat.clone();
                lat.sort();
                println!(
                    "{path}: {} requests, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    lat.len(),
                    percentile(&lat, 0.50),
                    percentile(&lat, 0.95),
                    percentile(&lat, 0.99),
                    lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
                );
            }
            let failed = failures.load(Ordering::Relaxed);
            if failed > 0 {
                anyhow::bail!("{failed} requests failed");
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Insert {
            paths,
            interviews,
            database,
        } => {
            let survey = load_survey(&paths.survey)?;
            let lines = read_lines(&interviews)?;
            let checked: Vec<_> = lines
                .iter()
                .map(|l| {
                    let s: Submission = serde_json::from_str(l)?;
                    survey.check_submission(&s).map_err(anyhow::Error::from)
                })
                .collect::<Result<_, _>>()?;
            runtime.block_on(async {
                let store = open_store(&database).await?;
                store.register_survey(&survey).await?;
                let started = Instant::now();
                for chunk in checked.chunks(500) {
                    store.insert_interviews(&survey, chunk).await?;
                }
                let elapsed = started.elapsed().as_secs_f64();
                println!(
                    "inserted {} interviews into {} from one process in {elapsed:.2} s: {:.0} rows/s",
                    checked.len(),
                    store.backend().name(),
                    checked.len() as f64 / elapsed
                );
                store.close().await;
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
    }
}
