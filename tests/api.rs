//! The collection API (`/api/v1/interviews`) as a device or a script uses it: idempotent submission,
//! every kind of bad input refused with a clear 4xx and nothing stored, and who may see what.
//! Each test runs on SQLite and, with `DATABASE_URL`, PostgreSQL.

use crate::common::*;
use serde_json::{json, Value};

on_both_databases! {
    fn a_submission_is_stored_once_and_a_changed_resend_is_a_conflict(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let enumerator = token(db, "enumerator", "ĐTV Lan");
        register_sample(db, &["ĐTV Lan"]);
        let iv = submissions("61", "3").remove(0);
        let body = iv.to_string();
        let r = server.post("/api/v1/interviews", &enumerator, &body);
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["status"], "created");
        // The same interview again (a retry on a bad network): acknowledged, not stored twice.
        let r = server.post("/api/v1/interviews", &enumerator, &body);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "duplicate");
        assert_eq!(db.count(&survey), 1);
        // The same id with other content: 409, and the stored interview is unchanged.
        let mut changed = iv.clone();
        changed["answers"]["household_size"] = json!(iv["answers"]["household_size"].as_i64().unwrap() % 29 + 1);
        let r = server.post("/api/v1/interviews", &enumerator, &changed.to_string());
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.json()["code"], "interview.conflict");
        let id = iv["id"].as_str().unwrap();
        let stored = server.get_as(&format!("/api/v1/interviews/{id}"), &enumerator);
        assert_eq!(stored.status, 200, "{}", stored.body);
        let stored = stored.json();
        assert_eq!(stored["answers"], iv["answers"]);
        assert_eq!(stored["enumerator"], "ĐTV Lan", "the enumerator is the token's holder");
        assert_eq!(stored["review_state"], "received");
        assert_eq!(db.count(&survey), 1);
    }
}

on_both_databases! {
    fn bad_input_gets_a_clear_4xx_and_stores_nothing(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let survey = shipped_survey();
        let enumerator = token(db, "enumerator", "enum-1");
        register_sample(db, &["enum-1"]);
        let good = submissions("62", "1").remove(0);
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            edit(&mut v);
            v.to_string()
        };
        let hidden_question = {
            // A question hidden by skip logic for this respondent.
            let answered: Vec<&String> = good["answers"].as_object().unwrap().keys().collect();
            survey.questions.iter().find(|q| q.relevant.is_some() && !answered.contains(&&q.id)).unwrap().id.clone()
        };
        let integer = survey.questions.iter().find(|q| q.kind == papi_survey::QuestionType::Integer && good["answers"].get(&q.id).is_some()).unwrap().id.clone();
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            ("malformed JSON", b"{\"id\": ".to_vec(), 400, "json.invalid"),
            ("not an object", b"[1, 2]".to_vec(), 400, "json.invalid"),
            ("invalid UTF-8", [b"{\"id\": \"".as_slice(), &[0xff, 0xfe], b"\"}"].concat(), 400, "json.invalid"),
            ("unknown field", with(&|v| v["respondent_phone"] = json!("0905 000 000")).into_bytes(), 400, "json.invalid"),
            ("wrong JSON type of a field", with(&|v| v["location"] = json!("Tây Sơn")).into_bytes(), 400, "json.invalid"),
            ("missing id", with(&|v| { v.as_object_mut().unwrap().remove("id"); }).into_bytes(), 400, "json.invalid"),
            ("non-UUID id", with(&|v| v["id"] = json!("interview-1")).into_bytes(), 422, "interview.invalid"),
            ("unknown survey version", with(&|v| v["survey"]["version"] = json!("1999.9")).into_bytes(), 422, "survey.unknown"),
            ("unknown question", with(&|v| v["answers"]["q999"] = json!("yes")).into_bytes(), 422, "interview.invalid"),
            ("hidden question", with(&|v| v["answers"][&hidden_question] = json!("yes")).into_bytes(), 422, "interview.invalid"),
            ("out-of-range number", with(&|v| v["answers"]["birth_year"] = json!(1850)).into_bytes(), 422, "interview.invalid"),
            ("wrong answer type", with(&|v| v["answers"][&integer] = json!("many")).into_bytes(), 422, "interview.invalid"),
            ("choice not in the list", with(&|v| v["answers"]["sex"] = json!("unknown")).into_bytes(), 422, "interview.invalid"),
            ("NUL in a location", with(&|v| v["location"]["village"] = json!("thôn\u{0}1")).into_bytes(), 422, "interview.invalid"),
            ("NUL in the survey id", with(&|v| v["survey"]["id"] = json!("pa\u{0}pi")).into_bytes(), 422, "survey.unknown"),
            ("a design weight sent by the client", with(&|v| v["weight"] = json!(1.0)).into_bytes(), 422, "interview.invalid"),
            ("a huge design weight", with(&|v| v["weight"] = json!(1e300)).into_bytes(), 422, "interview.invalid"),
            ("a weight that is not a number", with(&|v| v["weight"] = json!("heavy")).into_bytes(), 400, "json.invalid"),
            ("a district outside the sample", with(&|v| v["location"]["district"] = json!("Probe")).into_bytes(), 422, "location.not_in_sample"),
            ("another province", with(&|v| v["location"]["province"] = json!("Hà Nội")).into_bytes(), 422, "location.not_in_sample"),
            ("a village outside the sample", with(&|v| v["location"]["village"] = json!("thôn 99")).into_bytes(), 422, "location.not_in_sample"),
            ("a 1 MiB district name", with(&|v| v["location"]["district"] = json!("x".repeat(1024 * 1024))).into_bytes(), 422, "interview.invalid"),
        ];
        for (what, body, status, code) in cases {
            let r = server.request("POST", "/api/v1/interviews", Some(&enumerator), Some(&body));
            assert_eq!(r.status, status, "{what}: {}", r.body);
            let v = r.json();
            assert_eq!(v["code"], code, "{what}: {v}");
            assert!(!v["message"]["vi"].as_str().unwrap().is_empty() && !v["message"]["en"].as_str().unwrap().is_empty());
        }
        // The rule broken is named with the question.
        let r = server.post("/api/v1/interviews", &enumerator, &with(&|v| v["answers"]["birth_year"] = json!(1850)));
        let errors = r.json()["errors"].clone();
        assert!(errors.as_array().unwrap().iter().any(|e| e["question"] == "birth_year" && e["rule"] == "answer.constraint"), "{errors}");
        // A weight is named as the field at fault, whatever its value; so is an over-long name.
        for body in [with(&|v| v["weight"] = json!(1.0)), with(&|v| v["weight"] = json!(1e300))] {
            let errors = server.post("/api/v1/interviews", &enumerator, &body).json()["errors"].clone();
            assert!(errors.as_array().unwrap().iter().any(|e| e["field"] == "weight" && e["rule"] == "weight.not_accepted"), "{errors}");
        }
        let long = with(&|v| v["location"]["district"] = json!("x".repeat(1024 * 1024)));
        let errors = server.post("/api/v1/interviews", &enumerator, &long).json()["errors"].clone();
        assert!(errors.as_array().unwrap().iter().any(|e| e["field"] == "location.district" && e["rule"] == "text.too_long"), "{errors}");
        assert!(errors.to_string().len() < 10_000, "the error does not echo the long value");
        let r = server.post("/api/v1/interviews", &enumerator, &with(&|v| v["location"]["district"] = json!("Probe")));
        assert!(r.json()["errors"].as_array().unwrap().iter().any(|e| e["field"] == "location.village" && e["rule"] == "location.not_in_sample"), "{}", r.body);
        // An oversized body (one interview: 4 MiB at most).
        let huge = format!("{{\"id\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
        // A reset can swallow the answer to a refused upload; a client then tries again.
        let (status, body) = (0..5)
            .map(|_| post_raw(&server.addr, "/api/v1/interviews", &enumerator, huge.as_bytes()))
            .find(|(status, _)| *status != 0)
            .expect("an answer to the oversized upload");
        assert_eq!(status, 413, "{body}");
        assert!(body.contains("body.too_large"), "{body}");
        assert_eq!(db.count(&survey), 0, "nothing was stored");
        // After all that, the good interview is still accepted.
        assert_eq!(server.post("/api/v1/interviews", &enumerator, &good.to_string()).status, 201);
    }
}

on_both_databases! {
    fn tokens_are_checked_at_the_edge(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let body = submissions("63", "1").remove(0).to_string();
        let r = server.request("POST", "/api/v1/interviews", None, Some(body.as_bytes()));
        assert_eq!((r.status, r.json()["code"].clone()), (401, json!("auth.required")));
        let r = server.post("/api/v1/interviews", "papi_not-a-real-token", &body);
        assert_eq!((r.status, r.json()["code"].clone()), (401, json!("auth.invalid_token")));
        let revoked = token(db, "enumerator", "lost-phone");
        assert_eq!(ok(&["token", "revoke", "lost-phone", "--database", &db.url]).status.code(), Some(0));
        let r = server.post("/api/v1/interviews", &revoked, &body);
        assert_eq!((r.status, r.json()["code"].clone()), (401, json!("auth.revoked_token")));
        let out = ok(&["token", "create", "--role", "enumerator", "--name", "short-lived", "--expires-in-days", "0", "--database", &db.url]);
        let expired = stdout(&out).lines().last().unwrap().trim().to_owned();
        let r = server.post("/api/v1/interviews", &expired, &body);
        assert_eq!((r.status, r.json()["code"].clone()), (401, json!("auth.expired_token")));
        assert_eq!(db.count(&shipped_survey()), 0);
        // The audit log recorded the tokens' lives.
        let entries = block_on(db.store().audit_entries(20)).unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"token.create") && actions.contains(&"token.revoke"), "{actions:?}");
    }
}

on_both_databases! {
    fn every_endpoint_allows_and_denies_by_role(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let roles = ["admin", "supervisor", "analyst", "leader", "enumerator"];
        let tokens: Vec<(&str, String)> = roles.iter().map(|r| (*r, token(db, r, &format!("{r}-1")))).collect();
        let other_enumerator = token(db, "enumerator", "enumerator-2");
        register_sample(db, &["enumerator-1", "enumerator-2"]);
        let all = submissions("64", "12");
        // One interview from the other enumerator, to check that enumerators see only their own.
        let theirs = all[11].clone();
        assert_eq!(server.post("/api/v1/interviews", &other_enumerator, &theirs.to_string()).status, 201);
        let theirs_id = theirs["id"].as_str().unwrap().to_owned();
        for (i, (role, t)) in tokens.iter().enumerate() {
            let may_submit = matches!(*role, "admin" | "enumerator");
            let mine = all[i].clone();
            let r = server.post("/api/v1/interviews", t, &mine.to_string());
            assert_eq!(r.status, if may_submit { 201 } else { 403 }, "{role} POST /interviews: {}", r.body);
            let batch = json!({ "interviews": [all[5 + i].clone()] }).to_string();
            let r = server.post("/api/v1/interviews/batch", t, &batch);
            assert_eq!(r.status, if may_submit { 200 } else { 403 }, "{role} POST /interviews/batch: {}", r.body);

            let reads_all = matches!(*role, "admin" | "supervisor" | "analyst");
            let r = server.get_as(&format!("/api/v1/interviews/{theirs_id}"), t);
            let expected = match *role {
                "leader" => 403,
                "enumerator" => 404, // another enumerator's interview does not exist for them
                _ => 200,
            };
            assert_eq!(r.status, expected, "{role} GET another's interview: {}", r.body);
            if may_submit {
                let r = server.get_as(&format!("/api/v1/interviews/{}", mine["id"].as_str().unwrap()), t);
                assert_eq!(r.status, 200, "{role} GET own interview");
            }
            let r = server.get_as("/api/v1/interviews?survey=papi&version=2019.1", t);
            if *role == "leader" {
                assert_eq!(r.status, 403, "a leader sees aggregates only");
                continue;
            }
            assert_eq!(r.status, 200, "{role} GET /interviews: {}", r.body);
            let items = r.json()["items"].as_array().unwrap().clone();
            if reads_all {
                assert!(items.iter().any(|x| x["id"] == theirs_id.as_str()));
            } else {
                assert!(items.iter().all(|x| x["enumerator"] == "enumerator-1"), "an enumerator lists only their own");
            }
        }
        // Every role may read the definitions (the form needs them) and who it is.
        for (role, t) in &tokens {
            assert_eq!(server.get_as("/api/v1/surveys", t).status, 200, "{role} GET /surveys");
            let def = server.get_as("/api/v1/surveys/papi/2019.1", t);
            assert_eq!(def.status, 200, "{role} GET /surveys/papi/2019.1");
            assert_eq!(def.json()["questions"].as_array().unwrap().len(), shipped_survey().questions.len());
            let me = server.get_as("/api/v1/session", t).json();
            assert_eq!(me["role"], *role);
        }
        for path in ["/api/v1/surveys", "/api/v1/surveys/papi/2019.1", "/api/v1/session", "/api/v1/interviews?survey=papi&version=2019.1"] {
            assert_eq!(server.request("GET", path, None, None).status, 401, "GET {path} without credentials");
        }
        assert_eq!(server.get_as("/api/v1/surveys/papi/1999", &tokens[0].1).status, 404);
        // Public: the OpenAPI document, health, and unknown routes.
        let doc = server.request("GET", "/api/v1/openapi.json", None, None);
        assert_eq!(doc.status, 200);
        let paths = doc.json()["paths"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        for p in ["/api/v1/interviews", "/api/v1/interviews/batch", "/api/v1/interviews/{id}", "/api/v1/surveys", "/api/v1/surveys/{id}/{version}", "/api/v1/session", "/healthz"] {
            assert!(paths.iter().any(|x| x == p), "{p} is in the OpenAPI document");
        }
        assert_eq!(server.request("GET", "/healthz", None, None).status, 200);
        assert_eq!(server.request("GET", "/api/v1/nowhere", None, None).status, 404);
    }
}

on_both_databases! {
    fn a_batch_reports_each_item(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let enumerator = token(db, "enumerator", "enum-b");
        register_sample(db, &["enum-b"]);
        let all = submissions("65", "4");
        assert_eq!(server.post("/api/v1/interviews", &enumerator, &all[0].to_string()).status, 201);
        let mut bad = all[2].clone();
        bad["answers"]["sex"] = json!("robot");
        let mut conflicting = all[0].clone();
        conflicting["answers"]["household_size"] = json!(all[0]["answers"]["household_size"].as_i64().unwrap() % 29 + 1);
        let batch = json!({ "interviews": [all[1], all[0], bad, conflicting, all[3], {"id": 5}] });
        let r = server.post("/api/v1/interviews/batch", &enumerator, &batch.to_string());
        assert_eq!(r.status, 200, "{}", r.body);
        let statuses: Vec<u64> = r.json()["results"].as_array().unwrap().iter().map(|x| x["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [201, 200, 422, 409, 201, 400]);
        assert_eq!(db.count(&shipped_survey()), 3);
    }
}

on_both_databases! {
    fn the_list_pages_by_keyset_and_filters(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let admin = token(db, "admin", "admin-1");
        register_sample(db, &[]);
        let all = submissions("66", "30");
        let batch = json!({ "interviews": all }).to_string();
        assert_eq!(server.post("/api/v1/interviews/batch", &admin, &batch).status, 200);
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let r = server.get_as(&format!("/api/v1/interviews?survey=papi&version=2019.1&limit=7&after={after}"), &admin).json();
            seen.extend(r["items"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()));
            match r["next_after"].as_i64() {
                Some(n) => after = n,
                None => break,
            }
        }
        let sent: Vec<String> = all.iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(seen, sent, "every interview once, in arrival order");
        let district = all[0]["location"]["district"].as_str().unwrap();
        let path = format!("/api/v1/interviews?survey=papi&version=2019.1&location.district={}", urlencode(district));
        let r = server.get_as(&path, &admin).json();
        let expected = all.iter().filter(|x| x["location"]["district"] == district).count();
        assert_eq!(r["items"].as_array().unwrap().len(), expected);
        let r = server.get_as("/api/v1/interviews?survey=papi&version=2019.1&location.hamlet=x", &admin);
        assert_eq!(r.status, 400);
        let r = server.get_as("/api/v1/interviews?survey=papi&version=2019.1&received_since=2000-01-01T00:00:00Z&review_state=received", &admin).json();
        assert_eq!(r["items"].as_array().unwrap().len(), 30);
        let r = server.get_as("/api/v1/interviews?survey=papi&version=2019.1&received_since=2999-01-01T00:00:00Z", &admin).json();
        assert_eq!(r["items"].as_array().unwrap().len(), 0);
        assert_eq!(server.get_as("/api/v1/interviews?survey=papi", &admin).status, 400);
        assert_eq!(server.get_as("/api/v1/interviews?survey=papi&version=9", &admin).status, 404);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A POST over a plain socket that tolerates the server answering (and closing) before the whole
/// body is written, as it does for a body over the limit.
fn post_raw(addr: &str, path: &str, token: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body); // the server may stop reading early
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    (status, text)
}

on_both_databases! {
    fn a_supervisor_uploads_a_phones_file_of_unsent_interviews_and_none_is_stored_twice(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let enumerator = token(db, "enumerator", "ĐTV Lan");
        let supervisor = token(db, "supervisor", "supervisor-1");
        register_sample(db, &["ĐTV Lan"]);
        let all = submissions("67", "3");
        // One went out before the phone broke; the file the form saved holds all three.
        assert_eq!(server.post("/api/v1/interviews", &enumerator, &all[0].to_string()).status, 201);
        let file = json!({ "format": "papi-unsent-interviews", "enumerator": "ĐTV Lan", "saved_at": "2026-11-30T10:00:00Z", "interviews": all }).to_string();
        assert_eq!(server.post("/api/v1/interviews/device-file", &enumerator, &file).status, 403, "an enumerator uploads for nobody");
        let r = server.post("/api/v1/interviews/device-file", &supervisor, &file);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.json()["created"].as_u64(), r.json()["duplicate"].as_u64()), (Some(2), Some(1)), "{}", r.body);
        // Uploaded again: every one acknowledged, none stored twice, all under the enumerator's name.
        let r = server.post("/api/v1/interviews/device-file", &supervisor, &file);
        assert_eq!(r.json()["duplicate"].as_u64(), Some(3), "{}", r.body);
        assert_eq!(db.count(&shipped_survey()), 3);
        let items = server.get_as("/api/v1/interviews?survey=papi&version=2019.1", &supervisor).json()["items"].as_array().unwrap().clone();
        assert!(items.iter().all(|x| x["enumerator"] == "ĐTV Lan"), "{items:?}");
        // Anything but the form's file is refused, and the uploads are audited under the uploader.
        let r = server.post("/api/v1/interviews/device-file", &supervisor, &json!({ "format": "csv", "enumerator": "ĐTV Lan", "interviews": [] }).to_string());
        assert_eq!(r.status, 400, "{}", r.body);
        let r = server.post("/api/v1/interviews/device-file", &supervisor, &json!({ "format": "papi-unsent-interviews", "enumerator": " ", "interviews": [] }).to_string());
        assert_eq!((r.status, r.json()["code"].as_str()), (400, Some("device_file.no_enumerator")));
        let audit = block_on(db.store().audit_entries(20)).unwrap();
        assert_eq!(audit.iter().filter(|a| a.action == "interview.device_file" && a.actor == "supervisor-1" && a.subject.as_deref() == Some("ĐTV Lan")).count(), 2);
    }
}
