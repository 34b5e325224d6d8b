//! `papi score`: the output contract (SCORING.md §4), the same numbers from CSV, Parquet and the
//! database, recorded score runs, the method's invariants, and clear errors on bad input.

use std::collections::BTreeMap;

use crate::common::*;
use serde_json::Value;

fn simulate(dir: &std::path::Path, seed: &str, count: &str, format: &str) -> std::path::PathBuf {
    simulate_file(dir, seed, count, format)
}

fn score_json(args: &[&str]) -> Value {
    let mut all = vec!["score", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_slice(&ok(&all).stdout).expect("JSON")
}

/// What is compared of each estimate: estimate, se, the interval, df, deff and n_effective.
const COMPARED: [&str; 7] = [
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n_effective",
];

/// Every (group, level, id) → the compared numbers of a report.
fn values(report: &Value) -> BTreeMap<String, Vec<Option<f64>>> {
    let mut out = BTreeMap::new();
    for (g, group) in report["groups"].as_array().unwrap().iter().enumerate() {
        let mut put = |key: String, v: &Value| {
            out.insert(
                format!("{g}/{key}"),
                COMPARED.iter().map(|c| v[*c].as_f64()).collect(),
            );
        };
        put("total".into(), &group["total"]);
        for d in group["dimensions"].as_array().unwrap() {
            put(format!("d/{}", d["id"].as_str().unwrap()), d);
            for s in d["subdimensions"].as_array().unwrap() {
                put(format!("s/{}", s["id"].as_str().unwrap()), s);
            }
        }
        for i in group["indicators"].as_array().unwrap() {
            put(format!("i/{}", i["id"].as_str().unwrap()), i);
        }
    }
    out
}

fn assert_same(a: &Value, b: &Value, what: &str) {
    let (va, vb) = (values(a), values(b));
    assert_eq!(va.len(), vb.len(), "{what}");
    for (k, (x, y)) in va.iter().zip(vb.values()).map(|((k, x), y)| (k, (x, y))) {
        for ((p, q), name) in x.iter().zip(y).zip(COMPARED) {
            match (p, q) {
                (Some(p), Some(q)) => assert!(
                    (p - q).abs() <= 1e-9 * p.abs().max(1e-3),
                    "{what}: {k} {name}: {p} vs {q}"
                ),
                (None, None) => {}
                _ => panic!("{what}: {k} {name}: {p:?} vs {q:?}"),
            }
        }
    }
}

#[test]
fn the_output_follows_the_contract() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "31", "1500", "csv");
    let report = score_json(&["--responses", csv.to_str().unwrap()]);
    assert_eq!(report["survey"]["id"], "papi");
    assert_eq!(report["survey"]["version"], "2019.1");
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g["by"], serde_json::json!({}));
    assert_eq!(g["respondents"], 1500);
    for key in ["estimate", "se", "ci_low", "ci_high"] {
        assert!(g["total"][key].is_f64(), "total.{key}");
    }
    let dims = g["dimensions"].as_array().unwrap();
    assert_eq!(dims.len(), 8);
    assert_eq!(
        dims.iter()
            .map(|d| d["subdimensions"].as_array().unwrap().len())
            .sum::<usize>(),
        28
    );
    let ind = &g["indicators"][0];
    assert!(ind["n"].as_u64().unwrap() > 0 && ind["estimate"].is_f64());
    // The interval is the estimate ± t(0.975, df) SE, df = PSUs − strata of the design (R's
    // degf), and every estimate says what stands behind it.
    let design = &report["design"];
    let df = design["df"].as_i64().unwrap();
    assert_eq!(
        df,
        design["psus"].as_i64().unwrap() - design["strata_count"].as_i64().unwrap()
    );
    assert_eq!(design["interval"], "t");
    let q = design["interval_multiplier"].as_f64().unwrap();
    assert!(q > 1.959963984540054 && q < 2.6, "t(0.975, {df}) = {q}");
    let t = &g["total"];
    let (e, se) = (t["estimate"].as_f64().unwrap(), t["se"].as_f64().unwrap());
    assert!((t["ci_low"].as_f64().unwrap() - (e - q * se)).abs() < 1e-9);
    assert!((t["ci_high"].as_f64().unwrap() - (e + q * se)).abs() < 1e-9);
    let deff = t["deff"].as_f64().unwrap();
    assert!(deff > 0.0);
    assert!((t["n_effective"].as_f64().unwrap() - 1500.0 / deff).abs() < 1e-6);
    let ind = &g["indicators"][0];
    assert!(
        (ind["n_effective"].as_f64().unwrap() * ind["deff"].as_f64().unwrap()
            - ind["n"].as_f64().unwrap())
        .abs()
            < 1e-6
    );
    for e in [
        t,
        ind,
        &dims[0],
        &dims[0]["subdimensions"][0],
        &g["baseline"]["total"]["change"],
        &g["baseline"]["dimensions"][0]["change"],
    ] {
        assert_eq!(e["df"].as_i64(), Some(df), "{e}");
        assert!(e["flags"].is_array(), "{e}");
        for key in ["deff", "n_effective"] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }
    // On request, the normal interval: ± 1.959964 SE.
    let normal = score_json(&["--responses", csv.to_str().unwrap(), "--interval", "normal"]);
    assert_eq!(normal["design"]["interval"], "normal");
    let n = &normal["groups"][0]["total"];
    assert_eq!(n["se"], t["se"]);
    assert!((n["ci_low"].as_f64().unwrap() - (e - 1.959963984540054 * se)).abs() < 1e-9);
    // The shipped definition gives no standard errors for its baseline: the change says so.
    let c = &g["baseline"]["total"]["change"];
    assert_eq!(g["baseline"]["total"]["baseline_se"], Value::Null);
    assert_eq!(c["baseline_treated_as_exact"], true);
    assert!(c["note"].as_str().unwrap().contains("treated as exact"));
    assert_eq!(c["se"], t["se"]);
    // The comparison with the 2018 baseline and the performance group.
    assert_eq!(g["baseline"]["total"]["baseline"], 41.04);
    let change = g["baseline"]["total"]["change"]["estimate"]
        .as_f64()
        .unwrap();
    assert!((change - (e - 41.04)).abs() < 1e-9);
    let perf = &g["performance"];
    assert_eq!(perf["year"], 2024);
    assert!(
        ["best", "high_average", "low_average", "poor"].contains(&perf["group"].as_str().unwrap())
    );
    let threshold = perf["thresholds"]["high_average"].as_f64().unwrap();
    assert!(
        (perf["distance_to_high_average"].as_f64().unwrap() - (threshold - e).max(0.0)).abs()
            < 1e-9
    );

    // By district: one group per district in order of first appearance, no overall group.
    let report = score_json(&[
        "--responses",
        csv.to_str().unwrap(),
        "--by",
        "district",
        "--year",
        "2018",
    ]);
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 11);
    assert_eq!(groups[0]["by"]["district"], "Quy Nhơn");
    assert_eq!(
        groups
            .iter()
            .map(|g| g["respondents"].as_u64().unwrap())
            .sum::<u64>(),
        1500
    );
    assert_eq!(groups[0]["performance"]["year"], 2018);

    // A survey that does not score PAPI's eight dimensions gets no performance group.
    let small = fixture("small.toml");
    let rows = "id,province,district,commune,weight,sex,age,visited_clinic,clinic_quality,wait_minutes,road_good,channels,comment,last_visit\n\
                a,P,D1,C1,1,yes,30,yes,good,10,yes,radio,,\nb,P,D1,C2,2,no,40,no,,,no,none,,\n";
    let path = dir.path().join("small.csv");
    write(&path, rows);
    let report = score_json(&[
        "--survey",
        small.to_str().unwrap(),
        "--responses",
        path.to_str().unwrap(),
    ]);
    assert!(report["groups"][0].get("performance").is_none());
    assert!(report["groups"][0]["total"]["estimate"].is_f64());
}

#[test]
fn the_same_numbers_come_from_csv_and_parquet() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "32", "900", "csv");
    let parquet = simulate(dir.path(), "32", "900", "parquet");
    for by in [
        vec![],
        vec!["--by", "district"],
        vec!["--by", "sex", "--by", "ethnicity"],
    ] {
        let mut a = vec!["--responses", csv.to_str().unwrap()];
        a.extend(&by);
        let mut b = vec!["--responses", parquet.to_str().unwrap()];
        b.extend(&by);
        assert_same(
            &score_json(&a),
            &score_json(&b),
            &format!("csv vs parquet {by:?}"),
        );
    }
}

on_both_databases! {
    fn the_database_gives_the_same_numbers_and_records_immutable_runs(db: &TestDb) {
        let dir = tempdir();
        let csv = simulate(dir.path(), "33", "800", "csv");
        ok(&["simulate", "--seed", "33", "--count", "800", "--database", &db.url]);
        let from_file = score_json(&["--responses", csv.to_str().unwrap(), "--by", "district"]);
        let first = ok(&["score", "--database", &db.url, "--by", "district", "--recorded-by", "analyst-1"]);
        let from_db: Value = serde_json::from_slice(&first.stdout).unwrap();
        assert_same(&from_file, &from_db, "file vs database");
        // The same inputs give byte-identical JSON.
        let second = ok(&["score", "--database", &db.url, "--by", "district", "--recorded-by", "analyst-1"]);
        assert_eq!(first.stdout, second.stdout);
        let run_id = |out: &std::process::Output| -> uuid::Uuid {
            let err = stderr(out);
            let line = err.lines().find(|l| l.starts_with("recorded score run ")).unwrap_or_else(|| panic!("{err}"));
            line.split_whitespace().nth(3).unwrap().parse().unwrap()
        };
        let (a, b) = (run_id(&first), run_id(&second));
        assert_ne!(a, b, "each recompute is a run of its own");
        let store = db.store();
        let run_a = block_on(store.score_run(a)).unwrap().unwrap();
        let run_b = block_on(store.score_run(b)).unwrap().unwrap();
        assert_eq!(run_a.run.result.as_bytes(), first.stdout.strip_suffix(b"\n").unwrap());
        assert_eq!(run_a.run.data_hash, run_b.run.data_hash);
        assert_eq!(run_a.run.definition_hash, shipped_survey().hash);
        assert_eq!(run_a.run.interviews, 800);
        assert_eq!(run_a.run.recorded_by, "analyst-1");
        assert_eq!(run_a.run.parameters["by"], serde_json::json!(["district"]));
        // New interviews change the data hash.
        ok(&["simulate", "--seed", "34", "--count", "10", "--database", &db.url]);
        let third = ok(&["score", "--database", &db.url]);
        let run_c = block_on(store.score_run(run_id(&third))).unwrap().unwrap();
        assert_ne!(run_c.run.data_hash, run_a.run.data_hash);
        assert_eq!(run_c.run.interviews, 810);
        block_on(store.close());
        // Runs are immutable.
        block_on(async {
            use sqlx::Executor;
            let result = if db.kind == "postgres" {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                pool.execute("UPDATE score_runs SET recorded_by = 'someone else'").await.map(|_| ())
            } else {
                let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
                pool.execute("DELETE FROM score_runs").await.map(|_| ())
            };
            let err = result.expect_err("a score run cannot be changed");
            assert!(err.to_string().contains("score runs are immutable"), "{err}");
        });
    }
}

#[test]
fn invariants_of_the_method_hold() {
    let dir = tempdir();
    for seed in ["41", "42", "43"] {
        let csv = simulate(dir.path(), seed, "700", "csv");
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        let base = score_json(&["--responses", csv.to_str().unwrap(), "--by", "district"]);

        // Permuting the rows changes nothing (groups come in order of first appearance, so keep the
        // first row of each district first by reversing within the tail only).
        let seed_n: usize = seed.parse().unwrap();
        let mut permuted = lines.clone();
        let first_rows: Vec<&str> = {
            let mut seen = std::collections::BTreeSet::new();
            lines
                .iter()
                .filter(|l| seen.insert(l.split(',').nth(2).unwrap().to_owned()))
                .cloned()
                .collect()
        };
        permuted.retain(|l| !first_rows.contains(l));
        let n = permuted.len();
        for i in 0..n {
            permuted.swap(i, (i * 7919 + seed_n) % n);
        }
        let mut out = vec![header];
        out.extend(first_rows.iter());
        out.extend(permuted.iter());
        let shuffled = dir.path().join(format!("shuffled-{seed}.csv"));
        write(&shuffled, &(out.join("\n") + "\n"));
        assert_same(
            &base,
            &score_json(&[
                "--responses",
                shuffled.to_str().unwrap(),
                "--by",
                "district",
            ]),
            "permuted rows",
        );

        // Multiplying every weight by a constant changes no estimate, standard error, interval, df or
        // design effect.
        let mut r = csv::Reader::from_path(&csv).unwrap();
        let headers = r.headers().unwrap().clone();
        let wcol = headers.iter().position(|h| h == "weight").unwrap();
        let scaled = dir.path().join(format!("scaled-{seed}.csv"));
        let mut w = csv::Writer::from_path(&scaled).unwrap();
        w.write_record(&headers).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let row: Vec<String> = rec
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if i == wcol {
                        (v.parse::<f64>().unwrap() * 7.25).to_string()
                    } else {
                        v.to_owned()
                    }
                })
                .collect();
            w.write_record(&row).unwrap();
        }
        w.flush().unwrap();
        assert_same(
            &base,
            &score_json(&["--responses", scaled.to_str().unwrap(), "--by", "district"]),
            "scaled weights",
        );

        // The total is the sum of the dimensions; every dimension lies in [1, 10].
        let overall = score_json(&["--responses", csv.to_str().unwrap()]);
        for g in overall["groups"]
            .as_array()
            .unwrap()
            .iter()
            .chain(base["groups"].as_array().unwrap())
        {
            if g["total"]["estimate"].is_null() {
                continue; // a district too small for some indicator: checked in small_domains_give_null_not_nan
            }
            let dims: Vec<f64> = g["dimensions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["estimate"].as_f64().unwrap())
                .collect();
            let total = g["total"]["estimate"].as_f64().unwrap();
            assert!((dims.iter().sum::<f64>() - total).abs() < 1e-9);
            assert!(dims.iter().all(|d| (1.0..=10.0).contains(d)), "{dims:?}");
            for d in g["dimensions"].as_array().unwrap() {
                let subs: f64 = d["subdimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["estimate"].as_f64().unwrap())
                    .sum();
                assert!((subs - d["estimate"].as_f64().unwrap()).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn small_domains_give_null_not_nan() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "44", "400", "csv");
    let out = ok(&[
        "score",
        "--responses",
        csv.to_str().unwrap(),
        "--by",
        "village",
        "--by",
        "district",
        "--min-respondents",
        "12",
    ]);
    let text = stdout(&out);
    assert!(!text.contains("NaN") && !text.contains("Infinity"));
    let report: Value = serde_json::from_str(&text).unwrap();
    let mut nulls = 0;
    for g in report["groups"].as_array().unwrap() {
        for i in g["indicators"].as_array().unwrap() {
            let n = i["n"].as_u64().unwrap();
            if n < 12 {
                assert!(i["estimate"].is_null() && i["se"].is_null(), "{i}");
                nulls += 1;
            }
        }
        // A sub-dimension needs all its indicators.
        if g["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["estimate"].is_null())
        {
            assert!(g["total"]["estimate"].is_null());
        }
    }
    assert!(nulls > 0);
}

#[test]
fn table_and_csv_formats() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "45", "600", "csv");
    let out = ok(&[
        "score",
        "--responses",
        csv.to_str().unwrap(),
        "--format",
        "table",
    ]);
    let table = stdout(&out);
    for name in [
        "Tổng điểm PAPI",
        "Tham gia của người dân ở cấp cơ sở",
        "Quản trị điện tử",
        "KTC 95%",
    ] {
        assert!(table.contains(name), "{name} in:\n{table}");
    }
    let out = ok(&[
        "score",
        "--responses",
        csv.to_str().unwrap(),
        "--format",
        "csv",
        "--by",
        "district",
    ]);
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&headers[..3], ["district", "level", "id"]);
    assert_eq!(
        &headers[headers.len() - 4..],
        ["df", "deff", "n_effective", "flags"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let survey = shipped_survey();
    assert_eq!(rows.len(), 11 * (1 + 8 + 28 + survey.indicators.len()));
    let total = rows.iter().find(|r| &r[1] == "total").unwrap();
    assert_eq!(&total[3], "Tổng điểm PAPI");
}

#[test]
fn bad_input_is_refused_with_the_column_and_the_rule() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "46", "100", "csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let check = |name: &str, content: &str, extra: &[&str], needle: &str| {
        let path = dir.path().join(name);
        write(&path, content);
        let mut args = vec!["score", "--responses", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(needle), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{name}: nothing is printed");
    };
    // A column the definition needs is missing.
    let no_weight = text.replacen(",weight,", ",wt,", 1);
    check(
        "no-weight.csv",
        &no_weight,
        &[],
        "column 'weight' is missing",
    );
    // A choice that is not in the list.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[3] = lines[3].replacen(",yes,", ",perhaps,", 1);
    check(
        "bad-choice.csv",
        &(lines.join("\n") + "\n"),
        &[],
        "'perhaps' is not a choice",
    );
    // A number that is not one, in a column an indicator reads.
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let survey = shipped_survey();
    let numeric = survey
        .indicators
        .iter()
        .find(|i| matches!(i.scoring, papi_survey::Scoring::Range { .. }))
        .map(|i| survey.questions[i.question].id.clone())
        .unwrap();
    let col = header.iter().position(|h| *h == numeric).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(String::from).collect();
    cells[col] = "many".into();
    lines[5] = cells.join(",");
    check(
        "bad-number.csv",
        &(lines.join("\n") + "\n"),
        &[],
        &format!("column '{numeric}' must hold"),
    );
    // A weight that is not positive.
    let mut w_lines: Vec<String> = text.lines().map(String::from).collect();
    let wcol = header.iter().position(|h| *h == "weight").unwrap();
    let mut cells: Vec<String> = w_lines[2].split(',').map(String::from).collect();
    cells[wcol] = "-3".into();
    w_lines[2] = cells.join(",");
    check(
        "bad-weight.csv",
        &(w_lines.join("\n") + "\n"),
        &[],
        "column 'weight', row 2: a design weight must be a positive number",
    );
    // An unknown domain column.
    check(
        "by.csv",
        &text,
        &["--by", "hamlet"],
        "column 'hamlet' is missing",
    );
    // Margins that do not cover the sample.
    let margins = dir.path().join("m.toml");
    write(
        &margins,
        "[[margins]]\ncolumns = [\"sex\"]\ncells = [ { sex = \"male\", population = 100 } ]\n",
    );
    check(
        "margins.csv",
        &text,
        &["--margins", margins.to_str().unwrap()],
        "has no population total in the margins",
    );
    // A year whose official totals have six dimensions cannot rank an eight-dimension total.
    check(
        "year.csv",
        &text,
        &["--year", "2015"],
        "--year 2015: that year's official totals have six dimensions",
    );
    // A variance method papi does not have: the option and the methods it has are named.
    check(
        "variance.csv",
        &text,
        &["--variance", "bootstrap"],
        "invalid value 'bootstrap' for '--variance <VARIANCE>'",
    );
    check(
        "variance.csv",
        &text,
        &["--variance", "bootstrap"],
        "[possible values: linearization, jackknife]",
    );
    // A file that does not exist.
    let out = run(&["score", "--responses", "/nonexistent/interviews.parquet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/interviews.parquet"));
}

#[test]
fn a_baseline_with_standard_errors_widens_the_change() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "47", "800", "csv");
    let shipped = std::fs::read_to_string(repo().join("survey-defs/papi-2019.toml")).unwrap();
    let with_se = dir.path().join("papi-with-se.toml");
    write(
        &with_se,
        &format!("{shipped}\n[baseline.standard_errors]\ntotal = 0.45\nparticipation = 0.12\n"),
    );
    let report = score_json(&[
        "--survey",
        with_se.to_str().unwrap(),
        "--responses",
        csv.to_str().unwrap(),
    ]);
    let q = report["design"]["interval_multiplier"].as_f64().unwrap();
    let g = &report["groups"][0];
    let f = |v: &Value| v.as_f64().unwrap();
    let check = |estimate: &Value, change: &Value, se_b: f64| {
        let se = (f(&estimate["se"]).powi(2) + se_b * se_b).sqrt();
        let c = &change["change"];
        assert_eq!(change["baseline_se"], se_b);
        assert_eq!(c["baseline_treated_as_exact"], false);
        assert!((f(&c["se"]) - se).abs() < 1e-12, "{c}");
        let e = f(&estimate["estimate"]) - f(&change["baseline"]);
        assert!((f(&c["estimate"]) - e).abs() < 1e-12);
        assert!((f(&c["ci_low"]) - (e - q * se)).abs() < 1e-9);
        assert!((f(&c["ci_high"]) - (e + q * se)).abs() < 1e-9);
        assert_eq!(c["df"], report["design"]["df"]);
        assert!(c["deff"].is_null() && c["n_effective"].is_null());
    };
    check(&g["total"], &g["baseline"]["total"], 0.45);
    check(&g["dimensions"][0], &g["baseline"]["dimensions"][0], 0.12);
    // A dimension without a standard error is still compared with an exact baseline.
    let other = &g["baseline"]["dimensions"][1]["change"];
    assert_eq!(other["baseline_treated_as_exact"], true);
    assert_eq!(other["se"], g["dimensions"][1]["se"]);
}

#[test]
fn thin_estimates_are_flagged_in_the_json_and_marked_in_the_table() {
    let dir = tempdir();
    let csv = simulate(dir.path(), "48", "400", "csv");
    let report = score_json(&["--responses", csv.to_str().unwrap(), "--by", "district"]);
    let mut few = 0;
    for g in report["groups"].as_array().unwrap() {
        let respondents = g["respondents"].as_u64().unwrap();
        let flags = &g["total"]["flags"];
        assert_eq!(
            flags
                .as_array()
                .unwrap()
                .contains(&Value::from("few_respondents")),
            respondents < 30
                || g["indicators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["n"].as_u64().unwrap() < 30),
            "{flags} with {respondents} respondents"
        );
        for i in g["indicators"].as_array().unwrap() {
            let flagged = i["flags"]
                .as_array()
                .unwrap()
                .contains(&Value::from("few_respondents"));
            assert_eq!(flagged, i["n"].as_u64().unwrap() < 30, "{i}");
            few += usize::from(flagged);
        }
    }
    assert!(
        few > 0,
        "some district has an indicator with fewer than 30 answers"
    );
    let table = stdout(&ok(&[
        "score",
        "--responses",
        csv.to_str().unwrap(),
        "--by",
        "district",
        "--format",
        "table",
    ]));
    assert!(
        table.contains("* ít hơn 30 người trả lời / fewer than 30 respondents"),
        "{table}"
    );
    assert!(table.contains("Student's t with"), "{table}");

    // Two communes of one district: one degree of freedom, every estimate flagged.
    let small = fixture("small.toml");
    let rows = "id,province,district,commune,weight,sex,age,visited_clinic,clinic_quality,wait_minutes,road_good,channels,comment,last_visit\n\
                a,P,D1,C1,1,yes,30,yes,good,10,yes,radio,,\nb,P,D1,C2,2,no,40,yes,poor,50,no,none,,\n\
                c,P,D1,C1,1,yes,35,yes,fair,20,yes,board,,\n";
    let path = dir.path().join("two-psus.csv");
    write(&path, rows);
    let report = score_json(&[
        "--survey",
        small.to_str().unwrap(),
        "--responses",
        path.to_str().unwrap(),
    ]);
    assert_eq!(report["design"]["df"], 1);
    assert_eq!(
        report["groups"][0]["total"]["flags"],
        serde_json::json!(["few_psus", "few_respondents"])
    );
    let table = stdout(&ok(&[
        "score",
        "--survey",
        small.to_str().unwrap(),
        "--responses",
        path.to_str().unwrap(),
        "--format",
        "table",
    ]));
    assert!(table.contains("*†"), "{table}");
    assert!(table.contains("† ít hơn 5 bậc tự do"), "{table}");
}

on_both_databases! {
    fn two_waves_are_compared_estimate_by_estimate(db: &TestDb) {
        let dir = tempdir();
        // Two waves: two samples from one population, so that their true change is zero.
        let wave = |name: &str, sample_seed: &str| {
            let csv = dir.path().join(format!("{name}.csv"));
            ok(&["simulate", "--population-seed", "5", "--population-divisor", "40", "--sample-seed", sample_seed, "-o", csv.to_str().unwrap()]);
            let json = dir.path().join(format!("{name}.json"));
            let out = ok(&["score", "--responses", csv.to_str().unwrap(), "--by", "district"]);
            std::fs::write(&json, &out.stdout).unwrap();
            let overall = dir.path().join(format!("{name}-all.json"));
            std::fs::write(&overall, ok(&["score", "--responses", csv.to_str().unwrap()]).stdout).unwrap();
            (json, overall)
        };
        let (a, a_all) = wave("a", "1");
        let (b, b_all) = wave("b", "2");
        let ra: Value = serde_json::from_str(&std::fs::read_to_string(&a_all).unwrap()).unwrap();
        let rb: Value = serde_json::from_str(&std::fs::read_to_string(&b_all).unwrap()).unwrap();
        let out = ok(&["compare", a_all.to_str().unwrap(), b_all.to_str().unwrap()]);
        let c: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(c["method"].as_str().unwrap().starts_with("independent samples"), "{c}");
        let total = &c["groups"][0]["total"];
        let (ta, tb) = (&ra["groups"][0]["total"], &rb["groups"][0]["total"]);
        let f = |v: &Value| v.as_f64().unwrap();
        assert!((f(&total["change"]) - (f(&tb["estimate"]) - f(&ta["estimate"]))).abs() < 1e-12);
        assert!((f(&total["se"]) - f(&ta["se"]).hypot(f(&tb["se"]))).abs() < 1e-12);
        let df = f(&total["df"]);
        assert!(df > 0.0 && df <= f(&ta["df"]) + f(&tb["df"]), "{df}");
        assert!(f(&total["ci_low"]) < f(&total["change"]) && f(&total["change"]) < f(&total["ci_high"]));
        // Eight dimensions, their sub-dimensions and every indicator, each with its change.
        assert_eq!(c["groups"][0]["dimensions"].as_array().unwrap().len(), 8);
        assert!(c["groups"][0]["subdimensions"].as_array().unwrap().len() >= 20);
        assert!(c["groups"][0]["indicators"].as_array().unwrap().len() >= 40);
        // Domains are matched by their values.
        let by = ok(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
        let by: Value = serde_json::from_slice(&by.stdout).unwrap();
        assert_eq!(by["groups"].as_array().unwrap().len(), 11, "the eleven districts");
        // From the interviews: both samples take every district's seat commune, so the waves share
        // PSUs and are compared on one stacked design, their covariance counted.
        let (a_csv, b_csv) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        let panel: Value = serde_json::from_slice(&ok(&["compare", a_csv.to_str().unwrap(), b_csv.to_str().unwrap()]).stdout).unwrap();
        assert!(panel["method"].as_str().unwrap().starts_with("waves sharing PSUs"), "{}", panel["method"]);
        assert!(panel["psus"]["shared"].as_u64().unwrap() >= 11, "{}", panel["psus"]);
        let p_total = &panel["groups"][0]["total"];
        assert!((f(&p_total["change"]) - f(&total["change"])).abs() < 1e-9, "the same estimates");
        assert!(f(&p_total["se"]) > 0.0 && f(&p_total["df"]) > 0.0);
        let table = stdout(&ok(&["compare", a_csv.to_str().unwrap(), b_csv.to_str().unwrap(), "--by", "district", "--format", "table"]));
        assert!(table.contains("PSUs: A ") && table.contains("shared"), "{table}");
        // A report and interviews do not compare.
        let out = run(&["compare", a_all.to_str().unwrap(), b_csv.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("not one of each"), "{}", stderr(&out));
        // The table, for a reader.
        let table = stdout(&ok(&["compare", a_all.to_str().unwrap(), b_all.to_str().unwrap(), "--format", "table"]));
        assert!(table.contains("total") && table.contains("method: independent samples"), "{table}");
        // Recorded runs, by id: two runs of the same interviews differ by nothing, with both errors.
        ok(&["simulate", "--seed", "64", "--per-village", "4", "--database", &db.url]);
        let mut ids = Vec::new();
        let mut recorded_se = 0.0;
        for _ in 0..2 {
            let out = ok(&["score", "--database", &db.url, "--recorded-by", "analyst"]);
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            recorded_se = f(&report["groups"][0]["total"]["se"]);
            let line = stderr(&out);
            let id = line.split("recorded score run ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap_or_else(|| panic!("{line}")).to_owned();
            ids.push(format!("run:{id}"));
        }
        let out = ok(&["compare", &ids[0], &ids[1], "--database", &db.url]);
        let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
        let total = &runs["groups"][0]["total"];
        assert_eq!(f(&total["change"]), 0.0);
        assert!((f(&total["se"]) - std::f64::consts::SQRT_2 * recorded_se).abs() < 1e-9, "{total}");
        assert_eq!(total["distinguishable_from_zero"], false);
        // The same over HTTP, for analysts.
        let server = Server::start(&["--database", &db.url]);
        let analyst = token(db, "analyst", "analyst-2");
        let path = format!("/api/v1/compare?a={}&b={}", &ids[0][4..], &ids[1][4..]);
        let r = server.get_as(&path, &analyst);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["groups"][0]["total"], *total);
        assert_eq!(server.get_as(&path, &token(db, "leader", "chu-tich")).status, 403);
        let r = server.get_as(&format!("/api/v1/compare?a={}&b=not-a-run", &ids[0][4..]), &analyst);
        assert_eq!(r.status, 404, "{}", r.body);
        // What is not a report, or a run that is not there, is refused with the reason.
        let not_json = dir.path().join("a.txt");
        write(&not_json, "id,district\n");
        let out = run(&["compare", a_all.to_str().unwrap(), not_json.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("B: ") && stderr(&out).contains("not JSON"), "{}", stderr(&out));
        let out = run(&["compare", "run:00000000-0000-0000-0000-000000000000", &ids[1], "--database", &db.url]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("no such score run"), "{}", stderr(&out));
    }
}
