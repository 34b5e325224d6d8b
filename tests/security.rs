//! papi as an attacker or a careless user would try it, through the CLI, HTTP and (for what an
//! attacker with SQL access could do) the database itself: a sign-in that sends the browser to
//! another site, a dashboard that shows a group small enough to single out a respondent, evidence
//! rewritten, deleted or truncated with SQL, a front page that tells a stranger about the fieldwork,
//! and `--demo` enabling an account an administrator disabled. Each test runs on SQLite and, with
//! `DATABASE_URL`, PostgreSQL. (Formulas in exports are checked in `tests/export.rs`.)

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const DASHBOARD: &str = "/api/v1/dashboard/papi/2019.1";
const SETTINGS: &str = "/api/v1/surveys/papi/2019.1/settings";

/// An HTTP client that does not follow redirects, so that a test sees where it would be sent.
struct Browser {
    base: String,
    agent: ureq::Agent,
}

/// A response: status, `Location`, body.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(server: &Server) -> Browser {
        Browser {
            base: format!("http://{}", server.addr),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .redirects(0)
                .max_idle_connections(0)
                .build(),
        }
    }

    fn answer(result: Result<ureq::Response, ureq::Error>) -> Answer {
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        Answer {
            status: resp.status(),
            location: resp.header("Location").map(str::to_owned),
            body: resp.into_string().unwrap_or_default(),
        }
    }

    /// `GET path`, with a bearer token or as a visitor who has none.
    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        Browser::answer(req.call())
    }

    /// The sign-in form, as a browser posts it.
    fn sign_in(&self, username: &str, password: &str, next: &str) -> Answer {
        Browser::answer(
            self.agent
                .post(&format!("{}/login", self.base))
                .send_form(&[
                    ("username", username),
                    ("password", password),
                    ("next", next),
                ]),
        )
    }
}

fn add_user(db: &TestDb, username: &str, role: &str, password: &str) {
    let out = papi()
        .args(["user", "add", "--username", username, "--role", role])
        .args(["--database", &db.url])
        .env("PAPI_PASSWORD", password)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Runs one statement on the test database as an attacker with SQL access would; the database's
/// answer.
fn attacker_sql(db: &TestDb, statement: &str) -> Result<(), String> {
    block_on(async {
        use sqlx::Executor;
        let result = if db.kind == "postgres" {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let r = pool.execute(statement).await.map(|_| ());
            pool.close().await;
            r
        } else {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let r = pool.execute(statement).await.map(|_| ());
            pool.close().await;
            r
        };
        result.map_err(|e| e.to_string())
    })
}

/// One number read from the test database.
fn number(db: &TestDb, query: &str) -> i64 {
    block_on(async {
        if db.kind == "postgres" {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    })
}

on_both_databases! {
    fn sign_in_sends_the_browser_only_to_pages_of_this_site(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "leader-1", "leader", "the right password");
        let browser = Browser::new(&server);
        for (next, to) in [
            ("/dashboard/papi/2019.1?lang=en", "/dashboard/papi/2019.1?lang=en"),
            ("/", "/"),
            // Browsers drop the tab and read `//evil.example`: another site.
            ("/\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/\r/evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/ok\\..\\evil", "/"),
            ("https://evil.example/", "/"),
            ("evil.example", "/"),
        ] {
            let r = browser.sign_in("leader-1", "the right password", next);
            assert_eq!(r.status, 303, "next={next:?}: {}", r.body);
            assert_eq!(r.location.as_deref(), Some(to), "next={next:?}");
        }
    }
}

fn estimate(v: &Value) -> &Value {
    &v["estimate"]
}

on_both_databases! {
    fn only_an_administrator_changes_how_small_a_group_the_dashboard_shows(db: &TestDb) {
        ok(&["simulate", "--seed", "53", "--per-village", "6", "--database", &db.url]);
        ok(&["recompute", "--database", &db.url, "--published-by", "analyst-1"]);
        let server = Server::start(&["--database", &db.url]);
        let leader = token(db, "leader", "chu-tich");
        let supervisor = token(db, "supervisor", "gs-01");
        let admin = token(db, "admin", "qt-01");
        let put = |who: &str, body: Value| {
            server.request("PUT", SETTINGS, Some(who), Some(body.to_string().as_bytes()))
        };
        let d = server.get_as(DASHBOARD, &leader).json();
        assert_eq!(d["publication"]["interviews"], 264);
        let total = estimate(&d["total"]).as_f64().expect("264 respondents: the total is shown");

        // A supervisor may not change it at all, in either direction; nothing is changed.
        for n in [1, 9, 300] {
            let r = put(&supervisor, json!({ "dashboard_min_respondents": n }));
            assert_eq!(r.status, 403, "{}", r.body);
            assert_eq!(r.json()["code"], "auth.forbidden");
            assert!(r.json()["message"]["en"].as_str().unwrap().contains("dashboard_min_respondents"), "{}", r.body);
        }
        // Even beside a setting the supervisor may change: the request is refused whole.
        let r = put(&supervisor, json!({ "score_include": "approved", "dashboard_min_respondents": 300 }));
        assert_eq!(r.status, 403, "{}", r.body);
        let r = put(&supervisor, json!({ "short_interview_minutes": 10 }));
        assert_eq!(r.status, 200, "a supervisor still runs the fieldwork's settings: {}", r.body);
        assert_eq!(r.json()["score_include"], "approved_or_unreviewed");
        assert_eq!(r.json()["dashboard_min_respondents"], 30);

        // An administrator may, but never below 10.
        for n in [json!(1), json!(9), json!("0")] {
            let r = put(&admin, json!({ "dashboard_min_respondents": n }));
            assert_eq!(r.status, 422, "{n}: {}", r.body);
            assert_eq!(r.json()["code"], "settings.invalid");
            let message = r.json()["message"]["en"].as_str().unwrap().to_owned();
            assert!(message.contains("dashboard_min_respondents") && message.contains("10 or more"), "{message}");
        }
        let r = put(&admin, json!({ "dashboard_min_respondents": 10 }));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["dashboard_min_respondents"], 10);

        // Above the wave's 264 respondents, the province total is suppressed like a district: no
        // value of it is shown, in the latest wave or the history of waves.
        let r = put(&admin, json!({ "dashboard_min_respondents": 265 }));
        assert_eq!(r.status, 200, "{}", r.body);
        let d = server.get_as(DASHBOARD, &leader).json();
        assert_eq!(d["total"], json!({ "estimate": null, "ci_low": null, "ci_high": null }));
        assert_eq!(d["performance"], Value::Null);
        assert_eq!(estimate(&d["baseline"]["change"]), &Value::Null);
        for x in d["dimensions"].as_array().unwrap() {
            assert_eq!(estimate(&x["value"]), &Value::Null, "{}", x["id"]);
            assert_eq!(x["change"], Value::Null, "{}", x["id"]);
            for s in x["subdimensions"].as_array().unwrap() {
                assert_eq!(estimate(&s["value"]), &Value::Null, "{}", s["id"]);
            }
        }
        for w in d["waves"].as_array().unwrap() {
            assert_eq!(estimate(&w["total"]), &Value::Null);
        }
        assert!(d["strata"]["groups"].as_array().unwrap().iter().all(|g| g["suppressed"] == true));
        let page = server.get_as("/dashboard/papi/2019.1", &leader).body;
        assert!(!page.contains(&format!("{total:.2}")), "the total is not on the page");
        assert!(page.contains(r#"<div class="big">—</div>"#), "the total's card shows —");

        // At the wave's size it is shown again.
        put(&admin, json!({ "dashboard_min_respondents": 264 }));
        let d = server.get_as(DASHBOARD, &leader).json();
        assert_eq!(estimate(&d["total"]).as_f64(), Some(total));
    }
}

on_both_databases! {
    fn evidence_cannot_be_replaced_deleted_or_truncated_with_sql(db: &TestDb) {
        ok(&["simulate", "--seed", "54", "--per-village", "2", "--database", &db.url]);
        ok(&["recompute", "--database", &db.url, "--published-by", "analyst-1"]);
        let server = Server::start(&["--database", &db.url]);
        let leader = token(db, "leader", "chu-tich");
        let supervisor = token(db, "supervisor", "gs-01");
        let first = db.interviews(&shipped_survey())[0].interview.id;
        let r = server.post(&format!("/api/v1/interviews/{first}/review"), &supervisor, r#"{"state": "approved"}"#);
        assert_eq!(r.status, 200, "{}", r.body);

        let tables = ["audit_log", "score_runs", "publications", "reviews", "samples"];
        let counts = |db: &TestDb| tables.map(|t| number(db, &format!("SELECT COUNT(*) FROM {t}")));
        let before = counts(db);
        assert!(before.iter().all(|&n| n > 0), "every kind of evidence is there: {before:?}");

        let attacks: &[&str] = if db.kind == "sqlite" {
            &[
                // REPLACE deletes the row whose key is taken, without firing DELETE triggers.
                "INSERT OR REPLACE INTO score_runs SELECT id, survey_id, survey_version, definition_hash, \
                 data_hash, interviews, parameters, 'forger', created_at, '{\"groups\": []}' FROM score_runs",
                "REPLACE INTO audit_log SELECT seq, at, 'forger', action, subject, details FROM audit_log",
                "INSERT OR REPLACE INTO publications SELECT id, survey_id, survey_version, overall_run, \
                 strata_run, wave_year, 'forger', published_at, left_out FROM publications",
                "REPLACE INTO reviews SELECT seq, interview_id, from_state, 'rejected', 'forged', 'forger', \
                 reviewed_at FROM reviews",
                "REPLACE INTO samples SELECT survey_id, survey_version, sample_version, frame, frame_hash, \
                 parameters, sample, sample_hash, 'forger', registered_at FROM samples",
                "DELETE FROM publications",
                "UPDATE score_runs SET result = '{}'",
                "DELETE FROM audit_log",
            ]
        } else {
            &[
                "TRUNCATE audit_log",
                "TRUNCATE score_runs CASCADE",
                "TRUNCATE publications",
                "TRUNCATE reviews",
                "TRUNCATE samples CASCADE",
                // Reviews refer to interviews: truncating these would truncate the reviews too.
                "TRUNCATE interviews CASCADE",
                "DELETE FROM publications",
                "INSERT INTO score_runs SELECT * FROM score_runs ON CONFLICT (id) DO UPDATE SET result = '{}'",
                "DELETE FROM audit_log",
            ]
        };
        for attack in attacks {
            let refused = attacker_sql(db, attack);
            assert!(refused.is_err(), "the database let this through: {attack}");
        }
        assert_eq!(counts(db), before, "{tables:?}");
        for t in tables {
            let by = if t == "audit_log" { "actor" } else if t == "reviews" { "reviewer" } else if t == "score_runs" { "recorded_by" } else if t == "publications" { "published_by" } else { "registered_by" };
            assert_eq!(number(db, &format!("SELECT COUNT(*) FROM {t} WHERE {by} = 'forger'")), 0, "{t}");
        }
        // The service reads its evidence as it was.
        let r = server.get_as(DASHBOARD, &leader);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.json()["total"]["estimate"].is_number());
        let r = server.get_as(&format!("/api/v1/interviews/{first}/reviews"), &supervisor);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("approved") && !r.body.contains("forged"), "{}", r.body);
    }
}

on_both_databases! {
    fn the_front_page_tells_a_visitor_nothing_and_sends_each_role_to_its_work(db: &TestDb) {
        ok(&["simulate", "--seed", "55", "--count", "30", "--database", &db.url]);
        let server = Server::start(&["--database", &db.url]);
        let browser = Browser::new(&server);
        let visitor = browser.get("/", None);
        assert_eq!(visitor.status, 303, "{}", visitor.body);
        assert!(visitor.location.as_deref().unwrap_or_default().starts_with("/login"), "{:?}", visitor.location);
        assert!(!visitor.body.contains("30") && !visitor.body.contains("Khảo sát"), "{}", visitor.body);
        for (role, to) in [
            ("leader", "/dashboard"),
            ("analyst", "/dashboard"),
            ("supervisor", "/fieldwork"),
            ("admin", "/fieldwork"),
            ("enumerator", "/form/"),
        ] {
            let t = token(db, role, &format!("{role}-1"));
            let r = browser.get("/", Some(&t));
            assert_eq!((r.status, r.location.as_deref()), (303, Some(to)), "{role}");
            let r = browser.get("/?lang=en", Some(&t));
            assert_eq!(r.location, Some(format!("{to}?lang=en")), "{role}");
        }
    }
}

on_both_databases! {
    fn demo_does_not_enable_an_account_an_administrator_disabled(db: &TestDb) {
        let server = Server::start(&["--database", &db.url, "--demo"]);
        drop(server);
        let at = if db.kind == "postgres" { "now()" } else { "CURRENT_TIMESTAMP" };
        attacker_sql(db, &format!("UPDATE users SET disabled_at = {at} WHERE username = 'demo-admin'")).unwrap();
        let server = Server::start(&["--database", &db.url, "--demo"]);
        let admin = block_on(db.store().user("demo-admin")).unwrap().unwrap();
        assert!(admin.disabled, "demo-admin stays disabled");
        assert!(!block_on(db.store().user("demo-leader")).unwrap().unwrap().disabled);
        // Its old tokens stopped working too.
        assert_eq!(number(db, "SELECT COUNT(*) FROM api_tokens WHERE name = 'demo-admin' AND revoked_at IS NULL"), 0);
        let browser = Browser::new(&server);
        assert_eq!(browser.get("/healthz", None).status, 200);
    }
}

on_both_databases! {
    fn demo_refuses_a_database_that_real_people_use(db: &TestDb) {
        let mut add = papi();
        add.args(["user", "add", "--username", "Giám sát Minh", "--role", "supervisor", "--database", &db.url])
            .env("PAPI_PASSWORD", "a long enough password");
        assert!(add.output().unwrap().status.success());
        let out = run(&["serve", "--database", &db.url, "--demo", "--listen", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("--demo") && stderr(&out).contains("Giám sát Minh"), "{}", stderr(&out));
        let store = db.store();
        assert!(block_on(store.user("demo-admin")).unwrap().is_none(), "no demo administrator was made");
        assert_eq!(block_on(store.count_interviews("papi", "2019.1")).unwrap(), 0);
    }
}
