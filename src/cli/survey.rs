//! `papi survey check` and `papi survey validate`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use papi_survey::{Submission, Survey};

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Load a definition and report every problem with file, line and id.
    Check {
        /// The survey definition (TOML).
        file: PathBuf,
        /// Print problems (or the summary) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the indicators and how each scores its question, as CSV (a codebook for analysts and for
    /// recomputing scores in other tools).
    Indicators {
        /// The survey definition (TOML).
        file: PathBuf,
    },
    /// Validate interviews (JSON lines, one interview per line, as the API takes them).
    Validate {
        /// The survey definition (TOML).
        #[arg(long)]
        survey: PathBuf,
        /// JSON lines file of interviews.
        interviews: PathBuf,
        /// Print errors as JSON lines.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: SurveyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SurveyCommand::Check { file, json } => match Survey::load(&file) {
            Ok(s) => {
                if json {
                    let summary = serde_json::json!({
                        "survey": { "id": s.id, "version": s.version },
                        "dimensions": s.dimensions.len(),
                        "subdimensions": s.subdimension_count(),
                        "questions": s.questions.len(),
                        "indicators": s.indicators.len(),
                        "hash": s.hash,
                    });
                    println!("{summary}");
                } else {
                    println!(
                        "{}: survey {} version {}: {} dimensions, {} sub-dimensions, {} questions, {} indicators",
                        file.display(),
                        s.id,
                        s.version,
                        s.dimensions.len(),
                        s.subdimension_count(),
                        s.questions.len(),
                        s.indicators.len()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if json {
                    println!("{}", serde_json::json!({ "problems": e.problems }));
                } else {
                    eprint!("{e}");
                }
                Ok(ExitCode::from(1))
            }
        },
        SurveyCommand::Indicators { file } => indicators(&file),
        SurveyCommand::Validate {
            survey,
            interviews,
            json,
        } => {
            let survey = Survey::load(&survey).map_err(|e| anyhow::anyhow!("{e}"))?;
            let file = std::fs::File::open(&interviews)
                .with_context(|| format!("cannot open {}", interviews.display()))?;
            let (mut good, mut bad) = (0usize, 0usize);
            for (n, line) in BufReader::new(file).lines().enumerate() {
                let line =
                    line.with_context(|| format!("{}: line {}", interviews.display(), n + 1))?;
                if line.trim().is_empty() {
                    continue;
                }
                let errors = match serde_json::from_str::<Submission>(&line) {
                    Err(e) => vec![serde_json::json!({
                        "field": "", "rule": "json.invalid",
                        "message": { "en": e.to_string(), "vi": format!("JSON không hợp lệ: {e}") }
                    })],
                    Ok(s) => match survey.check_submission(&s) {
                        Ok(_) => {
                            good += 1;
                            continue;
                        }
                        Err(e) => e
                            .errors
                            .iter()
                            .map(|e| serde_json::to_value(e).expect("serialisable"))
                            .collect(),
                    },
                };
                bad += 1;
                for e in errors {
                    if json {
                        println!("{}", serde_json::json!({ "line": n + 1, "error": e }));
                    } else {
                        println!(
                            "{}:{}: {}: {} ({})",
                            interviews.display(),
                            n + 1,
                            e["field"].as_str().unwrap_or(""),
                            e["message"]["en"].as_str().unwrap_or(""),
                            e["rule"].as_str().unwrap_or("")
                        );
                    }
                }
            }
            eprintln!("{good} valid, {bad} invalid interview(s)");
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// The indicators of a definition as CSV: one row per scored choice (or one per numeric range).
fn indicators(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let s = Survey::load(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record([
        "indicator",
        "dimension",
        "subdimension",
        "question",
        "weight",
        "kind",
        "choice",
        "score",
        "lo",
        "hi",
        "reverse",
        "label_vi",
        "label_en",
    ])?;
    for ind in &s.indicators {
        let dim = &s.dimensions[ind.dimension];
        let sub = &dim.subdimensions[ind.subdimension];
        let q = &s.questions[ind.question].id;
        let row = |kind: &str, choice: &str, score: String, range: Option<(f64, f64, bool)>| {
            let (lo, hi, reverse) = match range {
                Some((lo, hi, r)) => (lo.to_string(), hi.to_string(), r.to_string()),
                None => (String::new(), String::new(), String::new()),
            };
            vec![
                ind.id.clone(),
                dim.id.clone(),
                sub.id.clone(),
                q.clone(),
                ind.weight.to_string(),
                kind.to_owned(),
                choice.to_owned(),
                score,
                lo,
                hi,
                reverse,
                ind.label.get("vi").to_owned(),
                ind.label.get("en").to_owned(),
            ]
        };
        match &ind.scoring {
            papi_survey::Scoring::Values(values) => {
                for (choice, score) in values {
                    w.write_record(row("values", choice, score.to_string(), None))?;
                }
            }
            papi_survey::Scoring::Range { lo, hi, reverse } => {
                w.write_record(row("range", "", String::new(), Some((*lo, *hi, *reverse))))?;
            }
            papi_survey::Scoring::AnyOf(any) => {
                for choice in any {
                    w.write_record(row("any_of", choice, "1".into(), None))?;
                }
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
