//! The web form and the server apply the same rules: every `relevant` and `constraint` of the shipped
//! questionnaire, on simulated interviews, evaluates the same in the form's `expr.js` (run by Node.js)
//! as in `papi_survey::expr`. Needs `node`; in CI a missing one fails this test.

use std::process::Command;

use crate::common::*;
use papi_survey::{Answer, Submission};
use serde_json::{json, Value};

/// What a Node.js `script` printed, as JSON.
fn run_node(script: &str) -> Value {
    let out = Command::new("node").args(["-e", script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `count` interviews simulated from `seed` for the shipped questionnaire, as the server checks them,
/// with the directory the cases for Node.js are written to.
fn simulated(
    seed: &str,
    count: &str,
) -> (
    papi_survey::Survey,
    tempfile::TempDir,
    Vec<papi_survey::Interview>,
) {
    let survey = shipped_survey();
    let dir = tempdir();
    let path = simulate_file(dir.path(), seed, count, "jsonl");
    let interviews = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let sub: Submission = serde_json::from_str(line).unwrap();
            survey.check_submission(&sub).unwrap()
        })
        .collect();
    (survey, dir, interviews)
}

needs! { node:
fn the_forms_expressions_agree_with_the_servers() {
    let (survey, dir, interviews) = simulated("91", "300");
    let mut cases = Vec::new();
    for iv in &interviews {
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
    let result = run_node(&script);
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
}

/// Answers by name for the server's evaluator, as the form sees them (unanswered is empty).
struct Named<'a>(&'a [(&'a str, Value)]);

impl papi_survey::expr::Answers for Named<'_> {
    fn answer(&self, position: usize) -> papi_survey::expr::Value {
        match &self.0[position].1 {
            Value::Number(n) => papi_survey::expr::Value::Number(n.as_f64().unwrap()),
            Value::String(s) => papi_survey::expr::Value::Text(s.clone()),
            other => papi_survey::expr::Value::Text(other.to_string()),
        }
    }
}

needs! { node:
fn the_form_knows_every_function_the_server_does_and_computes_them_alike() {
    let answers: Vec<(&str, Value)> = vec![
        ("a", json!("yes")),
        ("n", json!(7)),
        ("x", json!(2.5)),
        ("m", json!("red blue")),
        ("d", json!("2026-11-30")),
        ("t", json!("  some   text ")),
        ("e", json!("")),
    ];
    let cases = [
        "if(${n} > 5, 'large', 'small')",
        "coalesce(${e}, ${a})",
        "concat(${a}, '-', ${n}, '-', ${x})",
        "contains(${m}, 'blu') and starts-with(${m}, 'red') and ends-with(${m}, 'ue')",
        "substr(${m}, 1, 4)",
        "substr(${m}, 4)",
        "normalize-space(${t})",
        "int(${x}) + round(${x}) + round(3.14159, 2) + floor(-${x}) + ceiling(${x})",
        "number('12') + abs(-${n}) + pow(2, 3) + sqrt(16)",
        "string(${n})",
        "boolean(${e}) or boolean-from-string('true')",
        "min(${n}, ${x}, 9) + max(${n}, ${x}, 1)",
        "selected-at(${m}, 1)",
        "count-selected(${m}) = 2 and selected(${m}, 'red')",
        "string-length(${t})",
        "${d} - date('2026-11-01')",
        "date(20000)",
        "decimal-date-time('2026-11-30T12:00:00Z')",
        "regex(${a}, '^y.s$') and not(regex(${m}, '^[0-9]+$'))",
        "${n} mod 4 = 3 and ${n} div 2 = 3.5",
        "${e} > 0 or ${e} < 0 or ${e} = 0",
        "round(area('13.7765 109.2237 0 5;13.7770 109.2240 0 5;13.7760 109.2245 0 5;13.7765 109.2237 0 5'), 3)",
        "round(distance('13.7765 109.2237 0 5;13.7770 109.2240 0 5;13.7760 109.2245 0 5'), 3)",
        "format-date(${d}, '%Y/%m/%d %e %n %y %b %a')",
        "format-date('2026-11-30T08:05:09Z', '%H:%M:%S %h %%')",
    ];
    let resolve = |name: &str| {
        answers
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| format!("no {name}"))
    };
    let mut expected = Vec::new();
    for src in cases {
        let e = papi_survey::expr::parse(src, &resolve).unwrap_or_else(|e| panic!("{src}: {e}"));
        let v = e.eval(
            &Named(&answers),
            &papi_survey::expr::Value::Text(String::new()),
        );
        expected.push(json!({ "src": src, "text": v.text(), "truthy": v.truthy() }));
    }
    let names: Vec<&str> = papi_survey::expr::function_names().collect();
    let answers_json: serde_json::Map<String, Value> = answers
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let script = format!(
        "const fs = require('fs'); eval(fs.readFileSync({:?}, 'utf8') + '; globalThis.PapiExpr = PapiExpr;');
         const answers = {}; const cases = {}; const names = {};
         const missing = names.filter(n => !PapiExpr.FUNCTIONS.includes(n));
         const extra = PapiExpr.FUNCTIONS.filter(n => !names.includes(n));
         const bad = cases.map(c => {{
           const v = PapiExpr.value(c.src, r => (answers[r] === undefined ? '' : answers[r]));
           const text = PapiExpr.text(v);
           return (text === c.text && PapiExpr.test(c.src, r => answers[r] ?? '') === c.truthy) ? null : {{ src: c.src, js: text, rust: c.text }};
         }}).filter(Boolean);
         console.log(JSON.stringify({{ missing, extra, bad }}));",
        repo().join("crates/papi-server/web/expr.js"),
        Value::Object(answers_json),
        Value::Array(expected),
        json!(names),
    );
    let result = run_node(&script);
    assert_eq!(result, json!({ "missing": [], "extra": [], "bad": [] }));
}
}

needs! { node:
/// The form's check of a whole interview (`rules.js`, run by Node.js on the definition as the server
/// gives it to the form): every simulated interview the server accepts is complete for the form too,
/// with the same answers sent; with a required answer taken away, the form marks that question.
fn the_forms_check_of_an_interview_accepts_what_the_server_accepts() {
    let (survey, dir, interviews) = simulated("92", "200");
    let mut cases = Vec::new();
    for iv in &interviews {
        // What the form holds: the text typed for numbers, the choice or choices ticked.
        let mut held = serde_json::Map::new();
        let mut sent = serde_json::Map::new();
        for (q, a) in survey.questions.iter().zip(&iv.answers) {
            let Some(a) = a else { continue };
            let (h, s) = match a {
                Answer::Integer(n) => (json!(n.to_string()), json!(n)),
                Answer::Decimal(x) => (json!(x.to_string()), json!(x)),
                Answer::Choices(c) => (json!(c), json!(c)),
                other => (json!(other.to_cell()), json!(other.to_cell())),
            };
            held.insert(q.id.clone(), h);
            sent.insert(q.id.clone(), s);
        }
        // A required question that was shown, left unanswered.
        let dropped = survey
            .questions
            .iter()
            .find(|q| q.required && sent.contains_key(&q.id))
            .map(|q| q.id.clone());
        cases.push(json!({ "held": held, "sent": sent, "dropped": dropped }));
    }
    let def_path = dir.path().join("definition.json");
    std::fs::write(
        &def_path,
        serde_json::to_vec(&papi_server::surveys::definition(&survey)).unwrap(),
    )
    .unwrap();
    let cases_path = dir.path().join("cases.json");
    std::fs::write(&cases_path, serde_json::to_vec(&cases).unwrap()).unwrap();
    let web = repo().join("crates/papi-server/web");
    let script = format!(
        "const fs = require('fs');
         globalThis.label = (l) => (l && (l.vi || Object.values(l)[0])) || '';
         eval(fs.readFileSync({:?}, 'utf8') + '; globalThis.PapiExpr = PapiExpr;');
         eval(fs.readFileSync({:?}, 'utf8') + '; globalThis.PapiRules = PapiRules;');
         const survey = JSON.parse(fs.readFileSync({:?}, 'utf8'));
         const cases = JSON.parse(fs.readFileSync({:?}, 'utf8'));
         const bad = [];
         for (const c of cases) {{
           const r = PapiRules.evaluate(survey, {{ ...c.held }}, (k) => k);
           const differ = Object.keys({{ ...r.answers, ...c.sent }})
             .filter((k) => JSON.stringify(r.answers[k]) !== JSON.stringify(c.sent[k]));
           if (r.count || differ.length) bad.push({{ errors: Object.entries(r.errors).slice(0, 3), differ: differ.slice(0, 3) }});
           const held = {{ ...c.held }};
           delete held[c.dropped];
           const missing = PapiRules.evaluate(survey, held, (k) => k);
           if (missing.errors[c.dropped] !== 'required') bad.push({{ dropped: c.dropped, errors: missing.errors }});
         }}
         console.log(JSON.stringify({{ compared: cases.length, disagreements: bad.slice(0, 3) }}));",
        web.join("expr.js"),
        web.join("rules.js"),
        def_path,
        cases_path
    );
    let result = run_node(&script);
    assert_eq!(result["compared"], 200, "{result}");
    assert_eq!(
        result["disagreements"],
        json!([]),
        "the form and the server disagree on whole interviews"
    );
}
}
