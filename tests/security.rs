//! papi as an attacker or a careless user would try it, through the CLI, HTTP and (for what an
//! attacker with SQL access could do) the database itself: a sign-in that sends the browser to
//! another site, a dashboard that shows a group small enough to single out a respondent, evidence
//! rewritten, deleted or truncated with SQL, a front page that tells a stranger about the fieldwork,
//! `--demo` enabling an account an administrator disabled, and a page that would run script it did
//! not come with or let another site frame it. Each test runs on SQLite and, with `DATABASE_URL`,
//! PostgreSQL. (Formulas in exports are checked in `tests/export.rs`; the form showing a definition's
//! labels as text, in a browser, in `tests/browser.rs`.)

use std::time::Duration;

use crate::common::*;
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
            // No page asked: a leader's own page.
            ("/", "/dashboard"),
            // Browsers drop the tab and read `//evil.example`: another site.
            ("/\t/evil.example", "/dashboard"),
            ("/\n/evil.example", "/dashboard"),
            ("/\r/evil.example", "/dashboard"),
            ("//evil.example", "/dashboard"),
            ("/\\evil.example", "/dashboard"),
            ("/ok\\..\\evil", "/dashboard"),
            ("https://evil.example/", "/dashboard"),
            ("evil.example", "/dashboard"),
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
            ("analyst", "/analysis"),
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

/// `POST /login` with a JSON body: (status, Retry-After, body).
fn login_json(server: &Server, username: &str, password: &str) -> Reply {
    let body = json!({ "username": username, "password": password }).to_string();
    server.request("POST", "/login", None, Some(body.as_bytes()))
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `GET /odk/formList` with HTTP Basic: the status.
fn odk_basic(server: &Server, user: &str, password: &str) -> u16 {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    match agent
        .get(&format!("http://{}/odk/formList", server.addr))
        .set("Authorization", &basic(user, password))
        .set("X-OpenRosa-Version", "1.0")
        .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{e}"),
    }
}

on_both_databases! {
    fn a_failed_sign_in_stores_a_few_bytes_whatever_the_username(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "lan", "enumerator", "the right password");
        // A megabyte is refused before it is read; a long name that fits the body is refused
        // without being written anywhere.
        {
            use std::io::{Read, Write};
            let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
            write!(c, "POST /login HTTP/1.1\r\nHost: papi\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", 1 << 20).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut response = String::new();
            let _ = c.read_to_string(&mut response);
            assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        }
        for i in 0..3 {
            let long = format!("{i}{}", "y".repeat(8000));
            let r = login_json(&server, &long, "whatever");
            assert_eq!(r.status, 401, "{}", r.body);
            assert_eq!(r.json()["code"], "auth.invalid_credentials");
            assert_eq!(odk_basic(&server, &long, "whatever"), 401);
        }
        assert!(number(db, "SELECT CAST(COALESCE(MAX(LENGTH(actor)), 0) AS BIGINT) FROM audit_log") <= 64);
        assert!(number(db, "SELECT CAST(COALESCE(MAX(LENGTH(throttle_key)), 0) AS BIGINT) FROM sign_in_throttle") <= 80);
        assert!(number(db, "SELECT COUNT(*) FROM sign_in_throttle") <= 2, "one row for the address, none per name");
    }
}

/// The median of five timings of `f`, in milliseconds.
fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

/// The server's processor time for five requests each of `known(i)` and `unknown(i)`, in
/// milliseconds, taken in turn. Processor time, not wall time: the other tests run beside this one
/// and load the machine, which stretches wall time but not the work a request makes the server do.
fn paired_cpu_ms(
    server: &Server,
    mut known: impl FnMut(usize),
    mut unknown: impl FnMut(usize),
) -> (f64, f64) {
    let cost = |f: &mut dyn FnMut()| {
        let before = server.cpu_ms();
        f();
        server.cpu_ms() - before
    };
    let (mut a, mut b) = (0.0, 0.0);
    for i in 0..KNOWN_USERS {
        a += cost(&mut || known(i));
        b += cost(&mut || unknown(i));
    }
    (a, b)
}

/// Attempts on each side, each as a user of its own: with the warm-up, the twenty-one failed sign-ins
/// one client address may make before it is throttled.
const KNOWN_USERS: usize = 5;

on_both_databases! {
    fn unknown_users_cost_what_known_users_cost_on_every_path(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        for i in 0..KNOWN_USERS {
            add_user(db, &format!("lan{i}"), "enumerator", "the right password");
        }
        // Warm up: the first requests open database connections.
        assert_eq!(login_json(&server, "warm-up", "wrong password").status, 401);
        assert_eq!(server.get("/healthz").0, 200);
        let (known, unknown) = paired_cpu_ms(
            &server,
            |i| assert_eq!(login_json(&server, &format!("lan{i}"), "wrong password").status, 401),
            |i| assert_eq!(login_json(&server, &format!("nobody-{i}"), "wrong password").status, 401),
        );
        eprintln!("/login, processor time of five: an unknown user {unknown:.0} ms, a known one {known:.0} ms");
        assert!(unknown > 0.6 * known, "/login: unknown {unknown:.1} ms, known {known:.1} ms");
        let (known, unknown) = paired_cpu_ms(
            &server,
            |i| assert_eq!(odk_basic(&server, &format!("lan{i}"), "wrong password"), 401),
            |i| assert_eq!(odk_basic(&server, &format!("no-one-{i}"), "wrong password"), 401),
        );
        eprintln!("ODK Basic, processor time of five: an unknown user {unknown:.0} ms, a known one {known:.0} ms");
        assert!(unknown > 0.6 * known, "ODK Basic: unknown {unknown:.1} ms, known {known:.1} ms");
    }
}

on_both_databases! {
    fn parallel_wrong_passwords_are_counted_before_any_is_checked(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "lan", "enumerator", "the right password");
        add_user(db, "minh", "admin", "the right password");
        let replies: Vec<Reply> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..20)
                .map(|_| s.spawn(|| login_json(&server, "lan", "a wrong password")))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let checked = replies.iter().filter(|r| r.status == 401).count();
        let refused: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
        assert_eq!(checked + refused.len(), 20);
        assert!(checked <= 5, "{checked} of 20 parallel attempts were checked");
        assert_eq!(number(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure' AND actor = 'lan'"), checked as i64);
        // The wait is short: nobody can lock a real user out for long.
        let wait: u64 = refused
            .iter()
            .map(|r| r.retry_after.as_deref().expect("Retry-After").parse::<u64>().unwrap())
            .max()
            .unwrap();
        assert!((1..=64).contains(&wait), "Retry-After {wait}");
        assert_eq!(refused[0].json()["code"], "auth.rate_limited");
        // Another user is not held up; the user signs in once the wait is over.
        assert_eq!(login_json(&server, "minh", "the right password").status, 200);
        std::thread::sleep(Duration::from_secs(wait + 1));
        let r = login_json(&server, "lan", "the right password");
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

on_both_databases! {
    fn odk_basic_and_the_sign_in_page_share_one_check(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "lan", "enumerator", "the right password");
        for _ in 0..5 {
            assert_eq!(odk_basic(&server, "lan", "a wrong password"), 401);
        }
        // Five failures on ODK: the sign-in page makes the next attempt wait too.
        let r = login_json(&server, "lan", "the right password");
        assert_eq!(r.status, 429, "{}", r.body);
        assert_eq!(odk_basic(&server, "lan", "the right password"), 429);
        std::thread::sleep(Duration::from_secs(r.retry_after.unwrap().parse::<u64>().unwrap() + 1));
        assert_eq!(odk_basic(&server, "lan", "the right password"), 200);
        let failures = number(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure' AND actor = 'lan'");
        assert_eq!(failures, 5);
    }
}

on_both_databases! {
    fn password_checks_do_not_stall_other_requests(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        // One sign-in alone, to know what an Argon2 check costs here.
        let one = median_ms(|| assert_eq!(login_json(&server, "nobody-1", "wrong password").status, 401));
        // Fifteen at once: on the async workers they would hold up everything else for about
        // seven checks' time; off them, a health check waits for no check.
        let slowest_health = std::thread::scope(|s| {
            for i in 0..15 {
                let server = &server;
                s.spawn(move || login_json(server, &format!("someone-{i}"), "wrong password"));
            }
            std::thread::sleep(Duration::from_millis(20));
            (0..8)
                .map(|_| {
                    let t = std::time::Instant::now();
                    assert_eq!(server.get("/healthz").0, 200);
                    std::thread::sleep(Duration::from_millis(10));
                    t.elapsed().as_secs_f64() * 1000.0 - 10.0
                })
                .fold(0.0, f64::max)
        });
        eprintln!("a sign-in costs {one:.1} ms; the slowest health check beside 15 took {slowest_health:.1} ms");
        assert!(
            slowest_health < one * 2.5,
            "a health check waited {slowest_health:.1} ms behind sign-ins (one costs {one:.1} ms)"
        );
    }
}

on_both_databases! {
    fn half_sent_requests_are_cut_off(db: &TestDb) {
        use std::io::{Read, Write};
        let server = Server::start(&["--database", &db.url, "--header-timeout", "2"]);
        let mut slow: Vec<std::net::TcpStream> = (0..20)
            .map(|_| {
                let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
                c.write_all(b"GET /healthz HTTP/1.1\r\nHost: papi\r\nX-Slow: ").unwrap();
                c
            })
            .collect();
        std::thread::sleep(Duration::from_secs(4));
        for c in &mut slow {
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 512];
            match c.read(&mut buf) {
                // Closed (perhaps after a 408).
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("a half-sent request was still open after 4 s: {e}"),
            }
        }
        // The service itself is unharmed.
        assert_eq!(server.get("/healthz").0, 200);
    }
}

on_both_databases! {
    fn json_endpoints_take_json_only(db: &TestDb) {
        register_sample(db, &["enum-1"]);
        let server = Server::start(&["--database", &db.url]);
        let enumerator = token(db, "enumerator", "enum-1");
        let iv = submissions("12", "1").remove(0).to_string();
        // A refused body is not read, so the service closes that connection: no reuse.
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).max_idle_connections(0).build();
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let r = agent
                .post(&format!("http://{}/api/v1/interviews", server.addr))
                .set("Authorization", &format!("Bearer {enumerator}"))
                .set("Content-Type", content_type)
                .send_string(&iv);
            let (status, body) = match r {
                Ok(r) => (r.status(), r.into_string().unwrap()),
                Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
                Err(e) => panic!("{e}"),
            };
            assert_eq!(status, 415, "{content_type}: {body}");
            assert!(body.contains("body.not_json"), "{body}");
        }
        let r = agent
            .post(&format!("http://{}/login", server.addr))
            .set("Content-Type", "text/plain")
            .send_string(r#"{"username":"a","password":"b"}"#);
        assert!(matches!(r, Err(ureq::Error::Status(415, _))));
        assert_eq!(db.count(&shipped_survey()), 0);
        // The same interview as JSON is stored.
        assert_eq!(server.post("/api/v1/interviews", &enumerator, &iv).status, 201);
    }
}

on_both_databases! {
    fn another_enumerators_interview_id_confirms_nothing(db: &TestDb) {
        register_sample(db, &["enum-1", "enum-2"]);
        let server = Server::start(&["--database", &db.url]);
        let first = token(db, "enumerator", "enum-1");
        let second = token(db, "enumerator", "enum-2");
        let iv = submissions("13", "1").remove(0);
        let body = iv.to_string();
        assert_eq!(server.post("/api/v1/interviews", &first, &body).status, 201);
        // The owner's resend is a resend.
        assert_eq!(server.post("/api/v1/interviews", &first, &body).status, 200);
        // Another enumerator sending the same interview, or the same id with other answers, gets the
        // same answer either way: the id is taken.
        let mut other = iv.clone();
        other["started_at"] = json!("2019-07-01T08:00:00+07:00");
        for b in [&body, &other.to_string()] {
            let r = server.post("/api/v1/interviews", &second, b);
            assert_eq!(r.status, 409, "{}", r.body);
            assert_eq!(r.json()["code"], "interview.conflict");
        }
        let batch = json!({ "interviews": [iv] }).to_string();
        let r = server.post("/api/v1/interviews/batch", &second, &batch);
        assert_eq!(r.json()["results"][0]["status"], 409, "{}", r.body);
        let stored = db.interviews(&shipped_survey());
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].interview.enumerator.as_deref(), Some("enum-1"));
    }
}

on_both_databases! {
    fn one_recompute_runs_at_a_time_and_every_instance_sees_it(db: &TestDb) {
        ok(&["simulate", "--seed", "61", "--database", &db.url]);
        let a = Server::start(&["--database", &db.url]);
        let b = Server::start(&["--database", &db.url]);
        let analyst = token(db, "analyst", "analyst-1");
        let path = "/api/v1/surveys/papi/2019.1/recompute";
        let replies: Vec<Reply> = (0..6).map(|_| a.post(path, &analyst, "")).collect();
        assert_eq!(replies[0].status, 202, "{}", replies[0].body);
        let id = replies[0].json()["id"].as_str().unwrap().to_owned();
        for r in &replies[1..] {
            // While it runs, a second request is answered with the running job; after, a new one starts.
            match r.status {
                200 => assert_eq!(r.json()["id"], id.as_str()),
                202 => assert_ne!(r.json()["id"], id.as_str()),
                s => panic!("{s}: {}", r.body),
            }
        }
        assert!(number(db, "SELECT COUNT(*) FROM recompute_jobs WHERE status = 'running'") <= 1);
        // The other instance answers the poll.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let r = b.get_as(&format!("/api/v1/recompute/{id}"), &analyst);
            assert_eq!(r.status, 200, "{}", r.body);
            let job = r.json();
            if job["status"] == "done" {
                assert!(job["publication"].is_string(), "{job}");
                break;
            }
            assert_eq!(job["status"], "running", "{job}");
            assert!(std::time::Instant::now() < deadline, "the job did not finish");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

on_both_databases! {
    fn administrators_read_the_services_metrics(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        let admin = token(db, "admin", "ops");
        let leader = token(db, "leader", "chu-tich");
        assert_eq!(server.get("/healthz").0, 200);
        assert_eq!(server.get("/metrics").0, 401);
        assert_eq!(server.get_as("/metrics", &leader).status, 403);
        let r = server.get_as("/metrics", &admin);
        assert_eq!(r.status, 200, "{}", r.body);
        for expected in [
            "papi_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
            "papi_http_request_duration_seconds_bucket{",
            "papi_commit_queue_depth 0",
            "# EOF",
        ] {
            assert!(r.body.contains(expected), "{expected} in:\n{}", r.body);
        }
        assert!(!r.body.contains(&admin) && !r.body.contains(&leader));
    }
}

on_both_databases! {
    fn the_access_log_never_prints_a_token(db: &TestDb) {
        let dir = tempdir();
        let log = dir.path().join("access.log");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_papi"))
            .current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &db.url])
            .env("PAPI_LOG", "info")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut seen = String::new();
        let addr = loop {
            use std::io::Read;
            let mut buf = [0u8; 256];
            let n = out.read(&mut buf).unwrap();
            assert!(n > 0, "papi serve stopped: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(line) = seen.lines().find(|l| l.contains("open http://")) {
                let start = line.find("http://").unwrap() + 7;
                break line[start..start + line[start..].find('/').unwrap()].to_owned();
            }
        };
        let device = token(db, "enumerator", "tablet-1");
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
        let r = agent
            .get(&format!("http://{addr}/odk/key/{device}/formList?secret={device}"))
            .set("X-OpenRosa-Version", "1.0")
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = agent
            .get(&format!("http://{addr}/api/v1/session"))
            .set("Authorization", &format!("Bearer {device}"))
            .call()
            .unwrap();
        let id = r.header("x-request-id").expect("a request id").to_owned();
        std::thread::sleep(Duration::from_millis(300));
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("/odk/key/{token}/formList"), "{text}");
        assert!(text.contains(&id), "the request id is logged: {text}");
        assert!(!text.contains(&device), "{text}");
    }
}

on_both_databases! {
    fn shutdown_finishes_the_requests_in_flight(db: &TestDb) {
        use std::io::{Read, Write};
        register_sample(db, &["enum-1"]);
        let mut server = Server::start(&["--database", &db.url]);
        let enumerator = token(db, "enumerator", "enum-1");
        let body = submissions("14", "1").remove(0).to_string();
        let (head, tail) = body.as_bytes().split_at(body.len() / 2);
        let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
        write!(
            c,
            "POST /api/v1/interviews HTTP/1.1\r\nHost: papi\r\nAuthorization: Bearer {enumerator}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        c.write_all(head).unwrap();
        c.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        std::thread::sleep(Duration::from_millis(300));
        // The service no longer takes new connections, but the interview being sent is finished.
        c.write_all(tail).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut response = String::new();
        let _ = c.read_to_string(&mut response);
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
        assert_eq!(server.wait_exit(Duration::from_secs(20)), Some(0), "papi serve exits cleanly");
        assert_eq!(db.count(&shipped_survey()), 1);
    }
}

on_both_databases! {
    fn a_backup_taken_while_serving_restores(db: &TestDb) {
        ok(&["simulate", "--seed", "62", "--per-village", "4", "--database", &db.url]);
        let dir = tempdir();
        let copy = dir.path().join("copy.db");
        if db.kind == "postgres" {
            let out = run(&["backup", "--database", &db.url, "--output", copy.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2));
            assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
            return;
        }
        let server = Server::start(&["--database", &db.url]);
        // Taken while the service runs and writes.
        let out = run(&["backup", "--database", &db.url, "--output", copy.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let stored = db.count(&shipped_survey());
        assert!(stderr(&out).contains(&format!("{stored} interviews")), "{}", stderr(&out));
        // Never over an existing file.
        let again = run(&["backup", "--database", &db.url, "--output", copy.to_str().unwrap()]);
        assert_eq!(again.status.code(), Some(2));
        assert!(stderr(&again).contains("never overwrites"), "{}", stderr(&again));
        drop(server);
        // Restored: the copy serves and scores the same interviews.
        let url = format!("sqlite:{}", copy.display());
        let restored = Server::start(&["--database", &url]);
        assert_eq!(restored.get("/healthz").0, 200);
        let a = ok(&["score", "--database", &db.url, "--format", "json"]);
        let b = ok(&["score", "--database", &url, "--format", "json"]);
        assert_eq!(stdout(&a), stdout(&b));
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
                    panic!("{what} ({path}): an inline script the policy refuses: {}", t.body);
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

on_both_databases! {
    fn old_jobs_and_their_export_files_expire(db: &TestDb) {
        let dir = tempdir();
        let exports = dir.path().join("exports");
        ok(&["simulate", "--seed", "63", "--count", "40", "--database", &db.url]);
        let server = Server::start(&["--database", &db.url, "--exports-dir", exports.to_str().unwrap()]);
        let analyst = token(db, "analyst", "analyst-1");
        let body = json!({ "survey_id": "papi", "version": "2019.1", "format": "csv" }).to_string();
        let job = server.post("/api/v1/exports", &analyst, &body).json();
        let path = job["links"]["self"].as_str().unwrap().to_owned();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while server.get_as(&path, &analyst).json()["status"] != "done" {
            assert!(std::time::Instant::now() < deadline, "the export did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
        let recompute = server.post("/api/v1/surveys/papi/2019.1/recompute", &analyst, "").json();
        let recompute_path = format!("/api/v1/recompute/{}", recompute["id"].as_str().unwrap());
        while server.get_as(&recompute_path, &analyst).json()["status"] == "running" {
            assert!(std::time::Instant::now() < deadline, "the recompute did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(std::fs::read_dir(&exports).unwrap().count(), 1, "one export file");
        drop(server);
        // Forty days later (as far as the rows can tell), a service keeping jobs thirty days.
        let old = if db.kind == "postgres" { "now() - interval '40 days'" } else { "datetime('now', '-40 days')" };
        attacker_sql(db, &format!("UPDATE export_jobs SET created_at = {old}")).unwrap();
        attacker_sql(db, &format!("UPDATE recompute_jobs SET created_at = {old}")).unwrap();
        let server = Server::start(&["--database", &db.url, "--exports-dir", exports.to_str().unwrap(), "--keep-jobs-days", "30"]);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::read_dir(&exports).unwrap().count() > 0 {
            assert!(std::time::Instant::now() < deadline, "the old export file is still there");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(server.get_as(&path, &analyst).status, 404);
        assert_eq!(server.get_as(&recompute_path, &analyst).status, 404);
        assert_eq!(number(db, "SELECT COUNT(*) FROM export_jobs"), 0);
    }
}

/// What a route needs of its caller, as the permission table in `papi-auth` says.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    SignedIn,
    /// A caller whose role the table lets do this.
    May(papi_auth::Action),
}

/// How a route is called, and so how it refuses a visitor: the API answers 401, a page sends the
/// browser to sign in, an OpenRosa route answers 401 with its envelope.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Door {
    /// With a bearer token.
    Api,
    /// With a session cookie (and its CSRF token).
    Session,
    /// A page, with a session cookie.
    Page,
    /// OpenRosa with a bearer token.
    Device,
    /// OpenRosa with the token in the URL (`{token}`).
    DeviceKey,
}

/// Every route of the service (method, path as the router declares it), what it needs, and how it
/// is called. Checked against `papi routes`, the list the router is built from, so a route served
/// and not listed here fails the test.
fn every_route() -> Vec<(&'static str, &'static str, Need, Door)> {
    use papi_auth::Action::*;
    use Door::*;
    use Need::*;
    let mut routes = vec![
        ("GET", "/", SignedIn, Page),
        ("GET", "/healthz", Public, Api),
        ("GET", "/metrics", May(ReadMetrics), Api),
        ("GET", "/favicon.ico", Public, Api),
        ("GET", "/login", Public, Page),
        ("POST", "/login", Public, Api),
        ("POST", "/logout", SignedIn, Api),
        ("GET", "/dashboard", May(ViewDashboard), Page),
        ("GET", "/dashboard/{id}/{version}", May(ViewDashboard), Page),
        (
            "GET",
            "/dashboard/{id}/{version}/print",
            May(ViewDashboard),
            Page,
        ),
        (
            "GET",
            "/dashboard/{id}/{version}/charts/{file}",
            May(ViewDashboard),
            Page,
        ),
        (
            "GET",
            "/dashboard/{id}/{version}/dimensions/{dimension}",
            May(ViewDashboard),
            Page,
        ),
        ("GET", "/analysis", May(ViewAnalysis), Page),
        ("GET", "/analysis/{id}/{version}", May(ViewAnalysis), Page),
        ("GET", "/fieldwork", May(ViewFieldwork), Page),
        ("GET", "/fieldwork/{id}/{version}", May(ViewFieldwork), Page),
        (
            "GET",
            "/fieldwork/{id}/{version}/interviews/{interview}",
            May(ViewFieldwork),
            Page,
        ),
        ("GET", "/form", Public, Page),
        ("GET", "/form/", Public, Page),
        ("GET", "/form/{file}", Public, Page),
        ("GET", "/assets/pages.js", Public, Page),
        ("GET", "/api/v1/interviews", May(ReadAnswers), Api),
        ("POST", "/api/v1/interviews", May(SubmitInterview), Api),
        (
            "POST",
            "/api/v1/interviews/batch",
            May(SubmitInterview),
            Api,
        ),
        (
            "POST",
            "/api/v1/interviews/device-file",
            May(UploadDeviceFile),
            Api,
        ),
        ("GET", "/api/v1/interviews/{id}", May(ReadAnswers), Api),
        (
            "GET",
            "/api/v1/interviews/{id}/attachments/{name}",
            May(ReadAnswers),
            Api,
        ),
        ("POST", "/api/v1/interviews/{id}/review", May(Review), Api),
        ("GET", "/api/v1/interviews/{id}/reviews", May(Review), Api),
        (
            "GET",
            "/api/v1/dashboard/{survey_id}/{version}",
            May(ViewDashboard),
            Api,
        ),
        (
            "PUT",
            "/api/v1/plans/{plan_id}/tasks/{task_id}",
            May(UpdatePlanTasks),
            Api,
        ),
        (
            "GET",
            "/api/v1/surveys/{survey_id}/{version}/fieldwork",
            May(ViewFieldwork),
            Api,
        ),
        (
            "PUT",
            "/api/v1/surveys/{survey_id}/{version}/settings",
            May(ChangeFieldworkSettings),
            Api,
        ),
        (
            "GET",
            "/api/v1/surveys/{survey_id}/{version}/places",
            May(SubmitInterview),
            Api,
        ),
        (
            "GET",
            "/api/v1/surveys/{survey_id}/{version}/sample",
            May(ReadSample),
            Api,
        ),
        (
            "POST",
            "/api/v1/surveys/{survey_id}/{version}/sample",
            May(RegisterSample),
            Api,
        ),
        (
            "GET",
            "/api/v1/surveys/{survey_id}/{version}/assignments",
            May(ReadAssignments),
            Api,
        ),
        (
            "PUT",
            "/api/v1/surveys/{survey_id}/{version}/assignments",
            May(AssignVillages),
            Api,
        ),
        (
            "POST",
            "/api/v1/surveys/{survey_id}/{version}/recompute",
            May(Recompute),
            Api,
        ),
        ("GET", "/api/v1/recompute/{job}", May(Recompute), Api),
        ("GET", "/api/v1/compare", May(CompareRuns), Api),
        ("POST", "/api/v1/exports", May(Export), Api),
        ("GET", "/api/v1/exports/{id}", May(Export), Api),
        ("GET", "/api/v1/exports/{id}/file", May(Export), Api),
        ("GET", "/api/v1/openapi.json", Public, Api),
        ("GET", "/api/v1/session", SignedIn, Api),
        (
            "POST",
            "/api/v1/session/device-token",
            May(KeepDeviceToken),
            Session,
        ),
        ("GET", "/api/v1/surveys", May(ReadSurveys), Api),
        (
            "GET",
            "/api/v1/surveys/{id}/{version}",
            May(ReadSurveys),
            Api,
        ),
    ];
    for (door, prefix) in [(Device, "/odk"), (DeviceKey, "/odk/key/{token}")] {
        for (method, path) in [
            ("GET", "/formList"),
            ("GET", "/forms/{form_id}/{version}/form.xml"),
            ("HEAD", "/submission"),
            ("POST", "/submission"),
        ] {
            let full: &'static str = Box::leak(format!("{prefix}{path}").into_boxed_str());
            routes.push((method, full, May(SubmitInterview), door));
        }
    }
    // Last: revoking the token ends the enumerator's token for the routes above.
    routes.push((
        "DELETE",
        "/api/v1/session/device-token",
        May(KeepDeviceToken),
        Api,
    ));
    routes
}

/// A route's path with its parameters filled in: things that do not exist (the permission is
/// checked before anything is looked up), and the caller's token for `{token}`.
fn fill(path: &str, token: &str) -> String {
    let mut out = String::new();
    for segment in path.split('/').skip(1) {
        out.push('/');
        out.push_str(match segment {
            "{token}" => token,
            "{version}" => "0",
            "{file}" if path.starts_with("/dashboard") => "dimensions.svg",
            "{file}" => "index.html",
            "{name}" => "photo.jpg",
            s if s.starts_with('{') => "0b0c5a8e-4f7c-4d59-9b53-6a1f1c2d3e4f",
            s => s,
        });
    }
    out
}

/// A route's template with its parameters' names dropped, to compare with the OpenAPI document's.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// How a request was answered, as far as permissions go.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Verdict {
    SignIn,
    Forbidden,
    Allowed,
}

on_both_databases! {
    fn every_route_answers_each_role_as_the_permission_table_says(db: &TestDb) {
        use papi_auth::Role;
        let server = Server::start(&["--database", &db.url]);
        let base = format!("http://{}", server.addr);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .build();
        // Each role's token, and a session (cookie, CSRF token) of a user of that role.
        let callers: Vec<(Role, String, (String, String))> = Role::ALL
            .into_iter()
            .map(|role| {
                let name = format!("route-{role}");
                let token = token(db, role.name(), &name);
                add_user(db, &name, role.name(), "a long enough password");
                let r = agent
                    .post(&format!("{base}/login"))
                    .set("Content-Type", "application/json")
                    .send_string(&json!({ "username": name, "password": "a long enough password" }).to_string())
                    .unwrap();
                let cookie = r.header("Set-Cookie").unwrap().split(';').next().unwrap().to_owned();
                let csrf = serde_json::from_str::<Value>(&r.into_string().unwrap()).unwrap()["csrf_token"].as_str().unwrap().to_owned();
                (role, token, (cookie, csrf))
            })
            .collect();

        // The routes walked are those served, as `papi routes` lists them: none missing, none extra.
        let mut listed: Vec<(String, String)> = every_route()
            .iter()
            .map(|(m, p, _, _)| (m.to_string(), shape(p)))
            .collect();
        listed.sort();
        let out = papi().arg("routes").output().unwrap();
        assert!(out.status.success(), "papi routes: {}", String::from_utf8_lossy(&out.stderr));
        let mut served: Vec<(String, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let (method, path) = line.split_once(' ').unwrap();
                (method.to_owned(), shape(path))
            })
            .collect();
        served.sort();
        for route in &served {
            assert!(listed.contains(route), "{route:?} is served but not in the route list");
        }
        for route in &listed {
            assert!(served.contains(route), "{route:?} is in the route list but not served");
        }

        let verdict = |method: &str, path: &str, door: Door, caller: Option<&(Role, String, (String, String))>| {
            let token = caller.map_or("papi_not_a_token", |c| c.1.as_str());
            let mut req = agent.request(method, &format!("{base}{}", fill(path, token)));
            match (caller, door) {
                (Some((_, token, _)), Door::Api | Door::Device) => {
                    req = req.set("Authorization", &format!("Bearer {token}"));
                }
                (Some((_, _, (cookie, csrf))), Door::Session | Door::Page) => {
                    req = req.set("Cookie", cookie).set("X-CSRF-Token", csrf);
                }
                _ => {}
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(e) => panic!("{method} {path}: {e}"),
            };
            let to_sign_in = resp.header("Location").is_some_and(|l| l.starts_with("/login"));
            match resp.status() {
                401 => Verdict::SignIn,
                303 if to_sign_in => Verdict::SignIn,
                403 => Verdict::Forbidden,
                _ => Verdict::Allowed,
            }
        };

        let mut wrong = Vec::new();
        for (method, path, need, door) in every_route() {
            let expected = match need {
                Need::Public => Verdict::Allowed,
                _ => Verdict::SignIn,
            };
            let got = verdict(method, path, door, None);
            if got != expected {
                wrong.push(format!("{method} {path} without sign-in: {got:?}, expected {expected:?}"));
            }
            for caller in &callers {
                let role = caller.0;
                let expected = match need {
                    Need::May(action) if !role.can(action) => Verdict::Forbidden,
                    _ => Verdict::Allowed,
                };
                let got = verdict(method, path, door, Some(caller));
                if got != expected {
                    wrong.push(format!("{method} {path} as {role}: {got:?}, expected {expected:?}"));
                }
            }
        }
        assert!(wrong.is_empty(), "answers that disagree with the table:\n{}", wrong.join("\n"));
    }
}
