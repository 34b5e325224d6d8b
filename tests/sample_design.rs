//! The sample design lives on the server: an administrator registers a sample drawn by papi from a
//! frame, a supervisor assigns its villages, every interview's place is checked on arrival against it,
//! weights are computed by papi, and a recompute leaves out what it cannot score, saying why. Through
//! the HTTP API and the CLI as their users work them, on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use crate::common::*;
use serde_json::{json, Value};

const SAMPLE: &str = "/api/v1/surveys/papi/2019.1/sample";
const ASSIGNMENTS: &str = "/api/v1/surveys/papi/2019.1/assignments";

fn place_of(iv: &Value) -> String {
    let l = &iv["location"];
    ["province", "district", "commune", "village"]
        .iter()
        .map(|c| l[c].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" / ")
}

on_both_databases! {
    fn places_and_weights_come_from_the_registered_sample_on_every_path(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let admin = token(db, "admin", "quan-tri");
        let supervisor = token(db, "supervisor", "gs-01");
        let leader = token(db, "leader", "chu-tich");
        let lan = token(db, "enumerator", "ĐTV Lan");
        let nam = token(db, "enumerator", "ĐTV Nam");
        let items = submissions("91", "40");

        // Before a sample is registered, no place can be accepted.
        let r = server.post("/api/v1/interviews", &admin, &items[0].to_string());
        assert_eq!((r.status, r.json()["code"].clone()), (422, json!("location.no_sample")), "{}", r.body);
        assert_eq!(db.count(&survey), 0);

        // Only an administrator registers a sample; the server draws it from the frame it is given.
        let frame = std::fs::read_to_string(repo().join("survey-defs/frames/binh-dinh.toml")).unwrap();
        let request = json!({ "frame": frame, "seed": 2019 }).to_string();
        assert_eq!(server.post(SAMPLE, &supervisor, &request).status, 403);
        let bad = json!({ "frame": "[frame]\nid = 1", "seed": 1 }).to_string();
        let r = server.post(SAMPLE, &admin, &bad);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.json()["message"]["en"].as_str().unwrap().contains("frame"), "{}", r.body);
        let r = server.post(SAMPLE, &admin, &request);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((r.json()["sample_version"].clone(), r.json()["places"].clone(), r.json()["planned"].clone()), (json!(1), json!(44), json!(704)));
        let sample = server.get_as(SAMPLE, &supervisor).json();
        let places: BTreeSet<String> = sample["places"].as_array().unwrap().iter().map(|p| p["place"].as_str().unwrap().to_owned()).collect();
        assert_eq!(places.len(), 44);
        assert!(items.iter().all(|iv| places.contains(&place_of(iv))), "simulated interviews come from the registered sample");
        assert!(sample["places"].as_array().unwrap().iter().all(|p| p["planned"] == 16 && p["inclusion_probability"].as_f64().unwrap() <= 1.0));
        assert_eq!(server.get_as(SAMPLE, &leader).status, 403);

        // A supervisor assigns villages; a place outside the sample changes nothing.
        let district = items[0]["location"]["district"].clone();
        let lans: Vec<&Value> = items.iter().filter(|iv| iv["location"]["district"] == district).collect();
        let others: Vec<&Value> = items.iter().filter(|iv| iv["location"]["district"] != district).collect();
        assert!(!lans.is_empty() && !others.is_empty());
        let lan_places: BTreeSet<String> = places.iter().filter(|p| p.split(" / ").nth(1) == district.as_str()).cloned().collect();
        let rows: Vec<Value> = lan_places.iter().map(|p| json!({"place": p, "enumerator": "ĐTV Lan"})).collect();
        let mut with_bad = rows.clone();
        with_bad.push(json!({"place": "Bình Định / Probe / Xã 1 / Thôn 1", "enumerator": "ĐTV Lan"}));
        let r = server.request("PUT", ASSIGNMENTS, Some(&supervisor), Some(json!({"assignments": with_bad}).to_string().as_bytes()));
        assert_eq!((r.status, r.json()["code"].clone()), (422, json!("location.not_in_sample")), "{}", r.body);
        assert_eq!(server.get_as(ASSIGNMENTS, &supervisor).json()["assignments"], json!([]));
        assert_eq!(server.request("PUT", ASSIGNMENTS, Some(&lan), Some(json!({"assignments": rows}).to_string().as_bytes())).status, 403);
        let r = server.request("PUT", ASSIGNMENTS, Some(&supervisor), Some(json!({"assignments": rows}).to_string().as_bytes()));
        assert_eq!(r.status, 200, "{}", r.body);
        // An enumerator sees their own villages (what the form offers), and only those.
        let mine = server.get_as(ASSIGNMENTS, &lan).json();
        let mine: BTreeSet<String> = mine["assignments"].as_array().unwrap().iter().map(|a| a["place"].as_str().unwrap().to_owned()).collect();
        assert_eq!(mine, lan_places);
        assert_eq!(server.get_as(ASSIGNMENTS, &nam).json()["assignments"], json!([]));
        assert_eq!(server.get_as(ASSIGNMENTS, &leader).status, 403);

        // Places are checked on arrival: assigned villages in, everything else out, nothing stored.
        assert_eq!(server.post("/api/v1/interviews", &lan, &lans[0].to_string()).status, 201);
        let r = server.post("/api/v1/interviews", &lan, &others[0].to_string());
        assert_eq!((r.status, r.json()["code"].clone()), (422, json!("location.not_assigned")), "{}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "location.village");
        let r = server.post("/api/v1/interviews", &nam, &lans[1].to_string());
        assert_eq!((r.status, r.json()["code"].clone()), (422, json!("location.not_assigned")));
        let mut weighted = lans[1].clone();
        weighted["weight"] = json!(1e300);
        let r = server.post("/api/v1/interviews", &lan, &weighted.to_string());
        assert_eq!(r.status, 422);
        assert!(r.json()["errors"].as_array().unwrap().iter().any(|e| e["field"] == "weight" && e["rule"] == "weight.not_accepted"));
        // The batch path checks each item the same way.
        let mut invented = lans[2].clone();
        invented["location"]["village"] = json!("thôn 99");
        let batch = json!({"interviews": [lans[1], others[1], weighted, invented]}).to_string();
        let r = server.post("/api/v1/interviews/batch", &lan, &batch);
        assert_eq!(r.status, 200, "{}", r.body);
        let statuses: Vec<Value> = r.json()["results"].as_array().unwrap().iter().map(|x| x["status"].clone()).collect();
        assert_eq!(statuses, [json!(201), json!(422), json!(422), json!(422)], "{}", r.body);
        assert_eq!(db.count(&survey), 2);
        // The second rule is a survey setting: relaxed, any village of the sample will do.
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&supervisor), Some(br#"{"assignments_required": false}"#));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(server.post("/api/v1/interviews", &nam, &others[0].to_string()).status, 201);
        let r = server.post("/api/v1/interviews", &nam, &invented.to_string());
        assert_eq!(r.json()["code"], "location.not_in_sample");
        assert_eq!(db.count(&survey), 3);
        // Nothing stored carries a client's weight, and every stored interview is scored, with the
        // weight papi computes.
        assert!(db.interviews(&survey).iter().all(|s| s.interview.weight.is_none()));
        let printed = stdout(&ok(&["recompute", "--database", &db.url]));
        assert!(printed.contains(": 3 interviews") && !printed.contains("left out"), "{printed}");
        let audit = block_on(db.store().audit_entries(100)).unwrap();
        assert!(audit.iter().any(|a| a.action == "sample.register" && a.actor == "quan-tri"));
        assert!(audit.iter().any(|a| a.action == "sample.assignments" && a.actor == "gs-01"));
        let doc = server.request("GET", "/api/v1/openapi.json", None, None).json();
        for p in ["/api/v1/surveys/{id}/{version}/sample", "/api/v1/surveys/{id}/{version}/assignments"] {
            assert!(doc["paths"].get(p).is_some(), "{p} is documented");
        }
    }
}

on_both_databases! {
    fn a_recompute_leaves_out_what_it_cannot_score_and_says_why(db: &TestDb) {
        // Fieldwork in the villages of sample 1 (`papi simulate` registers it)...
        let out = ok(&["simulate", "--seed", "92", "--per-village", "12", "--database", &db.url]);
        assert!(stderr(&out).contains("registered sample version 1"), "{}", stderr(&out));
        let printed = stdout(&ok(&["recompute", "--database", &db.url]));
        assert!(printed.contains("528 interviews") && !printed.contains("left out"), "{printed}");
        // ...then a new sample is registered: interviews from villages it dropped cannot be weighted.
        let out = ok(&["sample", "register", "--database", &db.url, "--frame", "survey-defs/frames/binh-dinh.toml", "--seed", "7"]);
        assert!(stdout(&out).contains("version 2"), "{}", stdout(&out));
        let server = Server::start(&["--database", &db.url]);
        let supervisor = token(db, "supervisor", "gs-01");
        let leader = token(db, "leader", "chu-tich");
        let places: BTreeSet<String> = server.get_as(SAMPLE, &supervisor).json()["places"].as_array().unwrap()
            .iter().map(|p| p["place"].as_str().unwrap().to_owned()).collect();
        let survey = shipped_survey();
        let stored = db.interviews(&survey);
        let outside = stored.iter().filter(|s| !places.contains(&papi_store::place_key(&s.interview.location))).count();
        assert!(outside > 0 && outside < stored.len(), "seed 7 keeps some villages and drops others ({outside})");
        let printed = stdout(&ok(&["recompute", "--database", &db.url]));
        assert!(printed.contains(&format!("{} interviews", stored.len() - outside)), "{printed}");
        assert!(printed.contains(&format!("left out {outside} interview(s)")) && printed.contains("location.not_in_sample"), "{printed}");
        // The publication says how many; the fieldwork page lists them and why.
        let d = server.get_as("/api/v1/dashboard/papi/2019.1", &leader).json();
        assert_eq!(d["publication"]["left_out"], outside);
        let f = server.get_as("/api/v1/surveys/papi/2019.1/fieldwork", &supervisor).json();
        let left = f["left_out"].as_array().unwrap();
        assert_eq!(left.len(), outside);
        assert!(left.iter().all(|l| l["code"] == "location.not_in_sample" && l["reason"].as_str().unwrap().contains("not a village of the registered sample")));
        let page = server.get_as("/fieldwork/papi/2019.1", &supervisor);
        assert!(page.body.contains("Phiếu không được tính"), "the page lists what was left out");
        // The scores are those of `papi score` on the same database.
        let scored: Value = serde_json::from_str(&stdout(&ok(&["score", "--database", &db.url, "--min-respondents", "1"]))).unwrap();
        let total = &scored["groups"][0]["total"];
        assert!(total["estimate"].is_f64(), "{total}");
        for key in ["estimate", "ci_low", "ci_high"] {
            assert_eq!(total[key], d["total"][key], "{key}");
        }
    }
}

on_both_databases! {
    fn without_a_sample_stored_weights_are_read_and_one_bad_interview_does_not_stop_a_recompute(db: &TestDb) {
        // A database from before samples were registered: interviews stored with their weights, one
        // of them without any.
        let survey = shipped_survey();
        let dir = tempdir();
        let file = simulate_file(dir.path(), "93", "60", "csv");
        let mut csv = csv::Reader::from_path(&file).unwrap();
        let column = csv.headers().unwrap().iter().position(|h| h == "weight").unwrap();
        let weights: Vec<f64> = csv.records().map(|r| r.unwrap()[column].parse().unwrap()).collect();
        let jsonl = simulate_file(dir.path(), "93", "60", "jsonl");
        let mut interviews: Vec<papi_survey::Interview> = std::fs::read_to_string(jsonl).unwrap().lines()
            .map(|l| survey.check_submission(&serde_json::from_str(l).unwrap()).unwrap())
            .collect();
        for (iv, w) in interviews.iter_mut().zip(&weights) {
            iv.weight = Some(*w);
        }
        interviews[7].weight = None;
        let store = db.store();
        block_on(store.register_survey(&survey)).unwrap();
        block_on(store.insert_interviews(&survey, &interviews)).unwrap();
        let printed = stdout(&ok(&["recompute", "--database", &db.url]));
        assert!(printed.contains("59 interviews") && printed.contains("left out 1 interview(s)") && printed.contains("weight.missing"), "{printed}");
        assert!(printed.contains(&interviews[7].id.to_string()), "{printed}");
    }
}

on_both_databases! {
    fn the_demos_scores_equal_papi_score_on_its_export(db: &TestDb) {
        // The demo draws its sample from the shipped frame, assigns it and seeds interviews through it.
        let server = Server::start(&["--database", &db.url, "--demo"]);
        drop(server);
        let store = db.store();
        let sample = block_on(store.current_sample("papi", "2019.1")).unwrap().expect("the demo registers its sample");
        assert_eq!(sample.registered_by, "demo-admin");
        assert_eq!(block_on(store.sample_places("papi", "2019.1")).unwrap().len(), 44);
        let mine = block_on(store.assignments("papi", "2019.1", Some("demo-enumerator"))).unwrap();
        assert_eq!(mine.len(), 4, "the first district's villages");
        // Scoring takes approved and unreviewed interviews by default: export those, and score both.
        let dir = tempdir();
        let csv = dir.path().join("demo.csv");
        ok(&["export", "--database", &db.url, "--output", csv.to_str().unwrap(), "--review-state", "approved", "--review-state", "received"]);
        let from_db = ok(&["score", "--database", &db.url, "--by", "district"]).stdout;
        let from_file = ok(&["score", "--responses", csv.to_str().unwrap(), "--by", "district"]).stdout;
        assert!(from_db == from_file, "the demo's scores differ from its export's");
        let overall: Value = serde_json::from_slice(&ok(&["score", "--database", &db.url]).stdout).unwrap();
        // 704 simulated and 3 seeded with quality problems, less the rejected one and the one with issues.
        assert_eq!(overall["groups"][0]["respondents"], 705);
    }
}

/// An export of the interviews scoring takes, in `dir`.
fn csv_of(db: &TestDb, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let csv = dir.path().join("export.csv");
    ok(&[
        "export",
        "--database",
        &db.url,
        "--output",
        csv.to_str().unwrap(),
    ]);
    csv
}

on_both_databases! {
    fn publications_rake_the_design_weights_to_the_margins_registered_with_the_survey(db: &TestDb) {
        ok(&["simulate", "--seed", "94", "--database", &db.url]);
        // Census margins by district and by sex, registered with the survey version.
        let frame = papi_sample::Frame::load(&repo().join("survey-defs/frames/binh-dinh.toml")).unwrap();
        let mut text = String::from("[[margins]]\ncolumns = [\"district\"]\ncells = [\n");
        for d in &frame.units {
            text.push_str(&format!("  {{ district = \"{}\", population = {} }},\n", d.name, d.effective_size().unwrap() * 1.05));
        }
        text.push_str("]\n\n[[margins]]\ncolumns = [\"sex\"]\ncells = [\n  { sex = \"male\", population = 540000 },\n  { sex = \"female\", population = 563235 },\n]\n");
        let dir = tempdir();
        let file = dir.path().join("census.toml");
        write(&file, &text);
        let bad = dir.path().join("bad.toml");
        write(&bad, "[[margins]]\ncolumns = [\"income\"]\ncells = [{ income = \"high\", population = 1 }]\n");
        let out = run(&["sample", "margins", "--database", &db.url, "--file", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("income"), "{}", stderr(&out));
        let out = ok(&["sample", "margins", "--database", &db.url, "--file", file.to_str().unwrap()]);
        assert!(stdout(&out).contains("margins version 1"), "{}", stdout(&out));
        // The publication is what `papi score --margins` computes on the same interviews.
        ok(&["recompute", "--database", &db.url]);
        let raked: Value = serde_json::from_slice(&ok(&["score", "--database", &db.url, "--margins", file.to_str().unwrap(), "--min-respondents", "1"]).stdout).unwrap();
        // Without --margins, scoring the database rakes to the registered margins too.
        let registered: Value = serde_json::from_slice(&ok(&["score", "--database", &db.url, "--min-respondents", "1"]).stdout).unwrap();
        assert_eq!(registered["groups"][0]["total"], raked["groups"][0]["total"]);
        let plain: Value = serde_json::from_slice(&ok(&["score", "--responses", csv_of(db, &dir).to_str().unwrap(), "--min-respondents", "1"]).stdout).unwrap();
        let store = db.store();
        let publication = block_on(store.publications("papi", "2019.1")).unwrap().remove(0);
        let run = block_on(store.score_run(publication.publication.overall_run)).unwrap().unwrap();
        let published: Value = serde_json::from_str(&run.run.result).unwrap();
        assert_eq!(published["groups"][0]["total"], raked["groups"][0]["total"]);
        assert_ne!(published["groups"][0]["total"]["estimate"], plain["groups"][0]["total"]["estimate"], "raking moved the estimate");
        assert_eq!(run.run.parameters["margins"], json!([["district"], ["sex"]]));
        let audit = block_on(store.audit_entries(50)).unwrap();
        assert!(audit.iter().any(|a| a.action == "survey.margins"));
    }
}
