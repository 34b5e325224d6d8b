//! papi as an attacker or a careless user would try it, through the CLI, HTTP and (for what an
//! attacker with SQL access could do) the database itself: a sign-in that sends the browser to
//! another site, a dashboard that shows a group small enough to single out a respondent, evidence
//! rewritten, deleted or truncated with SQL, a front page that tells a stranger about the fieldwork,
//! `--demo` enabling an account an administrator disabled, and a page that would run script it did
//! not come with or let another site frame it. Each test runs on SQLite and, with `DATABASE_URL`,
//! PostgreSQL. (Formulas in exports are checked in `tests/export.rs`; the form showing a definition's
//! labels as text, in a browser, in `tests/browser.rs`.)

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

/// A response: status, `Location`, headers (names in lower case), body.
struct Answer {
    status: u16,
    location: Option<String>,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
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
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let value = resp.header(&n).unwrap_or_default().to_owned();
                (n.to_ascii_lowercase(), value)
            })
            .collect();
        Answer {
            status: resp.status(),
            location: resp.header("Location").map(str::to_owned),
            headers,
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

/// What the Content-Security-Policy of every response must say.
const POLICY: &[&str] = &[
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
];

/// An element of an HTML page as a browser reads it: its name, its attributes' names and, for a
/// `script`, what it holds.
struct Tag {
    name: String,
    attributes: Vec<String>,
    body: String,
}

/// The start tags of an HTML page, attribute values skipped (so that text never counts as one).
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'<' || !b[i + 1].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        i += 1;
        let word = |i: &mut usize| {
            let start = *i;
            while *i < b.len() && !b[*i].is_ascii_whitespace() && !b"=>/".contains(&b[*i]) {
                *i += 1;
            }
            html[start..*i].to_ascii_lowercase()
        };
        let name = word(&mut i);
        let mut attributes = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            attributes.push(word(&mut i));
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let quote = b[i];
                    i += 1;
                    while i < b.len() && b[i] != quote {
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                }
            }
        }
        let mut body = String::new();
        if name == "script" || name == "style" {
            let rest = &html[i.min(html.len())..];
            let end = rest
                .to_ascii_lowercase()
                .find(&format!("</{name}"))
                .unwrap_or(rest.len());
            body = rest[..end].to_owned();
            i += end;
        }
        out.push(Tag {
            name,
            attributes,
            body,
        });
    }
    out
}

/// The base64 SHA-256 of an inline script, as a Content-Security-Policy names it.
fn script_hash(body: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

on_both_databases! {
    fn every_response_forbids_framing_and_sniffing_and_no_page_runs_inline_script(db: &TestDb) {
        ok(&["simulate", "--seed", "56", "--per-village", "2", "--database", &db.url]);
        ok(&["recompute", "--database", &db.url, "--published-by", "analyst-1"]);
        register_sample(db, &["enumerator-1"]);
        let server = Server::start(&["--database", &db.url]);
        let leader = token(db, "leader", "chu-tich");
        let supervisor = token(db, "supervisor", "gs-01");
        let admin = token(db, "admin", "qt-01");
        let enumerator = token(db, "enumerator", "enumerator-1");
        let interview = db.interviews(&shipped_survey())[0].interview.id;
        let browser = Browser::new(&server);
        // What the check reads: attribute names, not values nor text; a script's body.
        let seen = tags(r#"<p title="onclick=x">on=1</p><form ONSUBMIT='return go(event)' data-x="a>b"><script>go()</script>"#);
        assert_eq!(seen.iter().map(|t| (t.name.as_str(), t.attributes.join(" "))).collect::<Vec<_>>(),
            [("p", "title".to_owned()), ("form", "onsubmit data-x".to_owned()), ("script", String::new())]);
        assert_eq!(seen[2].body, "go()");
        let pages: Vec<(&str, String, Option<&str>, u16)> = vec![
            ("the sign-in page", "/login".into(), None, 200),
            ("the enumerator's form", "/form/".into(), None, 200),
            ("the dashboard", "/dashboard/papi/2019.1".into(), Some(&leader), 200),
            ("the dashboard in English", "/dashboard/papi/2019.1?lang=en".into(), Some(&leader), 200),
            // An administrator's dimension page has the plan's task forms.
            ("a dimension page", "/dashboard/papi/2019.1/dimensions/admin_procedures".into(), Some(&admin), 200),
            ("the printable dashboard", "/dashboard/papi/2019.1/print".into(), Some(&leader), 200),
            ("the fieldwork page", "/fieldwork/papi/2019.1".into(), Some(&supervisor), 200),
            ("an interview's page", format!("/fieldwork/papi/2019.1/interviews/{interview}"), Some(&supervisor), 200),
            ("the refusal page", "/fieldwork/papi/2019.1".into(), Some(&leader), 403),
            ("the refusal page of the form's user", "/dashboard/papi/2019.1".into(), Some(&enumerator), 403),
            ("the front page", "/".into(), None, 303),
            ("the JSON API", "/api/v1/dashboard/papi/2019.1".into(), Some(&leader), 200),
            ("an API error", "/api/v1/dashboard/papi/2019.1".into(), None, 401),
            ("an unknown API route", "/api/v1/nowhere".into(), Some(&leader), 404),
            ("an unknown page", "/nowhere".into(), None, 404),
            ("a chart", "/dashboard/papi/2019.1/charts/dimensions.svg".into(), Some(&leader), 200),
            ("the health check", "/healthz".into(), None, 200),
            ("the form's script", "/form/app.js".into(), None, 200),
            ("the form's service worker", "/form/sw.js".into(), None, 200),
            ("the pages' script", "/assets/pages.js".into(), None, 200),
        ];
        let mut html_pages = 0;
        for (what, path, who, status) in &pages {
            let r = browser.get(path, *who);
            assert_eq!(r.status, *status, "{what} ({path}): {}", r.body);
            let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{what} ({path}) has no Content-Security-Policy"));
            for directive in POLICY {
                assert!(csp.split(';').any(|d| d.trim() == *directive || d.trim().starts_with(&format!("{directive} "))), "{what}: {directive} missing from {csp}");
            }
            assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{what}: {csp}");
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{what} ({path})");
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what} ({path})");
            assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{what} ({path})");
            if path.ends_with(".js") {
                assert!(r.header("content-type").unwrap_or_default().starts_with("text/javascript"), "{what}");
            }
            if !r.header("content-type").unwrap_or_default().starts_with("text/html") {
                continue;
            }
            html_pages += 1;
            let tags = tags(&r.body);
            assert!(tags.iter().any(|t| t.name == "body"), "{what}: {}", r.body);
            for t in &tags {
                let handlers: Vec<_> = t.attributes.iter().filter(|a| a.starts_with("on")).collect();
                assert!(handlers.is_empty(), "{what} ({path}): <{} {handlers:?}> is an inline event handler the policy refuses", t.name);
                if t.name == "script" && !t.attributes.iter().any(|a| a == "src") {
                    // The sign-in page's script is allowed by its hash until the page loads
                    // /assets/pages.js; any other inline script is refused by the browser.
                    assert!(*path == "/login" && csp.contains(&script_hash(&t.body)), "{what} ({path}): an inline script the policy refuses: {}", t.body);
                }
                if t.name == "script" && t.attributes.iter().any(|a| a == "src") {
                    assert!(t.body.trim().is_empty(), "{what}: a script with src and a body");
                }
            }
            assert!(!r.body.to_ascii_lowercase().contains("javascript:"), "{what} ({path}): a javascript: URL");
            // The pages' handlers come from the pages' script, the form's from its own.
            let scripts: Vec<String> = tags.iter().filter(|t| t.name == "script").map(|t| t.body.clone()).collect();
            if *status == 200 && *path != "/form/" && *path != "/login" {
                assert!(r.body.contains(r#"<script src="/assets/pages.js">"#), "{what} ({path}) loads no pages.js: {scripts:?}");
            }
        }
        assert_eq!(html_pages, 10, "every kind of page was checked");

        // The pages' forms are wired by the pages' script through their data- attributes.
        let script = browser.get("/assets/pages.js", None).body;
        for action in ["sign-out", "save-assignments", "review", "set-task", "print"] {
            assert!(script.contains(action), "pages.js does not handle {action}");
        }
        let fieldwork = browser.get("/fieldwork/papi/2019.1", Some(&supervisor)).body;
        assert!(fieldwork.contains(r#"data-action="save-assignments" data-survey="papi" data-version="2019.1""#), "{fieldwork}");
        assert!(fieldwork.contains(r#"data-action="sign-out""#));
        let page = browser.get(&format!("/fieldwork/papi/2019.1/interviews/{interview}"), Some(&supervisor)).body;
        assert!(page.contains(&format!(r#"data-action="review" data-interview="{interview}""#)), "{page}");
        let page = browser.get("/dashboard/papi/2019.1/dimensions/admin_procedures", Some(&admin)).body;
        assert!(page.contains(r#"data-action="set-task""#), "{page}");
        let page = browser.get("/dashboard/papi/2019.1/print", Some(&leader)).body;
        assert!(page.contains(r#"data-action="print""#), "{page}");
    }
}
