//! Storage on both databases, through the CLI: migrations at start-up, simulated fieldwork stored
//! whole, imports that are all or nothing, resends acknowledged without a second copy, conflicts
//! refused, and Vietnamese text normalised before it is stored.
//!
//! Each test runs on SQLite and, with `DATABASE_URL` set, on PostgreSQL.

use crate::common::*;
use serde_json::{json, Value};

/// Registers the test frame's sample for the small survey (`definition`: a path, or a fixture's name).
fn register_small_sample(db: &TestDb, definition: &str) {
    let def = if definition.contains('/') {
        std::path::PathBuf::from(definition)
    } else {
        fixture(definition)
    };
    let frame = fixture("small-frame.toml");
    ok(&[
        "sample",
        "register",
        "--database",
        &db.url,
        "--survey",
        def.to_str().unwrap(),
        "--frame",
        frame.to_str().unwrap(),
        "--seed",
        "1",
    ]);
}

fn simulate_jsonl(dir: &std::path::Path, seed: &str, count: &str) -> std::path::PathBuf {
    simulate_file(dir, seed, count, "jsonl")
}

on_both_databases! {
    fn simulate_stores_the_whole_sample_once(db: &TestDb) {
        let survey = shipped_survey();
        let out = ok(&["simulate", "--seed", "8", "--database", &db.url]);
        assert!(stderr(&out).contains("stored 704 new interview(s)"), "{}", stderr(&out));
        assert_eq!(db.count(&survey), 704);
        // The same seed again: every interview is recognised, none stored twice.
        let out = ok(&["simulate", "--seed", "8", "--database", &db.url]);
        assert!(stderr(&out).contains("stored 0 new interview(s)") && stderr(&out).contains("704 already there"), "{}", stderr(&out));
        assert_eq!(db.count(&survey), 704);
    }
}

on_both_databases! {
    fn stored_interviews_read_back_as_they_were_simulated(db: &TestDb) {
        let survey = shipped_survey();
        let dir = tempdir();
        let file = simulate_jsonl(dir.path(), "12", "150");
        register_sample(db, &[]);
        let out = ok(&["import", file.to_str().unwrap(), "--database", &db.url]);
        assert!(stdout(&out).contains("imported 150 new interview(s), 0 already stored"), "{}", stdout(&out));
        let stored = db.interviews(&survey);
        assert_eq!(stored.len(), 150);
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, s) in text.lines().zip(&stored) {
            let original: papi_survey::Submission = serde_json::from_str(line).unwrap();
            let back = survey.to_submission(&s.interview);
            assert_eq!(back, original, "interview {} reads back unchanged", original.id);
            assert_eq!(s.review_state, "received");
            assert_eq!(s.content_hash, s.interview.content_hash(&survey));
        }
        // Keyset pages follow arrival order without gaps.
        let seqs: Vec<i64> = stored.iter().map(|s| s.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let one = db.store();
        let fetched = block_on(one.interview(&survey, stored[7].interview.id)).unwrap().unwrap();
        assert_eq!(fetched.interview, stored[7].interview);
        assert!(block_on(one.interview(&survey, uuid::Uuid::new_v4())).unwrap().is_none());
    }
}

on_both_databases! {
    fn a_resend_is_acknowledged_and_a_conflict_stores_nothing(db: &TestDb) {
        let survey = shipped_survey();
        let dir = tempdir();
        let file = simulate_jsonl(dir.path(), "13", "40");
        register_sample(db, &[]);
        ok(&["import", file.to_str().unwrap(), "--database", &db.url]);
        // The same file again: acknowledged, no second copy.
        let out = ok(&["import", file.to_str().unwrap(), "--database", &db.url]);
        assert!(stdout(&out).contains("imported 0 new interview(s), 40 already stored"), "{}", stdout(&out));
        assert_eq!(db.count(&survey), 40);

        // A file with one new interview and one changed one (same id, other answers): refused whole.
        let text = std::fs::read_to_string(&file).unwrap();
        let mut changed: Value = serde_json::from_str(text.lines().nth(3).unwrap()).unwrap();
        changed["answers"]["household_size"] = json!(changed["answers"]["household_size"].as_i64().unwrap() % 29 + 1);
        let mut fresh: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        fresh["id"] = json!(uuid::Uuid::new_v4().to_string());
        let mixed = dir.path().join("mixed.jsonl");
        write(&mixed, &format!("{fresh}\n{changed}\n"));
        let out = run(&["import", mixed.to_str().unwrap(), "--database", &db.url]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("already stored with different content"), "{}", stderr(&out));
        assert!(stderr(&out).contains("nothing was imported"));
        assert_eq!(db.count(&survey), 40, "the new interview of the refused file is not stored either");

        // The same id twice in one file with different content is a conflict too.
        let twice = dir.path().join("twice.jsonl");
        let mut again = fresh.clone();
        again["answers"]["household_size"] = json!(fresh["answers"]["household_size"].as_i64().unwrap() % 29 + 1);
        write(&twice, &format!("{fresh}\n{again}\n"));
        assert_eq!(run(&["import", twice.to_str().unwrap(), "--database", &db.url]).status.code(), Some(1));
        assert_eq!(db.count(&survey), 40);
    }
}

on_both_databases! {
    fn an_invalid_interview_stores_nothing(db: &TestDb) {
        let survey = shipped_survey();
        let dir = tempdir();
        let file = simulate_jsonl(dir.path(), "14", "20");
        register_sample(db, &[]);
        let mut text = std::fs::read_to_string(&file).unwrap();
        let mut bad: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        bad["id"] = json!(uuid::Uuid::new_v4().to_string());
        bad["answers"]["sex"] = json!("unknown");
        text.push_str(&format!("{bad}\n"));
        write(&file, &text);
        let out = run(&["import", file.to_str().unwrap(), "--database", &db.url]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("answers.sex") && stderr(&out).contains("answer.not_a_choice"), "{}", stderr(&out));
        assert_eq!(db.count(&survey), 0);
    }
}

on_both_databases! {
    fn vietnamese_text_is_stored_in_one_form(db: &TestDb) {
        let survey = papi_survey::Survey::load(fixture("small.toml")).unwrap();
        let composed = "Tây Sơn";
        let decomposed = "Ta\u{302}y So\u{31b}n";
        assert_ne!(composed, decomposed);
        let interview = |district: &str| {
            json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "survey": { "id": "small", "version": "1" },
                "location": { "province": "Bình Định", "district": district, "commune": "Bình Tường" },
                "answers": { "age": 50, "visited_clinic": "no", "road_good": "yes", "channels": ["radio"], "comment": "Đường tốt" }
            })
        };
        let dir = tempdir();
        let file = dir.path().join("nfc.jsonl");
        let mut with_marks = interview(decomposed);
        with_marks["answers"]["comment"] = json!("Đu\u{31b}o\u{31b}\u{300}ng to\u{302}\u{301}t");
        write(&file, &format!("{}\n{}\n", interview(composed), with_marks));
        register_small_sample(db, "small.toml");
        ok(&["import", file.to_str().unwrap(), "--database", &db.url, "--survey", fixture("small.toml").to_str().unwrap()]);
        let stored = db.interviews(&survey);
        assert_eq!(stored.len(), 2);
        for s in &stored {
            assert_eq!(s.interview.location_value("district"), Some(composed));
            assert_eq!(s.interview.answers[survey.question_position("comment").unwrap()], Some(papi_survey::Answer::Text("Đường tốt".into())));
        }
    }
}

on_both_databases! {
    fn a_changed_definition_needs_a_new_version(db: &TestDb) {
        let dir = tempdir();
        let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
        let interview = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "survey": { "id": "small", "version": "1" },
            "location": { "province": "Bình Định", "district": "Tây Sơn", "commune": "Bình Tường" },
            "answers": { "age": 50, "visited_clinic": "no", "road_good": "yes", "channels": ["radio"] }
        });
        let file = dir.path().join("one.jsonl");
        write(&file, &format!("{interview}\n"));
        let def = fixture("small.toml");
        register_small_sample(db, def.to_str().unwrap());
        ok(&["import", file.to_str().unwrap(), "--database", &db.url, "--survey", def.to_str().unwrap()]);
        let changed = dir.path().join("changed.toml");
        write(&changed, &text.replace("Đường tốt không?", "Đường có tốt không?"));
        let out = run(&["import", file.to_str().unwrap(), "--database", &db.url, "--survey", changed.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("already registered with a different definition"), "{}", stderr(&out));
        // With a new version it is a survey of its own.
        let bumped = dir.path().join("bumped.toml");
        write(&bumped, &text.replace("Đường tốt không?", "Đường có tốt không?").replace("version = \"1\"", "version = \"2\""));
        let mut v2 = interview.clone();
        v2["survey"]["version"] = json!("2");
        v2["id"] = json!(uuid::Uuid::new_v4().to_string());
        write(&file, &format!("{v2}\n"));
        register_small_sample(db, bumped.to_str().unwrap());
        ok(&["import", file.to_str().unwrap(), "--database", &db.url, "--survey", bumped.to_str().unwrap()]);
    }
}

on_both_databases! {
    fn the_service_answers_health_checks_and_shows_the_demo(db: &TestDb) {
        let server = Server::start(&["--database", &db.url, "--demo"]);
        let (status, body) = server.get("/healthz");
        assert_eq!(status, 200, "{body}");
        let health: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["status"], "ok");
        assert_eq!(health["database"], db.kind);
        // The front page sends a visitor to sign in, and tells nothing of the survey.
        let (status, page) = server.get("/");
        assert_eq!(status, 303);
        assert!(!page.contains("707"), "{page}");
        // 704 simulated interviews, and the three with quality problems the demo leaves for the
        // supervisor (sent twice, too short, straight-lined).
        assert_eq!(db.count(&shipped_survey()), 707, "the demo province's 707 interviews");
        assert_eq!(block_on(db.store().publications("papi", "2019.1")).unwrap().len(), 1);
        drop(server);
        // A restart finds the same data and does not seed twice.
        let server = Server::start(&["--database", &db.url, "--demo"]);
        assert_eq!(db.count(&shipped_survey()), 707);
        assert_eq!(block_on(db.store().publications("papi", "2019.1")).unwrap().len(), 1);
        assert_eq!(server.get("/nowhere").0, 404);
    }
}

#[test]
fn the_demo_and_scoring_run_from_any_directory() {
    // The shipped definition, frame, geography, plan and official table are built into the binary.
    let dir = tempdir();
    let url = format!("sqlite:{}", dir.path().join("papi.db").display());
    let server = Server::start_in(dir.path(), &["--database", &url, "--demo"]);
    assert_eq!(server.get("/healthz").0, 200);
    drop(server);
    let out = papi()
        .current_dir(dir.path())
        .args(["score", "--database", &url, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 704 simulated and 3 seeded with quality problems, less the rejected one and the one with issues.
    assert_eq!(v["groups"][0]["respondents"], 705);
    let out = papi()
        .current_dir(dir.path())
        .args([
            "sample",
            "draw",
            "--frame",
            "survey-defs/frames/binh-dinh.toml",
            "--seed",
            "3",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A path that is not a shipped default must exist.
    let out = papi()
        .current_dir(dir.path())
        .args(["sample", "draw", "--frame", "frames/elsewhere.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_database_that_cannot_be_reached_is_a_clear_error() {
    let out = run(&[
        "simulate",
        "--seed",
        "1",
        "--database",
        "postgres://postgres@127.0.0.1:1/none",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot connect to the database"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "simulate",
        "--seed",
        "1",
        "--database",
        "sqlite:/nonexistent-dir/papi.db",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot connect to the database"),
        "{}",
        stderr(&out)
    );
}
