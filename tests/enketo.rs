//! A real ODK client against `papi serve`: Enketo's form engine (enketo-transformer's browser build
//! and enketo-core, from npm, bundled with esbuild in `tests/enketo/`) in headless Chromium, driven
//! by Selenium from `tests/enketo/enketo_form.py` as an Enketo installation pointed at papi would be.
//!
//! For the PAPI questionnaire and for a definition with the other question types
//! (`tests/fixtures/field-types.toml`: notes, a calculation, a cascading select, a point, a date, a
//! time, a repeat counted by an earlier answer), the driver reads papi's Form List under an
//! enumerator's device key, downloads the XForm from its `downloadUrl`, renders it in Enketo, fills it
//! by clicks and typing following the form's skip logic (the village picked down the cascade Enketo
//! offers), lets Enketo validate it and submits Enketo's instance to papi's `submission` under the same
//! key. The test then reads the stored interview through papi's API and checks it field by field
//! against what was entered: every answer, the repetitions, the place, the enumerator, the times, and
//! the calculation computed by the server.
//!
//! Needs the browser tools of tests/tools.rs: Node.js and npm (`npm ci` in `tests/enketo/` from the
//! registry, run here if CI has not run it), Debian's chromium and chromium-driver, Python's selenium.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use crate::common::*;
use serde_json::Value;

/// The page with Enketo bundled in, built once per run of this file: `npm ci` in `tests/enketo/` if
/// its `node_modules` is not there yet, then esbuild. Says how long each step took.
fn bundle() -> &'static Path {
    static BUNDLE: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let folder = repo().join("tests/enketo");
        let step = |what: &str, program: &str, args: &[&str]| {
            let started = Instant::now();
            let out = Command::new(program)
                .args(args)
                .current_dir(&folder)
                .output()
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(
                out.status.success(),
                "{what} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
        };
        if !folder
            .join("node_modules/enketo-core/package.json")
            .exists()
        {
            step(
                "npm ci in tests/enketo",
                "npm",
                &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
            );
        }
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("enketo-page");
        step(
            "bundling Enketo with esbuild",
            "node",
            &["build.mjs", out.to_str().unwrap()],
        );
        out
    })
}

/// Fills `form_id`'s form in Enketo and submits it under `key`; returns what the driver printed.
fn fill_in_enketo(server: &Server, key: &str, form_id: &str, seed: &str) -> Value {
    let started = Instant::now();
    let out = Command::new("python3")
        .arg(repo().join("tests/enketo/enketo_form.py"))
        .arg(format!("http://{}", server.addr))
        .arg(key)
        .arg(bundle())
        .args([form_id, seed])
        .current_dir(repo())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Enketo driver failed on {form_id}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().expect("the driver prints a line");
    let result: Value = serde_json::from_str(line).expect("the driver prints JSON");
    eprintln!(
        "{form_id}: {} questions filled in Enketo and submitted in {:.1} s",
        result["questions_filled"],
        started.elapsed().as_secs_f64()
    );
    result
}

/// Whether a stored answer to `question` is what was entered in Enketo: the same JSON, a time at the
/// same hour and minute (Enketo adds seconds and the device's offset), a point at the same
/// coordinates.
fn same_answer(
    survey: &papi_survey::Survey,
    question: &str,
    entered: &Value,
    stored: &Value,
) -> bool {
    use papi_survey::QuestionType as T;
    let kind = survey
        .question_position(question)
        .map(|p| survey.questions[p].kind);
    match (kind, entered, stored) {
        (_, Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(T::Time), Value::String(a), Value::String(b)) => {
            b.len() >= 5 && a.get(..5) == b.get(..5)
        }
        (Some(T::Geopoint), Value::String(a), Value::String(b)) => {
            let numbers = |s: &str| -> Vec<f64> {
                s.split_whitespace()
                    .map(|x| x.parse::<f64>().unwrap_or(f64::NAN))
                    .collect()
            };
            numbers(a) == numbers(b)
        }
        _ => entered == stored,
    }
}

/// Checks the stored interview field by field against what the driver entered; returns the stored
/// answers.
fn check_stored(
    server: &Server,
    reader: &str,
    survey: &papi_survey::Survey,
    filled: &Value,
) -> Value {
    assert_eq!(
        filled["status"], 201,
        "papi's response: {}",
        filled["reply"]
    );
    assert!(
        filled["reply"]
            .as_str()
            .unwrap()
            .contains("OpenRosaResponse"),
        "{}",
        filled["reply"]
    );
    let id = filled["instance_id"].as_str().unwrap();
    let reply = server.get_as(&format!("/api/v1/interviews/{id}"), reader);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = reply.json();
    assert_eq!(stored["survey"]["id"], survey.id.as_str());
    assert_eq!(stored["survey"]["version"], survey.version.as_str());
    assert_eq!(stored["enumerator"], "enum-enketo");
    for at in ["started_at", "finished_at"] {
        assert!(
            stored[at].is_string(),
            "{at} comes from Enketo's preloads: {stored}"
        );
    }

    // The place picked down the cascade, and the province the form gives.
    for (column, value) in filled["location"].as_object().unwrap() {
        assert_eq!(
            &stored["location"][column], value,
            "location column {column}"
        );
    }
    assert_eq!(stored["location"]["province"], "Bình Định");

    // Every answer entered is stored as entered, and nothing else is stored but calculations.
    let entered = filled["answers"].as_object().unwrap();
    let answers = stored["answers"].as_object().unwrap();
    for (question, value) in entered {
        let got = answers.get(question).unwrap_or(&Value::Null);
        match (value, got) {
            (Value::Array(reps), Value::Array(got_reps)) if reps.iter().all(Value::is_object) => {
                assert_eq!(reps.len(), got_reps.len(), "repetitions of {question}");
                for (i, (rep, got_rep)) in reps.iter().zip(got_reps).enumerate() {
                    for (inner, v) in rep.as_object().unwrap() {
                        let g = got_rep.get(inner).unwrap_or(&Value::Null);
                        assert!(
                            same_answer(survey, inner, v, g),
                            "{question}[{}].{inner}: entered {v}, stored {g}",
                            i + 1
                        );
                    }
                }
            }
            _ => assert!(
                same_answer(survey, question, value, got),
                "{question}: entered {value}, stored {got}"
            ),
        }
    }
    for question in answers.keys() {
        let calculated = survey
            .question_position(question)
            .map(|p| survey.questions[p].kind == papi_survey::QuestionType::Calculate)
            .unwrap_or(false);
        assert!(
            entered.contains_key(question) || calculated,
            "{question} is stored ({}) but was not entered in Enketo",
            answers[question]
        );
    }
    stored["answers"].clone()
}

on_both_databases! { needs browser;
    fn enketo_renders_papis_forms_fills_them_and_submits_them_over_openrosa(db: &TestDb) {
        let started = Instant::now();
        register_sample(db, &["enum-enketo"]);
        let types = fixture("field-types.toml");
        let types_def = types.to_str().unwrap();
        ok(&["sample", "register", "--database", &db.url, "--survey", types_def, "--frame", "tests/fixtures/small-frame.toml", "--seed", "7"]);
        ok(&["sample", "assign", "--database", &db.url, "--survey", types_def, "--enumerator", "enum-enketo", "--all"]);
        let key = token(db, "enumerator", "enum-enketo");
        let supervisor = token(db, "supervisor", "sup-enketo");
        let server = Server::start(&["--database", &db.url]);
        bundle();

        // The PAPI questionnaire: every group, the skip logic, the village picked down the cascade.
        let papi = shipped_survey();
        let filled = fill_in_enketo(&server, &key, "papi", "2019");
        assert!(filled["questions_filled"].as_u64().unwrap() > 100, "{}", filled["questions_filled"]);
        for column in ["district", "commune", "village"] {
            assert!(filled["location"][column].is_string(), "{column} picked: {}", filled["location"]);
        }
        check_stored(&server, &supervisor, &papi, &filled);

        // The other question types.
        let survey = papi_survey::Survey::load(&types).unwrap();
        let filled = fill_in_enketo(&server, &key, "field_types", "14");
        let answers = check_stored(&server, &supervisor, &survey, &filled);
        let members = filled["answers"]["member"].as_array().unwrap();
        assert_eq!(members.len(), 3, "the repeat has as many repetitions as members: {members:?}");
        let ages: i64 = members.iter().map(|m| m["member_age"].as_i64().unwrap()).sum();
        assert_eq!(answers["total_age"].as_f64(), Some(ages as f64), "the server's sum of the ages");
        for m in members {
            assert_eq!(m.get("at_school").is_some(), m["member_age"].as_i64().unwrap() < 25, "skip logic in a repetition: {m}");
        }
        let crop_kind = filled["answers"]["crop_kind"].as_str().unwrap();
        let crop = filled["answers"]["crop"].as_str().unwrap();
        let grains = ["rice", "maize"];
        assert_eq!(grains.contains(&crop), crop_kind == "grain", "the cascade offered {crop} for {crop_kind}");
        for q in ["welcome", "ages_note"] {
            assert!(answers.get(q).is_none(), "a note takes no answer: {q}");
        }
        for q in ["field", "visit_date", "visit_time"] {
            assert!(answers[q].is_string(), "{q}: {answers}");
        }
        eprintln!("{}: the Enketo test took {:.1} s", db.kind, started.elapsed().as_secs_f64());
    }
}
