//! `papi simulate`: the sample design it was asked for, answers that follow the definition and the
//! profile, and the same bytes from the same seed.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use papi_survey::{Answer, Survey};

/// Simulates into a temporary file and returns its bytes.
fn simulate(args: &[&str], format: &str) -> Vec<u8> {
    let dir = tempdir();
    let path = dir.path().join(format!("out.{format}"));
    let mut all = vec![
        "simulate",
        "--format",
        format,
        "--output",
        path.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    ok(&all);
    std::fs::read(&path).unwrap()
}

fn rows(csv_bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    r.deserialize().map(|row| row.unwrap()).collect()
}

#[test]
fn the_default_design_is_papis_districts_communes_villages_of_sixteen() {
    let rows = rows(&simulate(&["--seed", "11"], "csv"));
    assert_eq!(
        rows.len(),
        11 * 2 * 2 * 16,
        "11 districts × 2 communes × 2 villages × 16"
    );
    let mut villages: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for r in &rows {
        assert_eq!(r["province"], "Bình Định");
        *villages
            .entry((
                r["district"].clone(),
                r["commune"].clone(),
                r["village"].clone(),
            ))
            .or_default() += 1;
    }
    assert!(
        villages.values().all(|&n| n == 16),
        "16 interviews a village"
    );
    let districts: BTreeSet<&String> = villages.keys().map(|(d, _, _)| d).collect();
    assert_eq!(districts.len(), 11);
    for d in districts {
        let communes: BTreeSet<&String> = villages
            .keys()
            .filter(|(x, _, _)| x == d)
            .map(|(_, c, _)| c)
            .collect();
        assert_eq!(communes.len(), 2, "{d}");
        for c in communes {
            assert_eq!(
                villages.keys().filter(|(x, y, _)| x == d && y == c).count(),
                2,
                "{c}"
            );
        }
    }
    // Interview ids are UUIDs and unique; no column could hold a name or a phone number.
    let ids: BTreeSet<&String> = rows.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids.len(), rows.len());
    assert!(rows[0]["id"].parse::<uuid::Uuid>().is_ok());
    assert!(rows[0]
        .keys()
        .all(|k| !k.contains("name") && !k.contains("phone")));
}

#[test]
fn sizes_are_configurable() {
    let rows = rows(&simulate(
        &[
            "--seed",
            "3",
            "--communes-per-district",
            "4",
            "--villages-per-commune",
            "3",
            "--per-village",
            "10",
        ],
        "csv",
    ));
    assert_eq!(rows.len(), 11 * 4 * 3 * 10);
    let districts: BTreeSet<&String> = rows.iter().map(|r| &r["district"]).collect();
    let communes: BTreeSet<(&String, &String)> = rows
        .iter()
        .map(|r| (&r["district"], &r["commune"]))
        .collect();
    assert_eq!((districts.len(), communes.len()), (11, 44));

    // A count spreads evenly over the sample's villages; the total is exact.
    let rows = super_rows(&["--seed", "3", "--count", "5000"]);
    assert_eq!(rows.len(), 5000);
    let districts: BTreeSet<&String> = rows.iter().map(|r| &r["district"]).collect();
    assert_eq!(districts.len(), 11);
    let rows = super_rows(&["--seed", "3", "--count", "100"]);
    assert_eq!(rows.len(), 100);
    assert_eq!(
        rows.iter()
            .map(|r| &r["district"])
            .collect::<BTreeSet<_>>()
            .len(),
        11
    );
}

fn super_rows(args: &[&str]) -> Vec<BTreeMap<String, String>> {
    rows(&simulate(args, "csv"))
}

#[test]
fn the_same_seed_gives_the_same_bytes_in_every_format() {
    for format in ["csv", "parquet", "jsonl"] {
        let a = simulate(&["--seed", "42", "--count", "300"], format);
        let b = simulate(&["--seed", "42", "--count", "300"], format);
        let c = simulate(&["--seed", "43", "--count", "300"], format);
        assert!(!a.is_empty());
        assert!(a == b, "{format}: the same seed gives the same bytes");
        assert!(a != c, "{format}: another seed gives other interviews");
    }
}

#[test]
fn every_format_carries_the_same_interviews() {
    let csv_rows = rows(&simulate(&["--seed", "5", "--count", "200"], "csv"));
    let jsonl = simulate(&["--seed", "5", "--count", "200"], "jsonl");
    let survey = shipped_survey();
    let lines: Vec<papi_survey::Submission> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    for (row, sub) in csv_rows.iter().zip(&lines) {
        assert_eq!(row["id"], sub.id);
        assert_eq!(row["district"], sub.location["district"]);
        let iv = survey
            .check_submission(sub)
            .expect("simulated interviews are valid");
        for (q, a) in survey.questions.iter().zip(&iv.answers) {
            assert_eq!(
                row[&q.id],
                a.as_ref().map(Answer::to_cell).unwrap_or_default(),
                "{} {}",
                sub.id,
                q.id
            );
        }
    }
    // Parquet: the same rows, typed columns.
    let dir = tempdir();
    let path = dir.path().join("s.parquet");
    ok(&[
        "simulate",
        "--seed",
        "5",
        "--count",
        "200",
        "--format",
        "parquet",
        "-o",
        path.to_str().unwrap(),
    ]);
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows(), 200);
    let schema = meta.schema_descr();
    let physical = |name: &str| {
        (0..schema.num_columns())
            .map(|i| schema.column(i))
            .find(|c| c.name() == name)
            .unwrap()
            .physical_type()
    };
    assert_eq!(physical("birth_year"), parquet::basic::Type::INT64);
    assert_eq!(physical("weight"), parquet::basic::Type::DOUBLE);
    let ids: Vec<String> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            let row = row.unwrap();
            let (_, id) = row.get_column_iter().next().unwrap();
            match id {
                Field::Str(s) => s.clone(),
                other => panic!("id is text, not {other:?}"),
            }
        })
        .collect();
    assert_eq!(ids[0], csv_rows[0]["id"]);
    assert_eq!(ids[199], csv_rows[199]["id"]);
}

#[test]
fn simulated_interviews_pass_validation_and_follow_skip_logic() {
    let dir = tempdir();
    let path = dir.path().join("s.jsonl");
    ok(&[
        "simulate",
        "--seed",
        "9",
        "--count",
        "2000",
        "--format",
        "jsonl",
        "-o",
        path.to_str().unwrap(),
    ]);
    let out = ok(&[
        "survey",
        "validate",
        "--survey",
        "survey-defs/papi-2019.toml",
        path.to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("2000 valid, 0 invalid"),
        "{}",
        stderr(&out)
    );
    // Realistic skip patterns: some answer the land-use certificate questions, most do not.
    let survey = shipped_survey();
    let gated: Vec<usize> = (0..survey.questions.len())
        .filter(|&i| survey.questions[i].relevant.is_some())
        .collect();
    let text = std::fs::read_to_string(&path).unwrap();
    let subs: Vec<papi_survey::Submission> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut answered = vec![0usize; survey.questions.len()];
    let mut dont_know = 0;
    for s in &subs {
        for (q, v) in &s.answers {
            answered[survey.question_position(q).unwrap()] += 1;
            if v == "dk" {
                dont_know += 1;
            }
        }
    }
    let partly = gated
        .iter()
        .filter(|&&i| answered[i] > 0 && answered[i] < subs.len())
        .count();
    assert!(
        partly * 2 >= gated.len(),
        "most skip-logic questions are asked of some respondents only"
    );
    assert!(
        dont_know > subs.len() / 2,
        "respondents say \"don't know\" sometimes: {dont_know}"
    );
}

/// Unweighted dimension scores by SCORING.md §3 (enough to check the profile a simulation follows).
fn dimension_scores(survey: &Survey, csv_bytes: &[u8]) -> Vec<f64> {
    let rows = rows(csv_bytes);
    let p: Vec<f64> = survey
        .indicators
        .iter()
        .map(|ind| {
            let q = ind.question;
            let scores: Vec<f64> = rows
                .iter()
                .filter_map(|r| {
                    let a = survey
                        .answer_from_cell(q, &r[&survey.questions[q].id])
                        .unwrap();
                    ind.scoring.score(a.as_ref())
                })
                .collect();
            scores.iter().sum::<f64>() / scores.len() as f64
        })
        .collect();
    survey
        .dimensions
        .iter()
        .map(|d| {
            d.subdimensions
                .iter()
                .map(|s| {
                    let m =
                        s.indicators.iter().map(|&k| p[k]).sum::<f64>() / s.indicators.len() as f64;
                    (1.0 + 9.0 * m) / d.subdimensions.len() as f64
                })
                .sum()
        })
        .collect()
}

#[test]
fn answers_follow_the_named_profile() {
    let survey = shipped_survey();
    let baseline = &survey.baseline.as_ref().unwrap().dimensions;
    let scores = dimension_scores(
        &survey,
        &simulate(&["--seed", "21", "--count", "12000"], "csv"),
    );
    for ((d, s), b) in survey.dimensions.iter().zip(&scores).zip(baseline) {
        assert!(
            (s - b).abs() < 0.2,
            "{}: simulated {s:.3}, profile {b:.3}",
            d.id
        );
    }
    let total: f64 = scores.iter().sum();
    assert!(
        (total - 41.04).abs() < 0.6,
        "total {total:.2} near Bình Định 2018's 41.04"
    );

    // Another province-year from the official table, named without diacritics.
    let table = papi_survey::ReferenceTable::load(
        repo().join("survey-defs/benchmarks/papi-provincial-scores-2011-2024.csv"),
    )
    .unwrap();
    let target = table.find("Đà Nẵng", 2019).unwrap();
    let scores = dimension_scores(
        &survey,
        &simulate(
            &[
                "--seed",
                "21",
                "--count",
                "12000",
                "--profile",
                "da-nang:2019",
            ],
            "csv",
        ),
    );
    for (d, s) in survey.dimensions.iter().zip(&scores) {
        let t = target.dimension(&d.id).unwrap();
        assert!(
            (s - t).abs() < 0.2,
            "{}: simulated {s:.3}, Đà Nẵng 2019 {t:.3}",
            d.id
        );
    }
}

#[test]
fn design_weights_add_up_to_the_frames_population() {
    // Probability proportional to size at every stage and every interview done: the weights papi
    // computes add up to each district's size in the frame, exactly.
    let frame =
        papi_sample::Frame::load(&repo().join("survey-defs/frames/binh-dinh.toml")).unwrap();
    for (args, tolerance) in [
        (vec!["--seed", "4"], 1e-9),
        (vec!["--seed", "4", "--count", "1000"], 1e-9),
    ] {
        let rows = rows(&simulate(&args, "csv"));
        let mut sums: BTreeMap<String, f64> = BTreeMap::new();
        for r in &rows {
            *sums.entry(r["district"].clone()).or_default() += r["weight"].parse::<f64>().unwrap();
        }
        assert_eq!(sums.len(), frame.units.len());
        for d in &frame.units {
            let size = d.effective_size().unwrap();
            let sum = sums[&d.name];
            assert!(
                (sum / size - 1.0).abs() < tolerance,
                "{args:?}: {} weights sum to {sum}, its size is {size}",
                d.name
            );
        }
    }
}

#[test]
fn bad_simulation_requests_are_refused_and_write_nothing() {
    let dir = tempdir();
    let out_path = dir.path().join("never.csv");
    let o = out_path.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["--profile", "atlantis:2018"],
            "no official scores for 'atlantis' in 2018",
        ),
        (vec!["--profile", "flat:11"], "[1, 10]"),
        (vec!["--profile", "best"], "use 'baseline'"),
        (
            vec!["--frame", "survey-defs/frames/atlantis.toml"],
            "--frame",
        ),
        (vec!["--per-village", "0"], "at least one interview"),
        (vec!["--count", "0"], "--count must be at least 1"),
    ] {
        let mut all = vec!["simulate", "--seed", "1", "-o", o];
        all.extend(args.iter());
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!out_path.exists(), "nothing is written");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file is left behind"
    );
}

#[test]
fn a_population_has_a_known_truth_and_samples_come_from_its_people() {
    let dir = tempdir();
    let population = ["--population-seed", "11", "--population-divisor", "40"];
    let mut args = vec!["simulate", "--truth"];
    args.extend(population);
    let out = ok(&args);
    let truth: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let survey = shipped_survey();
    let baseline = survey.baseline.as_ref().unwrap();
    let group = &truth["groups"][0];
    // Everyone is scored: the truth is the profile's, dimension by dimension.
    for (d, want) in group["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&baseline.dimensions)
    {
        let got = d["estimate"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 0.05,
            "{}: {got} against the profile's {want}",
            d["id"]
        );
    }
    assert!(
        stderr(&out).contains("adults (seed 11): true total"),
        "{}",
        stderr(&out)
    );
    // Two samples from the same population: the same people, other villages; the same sample twice is
    // the same bytes.
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for (name, sample_seed) in [("a.csv", "1"), ("b.csv", "2"), ("a-again.csv", "1")] {
        let mut args = vec!["simulate", "--sample-seed", sample_seed, "-o"];
        let p = path(name);
        args.push(&p);
        args.extend(population);
        ok(&args);
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("a.csv"), read("a-again.csv"));
    assert_ne!(read("a.csv"), read("b.csv"));
    assert_eq!(
        read("a.csv").lines().count(),
        705,
        "11 × 2 × 2 villages × 16 adults, and a header"
    );
    // The estimate from a sample is near the truth it claims to cover.
    let scored: serde_json::Value =
        serde_json::from_slice(&ok(&["score", "--responses", &path("a.csv")]).stdout).unwrap();
    let (lo, hi) = (
        scored["groups"][0]["total"]["ci_low"].as_f64().unwrap(),
        scored["groups"][0]["total"]["ci_high"].as_f64().unwrap(),
    );
    let t = group["total"]["estimate"].as_f64().unwrap();
    assert!(lo - 2.0 < t && t < hi + 2.0, "{lo}..{hi} and the truth {t}");
    // Options that make no sense are refused, naming the option.
    let out = run(&[
        "simulate",
        "--population-seed",
        "1",
        "--population-divisor",
        "0.5",
        "--truth",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--population-divisor"),
        "{}",
        stderr(&out)
    );
    let out = run(&["simulate", "--truth"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--population-seed"),
        "{}",
        stderr(&out)
    );
}
