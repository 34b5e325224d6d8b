//! XLSForm in and out (`papi xlsform import|export|xform`), as a survey team uses it: the shipped
//! questionnaire goes to Excel and back without loss, a hand-made XLSForm is read, bad workbooks are
//! refused with sheet, row, column and rule and nothing written, and our XForm agrees with pyxform's
//! (PyPI) on every question. CI installs pyxform; there a missing one fails the pyxform test.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use papi_survey::Survey;

/// Every part of two definitions that the definition format holds, compared field by field.
fn assert_same_definition(a: &Survey, b: &Survey) {
    assert_eq!(a.id, b.id);
    assert_eq!(a.version, b.version);
    assert_eq!(a.title, b.title);
    assert_eq!(a.languages, b.languages);
    assert_eq!(a.design, b.design);
    assert_eq!(a.baseline, b.baseline);
    assert_eq!(a.choice_lists, b.choice_lists);
    assert_eq!(a.dimensions, b.dimensions);
    assert_eq!(a.questions.len(), b.questions.len());
    for (x, y) in a.questions.iter().zip(&b.questions) {
        let key = |q: &papi_survey::Question| {
            (
                q.id.clone(),
                q.kind,
                q.choices.clone(),
                q.label.clone(),
                q.hint.clone(),
                q.group.clone(),
                q.required,
                q.relevant_source.clone(),
                q.constraint_source.clone(),
                q.constraint_message.clone(),
            )
        };
        assert_eq!(key(x), key(y));
    }
    assert_eq!(a.indicators, b.indicators);
}

#[test]
fn the_shipped_questionnaire_goes_to_excel_and_back_without_loss() {
    let dir = tempdir();
    let xlsx = dir.path().join("papi-2019.xlsx");
    let toml = dir.path().join("papi-2019.toml");
    ok(&[
        "xlsform",
        "export",
        "survey-defs/papi-2019.toml",
        "-o",
        xlsx.to_str().unwrap(),
    ]);
    let out = ok(&[
        "xlsform",
        "import",
        xlsx.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).contains("152 questions, 135 indicators"),
        "{}",
        stdout(&out)
    );
    let original = shipped_survey();
    let imported = Survey::load(&toml).expect("the imported definition loads");
    assert_same_definition(&original, &imported);
    assert_eq!(imported.questions.len(), 152);
    assert!(original.baseline.is_some());
    ok(&["survey", "check", toml.to_str().unwrap()]);

    // Twice round: the imported definition exported and imported again is the same text.
    let xlsx2 = dir.path().join("again.xlsx");
    let toml2 = dir.path().join("again.toml");
    ok(&[
        "xlsform",
        "export",
        toml.to_str().unwrap(),
        "-o",
        xlsx2.to_str().unwrap(),
    ]);
    ok(&[
        "xlsform",
        "import",
        xlsx2.to_str().unwrap(),
        "-o",
        toml2.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&toml).unwrap(),
        std::fs::read_to_string(&toml2).unwrap()
    );
}

/// A workbook from rows of text cells (`#n` before a cell writes it as a number, as Excel users do).
fn workbook(path: &Path, sheets: &[(&str, Vec<Vec<&str>>)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                match cell.strip_prefix("#n") {
                    Some(n) => ws.write_number(r as u32, c as u16, n.parse::<f64>().unwrap()),
                    None => ws.write_string(r as u32, c as u16, *cell),
                }
                .unwrap();
            }
        }
    }
    wb.save(path).unwrap();
}

/// A small XLSForm as a team would write it by hand: groups (one nested, with labels papi does not
/// keep), `begin group` spelt with a space, numeric choice names, a second indicator on the row under
/// its question, and no `papi_languages` (the languages come from the label columns).
fn hand_made() -> Vec<(&'static str, Vec<Vec<&'static str>>)> {
    vec![
        (
            "survey",
            vec![
                vec![
                    "type",
                    "name",
                    "label::Vietnamese (vi)",
                    "label::English (en)",
                    "hint::Vietnamese (vi)",
                    "hint::English (en)",
                    "required",
                    "relevant",
                    "constraint",
                    "constraint_message::Vietnamese (vi)",
                    "constraint_message::English (en)",
                    "papi_role",
                    "papi_indicator",
                    "papi_subdimension",
                    "papi_values",
                    "papi_range",
                    "papi_any_of",
                ],
                vec!["start", "start"],
                vec!["end", "end"],
                vec![
                    "text", "district", "Huyện", "District", "", "", "yes", "", "", "", "",
                    "location",
                ],
                vec![
                    "text", "commune", "Xã", "Commune", "", "", "yes", "", "", "", "", "location",
                ],
                vec!["begin group", "services", "Dịch vụ công", "Public services"],
                vec![
                    "select_one yn",
                    "clinic_used",
                    "Ông/bà có đến trạm y tế xã không?",
                    "Did you visit the commune clinic?",
                    "",
                    "",
                    "TRUE",
                ],
                vec!["begin_group", "clinic", "Trạm y tế", "Clinic"],
                vec![
                    "select_one rating",
                    "clinic_rating",
                    "Chất lượng trạm y tế?",
                    "Clinic quality?",
                    "1 là kém nhất",
                    "1 is the worst",
                    "yes",
                    "${clinic_used} = 'yes'",
                    "",
                    "",
                    "",
                    "",
                    "clinic_quality",
                    "health",
                    "1=0 2=0.25 3=0.5 4=0.75 5=1",
                ],
                vec![
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "clinic_good",
                    "health",
                    "1=0 2=0 3=0 4=1 5=1",
                ],
                vec!["end group"],
                vec![
                    "integer",
                    "wait_minutes",
                    "Chờ bao nhiêu phút?",
                    "How many minutes did you wait?",
                    "",
                    "",
                    "no",
                    "${clinic_used} = 'yes'",
                    ". >= 0 and . <= 600",
                    "Từ 0 đến 600 phút.",
                    "Between 0 and 600 minutes.",
                    "",
                    "clinic_wait",
                    "health",
                    "",
                    "0 120",
                ],
                vec![
                    "select_multiple problems",
                    "clinic_problems",
                    "Vấn đề gặp phải?",
                    "Problems met?",
                    "",
                    "",
                    "",
                    "${clinic_used} = 'yes'",
                    "not(selected(., 'none') and count-selected(.) > 1)",
                    "",
                    "",
                    "",
                    "clinic_no_problem",
                    "health",
                    "",
                    "",
                    "none",
                ],
                vec!["end_group"],
            ],
        ),
        (
            "choices",
            vec![
                vec![
                    "list_name",
                    "name",
                    "label::Vietnamese (vi)",
                    "label::English (en)",
                ],
                vec!["yn", "yes", "Có", "Yes"],
                vec!["yn", "no", "Không", "No"],
                vec!["rating", "#n1", "Rất kém", "Very poor"],
                vec!["rating", "#n2", "Kém", "Poor"],
                vec!["rating", "#n3", "Trung bình", "Fair"],
                vec!["rating", "#n4", "Tốt", "Good"],
                vec!["rating", "#n5", "Rất tốt", "Very good"],
                vec!["problems", "none", "Không có", "None"],
                vec!["problems", "wait", "Chờ lâu", "Long wait"],
                vec!["problems", "cost", "Tốn kém", "Costly"],
            ],
        ),
        (
            "settings",
            vec![
                vec![
                    "form_title",
                    "form_id",
                    "version",
                    "default_language",
                    "papi_strata",
                    "papi_cluster",
                ],
                vec![
                    "Khảo sát y tế xã",
                    "clinics",
                    "#n2024",
                    "Vietnamese (vi)",
                    "district",
                    "commune",
                ],
            ],
        ),
        (
            "dimensions",
            vec![
                vec![
                    "dimension",
                    "subdimension",
                    "label::Vietnamese (vi)",
                    "label::English (en)",
                ],
                vec![
                    "public_services",
                    "",
                    "Cung ứng dịch vụ công",
                    "Public service delivery",
                ],
                vec![
                    "public_services",
                    "health",
                    "Y tế công lập",
                    "Public health care",
                ],
            ],
        ),
    ]
}

#[test]
fn a_hand_made_xlsform_is_read_into_a_definition() {
    let dir = tempdir();
    let xlsx = dir.path().join("clinics.xlsx");
    workbook(&xlsx, &hand_made());
    let toml = dir.path().join("clinics.toml");
    ok(&[
        "xlsform",
        "import",
        xlsx.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
    ]);
    let s = Survey::load(&toml).expect("the imported definition loads");
    assert_eq!((s.id.as_str(), s.version.as_str()), ("clinics", "2024"));
    assert_eq!(s.languages, ["vi", "en"]);
    assert_eq!(s.title.get("vi"), "Khảo sát y tế xã");
    assert_eq!(s.design.location, ["district", "commune"]);
    assert_eq!(s.design.strata.as_deref(), Some("district"));
    let ids: Vec<&str> = s.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "clinic_used",
            "clinic_rating",
            "wait_minutes",
            "clinic_problems"
        ]
    );
    let groups: Vec<Option<&str>> = s.questions.iter().map(|q| q.group.as_deref()).collect();
    assert_eq!(
        groups,
        [
            Some("services"),
            Some("clinic"),
            Some("services"),
            Some("services")
        ]
    );
    assert!(s.questions[0].required && s.questions[1].required && !s.questions[2].required);
    assert_eq!(
        s.questions[1].relevant_source.as_deref(),
        Some("${clinic_used} = 'yes'")
    );
    assert_eq!(
        s.questions[1].hint.as_ref().unwrap().get("en"),
        "1 is the worst"
    );
    assert_eq!(
        s.questions[2]
            .constraint_message
            .as_ref()
            .unwrap()
            .get("vi"),
        "Từ 0 đến 600 phút."
    );
    let rating: Vec<&str> = s.choice_lists["rating"]
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(rating, ["1", "2", "3", "4", "5"]);
    let indicators: Vec<(&str, usize)> = s
        .indicators
        .iter()
        .map(|i| (i.id.as_str(), i.question))
        .collect();
    assert_eq!(
        indicators,
        [
            ("clinic_quality", 1),
            ("clinic_good", 1),
            ("clinic_wait", 2),
            ("clinic_no_problem", 3)
        ]
    );
    assert_eq!(
        s.indicators[2].scoring,
        papi_survey::Scoring::Range {
            lo: 0.0,
            hi: 120.0,
            reverse: false
        }
    );
    assert_eq!(s.dimensions[0].subdimensions[0].indicators, [0, 1, 2, 3]);
}

type Sheets = Vec<(&'static str, Vec<Vec<&'static str>>)>;

/// Sets one cell, lengthening a short row.
fn set(w: &mut Sheets, sheet: usize, row: usize, column: usize, value: &'static str) {
    let cells = &mut w[sheet].1[row];
    if cells.len() <= column {
        cells.resize(column + 1, "");
    }
    cells[column] = value;
}

#[test]
fn a_bad_workbook_is_refused_with_sheet_row_column_and_rule_and_nothing_is_written() {
    let dir = tempdir();
    type Edit = fn(&mut Sheets);
    // Where the problem must be reported: sheet, row, column, rule.
    type Expected = (&'static str, usize, &'static str, &'static str);
    let cases: Vec<(&str, Edit, Expected)> = vec![
        (
            "no survey sheet",
            |w| w.retain(|(n, _)| *n != "survey"),
            ("survey", 0, "", "workbook.missing_sheet"),
        ),
        (
            "a file of choices that is not beside the workbook",
            |w| set(w, 0, 6, 0, "select_one_from_file villages.csv"),
            ("survey", 7, "type", "survey.choice_file_missing"),
        ),
        (
            "a type papi does not keep",
            |w| set(w, 0, 6, 0, "rank colours"),
            ("survey", 7, "type", "survey.unknown_type"),
        ),
        (
            "a misspelt type",
            |w| set(w, 0, 6, 0, "integr"),
            ("survey", 7, "type", "survey.unknown_type"),
        ),
        (
            "an unknown choice list",
            |w| set(w, 0, 6, 0, "select_one yes_no"),
            ("survey", 7, "type", "survey.unknown_list"),
        ),
        (
            "a bad expression",
            |w| set(w, 0, 8, 7, "${clinic_used} = = 'yes'"),
            ("survey", 9, "relevant", "question.invalid_relevant"),
        ),
        (
            "a reference to a later question",
            |w| set(w, 0, 6, 7, "${wait_minutes} > 5"),
            ("survey", 7, "relevant", "question.invalid_relevant"),
        ),
        (
            "a duplicate name",
            |w| set(w, 0, 11, 1, "clinic_rating"),
            ("survey", 12, "name", "survey.duplicate_name"),
        ),
        (
            "a question with neither label nor hint",
            |w| {
                set(w, 0, 11, 2, "");
                set(w, 0, 11, 3, "");
            },
            ("survey", 12, "label", "label.missing_language"),
        ),
        (
            "a score outside [0, 1]",
            |w| set(w, 0, 8, 14, "1=0 5=2"),
            ("survey", 9, "papi_values", "indicator.value_out_of_range"),
        ),
        (
            "an unknown sub-dimension",
            |w| set(w, 0, 11, 13, "hospital"),
            (
                "survey",
                12,
                "papi_subdimension",
                "indicator.unknown_subdimension",
            ),
        ),
        (
            "a bad required",
            |w| set(w, 0, 6, 6, "maybe"),
            ("survey", 7, "required", "question.invalid_required"),
        ),
        (
            "a duplicate choice",
            |w| set(w, 1, 2, 1, "yes"),
            ("choices", 3, "name", "choices.duplicate_value"),
        ),
        (
            "a pattern that is not a regular expression",
            |w| set(w, 0, 8, 8, "regex(., '[0-9')"),
            ("survey", 9, "constraint", "question.invalid_constraint"),
        ),
        (
            "an unclosed group",
            |w| {
                w[0].1.pop();
            },
            ("survey", 6, "type", "survey.unbalanced_group"),
        ),
    ];
    for (what, edit, (sheet, row, column, code)) in cases {
        let mut sheets = hand_made();
        edit(&mut sheets);
        let xlsx = dir.path().join("bad.xlsx");
        workbook(&xlsx, &sheets);
        let toml = dir.path().join("bad.toml");
        let out = run(&[
            "xlsform",
            "import",
            xlsx.to_str().unwrap(),
            "-o",
            toml.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(!toml.exists(), "{what}: nothing is written");
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let problems = v["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|p| p["sheet"] == sheet
                && p["row"] == row
                && p["column"] == column
                && p["code"] == code),
            "{what}: expected {sheet} row {row} column {column} {code}, got {problems:#?}"
        );
        // And as people read it.
        let out = run(&[
            "xlsform",
            "import",
            xlsx.to_str().unwrap(),
            "-o",
            toml.to_str().unwrap(),
        ]);
        let text = stderr(&out);
        assert!(
            text.contains(&format!("sheet '{sheet}'")) && text.contains(code),
            "{what}: {text}"
        );
    }
    // Not a workbook at all.
    let fake = dir.path().join("notes.xlsx");
    write(&fake, "type,name\ninteger,age\n");
    let out = run(&["xlsform", "import", fake.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("workbook.unreadable"),
        "{}",
        stdout(&out)
    );
    assert!(!dir.path().join("notes.toml").exists());
}

/// pyxform's XForm of `xlsx` compared with ours (`pyxform_check.py`): what was compared, as JSON, or
/// every difference.
fn compare_with_pyxform(xlsx: &Path, ours: &Path) -> Result<serde_json::Value, String> {
    let script = repo().join("tests/xlsform/pyxform_check.py");
    let theirs = ours.with_extension("pyxform.xml");
    let convert = Command::new("python3")
        .arg(&script)
        .args(["convert", xlsx.to_str().unwrap(), theirs.to_str().unwrap()])
        .output()
        .unwrap();
    if !convert.status.success() {
        return Err(format!(
            "pyxform refused the workbook: {}",
            String::from_utf8_lossy(&convert.stderr)
        ));
    }
    // A list pyxform leaves in a file beside the workbook is read from there.
    let media = xlsx.parent().unwrap();
    let compare = Command::new("python3")
        .arg(&script)
        .args(["compare", ours.to_str().unwrap(), theirs.to_str().unwrap()])
        .arg(media)
        .output()
        .unwrap();
    if !compare.status.success() {
        return Err(format!(
            "our XForm and pyxform's differ:\n{}",
            String::from_utf8_lossy(&compare.stderr)
        ));
    }
    Ok(serde_json::from_slice(&compare.stdout).unwrap())
}

needs! { pyxform:
fn our_xform_agrees_with_pyxform_on_every_question_choice_relevance_and_constraint() {
    let dir = tempdir();
    let xlsx = dir.path().join("papi-2019.xlsx");
    let ours = dir.path().join("ours.xml");
    ok(&[
        "xlsform",
        "export",
        "survey-defs/papi-2019.toml",
        "-o",
        xlsx.to_str().unwrap(),
    ]);
    ok(&[
        "xlsform",
        "xform",
        "survey-defs/papi-2019.toml",
        "-o",
        ours.to_str().unwrap(),
    ]);
    let counts = compare_with_pyxform(&xlsx, &ours).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("XForm compared with pyxform's: {counts}");
    let survey = shipped_survey();
    assert_eq!(
        counts["questions"],
        survey.questions.len() + survey.design.location.len()
    );
    assert_eq!(
        counts["relevant"],
        survey
            .questions
            .iter()
            .filter(|q| q.relevant.is_some())
            .count()
    );
    assert_eq!(
        counts["constraints"],
        survey
            .questions
            .iter()
            .filter(|q| q.constraint.is_some())
            .count()
    );
}
}

// ---- The corpus: workbooks as survey teams write them ------------------------------------------

/// A workbook written as pyxform's markdown tables: a line `| sheet |` starts a sheet, the lines
/// under it (first cell empty) are its rows; text outside the tables says what the workbook shows.
fn corpus_workbook(dir: &Path, name: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join(format!("tests/xlsform/corpus/{name}.md")))
        .unwrap_or_else(|e| panic!("corpus workbook {name}: {e}"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut sheet: Option<(String, Vec<Vec<String>>)> = None;
    let mut sheets = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        if !cells[0].is_empty() {
            sheets.extend(sheet.take());
            sheet = Some((cells[0].clone(), Vec::new()));
        } else if let Some((_, rows)) = sheet.as_mut() {
            rows.push(cells[1..].to_vec());
        }
    }
    sheets.extend(sheet);
    for (name, rows) in &sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, cell).unwrap();
                }
            }
        }
    }
    let path = dir.join(format!("{name}.xlsx"));
    wb.save(&path).unwrap();
    path
}

fn corpus_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("tests/xlsform/corpus"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            (p.extension()? == "md").then_some(stem)
        })
        .collect();
    names.sort();
    names
}

/// `papi xlsform import --json` of a corpus workbook: the definition's path and the JSON report.
fn import_corpus(dir: &Path, name: &str) -> (std::path::PathBuf, serde_json::Value, bool) {
    let xlsx = corpus_workbook(dir, name);
    let toml = dir.join(format!("{name}.toml"));
    let out = run(&[
        "xlsform",
        "import",
        xlsx.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}{}", stdout(&out), stderr(&out)));
    (toml, report, out.status.success())
}

fn warnings_of(report: &serde_json::Value) -> Vec<(String, u64, String, String)> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["sheet"].as_str().unwrap().to_owned(),
                w["row"].as_u64().unwrap(),
                w["column"].as_str().unwrap().to_owned(),
                w["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_corpus_workbook_imports_and_says_what_it_left_out() {
    let dir = tempdir();
    for name in corpus_names().iter().filter(|n| !n.starts_with("refused_")) {
        let (toml, report, imported) = import_corpus(dir.path(), name);
        assert!(imported, "{name} was refused: {report}");
        // What was imported loads as a definition of its own.
        ok(&["survey", "check", toml.to_str().unwrap()]);
        let warnings = warnings_of(&report);
        match name.as_str() {
            "legacy_spellings" => {
                assert_eq!(report["survey"], "legacy_spellings", "{report}");
                for (row, column, code) in [
                    (2, "form_id", "settings.default"),
                    (2, "version", "settings.default"),
                    (5, "name", "survey.renamed"),
                    (6, "name", "survey.renamed"),
                ] {
                    let sheet = if code.starts_with("settings") {
                        "settings"
                    } else {
                        "survey"
                    };
                    assert!(
                        warnings.contains(&(sheet.into(), row, column.into(), code.into())),
                        "{name}: no {code} warning at {sheet} row {row} column {column}: {warnings:?}"
                    );
                }
                let def = std::fs::read_to_string(&toml).unwrap();
                assert!(def.contains("id = \"age_years\""), "{def}");
                assert!(def.contains("id = \"car_color_other\""), "{def}");
                assert!(
                    def.contains("relevant = \"selected(${car_color}, 'other')\""),
                    "{def}"
                );
                assert!(def.contains("languages = [\"en\", \"fr\"]"), "{def}");
            }
            "columns_kept" => {
                let settings: Vec<_> = warnings
                    .iter()
                    .filter(|w| w.3 == "column.not_kept")
                    .map(|w| (w.0.as_str(), w.2.as_str()))
                    .collect();
                assert_eq!(
                    settings,
                    [
                        ("settings", "instance_name"),
                        ("settings", "submission_url")
                    ],
                    "{warnings:?}"
                );
                let def = std::fs::read_to_string(&toml).unwrap();
                for kept in [
                    "guidance_hint",
                    "required_message",
                    "read_only = true",
                    "default = \"2\"",
                    "image = ",
                ] {
                    assert!(def.contains(kept), "{kept} not kept: {def}");
                }
            }
            _ => assert!(
                warnings.iter().all(|w| w.3 != "column.not_kept"),
                "{name}: a column was left out: {warnings:?}"
            ),
        }
    }
}

#[test]
fn a_workbook_with_what_papi_does_not_keep_is_refused_with_every_problem_at_once() {
    let dir = tempdir();
    let (toml, report, imported) = import_corpus(dir.path(), "refused_loop_and_file");
    assert!(!imported, "{report}");
    assert!(!toml.exists(), "nothing may be written");
    let problems: Vec<(String, u64, String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sheet"].as_str().unwrap().to_owned(),
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (row, column, code) in [
        (2, "type", "survey.unknown_type"),
        (4, "type", "survey.unknown_type"),
        (5, "type", "survey.choice_file_missing"),
        (6, "type", "survey.unknown_list"),
        (7, "name", "survey.missing_name"),
    ] {
        assert!(
            problems.contains(&("survey".into(), row, column.into(), code.into())),
            "no {code} at survey row {row}: {problems:?}"
        );
    }
    let messages = report["problems"].to_string();
    assert!(messages.contains("loop"), "{messages}");
    assert!(messages.contains("choices sheet"), "{messages}");
    // The file of choices is looked for beside the workbook, and the message says where.
    let beside = dir.path().join("villages.csv");
    assert!(
        messages.contains(&beside.display().to_string().replace('\\', "\\\\")),
        "{messages}"
    );
}

/// Interviews of an imported form, checked by `papi survey validate --json`: each line's errors as
/// (field, rule).
fn validate(
    dir: &Path,
    toml: &Path,
    interviews: &[serde_json::Value],
) -> Vec<Vec<(String, String)>> {
    let file = dir.join("interviews.jsonl");
    let text: Vec<String> = interviews.iter().map(|i| i.to_string()).collect();
    write(&file, &(text.join("\n") + "\n"));
    let out = run(&[
        "survey",
        "validate",
        "--survey",
        toml.to_str().unwrap(),
        file.to_str().unwrap(),
        "--json",
    ]);
    let mut errors = vec![Vec::new(); interviews.len()];
    for line in stdout(&out).lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let n = e["line"].as_u64().unwrap() as usize - 1;
        errors[n].push((
            e["error"]["field"].as_str().unwrap().to_owned(),
            e["error"]["rule"].as_str().unwrap().to_owned(),
        ));
    }
    errors
}

fn interview(form: &str, answers: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "survey": { "id": form, "version": "1" },
        "answers": answers,
    })
}

#[test]
fn the_server_checks_repeats_cascades_and_the_answers_phones_give() {
    let dir = tempdir();
    let (repeat, ..) = import_corpus(dir.path(), "repeat_household");
    let members = |n: u64, ages: &[u64]| {
        let reps: Vec<serde_json::Value> = ages
            .iter()
            .map(|a| serde_json::json!({ "first_name": "An", "age": a }))
            .collect();
        interview(
            "repeat_household",
            serde_json::json!({ "n_members": n, "member": reps }),
        )
    };
    let errors = validate(
        dir.path(),
        &repeat,
        &[
            members(2, &[40, 12]),
            members(3, &[40, 12]),
            members(2, &[40, 130]),
            interview(
                "repeat_household",
                serde_json::json!({ "n_members": 1, "member": [{ "age": 40, "at_school": "yes" }] }),
            ),
            interview(
                "repeat_household",
                serde_json::json!({ "n_members": 1, "age": 3 }),
            ),
        ],
    );
    assert_eq!(errors[0], [], "two members of two");
    assert_eq!(
        errors[1],
        [("answers.member".into(), "answer.repeat_count".into())]
    );
    assert_eq!(
        errors[2],
        [("answers.member[2].age".into(), "answer.constraint".into())]
    );
    assert_eq!(
        errors[3],
        [(
            "answers.member[1].at_school".into(),
            "answer.not_relevant".into()
        )]
    );
    assert_eq!(
        errors[4],
        [("answers.age".into(), "answer.unknown_question".into())]
    );

    let (cascade, ..) = import_corpus(dir.path(), "cascading_selects");
    let place = |p: &str, d: &str, c: &str| {
        interview(
            "cascading_selects",
            serde_json::json!({ "province": p, "district": d, "commune": c }),
        )
    };
    let errors = validate(
        dir.path(),
        &cascade,
        &[
            place("binh_dinh", "tay_son", "phu_phong"),
            place("binh_dinh", "song_cau", "xuan_phu"),
        ],
    );
    assert_eq!(errors[0], []);
    // Sông Cầu is in Phú Yên: refused, and so is its commune, which the district's filter then hides.
    assert_eq!(
        errors[1],
        [
            ("answers.district".into(), "answer.not_a_choice".into()),
            ("answers.commune".into(), "answer.not_a_choice".into())
        ]
    );

    let (device, ..) = import_corpus(dir.path(), "device_and_place");
    let good = serde_json::json!({
        "home": "13.7765 109.2237 12.5 4.8",
        "road": "13.7765 109.2237 0 5;13.7770 109.2240 0 5",
        "field": "13.7765 109.2237 0 5;13.7770 109.2240 0 5;13.7760 109.2245 0 5;13.7765 109.2237 0 5",
        "arrived": "08:30:00.000+07:00",
        "appointment": "2026-12-01T09:00:00.000+07:00",
        "card": "8935049500124",
        "pain": 4,
        "consent": "OK",
        "photo": "1764489600000.jpg",
        "today": "2026-11-30",
        "deviceid": "collect:AbC123",
    });
    let mut bad = good.clone();
    for (k, v) in [
        ("home", serde_json::json!("200 10")),
        (
            "field",
            serde_json::json!("13 109;13.1 109;13.1 109.1;13.2 109.2"),
        ),
        ("arrived", serde_json::json!("half past eight")),
        ("pain", serde_json::json!(11)),
        ("consent", serde_json::json!("yes")),
        ("photo", serde_json::json!("../../etc/passwd")),
    ] {
        bad[k] = v;
    }
    let errors = validate(
        dir.path(),
        &device,
        &[
            interview("device_and_place", good),
            interview("device_and_place", bad),
        ],
    );
    assert_eq!(errors[0], []);
    let fields: Vec<&str> = errors[1].iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "answers.home",
            "answers.field",
            "answers.arrived",
            "answers.consent",
            "answers.photo",
            "answers.pain"
        ],
        "{:?}",
        errors[1]
    );
}

needs! { pyxform:
fn our_xform_agrees_with_pyxform_on_every_corpus_workbook() {
    let dir = tempdir();
    for name in corpus_names().iter().filter(|n| !n.starts_with("refused_")) {
        let (toml, report, imported) = import_corpus(dir.path(), name);
        assert!(imported, "{name}: {report}");
        let xlsx = dir.path().join(format!("{name}.xlsx"));
        let ours = dir.path().join(format!("{name}.ours.xml"));
        ok(&[
            "xlsform",
            "xform",
            toml.to_str().unwrap(),
            "-o",
            ours.to_str().unwrap(),
        ]);
        // JavaRosa, the form engine of ODK Collect, takes our form.
        odk_validate(&std::fs::read_to_string(&ours).unwrap());
        let counts = compare_with_pyxform(&xlsx, &ours).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name}: {counts}");
    }
}
}

// ---- Choices from a file beside the workbook (select_one_from_file) ----------------------------

/// A workbook whose villages are in `villages.csv` beside it, cascading from the district: the way
/// ODK teams keep a long list of places out of the choices sheet.
fn villages_workbook(dir: &Path, with_file: bool) -> std::path::PathBuf {
    let xlsx = dir.join("villages_form.xlsx");
    workbook(
        &xlsx,
        &[
            (
                "survey",
                vec![
                    vec!["type", "name", "label", "choice_filter"],
                    vec!["select_one district", "district", "District?", ""],
                    vec![
                        "select_one_from_file villages.csv",
                        "village",
                        "Village?",
                        "district=${district}",
                    ],
                    vec![
                        "select_multiple_from_file villages.csv",
                        "visited",
                        "Villages visited?",
                        "",
                    ],
                ],
            ),
            (
                "choices",
                vec![
                    vec!["list_name", "name", "label"],
                    vec!["district", "tay_son", "Tây Sơn"],
                    vec!["district", "hoai_nhon", "Hoài Nhơn"],
                ],
            ),
            (
                "settings",
                vec![
                    vec!["form_id", "version", "form_title"],
                    vec!["villages_form", "1", "Villages"],
                ],
            ),
        ],
    );
    if with_file {
        write(
            &dir.join("villages.csv"),
            "name,label,district\n\
             phu_phong,Phú Phong,tay_son\n\
             tay_xuan,\"Tây Xuân, thôn 1\",tay_son\n\
             bong_son,Bồng Sơn,hoai_nhon\n",
        );
    }
    xlsx
}

#[test]
fn choices_from_a_csv_beside_the_workbook_are_copied_into_the_definition() {
    let dir = tempdir();
    let xlsx = villages_workbook(dir.path(), true);
    let toml = dir.path().join("villages_form.toml");
    let out = run(&[
        "xlsform",
        "import",
        xlsx.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    // Each question over the file says that its choices were copied, and that a change needs a new
    // import.
    let copied: Vec<_> = warnings_of(&report)
        .into_iter()
        .filter(|w| w.3 == "survey.choices_from_file")
        .collect();
    assert_eq!(
        copied,
        [
            (
                "survey".into(),
                3,
                "type".into(),
                "survey.choices_from_file".into()
            ),
            (
                "survey".into(),
                4,
                "type".into(),
                "survey.choices_from_file".into()
            )
        ],
        "{report}"
    );
    assert!(report.to_string().contains("villages.csv"), "{report}");

    let survey = Survey::load(&toml).unwrap_or_else(|e| panic!("{e}"));
    let list = &survey.choice_lists["villages"];
    let offered: Vec<(&str, &str, Option<&str>)> = list
        .iter()
        .map(|c| {
            (
                c.value.as_str(),
                c.label.0.values().next().unwrap().as_str(),
                c.columns.get("district").map(String::as_str),
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            ("phu_phong", "Phú Phong", Some("tay_son")),
            ("tay_xuan", "Tây Xuân, thôn 1", Some("tay_son")),
            ("bong_son", "Bồng Sơn", Some("hoai_nhon"))
        ]
    );
    for q in ["village", "visited"] {
        let q = survey.questions.iter().find(|x| x.id == q).unwrap();
        assert_eq!(q.choices.as_deref(), Some("villages"), "{}", q.id);
    }
    ok(&["survey", "check", toml.to_str().unwrap()]);

    // The cascade holds: a village of another district is refused.
    let place = |d: &str, v: &str| {
        interview(
            "villages_form",
            serde_json::json!({ "district": d, "village": v }),
        )
    };
    let errors = validate(
        dir.path(),
        &toml,
        &[place("tay_son", "tay_xuan"), place("tay_son", "bong_son")],
    );
    assert_eq!(errors[0], []);
    assert_eq!(
        errors[1],
        [("answers.village".into(), "answer.not_a_choice".into())]
    );

    // The XForm carries the villages inline: a phone needs no attachment.
    let ours = dir.path().join("villages_form.xml");
    ok(&[
        "xlsform",
        "xform",
        toml.to_str().unwrap(),
        "-o",
        ours.to_str().unwrap(),
    ]);
    let xform = std::fs::read_to_string(&ours).unwrap();
    assert!(xform.contains("<instance id=\"villages\">"), "{xform}");
    assert!(xform.contains("Tây Xuân, thôn 1"), "{xform}");
    assert!(!xform.contains("jr://file"), "{xform}");
}

#[test]
fn a_file_of_choices_missing_beside_the_workbook_is_refused_saying_where_it_was_looked_for() {
    let dir = tempdir();
    let xlsx = villages_workbook(dir.path(), false);
    let toml = dir.path().join("villages_form.toml");
    let out = run(&[
        "xlsform",
        "import",
        xlsx.to_str().unwrap(),
        "-o",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!toml.exists(), "nothing is written");
    let text = stderr(&out);
    let looked = dir.path().join("villages.csv").display().to_string();
    for row in [3, 4] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("sheet 'survey', row {row}, column 'type'")))
            .unwrap_or_else(|| panic!("no problem on row {row}: {text}"));
        assert!(
            line.contains(&looked) && line.contains("survey.choice_file_missing"),
            "{line}"
        );
    }
}

needs! { pyxform:
fn our_xform_offers_the_choices_pyxform_leaves_in_the_file() {
    let dir = tempdir();
    let xlsx = villages_workbook(dir.path(), true);
    let toml = dir.path().join("villages_form.toml");
    let ours = dir.path().join("villages_form.ours.xml");
    ok(&["xlsform", "import", xlsx.to_str().unwrap(), "-o", toml.to_str().unwrap()]);
    ok(&["xlsform", "xform", toml.to_str().unwrap(), "-o", ours.to_str().unwrap()]);
    // pyxform points at jr://file-csv/villages.csv; the comparison reads that file beside the
    // workbook, so the names and labels offered, and the cascade's filter, are compared.
    let counts = compare_with_pyxform(&xlsx, &ours).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(counts["questions"], 3, "{counts}");
    assert_eq!(counts["choices"], 2 + 3 + 3, "{counts}");
}
}
