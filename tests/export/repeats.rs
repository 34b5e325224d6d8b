//! Repeats exported as long tables and geographic answers as GeoJSON, the way ODK Central and
//! KoboToolbox users expect them: interviews of `tests/fixtures/repeats.toml` with 0, 1 and 3
//! repetitions exported by `papi export` to a ZIP of CSV files, a ZIP of Parquet files and an XLSX
//! file with a sheet per repeat, and by the service's export job, each read back value by value; a
//! single CSV file refused for a survey with repeats.

use std::io::Read;
use std::path::Path;

use super::{assert_nothing_left, cell_text, download, read_csv, wait_done};
use crate::common::*;
use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value};

const DEFINITION: &str = "tests/fixtures/repeats.toml";

const IDS: [&str; 3] = [
    "0e4b6f1a-0000-4000-8000-000000000001",
    "0e4b6f1a-0000-4000-8000-000000000002",
    "0e4b6f1a-0000-4000-8000-000000000003",
];

/// Three interviews: no plot, one plot, three plots (the second of them with nothing answered).
fn interviews() -> Vec<Value> {
    let plots = [
        json!([]),
        json!([{ "crop": "rice", "area": 0.25, "corner": "13.9 108.95 20 5" }]),
        json!([
            { "crop": "maize", "area": 1.5, "corner": "14.05 109.0" },
            {},
            { "crop": "rice", "corner": "-13.5 -109.125 -2.5 0" },
        ]),
    ];
    IDS.iter()
        .zip(plots)
        .enumerate()
        .map(|(i, (id, plot))| {
            let mut answers = json!({ "road_good": if i == 1 { "no" } else { "yes" }, "plot": plot });
            if i == 2 {
                answers["home"] = json!("13.7765 109.2237 12.5 4.8");
                answers["route"] = json!("13.7 109.2 0 5;13.75 109.25 0 5");
                answers["land"] = json!("13.7 109.2;13.7 109.3;13.8 109.3;13.7 109.2");
            }
            json!({
                "id": id,
                "survey": { "id": "repeats", "version": "1" },
                "location": { "province": "Bình Định", "district": "Tây Sơn", "commune": "Bình Tường" },
                "enumerator": "ĐTV Lan",
                "started_at": "2026-11-02T08:00:00+07:00",
                "finished_at": "2026-11-02T08:20:00+07:00",
                "answers": answers,
            })
        })
        .collect()
}

/// The long table of `plot` as it must be exported, as text: interview, position, crop, area,
/// corner as GeoJSON, its accuracy.
fn plot_rows() -> Vec<[&'static str; 6]> {
    vec![
        [
            IDS[1],
            "1",
            "rice",
            "0.25",
            r#"{"type":"Point","coordinates":[108.95,13.9,20]}"#,
            "5",
        ],
        [
            IDS[2],
            "1",
            "maize",
            "1.5",
            r#"{"type":"Point","coordinates":[109,14.05]}"#,
            "",
        ],
        [IDS[2], "2", "", "", "", ""],
        [
            IDS[2],
            "3",
            "rice",
            "",
            r#"{"type":"Point","coordinates":[-109.125,-13.5,-2.5]}"#,
            "0",
        ],
    ]
}

const HOME: &str = r#"{"type":"Point","coordinates":[109.2237,13.7765,12.5]}"#;
const ROUTE: &str = r#"{"type":"LineString","coordinates":[[109.2,13.7,0],[109.25,13.75,0]]}"#;
const LAND: &str =
    r#"{"type":"Polygon","coordinates":[[[109.2,13.7],[109.3,13.7],[109.3,13.8],[109.2,13.7]]]}"#;

fn main_header() -> Vec<&'static str> {
    vec![
        "id",
        "province",
        "district",
        "commune",
        "weight",
        "enumerator",
        "started_at",
        "finished_at",
        "road_good",
        "plot",
        "home",
        "home_accuracy",
        "route",
        "land",
        "review_state",
    ]
}

fn setup(db: &TestDb, dir: &Path) {
    ok(&[
        "sample",
        "register",
        "--database",
        &db.url,
        "--survey",
        DEFINITION,
        "--frame",
        "tests/fixtures/small-frame.toml",
        "--seed",
        "7",
    ]);
    let file = dir.join("repeats.jsonl");
    let lines: Vec<String> = interviews().iter().map(Value::to_string).collect();
    write(&file, &(lines.join("\n") + "\n"));
    ok(&[
        "import",
        "--survey",
        DEFINITION,
        file.to_str().unwrap(),
        "--database",
        &db.url,
    ]);
}

fn export(db: &TestDb, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "export",
        "--survey",
        DEFINITION,
        "--database",
        &db.url,
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The files of a ZIP, by name, in order.
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_owned(), bytes)
        })
        .collect()
}

/// Checks the main table (as text) of the three interviews.
fn check_main(header: &[String], rows: &[Vec<String>]) {
    assert_eq!(header, main_header());
    assert_eq!(rows.len(), 3);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, id) in rows.iter().zip(IDS) {
        assert_eq!(row[0], id);
    }
    let plots: Vec<&str> = rows.iter().map(|r| r[col("plot")].as_str()).collect();
    assert_eq!(plots, ["0", "1", "3"], "the number of repetitions");
    assert_eq!(rows[2][col("home")], HOME);
    assert_eq!(rows[2][col("home_accuracy")], "4.8");
    assert_eq!(rows[2][col("route")], ROUTE);
    assert_eq!(rows[2][col("land")], LAND);
    for c in ["home", "home_accuracy", "route", "land"] {
        assert_eq!(rows[0][col(c)], "", "{c}: no answer");
    }
    assert_eq!(rows[1][col("road_good")], "no");
    assert_eq!(rows[1][col("enumerator")], "ĐTV Lan");
    assert!(rows.iter().all(|r| r[col("review_state")] == "received"));
}

fn check_plots(header: &[String], rows: &[Vec<String>]) {
    assert_eq!(
        header,
        [
            "interview_id",
            "repeat",
            "crop",
            "area",
            "corner",
            "corner_accuracy"
        ]
    );
    let want: Vec<Vec<String>> = plot_rows()
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows, want.as_slice());
}

fn csv_of(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// A Parquet file's columns as text, and the type of each.
fn parquet_of(dir: &Path, bytes: Vec<u8>) -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let path = dir.join("table.parquet");
    std::fs::write(&path, bytes).unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let names = schema
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let types = schema
        .columns()
        .iter()
        .map(|c| format!("{:?}", c.physical_type()))
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, f)| match f {
                    parquet::record::Field::Null => String::new(),
                    parquet::record::Field::Str(s) => s.clone(),
                    parquet::record::Field::Long(n) => n.to_string(),
                    parquet::record::Field::Double(x) => x.to_string(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect()
        })
        .collect();
    (names, types, rows)
}

on_both_databases! {
    fn repeats_are_long_tables_and_points_geojson_in_every_format(db: &TestDb) {
        let dir = tempdir();
        setup(db, dir.path());

        // One CSV file cannot hold the repeat's table: refused, naming the way out, nothing written.
        let single = dir.path().join("out.csv");
        let r = export(db, &single, &[]);
        assert!(!r.status.success());
        let err = stderr(&r);
        assert!(err.contains("--output") && err.contains(".zip") && err.contains("plot") && err.contains("export.repeats_need_zip"), "{err}");
        assert_nothing_left(dir.path(), &["repeats.jsonl"]);
        let help = stdout(&ok(&["export", "--help"]));
        assert!(help.contains(".zip") && help.contains("repeat"), "{help}");

        // CSV in a ZIP: data.csv and plot.csv.
        let zipped = dir.path().join("out.zip");
        let r = export(db, &zipped, &[]);
        assert!(r.status.success(), "{}", stderr(&r));
        let files = unzip(&zipped);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["data.csv", "plot.csv"]);
        let (header, rows) = csv_of(&files[0].1);
        check_main(&header, &rows);
        let (header, rows) = csv_of(&files[1].1);
        check_plots(&header, &rows);

        // The main table scores as the database does: scoring never reads a repeat.
        let main = dir.path().join("data.csv");
        std::fs::write(&main, &files[0].1).unwrap();
        let from_db = ok(&["score", "--survey", DEFINITION, "--database", &db.url, "--format", "json"]).stdout;
        let from_file = ok(&["score", "--survey", DEFINITION, "--responses", main.to_str().unwrap(), "--format", "json"]).stdout;
        assert!(from_file == from_db, "the export's scores differ from the database's");

        // Parquet in a ZIP: the same values, numbers typed.
        let pq = dir.path().join("out-parquet.zip");
        let r = export(db, &pq, &["--format", "parquet"]);
        assert!(r.status.success(), "{}", stderr(&r));
        let mut files = unzip(&pq);
        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, ["data.parquet", "plot.parquet"]);
        let (header, types, rows) = parquet_of(dir.path(), files.remove(0).1);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(types[col("plot")], "INT64");
        assert_eq!(types[col("home_accuracy")], "DOUBLE");
        assert_eq!(types[col("home")], "BYTE_ARRAY");
        check_main(&header, &rows);
        let (header, types, rows) = parquet_of(dir.path(), files.remove(0).1);
        assert_eq!(types, ["BYTE_ARRAY", "INT64", "BYTE_ARRAY", "DOUBLE", "BYTE_ARRAY", "DOUBLE"]);
        check_plots(&header, &rows);

        // XLSX: a sheet for the repeat, and the codebook explains its columns.
        let xlsx = dir.path().join("out.xlsx");
        let r = export(db, &xlsx, &[]);
        assert!(r.status.success(), "{}", stderr(&r));
        let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
        assert_eq!(book.sheet_names(), ["data", "plot", "codebook", "about"]);
        let sheet_text = |range: calamine::Range<Data>| -> (Vec<String>, Vec<String>, Vec<Vec<String>>) {
            let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
            (rows[0].clone(), rows[1].clone(), rows[2..].to_vec())
        };
        let (header, labels, rows) = sheet_text(book.worksheet_range("data").unwrap());
        check_main(&header, &rows);
        assert_eq!(labels[header.iter().position(|h| h == "plot").unwrap()], "Thửa ruộng");
        let (header, labels, rows) = sheet_text(book.worksheet_range("plot").unwrap());
        check_plots(&header, &rows);
        assert_eq!(labels[..3], ["Mã phiếu", "Lần lặp", "Cây trồng?"]);
        let plot = book.worksheet_range("plot").unwrap();
        assert_eq!(plot.get((2, 1)), Some(&Data::Float(1.0)), "the position is a number");
        assert_eq!(plot.get((2, 3)), Some(&Data::Float(0.25)), "the area is a number");
        let codebook: Vec<Vec<String>> = book.worksheet_range("codebook").unwrap().rows().map(|r| r.iter().map(cell_text).collect()).collect();
        let sheet = codebook[0].len() - 1;
        assert!(codebook[0][sheet].contains("Sheet"), "{:?}", codebook[0]);
        for c in ["interview_id", "repeat", "crop", "area", "corner", "corner_accuracy"] {
            assert!(codebook.iter().any(|r| r[0] == c && r[sheet] == "plot"), "{c} of plot missing from the codebook");
        }
        for c in main_header() {
            assert!(codebook.iter().any(|r| r[0] == c && r[sheet] == "data"), "{c} of data missing from the codebook");
        }
        assert!(!codebook.iter().any(|r| r[0] == "crop" && r[sheet] == "data"), "a repeat's question is not a column of data");
        let about: Vec<Vec<String>> = book.worksheet_range("about").unwrap().rows().map(|r| r.iter().map(cell_text).collect()).collect();
        assert!(about.iter().any(|r| r[0].contains("Repeats") && r[1].contains("plot")), "{about:?}");

        // The service's export job: a ZIP, said so by its name and type, with the CLI's tables.
        let server = Server::start(&["--database", &db.url, "--exports-dir", dir.path().join("exports").to_str().unwrap()]);
        let analyst = token(db, "analyst", "analyst-an");
        let r = server.post("/api/v1/exports", &analyst, &json!({ "survey_id": "repeats", "version": "1", "format": "csv" }).to_string());
        assert_eq!(r.status, 202, "{}", r.body);
        let done = wait_done(&server, r.json()["links"]["self"].as_str().unwrap(), &analyst);
        let (status, ctype, disposition, bytes) = download(&server, done["links"]["file"].as_str().unwrap(), &analyst);
        assert_eq!((status, ctype.as_str()), (200, "application/zip"));
        assert!(disposition.contains(".zip\""), "{disposition}");
        let api = dir.path().join("api.zip");
        std::fs::write(&api, &bytes).unwrap();
        assert_eq!(unzip(&api), unzip(&zipped), "the API's tables differ from the CLI's");
    }
}

on_both_databases! {
    fn a_survey_without_repeats_still_exports_one_plain_file(db: &TestDb) {
        let dir = tempdir();
        ok(&["simulate", "--seed", "76", "--count", "40", "--database", &db.url]);
        let survey = shipped_survey();
        let csv = dir.path().join("papi.csv");
        let zipped = dir.path().join("papi.zip");
        let parquet = dir.path().join("papi.parquet");
        let pq_zipped = dir.path().join("papi-parquet.zip");
        for (out, extra) in [(&csv, &[][..]), (&zipped, &[][..]), (&parquet, &[][..]), (&pq_zipped, &["--format", "parquet"][..])] {
            let mut args = vec!["export", "--database", &db.url, "--output", out.to_str().unwrap()];
            args.extend_from_slice(extra);
            ok(&args);
        }
        // The single files are the flat layout, as always; a .zip asked for holds just that file.
        let (header, rows) = read_csv(&csv);
        let mut want = papi_table_columns(&survey);
        want.push("review_state".into());
        assert_eq!(header, want);
        assert_eq!(rows.len(), 40);
        assert_eq!(unzip(&zipped), vec![("data.csv".to_owned(), std::fs::read(&csv).unwrap())]);
        assert_eq!(unzip(&pq_zipped), vec![("data.parquet".to_owned(), std::fs::read(&parquet).unwrap())]);
        assert_eq!(&std::fs::read(&parquet).unwrap()[..4], b"PAR1");
    }
}

use super::papi_table_columns;
