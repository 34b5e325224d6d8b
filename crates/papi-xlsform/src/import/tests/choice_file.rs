//! `select_one_from_file` and `select_multiple_from_file`: the file beside the workbook copied into
//! the definition, and every way a file can be wrong reported on the question's row.

use std::path::{Path, PathBuf};

use crate::import::{import_workbook, import_workbook_from_bytes, ImportError, Imported};

/// A fresh folder of its own for each test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("papi-choice-file-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A workbook with a survey sheet of `rows` (type, name, label, choice_filter) and a choices sheet.
fn workbook(dir: &Path, rows: &[[&str; 4]]) -> PathBuf {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("survey").unwrap();
    for (c, h) in ["type", "name", "label", "choice_filter"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, *cell).unwrap();
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("choices").unwrap();
    for (r, row) in [
        ["list_name", "name", "label"],
        ["district", "tay_son", "Tây Sơn"],
        ["district", "hoai_nhon", "Hoài Nhơn"],
        [
            "villages",
            "x",
            "A list of the choices sheet named as the file",
        ],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let path = dir.join("form.xlsx");
    wb.save(&path).unwrap();
    path
}

const VILLAGES: &str = "name,label,district\n\
    phu_phong,Phú Phong,tay_son\n\
    tay_xuan,\"Tây Xuân, thôn 1\",tay_son\n\
    bong_son,Bồng Sơn,hoai_nhon\n";

fn cascade(kind: &str) -> Vec<[&str; 4]> {
    vec![
        ["select_one district", "district", "District?", ""],
        [kind, "village", "Village?", "district=${district}"],
    ]
}

fn refused(e: Result<Imported, ImportError>) -> Vec<(usize, String, &'static str, String)> {
    match e {
        Ok(i) => panic!("imported: {}", i.toml),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| {
                assert_eq!(p.sheet, "survey", "{p}");
                (p.row, p.column, p.code, p.message)
            })
            .collect(),
    }
}

#[test]
fn a_csv_beside_the_workbook_becomes_a_choice_list_with_its_columns() {
    let dir = folder("csv");
    std::fs::write(dir.join("villages.csv"), format!("\u{feff}{VILLAGES}")).unwrap();
    let xlsx = workbook(&dir, &cascade("select_one_from_file villages.csv"));
    let imported = import_workbook(&xlsx).unwrap_or_else(|e| panic!("{e}"));
    let survey = &imported.survey;
    let village = survey.questions.iter().find(|q| q.id == "village").unwrap();
    // The choices sheet has a list 'villages': the file's list is named clear of it.
    assert_eq!(village.choices.as_deref(), Some("villages_file"));
    assert!(village.choice_filter.is_some());
    assert!(
        imported
            .toml
            .contains("choice_filter = \"district=${district}\""),
        "{}",
        imported.toml
    );
    let list = &survey.choice_lists["villages_file"];
    let names: Vec<&str> = list.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(names, ["phu_phong", "tay_xuan", "bong_son"]);
    assert_eq!(list[1].label.0.values().next().unwrap(), "Tây Xuân, thôn 1");
    assert_eq!(
        list[2].columns.get("district").map(String::as_str),
        Some("hoai_nhon")
    );
    assert_eq!(survey.choice_lists["villages"].len(), 1);
    let warning = imported
        .warnings
        .iter()
        .find(|w| w.code == "survey.choices_from_file")
        .expect("a warning that the file was copied");
    assert_eq!(
        (warning.sheet.as_str(), warning.row, warning.column.as_str()),
        ("survey", 3, "type")
    );
    assert!(
        warning.message.contains("villages.csv") && warning.message.contains("new import"),
        "{warning}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_select_multiple_over_xml_and_translated_csv_labels_are_read() {
    let dir = folder("xml");
    std::fs::write(
        dir.join("places.xml"),
        "<?xml version=\"1.0\"?>\n<root>\n  <item><name>a1</name><label>Ấp &amp; 1</label><district>tay_son</district></item>\n  <item><name>a2</name><label><![CDATA[Ấp 2]]></label><district>hoai_nhon</district></item>\n</root>\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("farms.csv"),
        "name,label::Vietnamese (vi),label::English (en)\nf1,Trại 1,Farm 1\nf2,Trại 2,\n",
    )
    .unwrap();
    let xlsx = workbook(
        &dir,
        &[
            [
                "select_multiple_from_file places.xml",
                "places",
                "Places?",
                "",
            ],
            ["select_one_from_file farms.csv", "farm", "Farm?", ""],
        ],
    );
    let imported = import_workbook(&xlsx).unwrap_or_else(|e| panic!("{e}"));
    let places = &imported.survey.choice_lists["places"];
    assert_eq!(places.len(), 2);
    assert_eq!(places[0].label.0.values().next().unwrap(), "Ấp & 1");
    assert_eq!(places[1].label.0.values().next().unwrap(), "Ấp 2");
    assert_eq!(places[1].columns["district"], "hoai_nhon");
    let farms = &imported.survey.choice_lists["farms"];
    assert_eq!(
        farms[0].label.0.get("en").map(String::as_str),
        Some("Farm 1")
    );
    assert_eq!(
        farms[0].label.0.get("vi").map(String::as_str),
        Some("Trại 1")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_geojson_gives_its_features_and_value_label_parameters_name_the_columns() {
    let dir = folder("geojson");
    std::fs::write(
        dir.join("wells.geojson"),
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"w1","geometry":{"type":"Point","coordinates":[109.1,13.8]},"properties":{"title":"Well 1","depth":12}},
            {"type":"Feature","geometry":null,"properties":{"id":"w2","title":"Well 2"}}]}"#,
    )
    .unwrap();
    let xlsx = workbook(
        &dir,
        &[["select_one_from_file wells.geojson", "well", "Well?", ""]],
    );
    let imported = import_workbook(&xlsx).unwrap_or_else(|e| panic!("{e}"));
    let wells = &imported.survey.choice_lists["wells"];
    assert_eq!(wells[0].value, "w1");
    assert_eq!(wells[0].columns["geometry"], "13.8 109.1 0 0");
    assert_eq!(wells[0].columns["depth"], "12");
    assert_eq!(wells[1].value, "w2");
    assert_eq!(wells[1].label.0.values().next().unwrap(), "Well 2");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_file_problem_is_reported_on_its_row_at_once() {
    let dir = folder("problems");
    std::fs::write(dir.join("nolabel.csv"), "name,title\na,A\n").unwrap();
    std::fs::write(dir.join("dupes.csv"), "name,label\na,A\nb,B\na,A again\n").unwrap();
    std::fs::write(dir.join("empty.csv"), "name,label\n").unwrap();
    std::fs::write(dir.join("latin1.csv"), b"name,label\nx,Bi\xe8re\n").unwrap();
    std::fs::write(dir.join("broken.xml"), "<root><item><name>a</name></root>").unwrap();
    std::fs::write(dir.join("broken.geojson"), "{\"type\": \"Feature").unwrap();
    let xlsx = workbook(
        &dir,
        &[
            ["select_one_from_file missing.csv", "q1", "Q1", ""],
            ["select_one_from_file towns.xlsx", "q2", "Q2", ""],
            ["select_one_from_file nolabel.csv", "q3", "Q3", ""],
            ["select_one_from_file dupes.csv", "q4", "Q4", ""],
            ["select_one_from_file empty.csv", "q5", "Q5", ""],
            ["select_one_from_file latin1.csv", "q6", "Q6", ""],
            ["select_one_from_file broken.xml", "q7", "Q7", ""],
            ["select_one_from_file broken.geojson", "q8", "Q8", ""],
            ["select_one_from_file ../villages.csv", "q9", "Q9", ""],
            ["select_one_from_file", "q10", "Q10", ""],
            ["select_one missing_list", "q11", "Q11", ""],
        ],
    );
    let problems = refused(import_workbook(&xlsx));
    let at = |row: usize| {
        problems
            .iter()
            .find(|p| p.0 == row)
            .unwrap_or_else(|| panic!("nothing on row {row}: {problems:#?}"))
    };
    for (row, code, says) in [
        (
            2,
            "survey.choice_file_missing",
            dir.join("missing.csv").display().to_string(),
        ),
        (
            3,
            "survey.choice_file_unsupported",
            ".csv, .xml or .geojson".into(),
        ),
        (4, "survey.choice_file_missing_column", "'label'".into()),
        (
            5,
            "survey.choice_file_duplicate",
            "'a' on line 4 is already on line 2".into(),
        ),
        (6, "survey.choice_file_empty", "no choices".into()),
        (
            7,
            "survey.choice_file_encoding",
            "UTF-8 text (line 2)".into(),
        ),
        (8, "survey.choice_file_unreadable", "broken.xml".into()),
        (9, "survey.choice_file_unreadable", "broken.geojson".into()),
        (10, "survey.choice_file_missing", "without a folder".into()),
        (
            11,
            "survey.choice_file_missing",
            "needs the name of a file".into(),
        ),
        (12, "survey.unknown_list", "missing_list".into()),
    ] {
        let p = at(row);
        assert_eq!((p.1.as_str(), p.2), ("type", code), "row {row}: {p:?}");
        assert!(p.3.contains(&says), "row {row}: '{says}' not in {}", p.3);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_workbook_given_as_bytes_says_the_file_needs_a_path() {
    let dir = folder("bytes");
    std::fs::write(dir.join("villages.csv"), VILLAGES).unwrap();
    let xlsx = workbook(&dir, &cascade("select_one_from_file villages.csv"));
    let bytes = std::fs::read(&xlsx).unwrap();
    let problems = refused(import_workbook_from_bytes(&bytes, "form.xlsx"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (row, column, code, message) = &problems[0];
    assert_eq!(
        (*row, column.as_str(), *code),
        (3, "type", "survey.choice_file_needs_path")
    );
    assert!(message.contains("papi xlsform import"), "{message}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_malformed_file_never_panics() {
    let dir = folder("fuzz");
    let xlsx = workbook(
        &dir,
        &[
            ["select_one_from_file f.csv", "a", "A", ""],
            ["select_one_from_file f.xml", "b", "B", ""],
            ["select_one_from_file f.geojson", "c", "C", ""],
        ],
    );
    let samples: [&[u8]; 10] = [
        b"",
        b"\xEF\xBB\xBF",
        b"name",
        b"\"name,label\na,\"b",
        b"<root><item><name>a<b>c</b></name></item></root>",
        b"<!DOCTYPE x [<!ENTITY e \"x\">]><root/>",
        b"<root><item><name>&e;</name><label>x</label></item></root>",
        b"{\"type\":\"FeatureCollection\",\"features\":[1,{\"properties\":[]},{\"geometry\":{\"type\":\"Point\",\"coordinates\":[\"x\"]}}]}",
        b"[]",
        b"\xff\xfe\x00n",
    ];
    for sample in samples {
        for f in ["f.csv", "f.xml", "f.geojson"] {
            std::fs::write(dir.join(f), sample).unwrap();
        }
        // Refused or imported, never a panic.
        let _ = import_workbook(&xlsx);
    }
    let _ = std::fs::remove_dir_all(dir);
}
