//! Survey definitions: the shipped questionnaire loads whole, and a broken definition is refused with
//! every problem named by file, line and id.

use crate::common::*;
use papi_survey::{ReferenceTable, Survey, PAPI_DIMENSIONS};
use serde_json::Value;

#[test]
fn the_shipped_questionnaire_has_papis_structure() {
    let out = ok(&["survey", "check", "survey-defs/papi-2019.toml", "--json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["survey"]["id"], "papi");
    assert_eq!(summary["dimensions"], 8);
    assert_eq!(summary["subdimensions"], 28);
    assert!(summary["indicators"].as_u64().unwrap() >= 100, "{summary}");
    assert!(summary["questions"].as_u64().unwrap() >= 120, "{summary}");

    let survey = shipped_survey();
    let ids: Vec<&str> = survey.dimensions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, PAPI_DIMENSIONS);
    let subs: Vec<usize> = survey
        .dimensions
        .iter()
        .map(|d| d.subdimensions.len())
        .collect();
    assert_eq!(
        subs,
        [4, 4, 3, 4, 4, 4, 3, 2],
        "SCORING.md §1 sub-dimensions per dimension"
    );
    // Vietnamese first, with its diacritics, and English, on every label.
    for d in &survey.dimensions {
        assert!(!d.label.get("vi").is_empty() && !d.label.get("en").is_empty());
    }
    assert_eq!(
        survey.dimensions[0].label.get("vi"),
        "Tham gia của người dân ở cấp cơ sở"
    );
    assert!(
        survey
            .questions
            .iter()
            .filter(|q| q.relevant.is_some())
            .count()
            >= 10,
        "skip logic where interviews have it"
    );
}

#[test]
fn the_baseline_is_binh_dinh_2018_from_the_official_table() {
    let survey = shipped_survey();
    let table = ReferenceTable::load(
        repo().join("survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv"),
    )
    .unwrap();
    assert_eq!(table.rows.len(), 882);
    let official = table
        .find("Bình Định", 2018)
        .expect("Binh Dinh 2018 is in the table");
    let baseline = survey.baseline.as_ref().expect("a baseline");
    assert_eq!(baseline.total, 41.04);
    assert_eq!(baseline.year, Some(2018));
    for (d, score) in survey.dimensions.iter().zip(&baseline.dimensions) {
        let o = official.dimension(&d.id).unwrap();
        assert!(
            (o - score).abs() < 1e-6,
            "{}: baseline {score}, official {o}",
            d.id
        );
    }
    assert!((official.total.unwrap() - 41.04).abs() < 0.005);
}

/// Loads the small fixture with one text replacement and returns the problems as (code, id, line).
fn problems_after(replace: &str, with: &str) -> Vec<(String, String, usize)> {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    assert!(text.contains(replace), "the fixture contains {replace:?}");
    let broken = text.replacen(replace, with, 1);
    let dir = tempdir();
    let path = dir.path().join("broken.toml");
    write(&path, &broken);
    let out = run(&["survey", "check", path.to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken definition is refused: {}",
        stdout(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["file"].as_str().unwrap().ends_with("broken.toml"));
            (
                p["code"].as_str().unwrap().to_owned(),
                p["id"].as_str().unwrap().to_owned(),
                p["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

#[test]
fn each_broken_definition_is_refused_with_the_right_problem() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "question = \"road_good\"",
            "question = \"road_state\"",
            "indicator.unknown_question",
            "road_ok",
        ),
        (
            "values = { yes = 1, no = 0 }",
            "values = { yes = 1.5, no = 0 }",
            "indicator.value_out_of_range",
            "road_ok",
        ),
        (
            "values = { yes = 1, no = 0 }",
            "values = { yes = 1, maybe = 0 }",
            "indicator.unknown_choice",
            "road_ok",
        ),
        (
            "values = { yes = 1, no = 0 }",
            "range = [0, 1]",
            "indicator.scoring_mismatch",
            "road_ok",
        ),
        (
            "subdimension = \"roads\"",
            "subdimension = \"bridges\"",
            "indicator.unknown_subdimension",
            "road_ok",
        ),
        (
            "id = \"informed\"",
            "id = \"road_ok\"",
            "indicator.duplicate_id",
            "road_ok",
        ),
        (
            "id = \"comment\"",
            "id = \"age\"",
            "question.duplicate_id",
            "age",
        ),
        (
            "id = \"voice\"",
            "id = \"services\"",
            "dimension.duplicate_id",
            "services",
        ),
        (
            "  { id = \"information\", label = { vi = \"Thông tin\", en = \"Information\" } },\n",
            "",
            "dimension.no_subdimensions",
            "voice",
        ),
        (
            "subdimension = \"information\"",
            "subdimension = \"health\"",
            "subdimension.no_indicators",
            "information",
        ),
        (
            "relevant = \"${visited_clinic} = 'yes'\"\nconstraint",
            "relevant = \"${road_good} = 'yes'\"\nconstraint",
            "question.invalid_relevant",
            "wait_minutes",
        ),
        (
            "relevant = \"visited_clinic = 'yes' and age >= 18\"",
            "relevant = \"${nowhere} = 'yes'\"",
            "question.invalid_relevant",
            "last_visit",
        ),
        (
            "constraint = \". >= 18 and . <= 100\"",
            "constraint = \". >= 18 and\"",
            "question.invalid_constraint",
            "age",
        ),
        (
            "choices = \"quality\"",
            "choices = \"qualities\"",
            "question.unknown_choices",
            "clinic_quality",
        ),
        (
            "type = \"integer\"",
            "type = \"number\"",
            "question.unknown_type",
            "age",
        ),
        (
            "label = { vi = \"Tuổi\", en = \"Age\" }",
            "label = { vi = \"Tuổi\" }",
            "label.missing_language",
            "age",
        ),
        (
            "dimensions = { services = 5.5, voice = 5.5 }",
            "dimensions = { services = 5.5 }",
            "baseline.missing_dimension",
            "voice",
        ),
        (
            "strata = \"district\"",
            "strata = \"region\"",
            "design.unknown_column",
            "region",
        ),
        (
            "{ value = \"board\",",
            "{ value = \"radio\",",
            "choices.duplicate_value",
            "channels",
        ),
        (
            "required = true\nconstraint = \". >= 18",
            "requried = true\nconstraint = \". >= 18",
            "toml.invalid",
            "",
        ),
        (
            "[[dimensions]]\nid = \"voice\"",
            "[[dimensions]\nid = \"voice\"",
            "toml.invalid",
            "",
        ),
    ];
    for (replace, with, code, id) in cases {
        let problems = problems_after(replace, with);
        assert!(
            problems
                .iter()
                .any(|(c, i, line)| c == code && i == id && *line > 0),
            "replacing {replace:?} with {with:?}: expected {code} for '{id}', got {problems:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once_with_its_line() {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    let broken = text
        .replacen("question = \"road_good\"", "question = \"road_state\"", 1)
        .replacen(
            "values = { good = 1, fair = 0.5, poor = 0 }",
            "values = { good = 2, fair = 0.5, poor = 0 }",
            1,
        )
        .replacen(
            "relevant = \"${visited_clinic} = 'yes'\"",
            "relevant = \"${road_good} = 'yes'\"",
            1,
        );
    let dir = tempdir();
    let path = dir.path().join("three.toml");
    write(&path, &broken);
    let out = run(&["survey", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("has 3 problem(s) and was not loaded"), "{err}");
    let line = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    // Problems point at the table that holds them: the [[indicators]] or [[questions]] entry.
    let road_ok = line("id = \"road_ok\"");
    let clinic_good = line("id = \"clinic_good\"");
    let clinic_quality = line("id = \"clinic_quality\"");
    for (id, near, code) in [
        ("road_ok", road_ok, "indicator.unknown_question"),
        ("clinic_good", clinic_good, "indicator.value_out_of_range"),
        (
            "clinic_quality",
            clinic_quality,
            "question.invalid_relevant",
        ),
    ] {
        let reported = err
            .lines()
            .find(|l| l.contains(&format!("[{id}]")) && l.contains(code))
            .unwrap_or_else(|| panic!("no {code} for {id} in:\n{err}"));
        let n: usize = reported.split(':').nth(1).unwrap().parse().unwrap();
        assert!(
            n <= near && near - n <= 3,
            "{id} reported at line {n}, its table is at {near}: {reported}"
        );
    }
    // Refused whole: the library gives no survey at all.
    assert!(Survey::load(&path).is_err());
}

#[test]
fn vietnamese_text_in_a_definition_is_normalised_to_nfc() {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    // "Dịch vụ công" typed with combining marks.
    let decomposed = "Di\u{323}ch vu\u{323} co\u{302}ng";
    let broken = text.replacen("Dịch vụ công", decomposed, 1);
    assert_ne!(text, broken);
    let survey = Survey::from_toml(&broken, "decomposed.toml").unwrap();
    assert_eq!(survey.dimensions[0].label.get("vi"), "Dịch vụ công");
}

#[test]
fn the_baselines_standard_errors_are_read_by_dimension() {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    let with = text.replacen(
        "dimensions = { services = 5.5, voice = 5.5 }\n",
        "dimensions = { services = 5.5, voice = 5.5 }\n\n[baseline.standard_errors]\ntotal = 0.42\nvoice = 0.2\n",
        1,
    );
    let survey = Survey::from_toml(&with, "with-se.toml").unwrap();
    let ses = &survey.baseline.as_ref().unwrap().standard_errors;
    assert_eq!(ses.total, Some(0.42));
    // In the order of the definition's dimensions: services, then voice.
    assert_eq!(ses.dimensions, vec![None, Some(0.2)]);
    // Without the table the baseline has none.
    let plain = Survey::from_toml(&text, "small.toml").unwrap();
    let ses = &plain.baseline.as_ref().unwrap().standard_errors;
    assert_eq!(
        (ses.total, ses.dimensions.clone()),
        (None, vec![None, None])
    );
}

#[test]
fn a_bad_baseline_standard_error_is_refused_at_its_line() {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    let broken = text.replacen(
        "dimensions = { services = 5.5, voice = 5.5 }\n",
        "dimensions = { services = 5.5, voice = 5.5 }\n\n[baseline.standard_errors]\ntotal = -0.1\nservices = nan\nvoice = inf\nroads = 0.1\n",
        1,
    );
    let dir = tempdir();
    let path = dir.path().join("bad-se.toml");
    write(&path, &broken);
    let out = run(&["survey", "check", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let table = broken
        .lines()
        .position(|l| l == "[baseline.standard_errors]")
        .unwrap();
    let line = |key: &str| {
        table
            + broken
                .lines()
                .skip(table)
                .position(|l| l.starts_with(&format!("{key} = ")))
                .unwrap()
            + 1
    };
    let problems = v["problems"].as_array().unwrap();
    for (id, code) in [
        ("total", "baseline.invalid_standard_error"),
        ("services", "baseline.invalid_standard_error"),
        ("voice", "baseline.invalid_standard_error"),
        ("roads", "baseline.unknown_standard_error"),
    ] {
        let p = problems
            .iter()
            .find(|p| p["id"] == id && p["code"] == code)
            .unwrap_or_else(|| panic!("no {code} for {id} in {problems:?}"));
        assert!(p["file"].as_str().unwrap().ends_with("bad-se.toml"));
        assert_eq!(p["line"].as_u64().unwrap() as usize, line(id), "{id}");
    }
    assert_eq!(problems.len(), 4, "{problems:?}");
}
