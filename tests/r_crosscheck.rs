//! The scoring engine against R's `survey` package: on generated data with strata, clusters, unequal
//! weights, "don't know"s and empty answers, a stratum with a single PSU, numeric and select_multiple
//! indicators, every estimate, standard error, 95% interval (t with `df = degf(design)`, and normal),
//! degrees of freedom and design effect (`deff = "replace"`), overall and for domains (`svyby`), agrees
//! to 1e-6 relative; so do designs without strata or without clusters, and raked weights and estimates.
//! The jackknife (`--variance jackknife`) is checked against R's JKn replicate design in `jackknife.rs`,
//! and the comparison of two waves sharing communes against R's stacked design in `panel.rs`.
//! Each test prints the largest difference of each quantity.
//!
//! Needs `Rscript` with the `survey` package (Debian: r-base-core r-cran-survey); CI installs them,
//! and there a missing R fails this test.

#[path = "r_crosscheck/jackknife.rs"]
mod jackknife;
#[path = "r_crosscheck/margins.rs"]
mod margins;
#[path = "r_crosscheck/panel.rs"]
mod panel;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use margins::{Margins, POPULATIONS};
use papi_survey::{Scoring, Survey};
use serde_json::Value;

/// The districts (strata) of generated interviews and their communes: the last has one.
const DISTRICTS: [(&str, usize); 6] = [
    ("Tây Sơn", 4),
    ("An Lão", 3),
    ("Phù Cát", 5),
    ("Vân Canh", 2),
    ("Hoài Ân", 3),
    ("Vĩnh Thạnh", 1),
];

/// Interviews for tests/fixtures/small.toml: six districts (strata), the last with one commune.
fn generate(path: &Path, seed: u64) {
    generate_in(path, seed, &DISTRICTS);
}

/// Interviews for tests/fixtures/small.toml in `districts` (name, communes).
fn generate_in(path: &Path, seed: u64, districts: &[(&str, usize)]) {
    let mut rng = Rng(seed);
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "id",
        "province",
        "district",
        "commune",
        "weight",
        "sex",
        "age",
        "visited_clinic",
        "clinic_quality",
        "wait_minutes",
        "road_good",
        "channels",
        "comment",
        "last_visit",
    ])
    .unwrap();
    let mut n = 0;
    for (d, (district, communes)) in districts.iter().enumerate() {
        let effect = rng.next() * 0.4 - 0.2;
        for c in 0..*communes {
            let size = 4 + (rng.next() * 9.0) as usize;
            for _ in 0..size {
                n += 1;
                let visited = if rng.next() < 0.6 {
                    "yes"
                } else {
                    rng.pick(&["no", "dk"])
                };
                let quality = if visited == "yes" && rng.next() < 0.93 {
                    if rng.next() < 0.5 + effect {
                        "good"
                    } else {
                        rng.pick(&["fair", "poor"])
                    }
                } else {
                    ""
                };
                let wait = if visited == "yes" && rng.next() < 0.9 {
                    format!("{:.1}", rng.next() * 180.0)
                } else {
                    String::new()
                };
                let road = if rng.next() < 0.08 {
                    "dk"
                } else if rng.next() < 0.55 - effect {
                    "yes"
                } else {
                    "no"
                };
                let channels = match (rng.next() * 6.0) as u32 {
                    0 => "radio",
                    1 => "board",
                    2 => "radio board",
                    3 => "none",
                    4 => "",
                    _ => "board",
                };
                let weight = format!("{:.3}", 50.0 + rng.next() * 450.0 * (1.0 + d as f64 / 3.0));
                w.write_record([
                    format!("00000000-0000-4000-8000-{n:012}"),
                    "Bình Định".into(),
                    district.to_string(),
                    format!("{district} · xã {}", c + 1),
                    weight,
                    rng.pick(&["yes", "no"]).to_owned(),
                    format!("{}", 18 + (rng.next() * 70.0) as u32),
                    visited.into(),
                    quality.into(),
                    wait,
                    road.into(),
                    channels.into(),
                    String::new(),
                    String::new(),
                ])
                .unwrap();
            }
        }
    }
    w.flush().unwrap();
}

/// Writes the score columns R needs, computed here independently of the engine, and the combos.
fn r_inputs(survey: &Survey, data: &Path, scores: &Path, combos: &Path, weights: Option<&[f64]>) {
    let mut r = csv::Reader::from_path(data).unwrap();
    let rows: Vec<BTreeMap<String, String>> = r.deserialize().map(|x| x.unwrap()).collect();
    let mut w = csv::Writer::from_path(scores).unwrap();
    let mut header = vec![
        "stratum".to_owned(),
        "cluster".into(),
        "weight".into(),
        "sex".into(),
        "district".into(),
    ];
    for ind in &survey.indicators {
        header.push(format!("num_{}", ind.id));
        header.push(format!("den_{}", ind.id));
    }
    w.write_record(&header).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let weight = weights
            .map(|w| w[i].to_string())
            .unwrap_or_else(|| row["weight"].clone());
        let mut out = vec![
            row["district"].clone(),
            row["commune"].clone(),
            weight,
            row["sex"].clone(),
            row["district"].clone(),
        ];
        for ind in &survey.indicators {
            let cell = row[&survey.questions[ind.question].id].trim().to_owned();
            let y: Option<f64> = match &ind.scoring {
                Scoring::Values(v) => v.iter().find(|(k, _)| *k == cell).map(|(_, s)| *s),
                Scoring::Range { lo, hi, reverse } => cell.parse::<f64>().ok().map(|x| {
                    let s = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
                    if *reverse {
                        1.0 - s
                    } else {
                        s
                    }
                }),
                Scoring::AnyOf(any) => (!cell.is_empty()).then(|| {
                    if cell.split(' ').any(|c| any.iter().any(|a| a == c)) {
                        1.0
                    } else {
                        0.0
                    }
                }),
            };
            out.push(y.unwrap_or(0.0).to_string());
            out.push(if y.is_some() { "1" } else { "0" }.to_owned());
        }
        w.write_record(&out).unwrap();
    }
    w.flush().unwrap();
    // Sub-dimension s of dimension d: (1 + 9 · mean of its indicators) / n_d; the dimension is the sum
    // of its sub-dimensions and the total the sum of the dimensions.
    let mut c = csv::Writer::from_path(combos).unwrap();
    c.write_record(["combo", "indicator", "coefficient", "constant"])
        .unwrap();
    let mut total_constant = 0.0;
    let mut total: Vec<(String, f64)> = Vec::new();
    for dim in &survey.dimensions {
        let n_d = dim.subdimensions.len() as f64;
        let mut dim_terms: Vec<(String, f64)> = Vec::new();
        for sub in &dim.subdimensions {
            let wsum: f64 = sub
                .indicators
                .iter()
                .map(|&k| survey.indicators[k].weight)
                .sum();
            for &k in &sub.indicators {
                let a = 9.0 / n_d * survey.indicators[k].weight / wsum;
                let id = &survey.indicators[k].id;
                c.write_record([
                    format!("subdimension:{}", sub.id),
                    id.clone(),
                    a.to_string(),
                    (1.0 / n_d).to_string(),
                ])
                .unwrap();
                dim_terms.push((id.clone(), a));
            }
        }
        for (id, a) in &dim_terms {
            c.write_record([
                format!("dimension:{}", dim.id),
                id.clone(),
                a.to_string(),
                "1".into(),
            ])
            .unwrap();
        }
        total_constant += 1.0;
        total.extend(dim_terms);
    }
    for (id, a) in &total {
        c.write_record([
            "total:total".to_string(),
            id.clone(),
            a.to_string(),
            total_constant.to_string(),
        ])
        .unwrap();
    }
    c.flush().unwrap();
}

/// Which design columns a run uses: R's `svydesign` and papi's `[design]` alike.
#[derive(Clone, Copy, Debug)]
enum Layout {
    StrataAndClusters,
    StrataOnly,
    ClustersOnly,
    Neither,
}

impl Layout {
    fn r_name(self) -> &'static str {
        match self {
            Layout::StrataAndClusters => "strata+cluster",
            Layout::StrataOnly => "strata",
            Layout::ClustersOnly => "cluster",
            Layout::Neither => "none",
        }
    }

    /// tests/fixtures/small.toml without the design lines this layout does not use.
    fn definition(self, dir: &Path) -> std::path::PathBuf {
        let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
        let (strata, cluster) = ("strata = \"district\"\n", "cluster = \"commune\"\n");
        assert!(text.contains(strata) && text.contains(cluster));
        let text = match self {
            Layout::StrataAndClusters => return fixture("small.toml"),
            Layout::StrataOnly => text.replacen(cluster, "", 1),
            Layout::ClustersOnly => text.replacen(strata, "", 1),
            Layout::Neither => text.replacen(strata, "", 1).replacen(cluster, "", 1),
        };
        let path = dir.join(format!("small-{}.toml", self.r_name().replace('+', "-")));
        write(&path, &text);
        path
    }
}

/// One estimate as R computes it.
#[derive(Debug)]
struct RRow {
    key: (String, String, String),
    estimate: f64,
    se: f64,
    ci: (f64, f64),
    ci_normal: (f64, f64),
    df: i64,
    deff: f64,
}

fn run_r(
    scores: &Path,
    combos: &Path,
    out: &Path,
    by: Option<&str>,
    layout: Layout,
    margins: Option<(&Path, &Path)>,
) -> Vec<RRow> {
    run_r_script("crosscheck.R", scores, combos, out, by, layout, margins)
}

/// Runs `script` (in tests/r/, with crosscheck.R's arguments and output) and reads R's estimates.
fn run_r_script(
    script: &str,
    scores: &Path,
    combos: &Path,
    out: &Path,
    by: Option<&str>,
    layout: Layout,
    margins: Option<(&Path, &Path)>,
) -> Vec<RRow> {
    let mut cmd = Command::new("Rscript");
    cmd.arg(repo().join("tests/r").join(script))
        .arg(scores)
        .arg(combos)
        .arg(out)
        .arg(by.unwrap_or("-"))
        .arg(layout.r_name());
    if let Some((a, b)) = margins {
        cmd.arg(a).arg(b);
    }
    let o = cmd.output().expect("Rscript runs");
    assert!(
        o.status.success(),
        "R failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut r = csv::Reader::from_path(out).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| rec[i].parse::<f64>().unwrap_or(f64::NAN);
            RRow {
                key: (rec[0].to_owned(), rec[1].to_owned(), rec[2].to_owned()),
                estimate: num(3),
                se: num(4),
                ci: (num(5), num(6)),
                ci_normal: (num(7), num(8)),
                df: rec[9].parse().unwrap(),
                deff: num(10),
            }
        })
        .collect()
}

/// One estimate as papi reports it.
#[derive(Debug, Clone, Copy)]
struct Ours {
    estimate: Option<f64>,
    se: Option<f64>,
    ci: (Option<f64>, Option<f64>),
    df: i64,
    deff: Option<f64>,
}

/// papi's estimates by (group, level, id).
fn ours(report: &Value, by: Option<&str>) -> BTreeMap<(String, String, String), Ours> {
    let mut out = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        let group = by
            .map(|b| g["by"][b].as_str().unwrap().to_owned())
            .unwrap_or_default();
        let mut put = |level: &str, id: &str, v: &Value| {
            out.insert(
                (group.clone(), level.to_owned(), id.to_owned()),
                Ours {
                    estimate: v["estimate"].as_f64(),
                    se: v["se"].as_f64(),
                    ci: (v["ci_low"].as_f64(), v["ci_high"].as_f64()),
                    df: v["df"].as_i64().expect("every estimate has its df"),
                    deff: v["deff"].as_f64(),
                },
            );
        };
        put("total", "total", &g["total"]);
        for d in g["dimensions"].as_array().unwrap() {
            put("dimension", d["id"].as_str().unwrap(), d);
            for s in d["subdimensions"].as_array().unwrap() {
                put("subdimension", s["id"].as_str().unwrap(), s);
            }
        }
        for i in g["indicators"].as_array().unwrap() {
            put("indicator", i["id"].as_str().unwrap(), i);
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 || (a - b).abs() <= 1e-6 * b.abs().max(a.abs())
}

fn relative(a: f64, b: f64) -> f64 {
    if b.abs() > 1e-9 {
        (a - b).abs() / b.abs()
    } else {
        0.0
    }
}

/// How far papi is from R, quantity by quantity: the largest relative difference of each.
#[derive(Debug, Default)]
struct Gaps {
    estimates: usize,
    estimate_and_se: f64,
    /// t interval: its bounds and its half-width.
    interval: f64,
    /// Normal interval, when a normal run was compared.
    normal_interval: f64,
    normal_compared: usize,
    /// Estimates whose df equals R's `degf(design)` (a mismatch fails at once).
    df_equal: usize,
    deff: f64,
    deff_compared: usize,
    /// Estimates that do not vary (SE of rounding size): R's deff is noise over noise, papi's null.
    deff_null_without_variation: usize,
}

impl Gaps {
    fn merge(&mut self, o: Gaps) {
        self.estimates += o.estimates;
        self.estimate_and_se = self.estimate_and_se.max(o.estimate_and_se);
        self.interval = self.interval.max(o.interval);
        self.normal_interval = self.normal_interval.max(o.normal_interval);
        self.normal_compared += o.normal_compared;
        self.df_equal += o.df_equal;
        self.deff = self.deff.max(o.deff);
        self.deff_compared += o.deff_compared;
        self.deff_null_without_variation += o.deff_null_without_variation;
    }

    fn summary(&self) -> String {
        let normal = if self.normal_compared > 0 {
            format!(
                "normal interval {:e} ({} compared), ",
                self.normal_interval, self.normal_compared
            )
        } else {
            String::new()
        };
        format!(
            "{} estimates; largest relative difference: estimate and SE {:e}, t interval (bounds and half-width) {:e}, {normal}deff {:e} ({} compared, {} null where the estimate does not vary); df equal to degf(design) on {}",
            self.estimates,
            self.estimate_and_se,
            self.interval,
            self.deff,
            self.deff_compared,
            self.deff_null_without_variation,
            self.df_equal
        )
    }
}

/// An interval of papi against R's: both bounds and the half-width, to 1e-6 relative.
fn interval_gap(
    key: &impl std::fmt::Debug,
    what: &str,
    e: f64,
    ours: (Option<f64>, Option<f64>),
    r: (f64, f64),
) -> f64 {
    let (lo, hi) = (
        ours.0
            .unwrap_or_else(|| panic!("{key:?}: papi has no {what} interval")),
        ours.1.unwrap(),
    );
    assert!(
        close(lo, r.0),
        "{key:?}: {what} ci_low papi {lo} vs R {}",
        r.0
    );
    assert!(
        close(hi, r.1),
        "{key:?}: {what} ci_high papi {hi} vs R {}",
        r.1
    );
    let (half, r_half) = (hi - e, r.1 - e);
    assert!(
        close(half, r_half),
        "{key:?}: {what} half-width papi {half} vs R {r_half}"
    );
    relative(lo, r.0)
        .max(relative(hi, r.1))
        .max(relative(half, r_half))
}

/// Compares every estimate R computed with papi's t run (and normal run, if given).
fn compare(
    t_run: &BTreeMap<(String, String, String), Ours>,
    normal_run: Option<&BTreeMap<(String, String, String), Ours>>,
    r: &[RRow],
) -> Gaps {
    let mut gaps = Gaps::default();
    for row in r {
        let key = &row.key;
        let o = t_run
            .get(key)
            .unwrap_or_else(|| panic!("papi has no {key:?}"));
        assert_eq!(
            o.df, row.df,
            "{key:?}: df papi {} vs R degf {}",
            o.df, row.df
        );
        gaps.df_equal += 1;
        if row.estimate.is_nan() {
            assert!(
                o.estimate.is_none(),
                "{key:?}: R has no estimate, papi has {:?}",
                o.estimate
            );
            continue;
        }
        let (e, s) = (
            o.estimate.expect("an estimate"),
            o.se.expect("a standard error"),
        );
        assert!(
            close(e, row.estimate),
            "{key:?}: estimate papi {e} vs R {}",
            row.estimate
        );
        assert!(close(s, row.se), "{key:?}: SE papi {s} vs R {}", row.se);
        gaps.estimate_and_se = gaps
            .estimate_and_se
            .max(relative(e, row.estimate))
            .max(relative(s, row.se));
        gaps.estimates += 1;
        gaps.interval = gaps.interval.max(interval_gap(key, "t", e, o.ci, row.ci));
        if let Some(n) = normal_run {
            let on = n[key];
            assert_eq!(
                on.estimate, o.estimate,
                "{key:?}: the interval changes no estimate"
            );
            gaps.normal_interval =
                gaps.normal_interval
                    .max(interval_gap(key, "normal", e, on.ci, row.ci_normal));
            gaps.normal_compared += 1;
        }
        match (o.deff, row.deff.is_finite()) {
            (Some(d), true) => {
                assert!(
                    close(d, row.deff),
                    "{key:?}: deff papi {d} vs R {}",
                    row.deff
                );
                gaps.deff = gaps.deff.max(relative(d, row.deff));
                gaps.deff_compared += 1;
            }
            (None, false) => {}
            // Every answer the same: R divides rounding noise by rounding noise, papi gives null.
            (None, true) if s <= 1e-10 * e.abs() => gaps.deff_null_without_variation += 1,
            (d, _) => panic!("{key:?}: deff papi {d:?} vs R {}", row.deff),
        }
    }
    gaps
}

/// `papi score` on the generated interviews, as JSON.
fn papi_score(def: &Path, data: &Path, by: Option<&str>, extra: &[&str]) -> (Value, String) {
    let mut args = vec![
        "score",
        "--survey",
        def.to_str().unwrap(),
        "--responses",
        data.to_str().unwrap(),
        "--format",
        "json",
    ];
    if let Some(b) = by {
        args.extend(["--by", b]);
    }
    args.extend_from_slice(extra);
    let out = ok(&args);
    (serde_json::from_slice(&out.stdout).unwrap(), stderr(&out))
}

needs! { r_survey:
fn estimates_intervals_df_and_design_effects_equal_rs_survey_package() {
    let dir = tempdir();
    let data = dir.path().join("interviews.csv");
    generate(&data, 2019);
    let survey = Survey::load(fixture("small.toml")).unwrap();
    let (scores, combos) = (dir.path().join("scores.csv"), dir.path().join("combos.csv"));
    r_inputs(&survey, &data, &scores, &combos, None);
    let def = fixture("small.toml");
    let mut gaps = Gaps::default();
    for by in [None, Some("district"), Some("sex")] {
        let (report, err) = papi_score(&def, &data, by, &[]);
        if by.is_none() {
            assert!(
                err.contains("single PSU (Vĩnh Thạnh)"),
                "the lonely PSU is reported: {err}"
            );
            // 18 communes in 6 districts.
            assert_eq!(report["design"]["df"], 12);
            assert_eq!(report["design"]["interval"], "t");
        }
        let (normal, _) = papi_score(&def, &data, by, &["--interval", "normal"]);
        assert_eq!(normal["design"]["interval"], "normal");
        let r = run_r(
            &scores,
            &combos,
            &dir.path().join("r.csv"),
            by,
            Layout::StrataAndClusters,
            None,
        );
        let g = compare(&ours(&report, by), Some(&ours(&normal, by)), &r);
        assert!(g.estimates > 0 && g.deff_compared > 0);
        gaps.merge(g);
    }
    eprintln!("R cross-check: {}", gaps.summary());
    // Ten estimates in each of nine groups: the whole sample, six districts, two sexes.
    assert_eq!(gaps.estimates, 10 * 9);
    assert_eq!(gaps.normal_compared, gaps.estimates);
}
}

needs! { r_survey:
fn designs_without_strata_or_clusters_have_rs_degrees_of_freedom() {
    let dir = tempdir();
    let data = dir.path().join("interviews.csv");
    generate(&data, 7);
    let survey = Survey::load(fixture("small.toml")).unwrap();
    let (scores, combos) = (dir.path().join("scores.csv"), dir.path().join("combos.csv"));
    r_inputs(&survey, &data, &scores, &combos, None);
    let respondents = csv::Reader::from_path(&data).unwrap().records().count() as i64;
    let mut gaps = Gaps::default();
    // Each respondent is a PSU without clusters; the sample is one stratum without strata.
    for (layout, df) in [
        (Layout::StrataOnly, respondents - 6),
        (Layout::ClustersOnly, 18 - 1),
        (Layout::Neither, respondents - 1),
    ] {
        let def = layout.definition(dir.path());
        for by in [None, Some("district")] {
            let (report, _) = papi_score(&def, &data, by, &[]);
            assert_eq!(report["design"]["df"], df, "{layout:?}");
            let r = run_r(
                &scores,
                &combos,
                &dir.path().join("r.csv"),
                by,
                layout,
                None,
            );
            gaps.merge(compare(&ours(&report, by), None, &r));
        }
    }
    eprintln!(
        "R cross-check of designs without strata or clusters: {}",
        gaps.summary()
    );
    // Three layouts, each over the whole sample and six districts, ten estimates in each.
    assert_eq!(gaps.estimates, 3 * 7 * 10);
}
}

needs! { r_survey:
fn unweighted_scores_equal_rs_design_with_equal_weights() {
    let dir = tempdir();
    let data = dir.path().join("interviews.csv");
    generate(&data, 41);
    let survey = Survey::load(fixture("small.toml")).unwrap();
    let respondents = csv::Reader::from_path(&data).unwrap().records().count();
    let (scores, combos) = (dir.path().join("scores.csv"), dir.path().join("combos.csv"));
    // R is given every respondent the same weight; papi is told to leave the weights out.
    r_inputs(
        &survey,
        &data,
        &scores,
        &combos,
        Some(&vec![1.0; respondents]),
    );
    let def = fixture("small.toml");
    let mut gaps = Gaps::default();
    for by in [None, Some("district")] {
        let (report, _) = papi_score(&def, &data, by, &["--unweighted"]);
        assert_eq!(report["design"]["unweighted"], true);
        assert_eq!(report["design"]["weights"], Value::Null);
        let (weighted, _) = papi_score(&def, &data, by, &[]);
        assert_ne!(
            report["groups"][0]["total"]["estimate"], weighted["groups"][0]["total"]["estimate"],
            "the generated weights are unequal, so leaving them out moves the estimate"
        );
        let r = run_r(
            &scores,
            &combos,
            &dir.path().join("r.csv"),
            by,
            Layout::StrataAndClusters,
            None,
        );
        gaps.merge(compare(&ours(&report, by), None, &r));
    }
    eprintln!("R cross-check of unweighted scores: {}", gaps.summary());
    assert_eq!(gaps.estimates, 7 * 10);
    // Margins rake weights; an unweighted score has none to rake.
    let files = Margins::write(dir.path(), &POPULATIONS);
    let out = run(&[
        "score",
        "--survey",
        def.to_str().unwrap(),
        "--responses",
        data.to_str().unwrap(),
        "--unweighted",
        "--margins",
        files.toml.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--margins"), "{}", stderr(&out));
}
}

needs! { r_survey:
fn raked_weights_and_estimates_equal_rs_rake() {
    let dir = tempdir();
    let data = dir.path().join("interviews.csv");
    generate(&data, 53);
    let survey = Survey::load(fixture("small.toml")).unwrap();
    let files = Margins::write(dir.path(), &POPULATIONS);
    let margins = &files.toml;
    let weights_out = dir.path().join("weights.csv");
    let def = fixture("small.toml");
    let out = ok(&[
        "score",
        "--survey",
        def.to_str().unwrap(),
        "--responses",
        data.to_str().unwrap(),
        "--margins",
        margins.to_str().unwrap(),
        "--weights-out",
        weights_out.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["design"]["raked"]["max_relative_gap"]
            .as_f64()
            .unwrap()
            < 1e-9
    );

    // R rakes the original design weights to the same margins.
    let (scores, combos) = (dir.path().join("scores.csv"), dir.path().join("combos.csv"));
    r_inputs(&survey, &data, &scores, &combos, None);
    let (m_sex, m_district) = (&files.sex, &files.district);
    let (r_weights, r_est) = (dir.path().join("rw.csv"), dir.path().join("re.csv"));
    let o = Command::new("Rscript")
        .arg(repo().join("tests/r/rake.R"))
        .args([&scores, m_sex, m_district, &r_weights, &r_est])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "R failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let read_col = |p: &Path, col: usize| -> Vec<String> {
        csv::Reader::from_path(p)
            .unwrap()
            .records()
            .map(|r| r.unwrap()[col].to_owned())
            .collect()
    };
    let ours_w: Vec<f64> = read_col(&weights_out, 1)
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    let r_w: Vec<f64> = read_col(&r_weights, 0)
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(ours_w.len(), r_w.len());
    let mut worst = 0.0f64;
    for (i, (a, b)) in ours_w.iter().zip(&r_w).enumerate() {
        assert!(
            close(*a, *b),
            "row {}: raked weight papi {a} vs R {b}",
            i + 1
        );
        worst = worst.max((a - b).abs() / b);
    }
    let ids = read_col(&r_est, 0);
    let est = read_col(&r_est, 1);
    let raked = ours(&report, None);
    for (id, e) in ids.iter().zip(&est) {
        let e: f64 = e.parse().unwrap();
        let mine = raked[&(String::new(), "indicator".to_owned(), id.clone())]
            .estimate
            .unwrap();
        assert!(close(mine, e), "{id}: raked estimate papi {mine} vs R {e}");
        worst = worst.max((mine - e).abs() / e.abs());
    }
    // Estimates, standard errors, intervals and design effects of the raked design (R's
    // calibration-aware variance), overall and by district.
    let mut gaps = Gaps::default();
    for by in [None, Some("district")] {
        let mut args = vec![
            "score",
            "--survey",
            def.to_str().unwrap(),
            "--responses",
            data.to_str().unwrap(),
            "--margins",
            margins.to_str().unwrap(),
        ];
        if let Some(b) = by {
            args.extend(["--by", b]);
        }
        let report: Value = serde_json::from_slice(&ok(&args).stdout).unwrap();
        let r = run_r(
            &scores,
            &combos,
            &dir.path().join("rr.csv"),
            by,
            Layout::StrataAndClusters,
            Some((m_sex, m_district)),
        );
        gaps.merge(compare(&ours(&report, by), None, &r));
    }
    assert!(gaps.deff_compared > 0);
    eprintln!(
        "R rake cross-check: {} weights and raked estimates, largest relative difference {worst:e}; the raked design: {}",
        r_w.len(),
        gaps.summary()
    );
}
}
