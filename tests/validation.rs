//! Interviews checked against their definition: every rule, all errors of an interview together,
//! each naming the field, the question and the rule, in Vietnamese and English.

use crate::common::*;
use serde_json::{json, Value};

fn valid() -> Value {
    json!({
        "id": "0b0c5a8e-4f7c-4d59-9b53-6a1f1c2d3e4f",
        "survey": { "id": "small", "version": "1" },
        "location": { "province": "Bình Định", "district": "Tây Sơn", "commune": "Bình Tường" },
        "started_at": "2019-07-01T08:00:00+07:00",
        "finished_at": "2019-07-01T08:45:00+07:00",
        "answers": {
            "age": 40, "visited_clinic": "yes", "clinic_quality": "fair", "wait_minutes": 35.5,
            "road_good": "no", "channels": ["radio", "board"], "last_visit": "2019-06-12"
        }
    })
}

/// Validates interviews with `papi survey validate --json`: (exit code, errors as (line, field, rule)).
fn validate(interviews: &[Value]) -> (i32, Vec<(u64, String, String, Value)>) {
    let dir = tempdir();
    let path = dir.path().join("interviews.jsonl");
    let text: Vec<String> = interviews.iter().map(Value::to_string).collect();
    write(&path, &(text.join("\n") + "\n"));
    let out = run(&[
        "survey",
        "validate",
        "--survey",
        fixture("small.toml").to_str().unwrap(),
        path.to_str().unwrap(),
        "--json",
    ]);
    let errors = stdout(&out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let e = &v["error"];
            (
                v["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["rule"].as_str().unwrap().to_owned(),
                e.clone(),
            )
        })
        .collect();
    (out.status.code().unwrap(), errors)
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = valid();
    edit(&mut v);
    v
}

fn rules_of(interview: Value) -> Vec<(String, String)> {
    let (code, errors) = validate(&[interview]);
    assert_eq!(code, 1, "an invalid interview fails validation");
    errors.into_iter().map(|(_, f, r, _)| (f, r)).collect()
}

#[test]
fn a_valid_interview_passes() {
    let (code, errors) = validate(&[valid()]);
    assert_eq!((code, errors.len()), (0, 0), "{errors:?}");
    // Skipped questions are simply absent; an explicit null is no answer.
    let skipped = with(|v| {
        v["answers"] = json!({ "age": 30, "visited_clinic": "no", "road_good": "dk", "channels": "none", "comment": null });
    });
    let (code, errors) = validate(&[skipped]);
    assert_eq!((code, errors.len()), (0, 0), "{errors:?}");
}

#[test]
fn each_rule_is_checked() {
    let a = |edit: fn(&mut Value)| rules_of(with(edit));
    let has = |errors: &[(String, String)], field: &str, rule: &str| {
        errors.iter().any(|(f, r)| f == field && r == rule)
    };

    let e = a(|v| v["answers"]["age"] = json!("forty"));
    assert!(has(&e, "answers.age", "answer.wrong_type"), "{e:?}");
    let e = a(|v| v["answers"]["age"] = json!(40.5));
    assert!(has(&e, "answers.age", "answer.wrong_type"), "{e:?}");
    let e = a(|v| v["answers"]["road_good"] = json!(true));
    assert!(has(&e, "answers.road_good", "answer.wrong_type"), "{e:?}");
    let e = a(|v| v["answers"]["road_good"] = json!("maybe"));
    assert!(has(&e, "answers.road_good", "answer.not_a_choice"), "{e:?}");
    let e = a(|v| v["answers"]["channels"] = json!(["radio", "tv"]));
    assert!(has(&e, "answers.channels", "answer.not_a_choice"), "{e:?}");
    let e = a(|v| v["answers"]["channels"] = json!(["radio", "radio"]));
    assert!(
        has(&e, "answers.channels", "answer.duplicate_choice"),
        "{e:?}"
    );
    let e = a(|v| {
        v["answers"].as_object_mut().unwrap().remove("road_good");
    });
    assert!(has(&e, "answers.road_good", "answer.required"), "{e:?}");
    let e = a(|v| v["answers"]["age"] = json!(12));
    assert!(has(&e, "answers.age", "answer.constraint"), "{e:?}");
    let e = a(|v| v["answers"]["channels"] = json!(["radio", "none"]));
    assert!(has(&e, "answers.channels", "answer.constraint"), "{e:?}");
    let e = a(|v| v["answers"]["wait_minutes"] = json!(-5));
    assert!(
        has(&e, "answers.wait_minutes", "answer.constraint"),
        "{e:?}"
    );
    let e = a(|v| v["answers"]["last_visit"] = json!("2019-02-30"));
    assert!(
        has(&e, "answers.last_visit", "answer.invalid_date"),
        "{e:?}"
    );
    let e = a(|v| v["answers"]["income"] = json!(1000));
    assert!(
        has(&e, "answers.income", "answer.unknown_question"),
        "{e:?}"
    );
    // Skip logic: clinic questions are hidden for someone who did not visit the clinic.
    let e = a(|v| v["answers"]["visited_clinic"] = json!("no"));
    for q in ["clinic_quality", "wait_minutes", "last_visit"] {
        assert!(
            has(&e, &format!("answers.{q}"), "answer.not_relevant"),
            "{q}: {e:?}"
        );
    }
    // A required question shown by skip logic must be answered.
    let e = a(|v| {
        v["answers"]
            .as_object_mut()
            .unwrap()
            .remove("clinic_quality");
    });
    assert!(
        has(&e, "answers.clinic_quality", "answer.required"),
        "{e:?}"
    );

    let e = a(|v| v["id"] = json!("not-a-uuid"));
    assert!(has(&e, "id", "id.invalid"), "{e:?}");
    let e = a(|v| v["survey"]["version"] = json!("2"));
    assert!(has(&e, "survey", "survey.mismatch"), "{e:?}");
    let e = a(|v| {
        v["location"].as_object_mut().unwrap().remove("commune");
    });
    assert!(has(&e, "location.commune", "location.missing"), "{e:?}");
    let e = a(|v| v["location"]["village"] = json!("Thôn 1"));
    assert!(has(&e, "location.village", "location.unknown"), "{e:?}");
    // The design weight is the server's: any weight an interview carries is refused.
    for e in [
        a(|v| v["weight"] = json!(-1.0)),
        a(|v| v["weight"] = json!(120.5)),
        a(|v| v["weight"] = json!(1e300)),
    ] {
        assert!(has(&e, "weight", "weight.not_accepted"), "{e:?}");
    }
    let e = a(|v| v["location"]["district"] = json!("x".repeat(201)));
    assert!(has(&e, "location.district", "text.too_long"), "{e:?}");
    let e = a(|v| v["started_at"] = json!("yesterday"));
    assert!(has(&e, "started_at", "time.invalid"), "{e:?}");
    let e = a(|v| v["finished_at"] = json!("2019-07-01T07:00:00+07:00"));
    assert!(has(&e, "finished_at", "time.order"), "{e:?}");
}

#[test]
fn all_errors_of_an_interview_come_together_with_messages_in_both_languages() {
    let broken = with(|v| {
        v["id"] = json!("123");
        v["answers"]["age"] = json!(7);
        v["answers"]["road_good"] = json!("maybe");
        v["answers"]["visited_clinic"] = json!("no");
        v["answers"]["salary"] = json!(5);
    });
    let (code, errors) = validate(&[valid(), broken, valid()]);
    assert_eq!(code, 1);
    assert!(
        errors.iter().all(|(line, ..)| *line == 2),
        "only the second line is wrong: {errors:?}"
    );
    let rules: Vec<&str> = errors.iter().map(|(_, _, r, _)| r.as_str()).collect();
    for rule in [
        "id.invalid",
        "answer.constraint",
        "answer.not_a_choice",
        "answer.not_relevant",
        "answer.unknown_question",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    for (_, field, _, e) in &errors {
        assert!(
            !e["message"]["vi"].as_str().unwrap().is_empty()
                && !e["message"]["en"].as_str().unwrap().is_empty(),
            "{e}"
        );
        if field.starts_with("answers.") {
            assert_eq!(
                format!("answers.{}", e["question"].as_str().unwrap()),
                *field
            );
        }
    }
    let age = errors.iter().find(|(_, f, ..)| f == "answers.age").unwrap();
    assert!(
        age.3["message"]["vi"]
            .as_str()
            .unwrap()
            .contains("Tuổi từ 18 đến 100."),
        "the definition's constraint message is used"
    );
}

#[test]
fn malformed_json_and_unknown_fields_are_refused() {
    let dir = tempdir();
    let path = dir.path().join("bad.jsonl");
    let mut unknown = valid();
    unknown["respondent_name"] = json!("Nguyễn Văn A");
    write(&path, &format!("{{\"id\": \n{unknown}\n"));
    let out = run(&[
        "survey",
        "validate",
        "--survey",
        fixture("small.toml").to_str().unwrap(),
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["error"]["rule"] == "json.invalid"));
    assert!(
        lines[1]["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("respondent_name"),
        "an unknown field is named"
    );
}

#[test]
fn answers_typed_on_other_keyboards_are_normalised() {
    // "Tây Sơn" with combining marks, as some Vietnamese keyboards send it, and a choice value with them.
    let decomposed = with(|v| v["location"]["district"] = json!("Ta\u{302}y So\u{31b}n"));
    let (code, errors) = validate(&[decomposed]);
    assert_eq!((code, errors.len()), (0, 0), "{errors:?}");
}
