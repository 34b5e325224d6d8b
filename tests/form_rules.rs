//! The web form and the server apply the same rules: every `relevant` and `constraint` of the shipped
//! questionnaire, on simulated interviews, evaluates the same in the form's `expr.js` (run by Node.js)
//! as in `papi_survey::expr`. Needs `node`; in CI a missing one fails this test.

mod common;

use std::process::Command;

use common::*;
use papi_survey::{Answer, Submission};
use serde_json::{json, Value};

#[test]
fn the_forms_expressions_agree_with_the_servers() {
    if Command::new("node")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "node is missing: CI needs it to check the form's rules"
        );
        eprintln!("node is not installed here: the form's expressions are not compared");
        return;
    }
    let survey = shipped_survey();
    let dir = tempdir();
    let path = simulate_file(dir.path(), "91", "300", "jsonl");
    let mut cases = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let sub: Submission = serde_json::from_str(line).unwrap();
        let iv = survey.check_submission(&sub).unwrap();
        // The answers as the form sees them: select_multiple joined by spaces, numbers as numbers.
        let answers: serde_json::Map<String, Value> = survey
            .questions
            .iter()
            .zip(&iv.answers)
            .filter_map(|(q, a)| {
                a.as_ref().map(|a| {
                    let v = match a {
                        Answer::Integer(n) => json!(n),
                        Answer::Decimal(x) => json!(x),
                        other => json!(other.to_cell()),
                    };
                    (q.id.clone(), v)
                })
            })
            .collect();
        for (i, q) in survey.questions.iter().enumerate() {
            if let Some(src) = &q.relevant_source {
                cases.push(json!({ "src": src, "answers": answers, "current": "", "rust": survey.is_relevant(i, &iv.answers) }));
            }
            if let (Some(src), Some(a)) = (&q.constraint_source, &iv.answers[i]) {
                let current = match a {
                    Answer::Integer(n) => json!(n),
                    Answer::Decimal(x) => json!(x),
                    other => json!(other.to_cell()),
                };
                cases.push(json!({ "src": src, "answers": answers, "current": current, "rust": survey.satisfies_constraint(i, &iv.answers, a) }));
                // And a value the constraint may refuse.
                let wrong = if matches!(a, Answer::Integer(_) | Answer::Decimal(_)) {
                    json!(-99999)
                } else {
                    json!("none radio")
                };
                let wrong_answer = match &wrong {
                    Value::Number(n) => {
                        if matches!(a, Answer::Integer(_)) {
                            Answer::Integer(n.as_i64().unwrap())
                        } else {
                            Answer::Decimal(n.as_f64().unwrap())
                        }
                    }
                    _ => Answer::Choices(vec!["none".into(), "radio".into()]),
                };
                cases.push(json!({ "src": src, "answers": answers, "current": wrong, "rust": survey.satisfies_constraint(i, &iv.answers, &wrong_answer) }));
            }
        }
    }
    let cases_path = dir.path().join("cases.json");
    std::fs::write(&cases_path, serde_json::to_vec(&cases).unwrap()).unwrap();
    let script = format!(
        "const fs = require('fs'); eval(fs.readFileSync({:?}, 'utf8') + '; globalThis.PapiExpr = PapiExpr;');
         const cases = JSON.parse(fs.readFileSync({:?}, 'utf8'));
         let bad = cases.filter(c => PapiExpr.test(c.src, r => (c.answers[r] === undefined ? '' : c.answers[r]), c.current) !== c.rust);
         console.log(JSON.stringify({{ compared: cases.length, disagreements: bad.slice(0, 5) }}));",
        repo().join("crates/papi-server/web/expr.js"),
        cases_path
    );
    let out = Command::new("node").args(["-e", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(result["compared"].as_u64().unwrap() > 10_000, "{result}");
    assert_eq!(
        result["disagreements"],
        json!([]),
        "the form and the server disagree"
    );
    eprintln!(
        "form and server agree on {} rule evaluations",
        result["compared"]
    );
}
