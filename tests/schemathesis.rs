//! Schemathesis (property-based API testing, from PyPI) against `/api/v1/openapi.json` with a valid
//! token: thousands of generated requests, and no 5xx, no status the document does not list, no
//! response that breaks its schema. One check is left out: `positive_data_acceptance`, because the
//! document cannot express a survey definition's rules (choice lists, skip logic, constraints), so a
//! schema-valid interview may rightly get 422.
//!
//! CI installs schemathesis; there a missing one fails this test.

use std::process::Command;

use crate::common::*;

on_both_databases! { needs schemathesis;
    fn schemathesis_finds_no_server_error_and_no_broken_response(db: &TestDb) {
        let server = Server::start(&["--database", &db.url, "--demo"]);
        let admin = token(db, "admin", "schemathesis");
        let url = format!("http://{}", server.addr);
        let out = Command::new("schemathesis")
            .args(["run", &format!("{url}/api/v1/openapi.json"), "--url", &url])
            .args(["-H", &format!("Authorization: Bearer {admin}")])
            .args(["--checks", "all", "--exclude-checks", "positive_data_acceptance"])
            .args(["--max-time", "45", "--workers", "2", "--seed", "2019"])
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let summary: Vec<&str> = text.lines().filter(|l| l.contains("generated") || l.contains("passed")).collect();
        eprintln!("schemathesis on {}: {}", db.kind, summary.join(" | "));
        assert!(out.status.success(), "schemathesis found problems:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("generated"), "{text}");
    }
}
