//! Browser sign-in: password (Argon2id) to a session cookie, CSRF protection on anything that changes
//! state, rate-limited failures, sign-out; pages and API routes take the cookie or a bearer token.

use std::time::Duration;

use crate::common::*;
use serde_json::{json, Value};

struct Http {
    base: String,
    agent: ureq::Agent,
}

impl Http {
    fn new(server: &Server) -> Http {
        Http {
            base: format!("http://{}", server.addr),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .redirects(0)
                // A fresh connection per request: the server may close one after refusing a request
                // whose body it did not read.
                .max_idle_connections(0)
                .build(),
        }
    }

    /// (status, Set-Cookie, body)
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, Option<String>, String) {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let cookie = resp.header("Set-Cookie").map(str::to_owned);
        (status, cookie, resp.into_string().unwrap_or_default())
    }

    fn login(&self, username: &str, password: &str) -> (u16, Option<String>, String) {
        let body = json!({ "username": username, "password": password }).to_string();
        self.send(
            "POST",
            "/login",
            &[("Content-Type", "application/json")],
            Some(&body),
        )
    }
}

fn add_user(db: &TestDb, username: &str, role: &str, password: &str) {
    let out = papi()
        .args([
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--database",
            &db.url,
        ])
        .env("PAPI_PASSWORD", password)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

on_both_databases! {
    fn a_session_cookie_works_with_its_csrf_token_and_ends_at_sign_out(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "Giám sát Minh", "supervisor", "mật khẩu rất dài 1");
        add_user(db, "ĐTV Nam", "enumerator", "another long password");
        register_sample(db, &["ĐTV Nam"]);
        let http = Http::new(&server);

        let (status, set_cookie, body) = http.login("Giám sát Minh", "mật khẩu rất dài 1");
        assert_eq!(status, 200, "{body}");
        let set_cookie = set_cookie.expect("a session cookie");
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        let cookie = cookie_pair(&set_cookie);
        let csrf = serde_json::from_str::<Value>(&body).unwrap()["csrf_token"].as_str().unwrap().to_owned();

        // Reading with the cookie alone works.
        let (status, _, body) = http.send("GET", "/api/v1/session", &[("Cookie", &cookie)], None);
        assert_eq!(status, 200);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["role"], "supervisor");
        let (status, _, _) = http.send("GET", "/api/v1/interviews?survey=papi&version=2019.1", &[("Cookie", &cookie)], None);
        assert_eq!(status, 200);

        // Changing state with the cookie needs the CSRF token.
        let (status, _, _) = http.login("ĐTV Nam", "another long password");
        assert_eq!(status, 200);
        let (_, enum_cookie, enum_body) = http.login("ĐTV Nam", "another long password");
        let enum_cookie = cookie_pair(&enum_cookie.unwrap());
        let enum_csrf = serde_json::from_str::<Value>(&enum_body).unwrap()["csrf_token"].as_str().unwrap().to_owned();
        let dir = tempdir();
        let path = dir.path().join("i.jsonl");
        ok(&["simulate", "--seed", "81", "--count", "1", "--format", "jsonl", "-o", path.to_str().unwrap()]);
        let mut iv: Value = serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        iv.as_object_mut().unwrap().remove("enumerator");
        let iv = iv.to_string();
        let (status, _, body) = http.send("POST", "/api/v1/interviews", &[("Cookie", &enum_cookie), ("Content-Type", "application/json")], Some(&iv));
        assert_eq!(status, 403, "no CSRF token: {body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.csrf");
        let json = ("Content-Type", "application/json");
        let (status, _, _) = http.send("POST", "/api/v1/interviews", &[("Cookie", &enum_cookie), ("X-CSRF-Token", &csrf), json], Some(&iv));
        assert_eq!(status, 403, "another session's CSRF token");
        let (status, _, body) = http.send("POST", "/api/v1/interviews", &[("Cookie", &enum_cookie), ("X-CSRF-Token", &enum_csrf), json], Some(&iv));
        assert_eq!(status, 201, "{body}");
        // Roles hold for sessions too: a supervisor may not submit.
        let (status, _, _) = http.send("POST", "/api/v1/interviews", &[("Cookie", &cookie), ("X-CSRF-Token", &csrf), json], Some(&iv));
        assert_eq!(status, 403);

        // Sign-out ends the session.
        let (status, _, _) = http.send("POST", "/logout", &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)], None);
        assert_eq!(status, 204);
        let (status, _, body) = http.send("GET", "/api/v1/session", &[("Cookie", &cookie)], None);
        assert_eq!(status, 401);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.session_expired");

        // The sign-in page, and an HTML form sign-in that redirects.
        let (status, _, page) = http.send("GET", "/login", &[], None);
        assert_eq!(status, 200);
        assert!(page.contains("Đăng nhập"));
        let (status, set_cookie, _) = http.send(
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some("username=%C4%90TV+Nam&password=another+long+password"),
        );
        assert_eq!(status, 303);
        assert!(set_cookie.unwrap().starts_with("papi_session="));
    }
}

on_both_databases! {
    fn failed_sign_ins_are_rate_limited_and_audited(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "leader-1", "leader", "the right password");
        let http = Http::new(&server);
        for _ in 0..5 {
            let (status, cookie, body) = http.login("leader-1", "a wrong password");
            assert_eq!(status, 401);
            assert!(cookie.is_none());
            assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.invalid_credentials");
        }
        // Now even the right password waits (a second after the fifth failure, doubling after that).
        let (status, _, body) = http.login("leader-1", "the right password");
        assert_eq!(status, 429, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.rate_limited");
        // An unknown user gets the same answer as a wrong password.
        let (status, _, body) = http.login("nobody", "whatever password");
        assert_eq!(status, 401);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.invalid_credentials");
        let entries = block_on(db.store().audit_entries(50)).unwrap();
        assert!(entries.iter().filter(|e| e.action == "login.failure").count() >= 6);
        // A refused attempt is not checked, so it writes nothing: throttled clients cannot fill the log.
        assert!(!entries.iter().any(|e| e.action == "login.rate_limited"));
        // A password too short is refused when the user is made.
        let out = papi().args(["user", "add", "--username", "x", "--role", "admin", "--database", &db.url]).env("PAPI_PASSWORD", "short").output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    }
}

on_both_databases! {
    fn a_signed_in_enumerator_gets_a_revocable_device_token_and_a_token_makes_none(db: &TestDb) {
        let server = Server::start(&["--database", &db.url]);
        add_user(db, "ĐTV Lan", "enumerator", "một mật khẩu dài");
        add_user(db, "Quản trị Hà", "admin", "một mật khẩu dài khác");
        let http = Http::new(&server);
        let (_, set_cookie, body) = http.login("ĐTV Lan", "một mật khẩu dài");
        let cookie = cookie_pair(&set_cookie.unwrap());
        let csrf = serde_json::from_str::<Value>(&body).unwrap()["csrf_token"].as_str().unwrap().to_owned();

        // The session's CSRF token is needed, as for every change.
        let (status, _, _) = http.send("POST", "/api/v1/session/device-token", &[("Cookie", &cookie)], None);
        assert_eq!(status, 403);
        let (status, _, body) = http.send("POST", "/api/v1/session/device-token", &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)], None);
        assert_eq!(status, 201, "{body}");
        let issued: Value = serde_json::from_str(&body).unwrap();
        let token = issued["token"].as_str().unwrap().to_owned();
        assert_eq!(issued["name"], "ĐTV Lan", "interviews are recorded under the user's name");
        let bearer = format!("Bearer {token}");
        let (status, _, body) = http.send("GET", "/api/v1/session", &[("Authorization", &bearer)], None);
        assert_eq!(status, 200);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["role"], "enumerator");

        // A token cannot make tokens, and only an enumerator gets one: not even an administrator, whose
        // powers are not left on a phone.
        let (status, _, body) = http.send("POST", "/api/v1/session/device-token", &[("Authorization", &bearer)], None);
        assert_eq!(status, 403);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "device.session_required");
        let (_, admin_cookie, admin_body) = http.login("Quản trị Hà", "một mật khẩu dài khác");
        let admin_cookie = cookie_pair(&admin_cookie.unwrap());
        let admin_csrf = serde_json::from_str::<Value>(&admin_body).unwrap()["csrf_token"].as_str().unwrap().to_owned();
        let (status, _, body) = http.send("POST", "/api/v1/session/device-token", &[("Cookie", &admin_cookie), ("X-CSRF-Token", &admin_csrf)], None);
        assert_eq!(status, 403);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "device.enumerators_only");

        // Another role's token is not revoked by a request of its own (it belongs to a script).
        let admin_token = crate::common::token(db, "admin", "a script");
        let (status, _, _) = http.send("DELETE", "/api/v1/session/device-token", &[("Authorization", &format!("Bearer {admin_token}"))], None);
        assert_eq!(status, 403);
        // The device signs out: its token is revoked, and both ends of its life are in the audit log.
        let (status, _, _) = http.send("DELETE", "/api/v1/session/device-token", &[("Authorization", &bearer)], None);
        assert_eq!(status, 204);
        let (status, _, body) = http.send("GET", "/api/v1/session", &[("Authorization", &bearer)], None);
        assert_eq!(status, 401);
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "auth.revoked_token");
        let audit = block_on(db.store().audit_entries(20)).unwrap();
        let id = issued["id"].as_str().unwrap();
        for action in ["token.create", "token.revoke"] {
            assert!(audit.iter().any(|a| a.action == action && a.actor == "ĐTV Lan" && a.details["id"] == id && a.details["via"] == "form"), "{action}: {audit:?}");
        }
    }
}
