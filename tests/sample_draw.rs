//! `papi sample draw` as a user runs it: inclusion probabilities against R's `sampling` package, the
//! selection frequencies over many seeds, the shipped frames, PAPI's own design, and the frames and
//! options it refuses.
//!
//! The R cross-check needs `Rscript` with the `sampling` package (Debian: r-base-core r-cran-sampling);
//! CI installs them, and there a missing R fails this test.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// CSV rows as maps of column → value.
fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .map(|r| r.expect("a CSV row"))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read an output file")
}

/// A frame of `strata` strata, PSU sizes spread over four orders of magnitude, a few PSUs large enough
/// to be certain by size (some only after others are), and the last stratum with exactly `n` PSUs.
fn unequal_frame(path: &Path, seed: u64, strata: usize, n: usize) {
    let mut rng = Rng(seed);
    let mut text = String::from("stratum,psu,size\n");
    for s in 0..strata {
        let count = if s + 1 == strata {
            n
        } else {
            n + 2 + (rng.next() * 12.0) as usize
        };
        for p in 0..count {
            let mut size = (10f64.powf(1.0 + 3.0 * rng.next()) * 8.0).round() / 8.0;
            if p == 1 && s % 2 == 0 {
                size *= 200.0; // certain by size at once
            }
            if p == 3 && s % 3 == 0 {
                size *= 25.0; // certain once the first is taken out, or close to it
            }
            text.push_str(&format!("Huyện {s},Thôn Đá {p},{size}\n"));
        }
    }
    write(path, &text);
}

needs! { r_sampling:
fn inclusion_probabilities_agree_with_r_sampling() {
    let dir = tempdir();
    let mut largest: f64 = 0.0;
    let mut compared = 0;
    let (mut certain_by_size, mut certain_by_count) = (0, 0);
    for (seed, strata, n) in [
        (1u64, 6, 3usize),
        (2, 5, 2),
        (3, 4, 5),
        (4, 3, 1),
        (5, 7, 4),
    ] {
        let frame = dir.path().join(format!("frame-{seed}.csv"));
        unequal_frame(&frame, seed, strata, n);
        let out = ok(&[
            "sample",
            "draw",
            "--frame",
            frame.to_str().unwrap(),
            "--psus-per-stratum",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "--format",
            "csv",
        ]);
        let papi_rows = rows(&stdout(&out));
        let r_out = dir.path().join(format!("r-{seed}.csv"));
        let r = Command::new("Rscript")
            .arg(repo().join("tests/r/inclusion.R"))
            .arg(&frame)
            .arg(n.to_string())
            .arg(&r_out)
            .output()
            .expect("Rscript runs");
        assert!(
            r.status.success(),
            "inclusion.R failed: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let r_pi: HashMap<(String, String), f64> = rows(&read(&r_out))
            .into_iter()
            .map(|row| {
                (
                    (row["stratum"].clone(), row["psu"].clone()),
                    row["inclusion_probability"].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(papi_rows.len(), r_pi.len(), "one row per PSU of the frame");
        let mut selected: BTreeMap<String, usize> = BTreeMap::new();
        for row in &papi_rows {
            let key = (row["stratum"].clone(), row["psu"].clone());
            let pi: f64 = row["inclusion_probability"].parse().unwrap();
            let expected = r_pi[&key];
            let difference = (pi - expected).abs();
            assert!(
                difference <= 1e-9,
                "{key:?}: papi {pi}, R {expected} (frame {seed})"
            );
            largest = largest.max(difference);
            compared += 1;
            certain_by_size += usize::from(pi == 1.0);
            *selected.entry(key.0.clone()).or_default() += usize::from(row["selected"] == "true");
            if pi == 1.0 {
                assert_eq!(row["selected"], "true", "{key:?} is certain");
            }
        }
        certain_by_count += n;
        assert_eq!(selected.len(), strata);
        for (stratum, count) in &selected {
            assert_eq!(
                *count, n,
                "frame {seed}, stratum {stratum}: exactly {n} selected"
            );
        }
    }
    assert!(
        certain_by_size > certain_by_count,
        "the frames have PSUs certain by size, besides the strata where all are taken"
    );
    println!("inclusion probabilities of {compared} PSUs agree with R's sampling::inclusionprobabilities; largest difference {largest:e}");
}
}

#[test]
fn selection_frequencies_over_300_seeds_match_the_probabilities() {
    let dir = tempdir();
    let frame = dir.path().join("small.csv");
    write(
        &frame,
        "stratum,psu,size\nA,a1,40\nA,a2,7\nA,a3,13\nA,a4,25\nA,a5,3\nA,a6,60\nB,b1,5\nB,b2,1\nB,b3,9\nB,b4,2\nB,b5,6\n",
    );
    let seeds = 300;
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    let mut pi: BTreeMap<String, f64> = BTreeMap::new();
    for seed in 1..=seeds {
        let out = ok(&[
            "sample",
            "draw",
            "--frame",
            frame.to_str().unwrap(),
            "--psus-per-stratum",
            "2",
            "--seed",
            &seed.to_string(),
        ]);
        for row in rows(&stdout(&out)) {
            *hits.entry(row["psu"].clone()).or_default() += usize::from(row["selected"] == "true");
            pi.insert(
                row["psu"].clone(),
                row["inclusion_probability"].parse().unwrap(),
            );
        }
    }
    for (psu, &p) in &pi {
        let frequency = hits[psu] as f64 / seeds as f64;
        let tolerance = 4.0 * (p * (1.0 - p) / seeds as f64).sqrt() + 0.01;
        assert!(
            (frequency - p).abs() <= tolerance,
            "{psu}: selected in {frequency} of the draws, π = {p} (tolerance {tolerance})"
        );
    }
}

fn draw_shipped(format: &str) -> String {
    stdout(&ok(&[
        "sample",
        "draw",
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--format",
        format,
    ]))
}

#[test]
fn the_shipped_frame_draws_the_demo_design() {
    let psus = rows(&draw_shipped("csv"));
    assert_eq!(psus.len(), 159, "every commune of the province");
    assert_eq!(psus.iter().filter(|r| r["selected"] == "true").count(), 22);
    assert_eq!(
        draw_shipped("csv"),
        draw_shipped("csv"),
        "the same seed, the same bytes"
    );

    let places = rows(&draw_shipped("places"));
    assert_eq!(places.len(), 44);
    let planned: usize = places
        .iter()
        .map(|r| r["planned"].parse::<usize>().unwrap())
        .sum();
    assert_eq!(planned, 704);
    let columns: Vec<&String> = places[0].keys().collect();
    for column in [
        "district",
        "commune",
        "village",
        "stratum",
        "psu",
        "pi_commune",
        "pi_village",
        "inclusion_probability",
        "size",
        "size_estimated",
        "base_weight",
    ] {
        assert!(
            columns.iter().any(|c| *c == column),
            "places has {column}: {columns:?}"
        );
    }
    // The base weights estimate the province's 1 050 700 adults: without bias, but not exactly, since
    // the seats are taken with certainty; only the order of magnitude is checked here.
    let total: f64 = places
        .iter()
        .map(|r| r["base_weight"].parse::<f64>().unwrap() * 16.0)
        .sum();
    assert!(
        total > 0.5 * 1_050_700.0 && total < 2.0 * 1_050_700.0,
        "{total}"
    );

    let json: serde_json::Value = serde_json::from_str(&draw_shipped("json")).unwrap();
    assert_eq!(json["frame_id"], "binh-dinh");
    assert_eq!(json["illustrative"], true);
    assert_eq!(json["places"].as_array().unwrap().len(), 44);
    assert_eq!(json["plan"]["interviews"], 16);
}

#[test]
fn the_output_file_is_written_whole() {
    let dir = tempdir();
    let path = dir.path().join("places.csv");
    ok(&[
        "sample",
        "draw",
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--format",
        "places",
        "--seed",
        "4",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(rows(&read(&path)).len(), 44);
}

/// PAPI's own design: no strata, 3 districts by PPS with the capital certain, 2 communes and 2
/// villages with the seats certain, 20 interviews.
const PAPI_FRAME: &str = r#"
[frame]
id = "papi-design"
province = "Tỉnh Thử"
levels = ["district", "commune", "village"]
size_measure = "adults"
illustrative = true

[design]
interviews = 20
[[design.stages]]
level = "district"
draw = 3
method = "pps"
[[design.stages]]
level = "commune"
draw = 2
method = "pps"
[[design.stages]]
level = "village"
draw = 2
method = "pps"
"#;

fn papi_frame(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from(PAPI_FRAME);
    for d in 0..6 {
        let capital = d == 2;
        text.push_str(&format!("\n[[units]]\nname = \"Huyện {d}\"\n"));
        if capital {
            // The capital is small here: only its certainty by design takes it every time.
            text.push_str("certainty = true\n");
        }
        for c in 0..4 {
            text.push_str(&format!("[[units.units]]\nname = \"Xã {c}\"\n"));
            if c == 0 {
                text.push_str("certainty = true\n");
            }
            text.push_str("units = [\n");
            for v in 0..5 {
                let size = if capital {
                    20
                } else {
                    100 + 30 * ((d + c + v) % 7)
                };
                let seat = if v == 0 { ", certainty = true" } else { "" };
                text.push_str(&format!(
                    "  {{ name = \"Thôn {v}\", size = {size}{seat} }},\n"
                ));
            }
            text.push_str("]\n");
        }
    }
    let path = dir.join("papi-design.toml");
    write(&path, &text);
    path
}

#[test]
fn papis_own_design_takes_the_capital_and_two_more_districts() {
    let dir = tempdir();
    let frame = papi_frame(dir.path());
    for seed in 1..=15 {
        let out = ok(&[
            "sample",
            "draw",
            "--frame",
            frame.to_str().unwrap(),
            "--seed",
            &seed.to_string(),
        ]);
        let districts: Vec<String> = rows(&stdout(&out))
            .into_iter()
            .filter(|r| r["selected"] == "true")
            .map(|r| r["psu"].clone())
            .collect();
        assert_eq!(districts.len(), 3, "seed {seed}");
        assert!(
            districts.contains(&"Huyện 2".to_owned()),
            "seed {seed}: {districts:?}"
        );
        let out = ok(&[
            "sample",
            "draw",
            "--frame",
            frame.to_str().unwrap(),
            "--seed",
            &seed.to_string(),
            "--format",
            "places",
        ]);
        let places = rows(&stdout(&out));
        assert_eq!(places.len(), 12);
        assert!(places
            .iter()
            .all(|r| r["stratum"] == "Tỉnh Thử" && r["planned"] == "20"));
    }
}

#[test]
fn the_two_tier_example_draws_with_estimated_village_sizes() {
    let out = ok(&[
        "sample",
        "draw",
        "--frame",
        "survey-defs/frames/example-two-tier.toml",
        "--format",
        "places",
    ]);
    let places = rows(&stdout(&out));
    assert_eq!(places.len(), 12);
    assert!(places.iter().all(|r| r["size_estimated"] == "true"));
    assert!(places[0].contains_key("pi_village") && !places[0].contains_key("district"));
    let out = ok(&[
        "sample",
        "draw",
        "--frame",
        "survey-defs/frames/example-two-tier.toml",
        "--draw",
        "commune=4",
        "--interviews",
        "10",
        "--format",
        "places",
    ]);
    let places = rows(&stdout(&out));
    assert_eq!(places.len(), 8);
    assert!(places.iter().all(|r| r["planned"] == "10"));
}

/// Runs `papi sample draw` with `args`, requires exit 1, and returns standard error.
fn refused(args: &[&str]) -> String {
    let mut all = vec!["sample", "draw"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(
        out.status.code(),
        Some(1),
        "papi {} should refuse: {}",
        all.join(" "),
        stderr(&out)
    );
    stderr(&out)
}

#[test]
fn bad_frames_and_options_are_refused_naming_the_unit_or_field() {
    let dir = tempdir();
    let path = |name: &str, text: &str| {
        let p = dir.path().join(name);
        write(&p, text);
        p.to_str().unwrap().to_owned()
    };
    let header = "[frame]\nid = \"bad\"\nprovince = \"Tỉnh Thử\"\nlevels = [\"commune\", \"village\"]\nsize_measure = \"adults\"\n[design]\ninterviews = 5\n[[design.stages]]\nlevel = \"commune\"\ndraw = 1\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 1\nmethod = \"pps\"\n";

    let duplicate = path(
        "duplicate.toml",
        &format!("{header}[[units]]\nname = \"Xã A\"\nunits = [{{ name = \"Thôn 1\", size = 5 }}, {{ name = \"Thôn 1\", size = 6 }}]\n"),
    );
    let e = refused(&["--frame", &duplicate]);
    assert!(
        e.contains("[Xã A / Thôn 1]") && e.contains("frame.duplicate_unit"),
        "{e}"
    );
    assert!(
        e.contains("duplicate.toml:18"),
        "the line of the village list: {e}"
    );

    let missing = path(
        "missing.toml",
        &format!("{header}[[units]]\nname = \"Xã A\"\nunits = [{{ name = \"Thôn 1\", size = 5 }}, {{ name = \"Thôn 2\" }}]\n"),
    );
    let e = refused(&["--frame", &missing]);
    assert!(
        e.contains("[Xã A / Thôn 2]") && e.contains("frame.missing_size"),
        "{e}"
    );

    let e = refused(&[
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--draw",
        "village=13",
    ]);
    assert!(
        e.contains("frame.draw_too_large") && e.contains("--draw"),
        "{e}"
    );
    assert!(e.contains("[Quy Nhơn / Phường 01]"), "{e}");

    let csv = path("psus.csv", "stratum,psu,size\nA,a1,3\nA,a2,4\nB,b1,5\n");
    let e = refused(&["--frame", &csv, "--psus-per-stratum", "2"]);
    assert!(
        e.contains("stratum 'B', which has only 1") && e.contains("frame.draw_too_large"),
        "{e}"
    );

    let e = refused(&["--frame", &csv]);
    assert!(e.contains("--psus-per-stratum"), "{e}");

    let header_csv = path("header.csv", "stratum,psu,size,district\nA,a1,3,x\n");
    let e = refused(&["--frame", &header_csv, "--psus-per-stratum", "1"]);
    assert!(
        e.contains("not allowed: district") && e.contains("frame.csv_columns"),
        "{e}"
    );

    let e = refused(&[
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--draw",
        "commune",
    ]);
    assert!(e.contains("--draw commune: expected LEVEL=N"), "{e}");

    let e = refused(&[
        "--frame",
        "survey-defs/frames/binh-dinh.toml",
        "--draw",
        "hamlet=2",
    ]);
    assert!(e.contains("no stage draws level 'hamlet'"), "{e}");

    let e = refused(&["--frame", &dir.path().join("absent.toml").to_string_lossy()]);
    assert!(e.contains("--frame") && e.contains("absent.toml"), "{e}");
}
