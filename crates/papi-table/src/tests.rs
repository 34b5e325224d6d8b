//! Reading CSV and Parquet into tables, and the errors that name the column and the row.

use std::path::{Path, PathBuf};

use papi_survey::{Answer, Interview, Survey};

use crate::{read_file, Column, ParquetRows, TableError};

const DEFINITION: &str = r#"
[survey]
id = "table"
version = "1"
title = { vi = "Thử", en = "Test" }
languages = ["vi", "en"]

[design]
location = ["district", "commune"]
strata = "district"
cluster = "commune"
weight = "weight"

[choices]
yes_no = [
  { value = "yes", label = { vi = "Có", en = "Yes" } },
  { value = "no", label = { vi = "Không", en = "No" } },
]

[[dimensions]]
id = "voice"
label = { vi = "Tiếng nói", en = "Voice" }
subdimensions = [ { id = "information", label = { vi = "Thông tin", en = "Information" } } ]

[[questions]]
id = "informed"
type = "select_one"
choices = "yes_no"
label = { vi = "Được thông tin", en = "Informed" }

[[questions]]
id = "age"
type = "integer"
label = { vi = "Tuổi", en = "Age" }

[[questions]]
id = "wait"
type = "decimal"
label = { vi = "Thời gian chờ", en = "Waiting time" }

[[indicators]]
id = "informed"
subdimension = "information"
question = "informed"
values = { yes = 1, no = 0 }
"#;

fn survey() -> Survey {
    Survey::from_toml(DEFINITION, "table.toml").expect("the test definition loads")
}

fn wanted() -> Vec<String> {
    ["district", "weight", "informed", "age", "wait"]
        .map(String::from)
        .to_vec()
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("papi-table-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(col: &Column) -> Vec<Option<String>> {
    (0..col.len()).map(|i| col.text(i)).collect()
}

fn numbers(col: &Column) -> Vec<f64> {
    match col {
        Column::Number(n) => n.values.clone(),
        Column::Text(_) => panic!("a number column"),
    }
}

const CSV: &str = "\u{feff}id,district,commune,weight,informed,age,wait\n\
    a,Tây Sơn,c1,1.5,yes,30,2.5\n\
    b,An Nhơn,c2,2,,41,\n\
    c,Tây Sơn,c1,0.5,no,,10\n";

#[test]
fn a_csv_is_read_typed_by_the_layout_with_empty_cells_as_no_value() {
    let dir = Dir::new("csv");
    let path = dir.file("a.csv", CSV);
    let t = read_file(&path, &survey(), &wanted()).unwrap();
    assert_eq!(t.height(), 3);
    assert_eq!(t.names(), &wanted()[..]);
    let district = t.column("district").unwrap();
    assert_eq!(
        text(district),
        vec![
            Some("Tây Sơn".into()),
            Some("An Nhơn".into()),
            Some("Tây Sơn".into())
        ]
    );
    assert_eq!(numbers(t.column("weight").unwrap()), vec![1.5, 2.0, 0.5]);
    assert_eq!(
        text(t.column("informed").unwrap()),
        vec![Some("yes".into()), None, Some("no".into())]
    );
    let age = numbers(t.column("age").unwrap());
    assert_eq!((age[0], age[1]), (30.0, 41.0));
    assert!(age[2].is_nan(), "an empty cell is no value");
    assert!(numbers(t.column("wait").unwrap())[1].is_nan());
    // A choice column holds each distinct answer once.
    let Column::Text(informed) = t.column("informed").unwrap() else {
        panic!("text")
    };
    assert_eq!(informed.values().len(), 3, "no value, yes, no");
}

/// A CSV file of `rows` rows past the size read in parts: row i has district `d{i % 300}` and age i.
fn big_csv(rows: usize) -> String {
    let mut csv = String::from("id,district,commune,weight,informed,age,wait\n");
    for i in 0..rows {
        let informed = ["yes", "no", ""][i % 3];
        csv.push_str(&format!("r{i},d{},c1,1.5,{informed},{i},2.5\n", i % 300));
    }
    csv
}

#[test]
fn a_large_csv_read_in_parts_keeps_every_row_in_order() {
    let dir = Dir::new("big-csv");
    let rows = 150_000;
    let csv = big_csv(rows);
    assert!(csv.len() > 4 << 20, "large enough to be read in parts");
    let t = read_file(&dir.file("big.csv", &csv), &survey(), &wanted()).unwrap();
    assert_eq!(t.height(), rows);
    let district = text(t.column("district").unwrap());
    let age = numbers(t.column("age").unwrap());
    let informed = text(t.column("informed").unwrap());
    for i in 0..rows {
        assert_eq!(
            district[i].as_deref(),
            Some(format!("d{}", i % 300).as_str())
        );
        assert_eq!(age[i], i as f64);
        let answer = ["yes", "no", ""][i % 3];
        assert_eq!(
            informed[i].as_deref(),
            (!answer.is_empty()).then_some(answer)
        );
    }
    // The district has 300 values (past 256: wide codes), each held once.
    let Column::Text(d) = t.column("district").unwrap() else {
        panic!("text")
    };
    assert_eq!(d.values().len(), 301);
    // A bad cell near the end is named by its row in the whole file.
    let bad = csv.replace(",149990,", ",old,");
    let (column, message) =
        column_error(read_file(&dir.file("bad.csv", &bad), &survey(), &wanted()).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("age", "must hold whole numbers: row 149991 has 'old'")
    );
}

#[test]
fn quoted_cells_and_crlf_lines_read_as_the_plain_file_does() {
    let dir = Dir::new("quoted");
    let plain = read_file(&dir.file("plain.csv", CSV), &survey(), &wanted()).unwrap();
    let crlf = CSV.replace('\n', "\r\n");
    let quoted = CSV.replace("b,An Nhơn,c2,", "\"b\",\"An Nhơn\",\"c2\",");
    for (name, content) in [("crlf.csv", crlf), ("quoted.csv", quoted)] {
        let t = read_file(&dir.file(name, &content), &survey(), &wanted()).unwrap();
        assert_eq!(t.height(), plain.height(), "{name}");
        for c in wanted() {
            let (a, b) = (t.column(&c).unwrap(), plain.column(&c).unwrap());
            assert_eq!(text(a), text(b), "{name}: {c}");
        }
    }
    // A quoted cell may hold the separator and a line break.
    let multiline = CSV.replace("a,Tây Sơn,c1,", "a,\"Tây Sơn,\nBình Định\",c1,");
    let t = read_file(&dir.file("multi.csv", &multiline), &survey(), &wanted()).unwrap();
    assert_eq!(t.height(), 3);
    assert_eq!(
        text(t.column("district").unwrap())[0].as_deref(),
        Some("Tây Sơn,\nBình Định")
    );
    // A row short of the header's fields is refused, named by its row.
    let short = CSV.replace("b,An Nhơn,c2,2,,41,\n", "b,An Nhơn,c2,2\n");
    let e = read_file(&dir.file("short.csv", &short), &survey(), &wanted()).unwrap_err();
    assert!(
        e.to_string()
            .contains("row 2 has 4 fields where the header has 7"),
        "{e}"
    );
}

fn column_error(e: TableError) -> (String, String) {
    match e {
        TableError::Column {
            column, message, ..
        } => (column, message),
        other => panic!("a column error, not {other}"),
    }
}

#[test]
fn a_bad_csv_cell_is_refused_with_its_column_and_row() {
    let dir = Dir::new("bad-csv");
    let s = survey();
    let bad_age = CSV.replace(",41,", ",forty,");
    let e = read_file(&dir.file("age.csv", &bad_age), &s, &wanted()).unwrap_err();
    assert_eq!(e.code(), "table.column");
    let (column, message) = column_error(e);
    assert_eq!(column, "age");
    assert_eq!(message, "must hold whole numbers: row 2 has 'forty'");
    let fraction = CSV.replace(",30,", ",30.5,");
    let (column, message) =
        column_error(read_file(&dir.file("f.csv", &fraction), &s, &wanted()).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("age", "must hold whole numbers: row 1 has '30.5'")
    );
    let bad_weight = CSV.replace(",0.5,", ",half,");
    let (column, message) =
        column_error(read_file(&dir.file("w.csv", &bad_weight), &s, &wanted()).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("weight", "must hold numbers: row 3 has 'half'")
    );
    let no_wait = CSV.replace(",wait\n", ",waiting\n");
    let (column, message) =
        column_error(read_file(&dir.file("m.csv", &no_wait), &s, &wanted()).unwrap_err());
    assert_eq!((column.as_str(), message.as_str()), ("wait", "is missing"));
    let path = dir.0.join("latin1.csv");
    let mut bytes = CSV.as_bytes().to_vec();
    let at = bytes.windows(3).position(|w| w == b"yes").unwrap();
    bytes[at] = 0xff;
    std::fs::write(&path, bytes).unwrap();
    let (column, message) = column_error(read_file(&path, &s, &wanted()).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("informed", "row 1 is not valid UTF-8")
    );
}

fn interview(s: &Survey, n: usize) -> Interview {
    let district = ["Tây Sơn", "An Nhơn", "Phù Cát"][n % 3];
    Interview {
        id: uuid_of(n),
        survey_id: s.id.clone(),
        survey_version: s.version.clone(),
        location: vec![
            ("district".into(), district.into()),
            ("commune".into(), format!("c{}", n % 7)),
        ],
        weight: Some(1.0 + n as f64 / 10.0),
        enumerator: None,
        started_at: None,
        finished_at: None,
        answers: vec![
            (n % 4 != 3).then(|| Answer::Choice(if n % 2 == 0 { "yes" } else { "no" }.into())),
            (n % 5 != 4).then_some(Answer::Integer(20 + n as i64)),
            Some(Answer::Decimal(n as f64 / 4.0)),
        ],
    }
}

fn uuid_of(n: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128(n as u128 + 1)
}

fn write_parquet(path: &Path, s: &Survey, rows: usize, per_group: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = ParquetRows::new(s, file, &["review_state"], per_group).unwrap();
    for n in 0..rows {
        w.push(&interview(s, n), &["received"]).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn parquet_written_in_row_groups_reads_back_the_same_rows() {
    let dir = Dir::new("parquet");
    let s = survey();
    let path = dir.0.join("a.parquet");
    // 1,000 rows in row groups of 300: dictionaries differ from one row group to the next.
    write_parquet(&path, &s, 1000, 300);
    let mut cols = wanted();
    cols.extend(["id", "review_state", "commune"].map(String::from));
    let t = read_file(&path, &s, &cols).unwrap();
    assert_eq!(t.height(), 1000);
    for n in [0, 1, 299, 300, 301, 999] {
        let iv = interview(&s, n);
        let at = |c: &str| t.column(c).unwrap().text(n);
        assert_eq!(at("id"), Some(iv.id.to_string()), "row {n}");
        assert_eq!(at("district").as_deref(), iv.location_value("district"));
        assert_eq!(at("commune").as_deref(), iv.location_value("commune"));
        assert_eq!(at("review_state").as_deref(), Some("received"));
        let informed = match &iv.answers[0] {
            Some(Answer::Choice(c)) => Some(c.clone()),
            _ => None,
        };
        assert_eq!(at("informed"), informed, "row {n}");
        assert_eq!(numbers(t.column("weight").unwrap())[n], iv.weight.unwrap());
        let age = numbers(t.column("age").unwrap())[n];
        match &iv.answers[1] {
            Some(Answer::Integer(a)) => assert_eq!(age, *a as f64),
            _ => assert!(age.is_nan(), "row {n}: no answer"),
        }
    }
    let (column, message) =
        column_error(read_file(&path, &s, &["weight".into(), "hamlet".into()]).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("hamlet", "is missing")
    );
}

#[test]
fn a_parquet_file_and_its_csv_read_into_equal_tables() {
    let dir = Dir::new("both");
    let s = survey();
    let pq = dir.0.join("a.parquet");
    write_parquet(&pq, &s, 50, 20);
    let mut csv = String::from("id,district,commune,weight,informed,age,wait\n");
    for n in 0..50 {
        let iv = interview(&s, n);
        let cell = |a: &Option<Answer>| a.as_ref().map(Answer::to_cell).unwrap_or_default();
        csv += &format!(
            "{},{},{},{},{},{},{}\n",
            iv.id,
            iv.location[0].1,
            iv.location[1].1,
            iv.weight.unwrap(),
            cell(&iv.answers[0]),
            cell(&iv.answers[1]),
            cell(&iv.answers[2]),
        );
    }
    let from_csv = read_file(&dir.file("a.csv", &csv), &s, &wanted()).unwrap();
    let from_parquet = read_file(&pq, &s, &wanted()).unwrap();
    for c in wanted() {
        let (a, b) = (
            from_csv.column(&c).unwrap(),
            from_parquet.column(&c).unwrap(),
        );
        assert_eq!(text(a), text(b), "column {c}");
    }
}

#[test]
fn a_parquet_text_column_where_a_number_belongs_is_refused_with_its_row() {
    let dir = Dir::new("parquet-text");
    // A definition where `age` is text: its Parquet column holds text, and "x" in row 3.
    let text_age = DEFINITION.replace("type = \"integer\"", "type = \"text\"");
    let as_text = Survey::from_toml(&text_age, "t.toml").unwrap();
    let path = dir.0.join("t.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = ParquetRows::new(&as_text, file, &[], 10).unwrap();
    for n in 0..5 {
        let mut iv = interview(&as_text, n);
        let age = if n == 2 {
            "x".to_owned()
        } else {
            n.to_string()
        };
        iv.answers[1] = Some(Answer::Text(age));
        w.push(&iv, &[]).unwrap();
    }
    w.finish().unwrap();
    let (column, message) = column_error(read_file(&path, &survey(), &wanted()).unwrap_err());
    assert_eq!(
        (column.as_str(), message.as_str()),
        ("age", "must hold whole numbers: row 3 has 'x'")
    );
}
