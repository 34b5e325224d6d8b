//! Analyst exports as a user runs them: `papi export` to CSV (with and without a byte-order mark),
//! Parquet and XLSX, re-scored with `papi score --responses` to the database's numbers exactly; the
//! XLSX read back with its Vietnamese labels and codebook, by calamine and by openpyxl; the review-state filter; bad input refused
//! with the option named and no file left behind; and the API's background export jobs with their
//! roles. Each test runs on SQLite and, with `DATABASE_URL`, PostgreSQL.

mod repeats;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value};

const SURVEY: &str = "survey-defs/papi-2019.toml";

fn export(db: &TestDb, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "export",
        "--database",
        &db.url,
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// Runs SQL on the test database (fixtures only: the review API is not part of this feature).
fn sql(db: &TestDb, statement: &str) {
    block_on(async {
        use sqlx::Executor;
        if db.kind == "postgres" {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            pool.execute(statement).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            pool.execute(statement).await.unwrap();
            pool.close().await;
        }
    })
}

/// Approves a third of the interviews and rejects a sixth; returns (approved, rejected, received).
fn review_some(db: &TestDb) -> (usize, usize, usize) {
    sql(
        db,
        "UPDATE interviews SET review_state = 'approved' WHERE seq % 3 = 0",
    );
    sql(
        db,
        "UPDATE interviews SET review_state = 'rejected' WHERE seq % 6 = 1",
    );
    let all = db.interviews(&shipped_survey());
    let n = |s: &str| all.iter().filter(|i| i.review_state == s).count();
    (n("approved"), n("rejected"), n("received"))
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

on_both_databases! {
    fn an_export_scores_exactly_as_the_database(db: &TestDb) {
        let dir = tempdir();
        ok(&["simulate", "--seed", "71", "--count", "700", "--database", &db.url]);
        // A weight stored with an interview counts for nothing: papi computes weights from the
        // registered sample, for scoring and for exports alike.
        sql(db, "UPDATE interviews SET weight = 1e300 WHERE seq % 2 = 0");
        let csv = dir.path().join("papi.csv");
        let bom = dir.path().join("papi-excel.csv");
        let parquet = dir.path().join("papi.parquet");
        let out = export(db, &csv, &[]);
        assert!(stderr(&out).contains("exported 700 interviews"), "{}", stderr(&out));
        export(db, &bom, &["--bom"]);
        export(db, &parquet, &[]);
        // The byte-order mark is there, and only there.
        let bytes = std::fs::read(&bom).unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        assert_eq!(&bytes[3..], std::fs::read(&csv).unwrap().as_slice());
        // The flat layout, then review_state.
        let (header, rows) = read_csv(&csv);
        let survey = shipped_survey();
        let mut expected = papi_table_columns(&survey);
        expected.push("review_state".into());
        assert_eq!(header, expected);
        assert_eq!(rows.len(), 700);
        assert!(rows.iter().all(|r| r.last().unwrap() == "received"));
        let weight = header.iter().position(|h| h == "weight").unwrap();
        assert!(rows.iter().all(|r| { let w: f64 = r[weight].parse().unwrap(); w > 1.0 && w < 1e5 }), "computed weights");
        // Vietnamese survives as UTF-8.
        assert!(rows.iter().any(|r| !r[2].is_ascii()), "district names in Vietnamese");

        for by in [&[][..], &["--by", "district"][..]] {
            let mut args = vec!["score", "--database", &db.url, "--format", "json"];
            args.extend_from_slice(by);
            let from_db = ok(&args).stdout;
            let v: Value = serde_json::from_slice(&from_db).unwrap();
            assert!(!v["groups"].as_array().unwrap().is_empty());
            if by.is_empty() {
                assert!(v["groups"][0]["total"]["se"].as_f64().unwrap() > 0.0);
            }
            for file in [&csv, &bom, &parquet] {
                let mut args = vec!["score", "--responses", file.to_str().unwrap(), "--format", "json"];
                args.extend_from_slice(by);
                let from_file = ok(&args).stdout;
                assert!(
                    from_file == from_db,
                    "{} {by:?}: the export's scores differ from the database's",
                    file.display()
                );
            }
        }
    }
}

/// The flat layout's columns, from the definition (as `papi_table::columns` lays them out).
fn papi_table_columns(survey: &papi_survey::Survey) -> Vec<String> {
    let mut cols = vec!["id".to_owned()];
    cols.extend(survey.design.location.iter().cloned());
    cols.push(
        survey
            .design
            .weight
            .clone()
            .unwrap_or_else(|| "weight".into()),
    );
    cols.extend(["enumerator", "started_at", "finished_at"].map(String::from));
    cols.extend(survey.questions.iter().map(|q| q.id.clone()));
    cols
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(x) => format!("{x}"),
        Data::Int(n) => n.to_string(),
        other => panic!("unexpected cell {other:?}"),
    }
}

on_both_databases! { needs openpyxl;
    fn the_xlsx_has_vietnamese_labels_a_codebook_and_the_csv_content(db: &TestDb) {
        let dir = tempdir();
        ok(&["simulate", "--seed", "72", "--count", "120", "--database", &db.url]);
        let xlsx = dir.path().join("papi.xlsx");
        let csv = dir.path().join("papi.csv");
        export(db, &xlsx, &[]);
        export(db, &csv, &[]);
        let survey = shipped_survey();
        let mut book: Xlsx<_> = open_workbook(&xlsx).expect("the XLSX opens");
        assert_eq!(book.sheet_names(), vec!["data", "codebook", "about"]);

        let data = book.worksheet_range("data").unwrap();
        let rows: Vec<&[Data]> = data.rows().collect();
        let (header, csv_rows) = read_csv(&csv);
        let ids: Vec<String> = rows[0].iter().map(cell_text).collect();
        assert_eq!(ids, header, "row 1: the column ids");
        let labels: Vec<String> = rows[1].iter().map(cell_text).collect();
        let q = &survey.questions[0];
        let pos = header.iter().position(|h| *h == q.id).unwrap();
        assert_eq!(labels[pos], q.label.get("vi"), "row 2: the labels in Vietnamese");
        assert_eq!(labels[0], "Mã phiếu");
        assert_eq!(labels[header.iter().position(|h| h == "district").unwrap()], "Huyện");
        assert_eq!(rows.len() - 2, 120);
        // Every cell holds what the CSV holds; numbers are numbers.
        let weight = header.iter().position(|h| h == "weight").unwrap();
        for (xrow, crow) in rows[2..].iter().zip(&csv_rows) {
            assert!(matches!(xrow[weight], Data::Float(_)), "the weight is a number");
            for (c, (x, want)) in xrow.iter().zip(crow).enumerate() {
                match x {
                    Data::Float(v) => assert_eq!(*v, want.parse::<f64>().unwrap(), "column {}", header[c]),
                    other => assert_eq!(&cell_text(other), want, "column {}", header[c]),
                }
            }
        }

        let codebook = book.worksheet_range("codebook").unwrap();
        let cb: Vec<Vec<String>> = codebook.rows().map(|r| r.iter().map(cell_text).collect()).collect();
        assert!(cb[0][0].contains("Column") && cb[0][1].contains("tiếng Việt"), "{:?}", cb[0]);
        // Every column of the data sheet is explained.
        for h in &header {
            assert!(cb.iter().skip(1).any(|r| &r[0] == h), "{h} missing from the codebook");
        }
        // A select question: one row per choice, with the code's labels in both languages.
        let select = survey.questions.iter().find(|q| q.kind == papi_survey::QuestionType::SelectOne).unwrap();
        let choices = &survey.choice_lists[select.choices.as_ref().unwrap()];
        let rows_of: Vec<&Vec<String>> = cb.iter().filter(|r| r[0] == select.id).collect();
        assert_eq!(rows_of.len(), choices.len());
        for (r, c) in rows_of.iter().zip(choices) {
            assert_eq!(r[1], select.label.get("vi"));
            assert_eq!(r[2], select.label.get("en"));
            assert_eq!(r[3], "select_one");
            assert_eq!(r[5], c.value);
            assert_eq!(r[6], c.label.get("vi"));
            assert_eq!(r[7], c.label.get("en"));
        }
        // A scored question names its indicator, sub-dimension and dimension.
        let ind = &survey.indicators[0];
        let dim = &survey.dimensions[ind.dimension];
        let row = cb.iter().find(|r| r[0] == survey.questions[ind.question].id).unwrap();
        assert!(row[10].split(", ").any(|i| i == ind.id), "{row:?}");
        assert!(row[11].contains(&dim.subdimensions[ind.subdimension].id));
        assert!(row[12].contains(&dim.id));
        assert!(row[13].contains(dim.label.get("vi")));
        // Skip logic is documented.
        let hidden = survey.questions.iter().find(|q| q.relevant_source.is_some()).unwrap();
        let row = cb.iter().find(|r| r[0] == hidden.id).unwrap();
        assert_eq!(&row[8], hidden.relevant_source.as_ref().unwrap());

        let about = book.worksheet_range("about").unwrap();
        let about: Vec<Vec<String>> = about.rows().map(|r| r.iter().map(cell_text).collect()).collect();
        assert!(about.iter().any(|r| r[1] == "120"), "{about:?}");
        assert!(about.iter().any(|r| r[1] == survey.version));

        // A second reader, independent of calamine: openpyxl finds the same cells.
        let check = std::process::Command::new("python3")
            .arg(repo().join("tests/export/openpyxl_check.py"))
            .arg(&xlsx)
            .arg(&csv)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "openpyxl reads the XLSX otherwise: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        eprintln!("{}", String::from_utf8_lossy(&check.stdout).trim());
    }
}

on_both_databases! {
    fn the_review_state_filter_keeps_only_those_interviews(db: &TestDb) {
        let dir = tempdir();
        ok(&["simulate", "--seed", "73", "--count", "90", "--database", &db.url]);
        let (approved, rejected, received) = review_some(db);
        assert!(approved > 0 && rejected > 0 && received > 0);
        let count = |args: &[&str], name: &str| -> Vec<String> {
            let out = dir.path().join(name);
            export(db, &out, args);
            let (_, rows) = read_csv(&out);
            rows.into_iter().map(|r| r.last().unwrap().clone()).collect()
        };
        let only = count(&["--review-state", "approved"], "approved.csv");
        assert_eq!(only.len(), approved);
        assert!(only.iter().all(|s| s == "approved"));
        let two = count(&["--review-state", "approved", "--review-state", "received"], "two.csv");
        assert_eq!(two.len(), approved + received);
        assert!(!two.iter().any(|s| s == "rejected"));
        let all = count(&[], "all.csv");
        assert_eq!(all.len(), 90);
        // Parquet and XLSX filter the same way.
        let pq = dir.path().join("rejected.parquet");
        export(db, &pq, &["--review-state", "rejected"]);
        let scored = ok(&["score", "--responses", pq.to_str().unwrap(), "--format", "json"]);
        let v: Value = serde_json::from_slice(&scored.stdout).unwrap();
        assert_eq!(v["groups"][0]["respondents"], json!(rejected));
        let xlsx = dir.path().join("approved.xlsx");
        export(db, &xlsx, &["--review-state", "approved"]);
        let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
        assert_eq!(book.worksheet_range("data").unwrap().rows().count() - 2, approved);
    }
}

/// No temporary or partial file in `dir` besides `keep`.
fn assert_nothing_left(dir: &Path, keep: &[&str]) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

on_both_databases! {
    fn bad_input_is_refused_naming_the_option_and_leaves_no_file(db: &TestDb) {
        let dir = tempdir();
        ok(&["simulate", "--seed", "74", "--count", "20", "--database", &db.url]);
        let out = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        let refused = |args: &[&str], option: &str, words: &str| {
            let mut all = vec!["export", "--database", &db.url];
            all.extend_from_slice(args);
            let r = run(&all);
            assert!(!r.status.success(), "{args:?} succeeded");
            let err = stderr(&r);
            assert!(err.contains(option) && err.contains(words), "{args:?}: {err}");
        };
        // A survey version that is not in the database.
        let other = dir.path().join("other.toml");
        let text = std::fs::read_to_string(repo().join(SURVEY)).unwrap();
        let version = shipped_survey().version;
        write(&other, &text.replacen(&format!("version = \"{version}\""), "version = \"1999.1\"", 1));
        refused(&["--survey", other.to_str().unwrap(), "--output", &out("x.csv")], "--survey", "version 1999.1 is not in the database");
        // An unknown format, and a name that says none.
        refused(&["--format", "docx", "--output", &out("x.docx")], "--format", "docx");
        refused(&["--output", &out("x.txt")], "--format", "cannot tell the format");
        // A byte-order mark outside CSV; an unknown review state.
        refused(&["--bom", "--output", &out("x.parquet")], "--bom", "CSV only");
        refused(&["--review-state", "pending", "--output", &out("x.csv")], "--review-state", "pending");
        // Somewhere that cannot be written.
        refused(&["--output", "/nonexistent-papi-dir/x.csv"], "--output", "/nonexistent-papi-dir/x.csv");
        refused(&["--format", "csv", "--output", dir.path().to_str().unwrap()], "--output", "directory");
        assert_nothing_left(dir.path(), &["other.toml"]);
        // A failed export keeps the file that was there.
        let kept = dir.path().join("kept.csv");
        write(&kept, "the previous export\n");
        refused(&["--survey", other.to_str().unwrap(), "--output", kept.to_str().unwrap()], "--survey", "not in the database");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "the previous export\n");
        assert_nothing_left(dir.path(), &["other.toml", "kept.csv"]);
    }
}

/// Polls an export job until it is done (or fails the test).
fn wait_done(server: &Server, location: &str, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = server.get_as(location, token);
        assert_eq!(r.status, 200, "{}", r.body);
        let job = r.json();
        match job["status"].as_str().unwrap() {
            "done" => return job,
            "failed" => panic!("the export failed: {job}"),
            "queued" | "running" => {}
            other => panic!("unknown status {other}"),
        }
        assert!(
            Instant::now() < deadline,
            "the export did not finish: {job}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A download: status, content type, content disposition, body.
fn download(server: &Server, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let url = format!("http://{}{}", server.addr, path);
    let resp = match ureq::get(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = resp.status();
    let ctype = resp.header("Content-Type").unwrap_or("").to_owned();
    let disposition = resp.header("Content-Disposition").unwrap_or("").to_owned();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
    (status, ctype, disposition, body)
}

on_both_databases! {
    fn export_jobs_run_in_the_background_for_analysts_only(db: &TestDb) {
        let dir = tempdir();
        let exports_dir: PathBuf = dir.path().join("exports");
        ok(&["simulate", "--seed", "75", "--count", "150", "--database", &db.url]);
        let server = Server::start(&["--database", &db.url, "--exports-dir", exports_dir.to_str().unwrap()]);
        let survey = shipped_survey();
        let analyst = token(db, "analyst", "analyst-an");
        let other_analyst = token(db, "analyst", "analyst-binh");
        let admin = token(db, "admin", "admin-1");
        let body = |format: &str, extra: Value| {
            let mut v = json!({ "survey_id": survey.id, "version": survey.version, "format": format });
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v.to_string()
        };
        // Roles that never get respondents' answers in bulk.
        for role in ["leader", "enumerator", "supervisor"] {
            let t = token(db, role, &format!("{role}-1"));
            let r = server.post("/api/v1/exports", &t, &body("csv", json!({})));
            assert_eq!(r.status, 403, "{role}: {}", r.body);
            assert_eq!(r.json()["code"], "auth.forbidden");
        }
        // Bad requests.
        let cases = [
            (body("docx", json!({})), 422, "export.format"),
            (body("xlsx", json!({"bom": true})), 422, "export.bom"),
            (body("csv", json!({"review_states": ["pending"]})), 422, "export.review_state"),
            (body("csv", json!({"version": "1999.1"})), 422, "survey.unknown"),
            (body("csv", json!({"password": "x"})), 400, "json.invalid"),
            ("{\"survey_id\": ".to_owned(), 400, "json.invalid"),
        ];
        for (b, status, code) in &cases {
            let r = server.post("/api/v1/exports", &analyst, b);
            assert_eq!(r.status, *status, "{b}: {}", r.body);
            assert_eq!(r.json()["code"], *code, "{b}");
        }

        // An analyst's CSV export: 202, then done, then the same bytes as the CLI writes.
        let r = server.post("/api/v1/exports", &analyst, &body("csv", json!({"bom": true})));
        assert_eq!(r.status, 202, "{}", r.body);
        let job = r.json();
        assert!(["queued", "running", "done"].contains(&job["status"].as_str().unwrap()), "{job}");
        let location = job["links"]["self"].as_str().unwrap().to_owned();
        let done = wait_done(&server, &location, &analyst);
        assert_eq!(done["progress"]["rows_written"], 150);
        assert_eq!(done["progress"]["rows_total"], 150);
        let file_link = done["links"]["file"].as_str().unwrap().to_owned();
        let (status, ctype, disposition, bytes) = download(&server, &file_link, &analyst);
        assert_eq!(status, 200);
        assert!(ctype.starts_with("text/csv"), "{ctype}");
        assert!(disposition.starts_with("attachment;") && disposition.contains(".csv"), "{disposition}");
        let cli = dir.path().join("cli.csv");
        export(db, &cli, &["--bom"]);
        assert!(bytes == std::fs::read(&cli).unwrap(), "the API's file differs from the CLI's");

        // Parquet and XLSX jobs, filtered, read back.
        let r = server.post("/api/v1/exports", &analyst, &body("parquet", json!({"review_states": ["received"]})));
        assert_eq!(r.status, 202, "{}", r.body);
        let done = wait_done(&server, r.json()["links"]["self"].as_str().unwrap(), &analyst);
        let (status, ctype, _, bytes) = download(&server, done["links"]["file"].as_str().unwrap(), &analyst);
        assert_eq!((status, ctype.as_str()), (200, "application/vnd.apache.parquet"));
        let pq = dir.path().join("api.parquet");
        std::fs::write(&pq, &bytes).unwrap();
        let a = ok(&["score", "--responses", pq.to_str().unwrap()]).stdout;
        let b = ok(&["score", "--database", &db.url]).stdout;
        assert!(a == b, "the API's Parquet export scores differently from the database");
        let r = server.post("/api/v1/exports", &admin, &body("xlsx", json!({})));
        assert_eq!(r.status, 202, "{}", r.body);
        let xlsx_job = r.json()["links"]["self"].as_str().unwrap().to_owned();
        let done = wait_done(&server, &xlsx_job, &admin);
        let (status, ctype, _, bytes) = download(&server, done["links"]["file"].as_str().unwrap(), &admin);
        assert_eq!(status, 200);
        assert!(ctype.contains("spreadsheetml"), "{ctype}");
        let x = dir.path().join("api.xlsx");
        std::fs::write(&x, &bytes).unwrap();
        let mut book: Xlsx<_> = open_workbook(&x).unwrap();
        assert_eq!(book.worksheet_range("data").unwrap().rows().count() - 2, 150);

        // Only the requester (or an administrator) sees a job; others get the 404 of no job at all.
        let r = server.get_as(&location, &other_analyst);
        assert_eq!(r.status, 404, "{}", r.body);
        let (status, ..) = download(&server, &file_link, &other_analyst);
        assert_eq!(status, 404);
        assert_eq!(server.get_as(&location, &admin).status, 200);
        let r = server.get_as(&xlsx_job, &analyst);
        assert_eq!(r.status, 404, "an analyst does not see the admin's job");
        let leader = token(db, "leader", "leader-2");
        assert_eq!(server.get_as(&location, &leader).status, 403);
        let (status, ..) = download(&server, &file_link, &leader);
        assert_eq!(status, 403);
        for path in [
            format!("/api/v1/exports/{}", uuid::Uuid::new_v4()),
            format!("/api/v1/exports/{}/file", uuid::Uuid::new_v4()),
            "/api/v1/exports/not-a-uuid".to_owned(),
            "/api/v1/exports/not-a-uuid/file".to_owned(),
        ] {
            let r = server.get_as(&path, &analyst);
            assert_eq!(r.status, 404, "{path}: {}", r.body);
            assert_eq!(r.json()["code"], "not_found");
        }
        // The files are where the service was told to put them; nothing half-written is left.
        let files: Vec<String> = std::fs::read_dir(&exports_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files.iter().all(|f| !f.ends_with(".part")));

        // Creations and downloads are in the audit log, by whom.
        let entries = block_on(db.store().audit_entries(100)).unwrap();
        let count = |action: &str, actor: &str| entries.iter().filter(|e| e.action == action && e.actor == actor).count();
        assert_eq!(count("export.create", "analyst-an"), 2);
        assert_eq!(count("export.download", "analyst-an"), 2);
        assert_eq!(count("export.create", "admin-1"), 1);
        assert_eq!(count("export.download", "admin-1"), 1);

        // The OpenAPI document describes the endpoints.
        let doc = server.get_as("/api/v1/openapi.json", &analyst).json();
        for p in ["/api/v1/exports", "/api/v1/exports/{id}", "/api/v1/exports/{id}/file"] {
            assert!(doc["paths"][p].is_object(), "{p} is not documented");
        }
    }
}

on_both_databases! {
    fn text_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(db: &TestDb) {
        let dir = tempdir();
        let file = simulate_file(dir.path(), "73", "60", "jsonl");
        // An enumerator's name arrives with the interview; a spreadsheet would run these as formulas.
        let names = [
            ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("-2+3", "'-2+3"),
            // A number is written as it is.
            ("-1", "-1"),
            ("ĐTV Lan", "ĐTV Lan"),
        ];
        let lines: Vec<String> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let mut v: Value = serde_json::from_str(line).unwrap();
                if let Some((name, _)) = names.get(i) {
                    v["enumerator"] = json!(name);
                }
                v.to_string()
            })
            .collect();
        write(&file, &(lines.join("\n") + "\n"));
        register_sample(db, &[]);
        ok(&["import", file.to_str().unwrap(), "--database", &db.url]);
        let csv = dir.path().join("papi.csv");
        let xlsx = dir.path().join("papi.xlsx");
        export(db, &csv, &[]);
        export(db, &xlsx, &[]);

        let (header, rows) = read_csv(&csv);
        let enumerator = header.iter().position(|h| h == "enumerator").unwrap();
        let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
        let data = book.worksheet_range("data").unwrap();
        let sheet: Vec<&[Data]> = data.rows().skip(2).collect();
        let id_of = |name: &str| {
            lines.iter().find_map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (v["enumerator"] == name).then(|| v["id"].as_str().unwrap().to_owned())
            }).unwrap()
        };
        for (name, written) in names {
            let id = id_of(name);
            let row = rows.iter().find(|r| r[0] == id).unwrap();
            assert_eq!(row[enumerator], written, "CSV, {name:?}");
            let row = sheet.iter().find(|r| cell_text(&r[0]) == id).unwrap();
            assert_eq!(cell_text(&row[enumerator]), written, "XLSX, {name:?}");
        }
        // Numbers are untouched: the export still scores as the database does.
        let from_db = ok(&["score", "--database", &db.url, "--format", "json"]).stdout;
        let from_file = ok(&["score", "--responses", csv.to_str().unwrap(), "--format", "json"]).stdout;
        assert!(from_file == from_db, "the export's scores differ from the database's");
    }
}
