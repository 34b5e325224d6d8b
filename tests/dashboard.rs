//! The leadership dashboard, fieldwork supervision and `papi recompute`, through the CLI and the HTTP
//! API as their users work them, on SQLite and PostgreSQL.

use crate::common::*;
use serde_json::{json, Value};

const DASHBOARD: &str = "/api/v1/dashboard/papi/2019.1";

/// Simulated PAPI fieldwork straight into the database, in the villages of the shipped frame's
/// sample (11 districts × 2 communes × 2 villages), which `papi simulate` registers there.
fn seed(db: &TestDb, per_village: &str) {
    ok(&[
        "simulate",
        "--seed",
        "53",
        "--per-village",
        per_village,
        "--database",
        &db.url,
    ]);
}

fn recompute(db: &TestDb) -> String {
    stdout(&ok(&[
        "recompute",
        "--database",
        &db.url,
        "--published-by",
        "analyst-1",
    ]))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

on_both_databases! {
    fn recompute_publishes_what_papi_score_computes_and_leaders_see_aggregates_only(db: &TestDb) {
        seed(db, "12");
        let printed = recompute(db);
        assert!(printed.contains("published") && printed.contains("528 interviews"), "{printed}");
        let scored: Value = serde_json::from_str(&stdout(&ok(&["score", "--database", &db.url]))).unwrap();
        let server = Server::start(&["--database", &db.url]);
        let leader = token(db, "leader", "chu-tich");
        let enumerator = token(db, "enumerator", "dtv-01");
        let admin = token(db, "admin", "qt-01");

        let r = server.get_as(DASHBOARD, &leader);
        assert_eq!(r.status, 200, "{}", r.body);
        let d = r.json();
        // The published total is the one `papi score` computes from the same interviews.
        let total = &scored["groups"][0]["total"];
        assert!((f(&d["total"]["estimate"]) - f(&total["estimate"])).abs() < 1e-9);
        assert!((f(&d["total"]["ci_low"]) - f(&total["ci_low"])).abs() < 1e-9);
        assert_eq!(d["publication"]["interviews"], 528);
        assert_eq!(d["publication"]["published_by"], "analyst-1");
        // The analysts' page lists every run, newest first, without their results: the publication's
        // two and the one `papi score --database` recorded after them.
        let runs = block_on(db.store().score_runs("papi", "2019.1", 40)).unwrap();
        assert_eq!(runs.len(), 3);
        assert!(runs.windows(2).all(|w| w[0].created_at >= w[1].created_at));
        assert!(runs.iter().all(|r| r.interviews == 528));
        let published = [&d["publication"]["overall_run"], &d["publication"]["strata_run"]];
        let of_publication: Vec<_> = runs.iter().filter(|r| published.iter().any(|p| p.as_str() == Some(&r.id.to_string()))).collect();
        assert_eq!(of_publication.len(), 2, "{published:?}");
        assert!(of_publication.iter().all(|r| r.recorded_by == "analyst-1" && r.parameters["purpose"] == "publication"));
        assert_eq!(block_on(db.store().score_runs("papi", "2019.1", 1)).unwrap().len(), 1);
        assert_eq!(d["baseline"]["total"], 41.04);
        assert!((f(&d["baseline"]["change"]["estimate"]) - (f(&total["estimate"]) - 41.04)).abs() < 1e-9);
        let dims = d["dimensions"].as_array().unwrap();
        assert_eq!(dims.len(), 8);
        assert_eq!(dims[0]["label_vi"], "Tham gia của người dân ở cấp cơ sở");
        for (i, x) in dims.iter().enumerate() {
            let q = x["quartiles"].as_array().unwrap_or_else(|| panic!("quartiles of {}", x["id"]));
            assert!(f(&q[0]) <= f(&q[1]) && f(&q[1]) <= f(&q[2]));
            assert!((f(&x["value"]["estimate"]) - f(&scored["groups"][0]["dimensions"][i]["estimate"])).abs() < 1e-9);
        }
        assert!(["best", "high_average", "low_average", "poor"].contains(&d["performance"]["group"].as_str().unwrap()));
        // The official history: six dimensions before 2018, eight from 2018; the wave after it.
        let history = d["history"].as_array().unwrap();
        assert!(history.iter().any(|h| h["year"] == 2017 && h["dimensions"] == 6));
        assert!(history.iter().any(|h| h["year"] == 2018 && h["dimensions"] == 8 && (f(&h["total"]) - 41.04).abs() < 0.01));
        assert_eq!(d["waves"].as_array().unwrap().len(), 1);
        // Eleven districts of 48 respondents: all shown at the default threshold of 30.
        let groups = d["strata"]["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 11);
        assert!(groups.iter().all(|g| g["suppressed"] == false && g["respondents"] == 48));

        // Raising the threshold above 48 (an administrator's setting) suppresses every district: no
        // value of them is shown.
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&admin), Some(br#"{"dashboard_min_respondents": 49}"#));
        assert_eq!(r.status, 200, "{}", r.body);
        let d = server.get_as(DASHBOARD, &leader).json();
        for g in d["strata"]["groups"].as_array().unwrap() {
            assert_eq!(g["suppressed"], true);
            assert_eq!(g["respondents"], Value::Null);
            assert_eq!(g["total"], Value::Null);
            assert!(g["dimensions"].as_array().unwrap().iter().all(Value::is_null));
        }
        // Nothing a leader sees names an interview.
        let body = server.get_as(DASHBOARD, &leader).body;
        let survey = shipped_survey();
        for s in db.interviews(&survey).iter().take(50) {
            assert!(!body.contains(&s.interview.id.to_string()));
        }
        assert_eq!(server.get_as("/api/v1/interviews?survey=papi&version=2019.1", &leader).status, 403);

        // Pages and charts for the leader; none for an enumerator.
        let page = server.get_as("/dashboard/papi/2019.1", &leader);
        assert_eq!(page.status, 200);
        // The change from 2018 is said in words, with whether it can be told from sampling noise.
        assert!(page.body.contains("có ý nghĩa thống kê") || page.body.contains("chưa đủ dữ liệu"), "the leader's sentence");
        assert!(!page.body.contains("class=\"big\" class="), "one class attribute");
        for dim in &survey.dimensions {
            assert!(page.body.contains(dim.label.get("vi")), "{} missing", dim.label.get("vi"));
        }
        let en = server.get_as("/dashboard/papi/2019.1?lang=en", &leader);
        assert!(en.body.contains("Participation at local levels") && en.body.contains("lang=\"en\""));
        let svg = server.get_as("/dashboard/papi/2019.1/charts/dimensions.svg", &leader);
        assert_eq!(svg.status, 200);
        assert!(svg.body.contains("<svg") && svg.body.contains("Quản trị điện tử"));
        let districts = server.get_as("/dashboard/papi/2019.1/charts/districts.svg", &leader);
        assert_eq!(districts.status, 200);
        assert!(districts.body.contains('—'), "suppressed districts are drawn as —");
        let png = server.request("GET", "/dashboard/papi/2019.1/charts/history.png", Some(&leader), None);
        assert_eq!(png.status, 200);
        assert_eq!(server.get_as("/dashboard/papi/2019.1/charts/nothing.svg", &leader).status, 404);
        assert_eq!(server.get_as(DASHBOARD, &enumerator).status, 403);
        assert_eq!(server.get_as("/dashboard/papi/2019.1", &enumerator).status, 403);
        assert_eq!(server.get_as("/fieldwork/papi/2019.1", &leader).status, 403);
        assert_eq!(server.get_as("/api/v1/dashboard/papi/0.0", &leader).status, 404);
        // Without a sign-in, a page sends the visitor to sign in and back.
        let (status, _) = server.get("/dashboard/papi/2019.1");
        assert_eq!(status, 303);
    }
}

on_both_databases! {
    fn the_dashboard_gives_the_change_from_the_previous_wave_with_both_waves_errors(db: &TestDb) {
        // The 2024 wave under version 2019.1; the 2025 wave is its own version, with its own sample.
        seed(db, "6");
        let publish = |version: &str, year: &str| {
            stdout(&ok(&["recompute", "--database", &db.url, "--version", version, "--published-by", "analyst-1", "--wave-year", year]))
        };
        assert!(publish("2019.1", "2024").contains("wave 2024"));
        let dir = tempdir();
        let next = dir.path().join("papi-2025.toml");
        let text = std::fs::read_to_string(repo().join("survey-defs/papi-2019.toml")).unwrap();
        assert!(text.contains("version = \"2019.1\""));
        write(&next, &text.replacen("version = \"2019.1\"", "version = \"2025.1\"", 1));
        ok(&["simulate", "--survey", next.to_str().unwrap(), "--seed", "77", "--per-village", "6", "--database", &db.url]);
        let server = Server::start(&["--database", &db.url]);
        let leader = token(db, "leader", "chu-tich");
        // Republishing 2019.1 is not a wave before itself: it shares its interviews.
        assert!(publish("2019.1", "2025").contains("wave 2025"));
        assert_eq!(server.get_as(DASHBOARD, &leader).json()["previous_wave"], Value::Null);
        assert!(publish("2025.1", "2025").contains("wave 2025"));
        let before = server.get_as(DASHBOARD, &leader).json();
        let d = server.get_as("/api/v1/dashboard/papi/2025.1", &leader).json();
        let w = &d["previous_wave"];
        assert_eq!(w["year"], 2024, "{w}");
        assert_eq!(w["version"], "2019.1");
        // The 2019.1 publication of 2024, not its republication as 2025.
        let runs: Vec<Value> = before["waves"].as_array().unwrap().iter().map(|x| x["total"].clone()).collect();
        let total_2024 = f(&runs[0]["estimate"]);
        assert!((f(&w["total"]) - total_2024).abs() < 1e-9);
        let total_2025 = f(&d["total"]["estimate"]);
        assert!((f(&w["change"]["estimate"]) - (total_2025 - total_2024)).abs() < 1e-9);
        // Both waves' sampling errors: SE = √(SE_2024² + SE_2025²), from the published runs.
        let se = |run: &Value| {
            let id = run.as_str().unwrap().parse().unwrap();
            let stored = block_on(db.store().score_run(id)).unwrap().unwrap();
            let report: Value = serde_json::from_str(&stored.run.result).unwrap();
            f(&report["groups"][0]["total"]["se"])
        };
        let publications = block_on(db.store().publications("papi", "2019.1")).unwrap();
        let run_2024 = Value::from(publications.iter().find(|p| p.publication.wave_year == 2024).unwrap().publication.overall_run.to_string());
        let expected = se(&run_2024).hypot(se(&d["publication"]["overall_run"]));
        assert!((f(&w["change"]["se"]) - expected).abs() < 1e-9, "{} vs {expected}", w["change"]["se"]);
        assert!(f(&w["change"]["ci_low"]) < f(&w["change"]["estimate"]) && f(&w["change"]["estimate"]) < f(&w["change"]["ci_high"]));
        assert!(w["method"].as_str().unwrap().starts_with("independent samples"));
        assert_eq!(w["dimensions"].as_array().unwrap().len(), 8);
        // An analyst compares the two waves' runs over HTTP: each wave is its own version with its
        // interviews unchanged, and both drew the same communes, so they are compared from the
        // interviews with the covariance of the shared communes.
        let analyst = token(db, "analyst", "phan-tich");
        let compare = |a: &Value, b: &Value| server.get_as(&format!("/api/v1/compare?a={}&b={}", a.as_str().unwrap(), b.as_str().unwrap()), &analyst);
        let r = compare(&run_2024, &d["publication"]["overall_run"]);
        assert_eq!(r.status, 200, "{}", r.body);
        let c = r.json();
        assert!(c["method"].as_str().unwrap().starts_with("waves sharing PSUs"), "{c}");
        assert!(c["psus"]["shared"].as_u64().unwrap() > 0);
        assert!((f(&c["groups"][0]["total"]["change"]) - f(&w["change"]["estimate"])).abs() < 1e-9);
        // Runs of one version share their interviews: compared as reports, and the reason is given.
        let republished = &before["publication"]["overall_run"];
        let c = compare(&run_2024, republished).json();
        assert!(c["method"].as_str().unwrap().starts_with("independent samples"));
        assert!(c["note"].as_str().unwrap().contains("same survey version"), "{c}");
        // New interviews since the 2024 run: its interviews are no longer the ones it scored.
        ok(&["simulate", "--seed", "78", "--per-village", "1", "--database", &db.url]);
        let c = compare(&run_2024, &d["publication"]["overall_run"]).json();
        assert!(c["note"].as_str().unwrap().contains("changed since"), "{c}");
        // The page says it beside the change from 2018, in words.
        let page = server.get_as("/dashboard/papi/2025.1", &leader).body;
        assert!(page.contains("So với đợt trước 2024"), "the previous wave's card");
        assert!(page.contains("so với 2024,"), "the change in words");
        assert!(page.contains("So với đợt 2024"), "a column of the dimensions' changes");
        assert!(page.contains("coi điểm mốc là chính xác"), "the baseline's error is not given: said in words");
        let en = server.get_as("/dashboard/papi/2025.1?lang=en", &leader).body;
        assert!(en.contains("Against the previous wave 2024") && en.contains("treats the baseline as exact"));
    }
}

on_both_databases! {
    fn review_states_are_audited_and_decide_what_a_score_run_takes(db: &TestDb) {
        seed(db, "6");
        let server = Server::start(&["--database", &db.url]);
        let supervisor = token(db, "supervisor", "gs-01");
        let enumerator = token(db, "enumerator", "dtv-01");
        let survey = shipped_survey();
        let all = db.interviews(&survey);
        assert_eq!(all.len(), 264);
        let review = |id: &str, body: Value, who: &str| {
            server.post(&format!("/api/v1/interviews/{id}/review"), who, &body.to_string())
        };
        for s in &all[..10] {
            let r = review(&s.interview.id.to_string(), json!({"state": "approved"}), &supervisor);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let rejected = all[10].interview.id.to_string();
        let issues = all[11].interview.id.to_string();
        // Rejecting or flagging needs a comment saying why; unknown states are refused.
        let r = review(&rejected, json!({"state": "rejected"}), &supervisor);
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["code"], "review.comment_required");
        assert_eq!(review(&rejected, json!({"state": "lost"}), &supervisor).json()["code"], "review.state");
        assert_eq!(review(&rejected, json!({"state": "approved"}), &enumerator).status, 403);
        assert_eq!(review("00000000-0000-4000-8000-000000000000", json!({"state": "approved"}), &supervisor).status, 404);
        assert_eq!(review(&rejected, json!({"state": "rejected", "comment": "Không đúng hộ mẫu."}), &supervisor).status, 200);
        assert_eq!(review(&issues, json!({"state": "approved"}), &supervisor).status, 200);
        assert_eq!(review(&issues, json!({"state": "has_issues", "comment": "Thiếu câu d502."}), &supervisor).status, 200);
        let history = server.get_as(&format!("/api/v1/interviews/{issues}/reviews"), &supervisor).json();
        let steps: Vec<(String, String)> = history["reviews"].as_array().unwrap().iter()
            .map(|r| (r["from"].as_str().unwrap().to_owned(), r["state"].as_str().unwrap().to_owned())).collect();
        assert_eq!(steps, [("received".into(), "approved".into()), ("approved".into(), "has_issues".into())]);
        assert_eq!(history["reviews"][1]["comment"], "Thiếu câu d502.");
        assert_eq!(history["reviews"][1]["reviewer"], "gs-01");
        let audit = block_on(db.store().audit_entries(100)).unwrap();
        assert_eq!(audit.iter().filter(|a| a.action == "interview.review").count(), 13);

        // By default approved and unreviewed interviews count: all but the rejected and the flagged one.
        assert!(recompute(db).contains("262 interviews"));
        let fieldwork = server.get_as("/api/v1/surveys/papi/2019.1/fieldwork", &supervisor).json();
        assert_eq!(fieldwork["review_states"], json!({"approved": 10, "has_issues": 1, "received": 252, "rejected": 1}));
        // A bad setting is refused whole: the good one beside it is not applied either.
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&supervisor),
            Some(br#"{"score_include": "approved", "short_interview_minutes": -3}"#));
        assert_eq!(r.status, 422);
        assert!(r.json()["message"]["en"].as_str().unwrap().contains("short_interview_minutes"));
        assert!(recompute(db).contains("262 interviews"));
        let r = server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&supervisor), Some(br#"{"score_include": "approved"}"#));
        assert_eq!(r.json()["score_include"], "approved");
        assert!(recompute(db).contains("10 interviews"));
        let scored: Value = serde_json::from_str(&stdout(&ok(&["score", "--database", &db.url]))).unwrap();
        assert_eq!(scored["groups"][0]["respondents"], 10);
        assert_eq!(server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&enumerator), Some(br#"{"score_include": "approved"}"#)).status, 403);
    }
}

on_both_databases! {
    fn fieldwork_shows_progress_against_the_samples_quotas_and_flags_quality_problems(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        register_sample(db, &["dtv-07"]);
        let enumerator = token(db, "enumerator", "dtv-07");
        let supervisor = token(db, "supervisor", "gs-01");
        let mut items = submissions("8", "20");
        // One interview done in six minutes, and one sent again under a new id.
        items[3]["finished_at"] = json!(bump(&items[3]["started_at"], 6));
        let mut copy = items[5].clone();
        copy["id"] = json!("7b0e6f7e-1f4f-4d7a-9a51-3a5b2f9b6c01");
        items.push(copy);
        for it in &items {
            assert_eq!(server.post("/api/v1/interviews", &enumerator, &it.to_string()).status, 201);
        }
        // Quotas come from the registered sample: 16 interviews planned in each of its villages.
        let first = &items[0]["location"];
        let f = server.get_as("/api/v1/surveys/papi/2019.1/fieldwork", &supervisor).json();
        let village = f["progress"].as_array().unwrap().iter()
            .find(|p| p["place"] == json!([first["province"], first["district"], first["commune"], first["village"]]))
            .unwrap_or_else(|| panic!("the first interview's village: {}", f["progress"]));
        assert_eq!(village["target"], 16);
        let in_village = items.iter().filter(|i| i["location"] == *first).count() as i64;
        assert_eq!(village["received"], in_village);
        assert_eq!(village["level"], "village");
        let district = f["progress"].as_array().unwrap().iter()
            .find(|p| p["place"].as_array().unwrap().len() == 2 && p["place"][1] == first["district"]).unwrap();
        assert_eq!(district["target"], 64, "2 communes × 2 villages × 16");
        assert_eq!(district["level"], "district");
        assert_eq!(f["progress"].as_array().unwrap().iter().filter(|p| p["level"] == "village").count(), 44);
        assert_eq!(f["sample_version"], 1);
        assert_eq!(f["assignments"].as_array().unwrap().len(), 44);
        assert!(f["assignments"].as_array().unwrap().iter().all(|a| a["enumerators"] == json!(["dtv-07"])));
        assert_eq!(f["quality"]["short"], 1);
        assert_eq!(f["quality"]["duplicated"], 2);
        assert_eq!(f["quality"]["interviews"], 21);
        let flagged = f["quality"]["flagged"].as_array().unwrap();
        assert!(flagged.iter().any(|r| r["short"] == true && r["id"] == items[3]["id"]));
        assert!(flagged.iter().filter(|r| r["same_answers"] == 2).count() == 2);
        let days = f["enumerator_days"].as_array().unwrap();
        assert_eq!(days.iter().map(|d| d["interviews"].as_i64().unwrap()).sum::<i64>(), 21);
        assert!(days.iter().all(|d| d["enumerator"] == "dtv-07"));
        // The threshold is a setting: at 5 minutes the six-minute interview is no longer short.
        server.request("PUT", "/api/v1/surveys/papi/2019.1/settings", Some(&supervisor), Some(br#"{"short_interview_minutes": 5}"#));
        assert_eq!(server.get_as("/api/v1/surveys/papi/2019.1/fieldwork", &supervisor).json()["quality"]["short"], 0);
        // Quotas are no longer typed: the old endpoint is gone.
        let typed = json!([{"location": {"province": "Bình Định"}, "target": 30}]);
        assert_eq!(server.request("PUT", "/api/v1/surveys/papi/2019.1/quotas", Some(&supervisor), Some(typed.to_string().as_bytes())).status, 404);
        let page = server.get_as("/fieldwork/papi/2019.1", &supervisor);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Tiến độ so với chỉ tiêu") && page.body.contains("dtv-07") && page.body.contains("Phân công"));
        let one = server.get_as(&format!("/fieldwork/papi/2019.1/interviews/{}", items[3]["id"].as_str().unwrap()), &supervisor);
        assert_eq!(one.status, 200);
        assert!(one.body.contains("Lịch sử duyệt"));
        assert_eq!(server.get_as("/api/v1/surveys/papi/2019.1/fieldwork", &enumerator).status, 403);
    }
}

/// An RFC 3339 time `minutes` after `start`.
fn bump(start: &Value, minutes: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(start.as_str().expect("a start time")).unwrap();
    (t + chrono::Duration::minutes(minutes)).to_rfc3339()
}

on_both_databases! {
    fn admins_update_the_plans_tasks_and_analysts_recompute_through_the_api(db: &TestDb) {
        seed(db, "4");
        let server = Server::start(&["--database", &db.url]);
        let admin = token(db, "admin", "quan-tri");
        let analyst = token(db, "analyst", "phan-tich");
        let leader = token(db, "leader", "chu-tich");
        // Nothing is published yet.
        assert_eq!(server.get_as(DASHBOARD, &leader).status, 404);
        assert_eq!(server.post("/api/v1/surveys/papi/2019.1/recompute", &leader, "").status, 403);
        let r = server.post("/api/v1/surveys/papi/2019.1/recompute", &analyst, "");
        assert_eq!(r.status, 202, "{}", r.body);
        let job = r.json()["id"].as_str().unwrap().to_owned();
        let mut done = Value::Null;
        for _ in 0..600 {
            done = server.get_as(&format!("/api/v1/recompute/{job}"), &analyst).json();
            if done["status"] != "running" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["interviews_read"], 176);
        let d = server.get_as(DASHBOARD, &leader).json();
        assert_eq!(d["publication"]["id"], done["publication"]);
        assert!((f(&d["total"]["estimate"]) - f(&done["total"])).abs() < 1e-12);

        // Plan 53/KH-UBND's tasks beside their dimension, with a status only an admin sets.
        let task = "/api/v1/plans/binh-dinh-53-kh-ubnd-2019/tasks/1.1";
        let r = server.request("PUT", task, Some(&admin), Some(r#"{"status": "in_progress", "note": "Đã triển khai ở 5/11 huyện"}"#.as_bytes()));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(server.request("PUT", task, Some(&leader), Some(br#"{"status": "done"}"#)).status, 403);
        assert_eq!(server.request("PUT", task, Some(&admin), Some(br#"{"status": "finished"}"#)).json()["code"], "plan.status");
        assert_eq!(server.request("PUT", "/api/v1/plans/binh-dinh-53-kh-ubnd-2019/tasks/9.9", Some(&admin), Some(br#"{"status": "done"}"#)).status, 404);
        let page = server.get_as("/dashboard/papi/2019.1/dimensions/participation", &leader);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Sở Tư pháp") && page.body.contains("Đang thực hiện") && page.body.contains("Đã triển khai ở 5/11 huyện"));
        assert!(!page.body.contains(r#"data-action="set-task""#), "leaders get no editing form");
        assert!(server.get_as("/dashboard/papi/2019.1/dimensions/participation", &admin).body.contains(r#"data-action="set-task""#));
        let audit = block_on(db.store().audit_entries(100)).unwrap();
        assert!(audit.iter().any(|a| a.action == "plan.task_status" && a.actor == "quan-tri"));
        assert!(audit.iter().any(|a| a.action == "score.publish" && a.actor == "phan-tich"));
        let print = server.get_as("/dashboard/papi/2019.1/print", &leader);
        assert_eq!(print.status, 200);
        assert_eq!(print.body.matches("class=\"page\"").count(), 10, "overview, history and one page per dimension");
    }
}
