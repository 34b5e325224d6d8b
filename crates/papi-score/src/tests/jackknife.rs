//! The JKn jackknife (`Variance::JackknifeJkn`): a case computed by hand; the engine against the
//! jackknife's definition applied to the rows (every replicate's weights written out, raked again row
//! by row when there are margins, every estimate recomputed from them); its degrees of freedom against
//! the rank of those weights; and the properties that hold on any data.

use super::properties::{assert_same_reports, case, weights_scaled, CASES};
use super::*;
use crate::design::Design;
use crate::replicate::rank::rank_from_gram;
use crate::replicate::{jkn, Replicate};
use crate::{score, Margins, Options, ScoreError, Variance};

fn jackknife(by: &[String], margins: Option<Margins>) -> Options {
    Options {
        by: by.to_vec(),
        margins,
        variance: Variance::JackknifeJkn,
        ..Options::default()
    }
}

/// One respondent who answered only `informed`.
fn informed(district: &str, commune: &str, weight: f64, yes: bool) -> [Option<String>; 7] {
    [
        Some(district.into()),
        Some(commune.into()),
        Some(weight.to_string()),
        None,
        None,
        None,
        Some(if yes { "yes" } else { "no" }.into()),
    ]
}

#[test]
fn a_small_jackknife_computed_by_hand() {
    // Stratum A: a1 (w 1, yes), a2 (w 1, no). Stratum B: b1 (w 2, yes), b2 (w 4, yes), b3 (w 2, no).
    // Full sample: 7 / 10 = 0.7. Replicates (the stratum's other PSUs × n_h/(n_h − 1)):
    //   without a1: 6/10 = 0.6      without a2: 8/10 = 0.8
    //   without b1: (1 + 6)/(2 + 9) = 7/11    without b2: (1 + 3)/(2 + 6) = 0.5
    //   without b3: (1 + 3 + 6)/(2 + 9) = 10/11
    let rows: Rows = vec![
        informed("A", "a1", 1.0, true),
        informed("A", "a2", 1.0, false),
        informed("B", "b1", 2.0, true),
        informed("B", "b2", 4.0, true),
        informed("B", "b3", 2.0, false),
    ];
    let replicates = [0.6, 0.8, 7.0 / 11.0, 0.5, 10.0 / 11.0];
    let rscales = [0.5, 0.5, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let mean = replicates.iter().sum::<f64>() / 5.0;
    let centred_at = |c: f64| -> f64 {
        replicates
            .iter()
            .zip(&rscales)
            .map(|(t, s)| s * (t - c) * (t - c))
            .sum()
    };
    let variance = centred_at(mean);
    // R's default centres at the replicates' mean, which is not the estimate here.
    assert!((mean - 0.7).abs() > 0.01 && (centred_at(0.7) - variance).abs() > 1e-4);

    let survey = survey(Layout::StrataAndClusters);
    let report = score(&survey, &frame(&rows), &jackknife(&[], None)).unwrap();
    let group = &report.groups[0];
    let ind = group
        .indicators
        .iter()
        .find(|i| i.id == "informed")
        .unwrap();
    assert_eq!(ind.value.estimate, Some(0.7));
    let se = ind.value.se.unwrap();
    assert!(
        (se - variance.sqrt()).abs() < 1e-14,
        "{se} vs {}",
        variance.sqrt()
    );
    // Its sub-dimension is 1 + 9 p: nine times the standard error.
    let information = group.dimensions[1].subdimensions[0].value.se.unwrap();
    assert!((information - 9.0 * se).abs() < 1e-13);
    // Five PSUs in two strata; the linearization's standard error is another number.
    assert_eq!(report.design.df, 3);
    assert_eq!(report.design.variance, Variance::JackknifeJkn);
    assert_eq!(report.design.replicates.as_ref().unwrap().replicates, 5);
    let linearized = score(&survey, &frame(&rows), &Options::default()).unwrap();
    let lin = linearized.groups[0].indicators[3].value.se.unwrap();
    assert!(
        (lin - se).abs() > 1e-3,
        "linearization {lin} vs jackknife {se}"
    );

    // A stratum with a single PSU adds a replicate that drops it and multiplies every other PSU by
    // H/(H − 1) = 3/2, and one degree of freedom: R's degf is 6 PSUs − 3 strata + 1.
    let mut lonely = rows.clone();
    lonely.push(informed("C", "c1", 3.0, true));
    let report = score(&survey, &frame(&lonely), &jackknife(&[], None)).unwrap();
    assert_eq!(report.design.df, 4);
    let se = report.groups[0].indicators[3].value.se.unwrap();
    // Full sample 10/13; the lonely replicate: (1.5 · 7)/(1.5 · 10) = 0.7 with rscale 2/3; the others
    // have C's 3 (yes) beside them: A's (6 + 3)/13, (8 + 3)/13; B's (7 + 3)/14, (4 + 3)/11, (10 + 3)/14.
    let replicates = [
        9.0 / 13.0,
        11.0 / 13.0,
        10.0 / 14.0,
        7.0 / 11.0,
        13.0 / 14.0,
        0.7,
    ];
    let rscales = [0.5, 0.5, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let mean = replicates.iter().sum::<f64>() / 6.0;
    let variance: f64 = replicates
        .iter()
        .zip(&rscales)
        .map(|(t, s)| s * (t - mean) * (t - mean))
        .sum();
    assert!(
        (se - variance.sqrt()).abs() < 1e-14,
        "{se} vs {}",
        variance.sqrt()
    );
}

/// Each indicator's score of each row (clinic_good, short_wait, road_ok, informed), None when missing.
fn scores(rows: &Rows) -> Vec<[Option<f64>; 4]> {
    rows.iter()
        .map(|r| {
            let quality = r[3].as_deref().map(|q| match q {
                "good" => 1.0,
                "fair" => 0.5,
                _ => 0.0,
            });
            let wait = r[4]
                .as_deref()
                .map(|w| 1.0 - (w.parse::<f64>().unwrap() / 120.0).clamp(0.0, 1.0));
            let yes_no = |x: Option<&str>| match x {
                Some("yes") => Some(1.0),
                Some("no") => Some(0.0),
                _ => None,
            };
            [
                quality,
                wait,
                yes_no(r[5].as_deref()),
                yes_no(r[6].as_deref()),
            ]
        })
        .collect()
}

/// Every replicate's weights on the rows, as R's replicate weights are: the design weight times the
/// replicate's multiplier of the row's PSU, raked (row by row) to the margins when there are any.
fn replicate_weights(
    design: &Design,
    df: &papi_table::Table,
    reps: &[Replicate],
    margins: Option<&Margins>,
) -> Vec<Vec<f64>> {
    reps.iter()
        .map(|rep| {
            let mut w: Vec<f64> = design
                .weights
                .iter()
                .zip(&design.psu)
                .map(|(w, &p)| w * rep.multiplier(p, design.psu_stratum[p as usize]))
                .collect();
            if let Some(m) = margins {
                m.rake(df, &mut w).unwrap();
            }
            w
        })
        .collect()
}

/// Σ_r rscale_r (θ_r − θ̄)² over the replicates where θ_r is defined.
fn jackknife_variance(values: &[f64], reps: &[Replicate]) -> f64 {
    let defined: Vec<(f64, f64)> = values
        .iter()
        .zip(reps)
        .filter(|(v, _)| v.is_finite())
        .map(|(v, r)| (*v, r.rscale))
        .collect();
    let mean = defined.iter().map(|d| d.0).sum::<f64>() / defined.len() as f64;
    defined
        .iter()
        .map(|(v, s)| s * (v - mean) * (v - mean))
        .sum()
}

/// The standard error of every estimate of each group, from the replicate weights: (group, id) → SE.
fn reference(
    design: &Design,
    scores: &[[Option<f64>; 4]],
    weights: &[Vec<f64>],
    reps: &[Replicate],
) -> BTreeMap<(usize, &'static str), f64> {
    let mut out = BTreeMap::new();
    for g in 0..design.groups.len() {
        // Per replicate: each indicator's ratio in the group, NaN where it has no denominator.
        let ratios: Vec<[f64; 4]> = weights
            .iter()
            .map(|w| {
                let mut sums = [[0.0f64; 2]; 4];
                for ((s, &wi), &gi) in scores.iter().zip(w).zip(&design.group) {
                    if gi as usize != g {
                        continue;
                    }
                    for (k, y) in s.iter().enumerate() {
                        if let Some(y) = y {
                            sums[k][0] += wi * y;
                            sums[k][1] += wi;
                        }
                    }
                }
                sums.map(|[n, d]| if d > 0.0 { n / d } else { f64::NAN })
            })
            .collect();
        let of = |f: &dyn Fn(&[f64; 4]) -> f64| -> f64 {
            let values: Vec<f64> = ratios.iter().map(f).collect();
            jackknife_variance(&values, reps).sqrt()
        };
        let health = |p: &[f64; 4]| (1.0 + 9.0 * (p[0] + p[1]) / 2.0) / 2.0;
        let roads = |p: &[f64; 4]| (1.0 + 9.0 * p[2]) / 2.0;
        let information = |p: &[f64; 4]| 1.0 + 9.0 * p[3];
        for (k, id) in ["clinic_good", "short_wait", "road_ok", "informed"]
            .into_iter()
            .enumerate()
        {
            out.insert((g, id), of(&|p| p[k]));
        }
        out.insert((g, "health"), of(&health));
        out.insert((g, "roads"), of(&roads));
        out.insert((g, "services"), of(&|p| health(p) + roads(p)));
        out.insert((g, "information"), of(&information));
        out.insert((g, "voice"), of(&information));
        out.insert((g, "total"), of(&|p| health(p) + roads(p) + information(p)));
    }
    out
}

/// The rank of the replicate weights, as R's `qr` computes it, from their explicit columns.
fn rank_of(weights: &[Vec<f64>]) -> usize {
    let n = weights.len();
    let mut g = vec![0.0; n * n];
    for r in 0..n {
        for s in 0..n {
            g[r * n + s] = weights[r].iter().zip(&weights[s]).map(|(a, b)| a * b).sum();
        }
    }
    rank_from_gram(&g, n)
}

/// Margins on the answer to `road`, a tenth to a fifth off the sample's weighted counts.
fn road_margins(rows: &Rows) -> Margins {
    let mut totals = BTreeMap::new();
    for r in rows {
        *totals.entry(r[5].clone().unwrap()).or_insert(0.0) +=
            r[2].as_deref().unwrap().parse::<f64>().unwrap();
    }
    let mut toml = String::from("[[margins]]\ncolumns = [\"road\"]\ncells = [\n");
    for (i, (answer, total)) in totals.iter().enumerate() {
        let population = total * [0.9, 1.2, 1.1][i % 3];
        toml.push_str(&format!(
            "  {{ road = \"{answer}\", population = {population} }},\n"
        ));
    }
    toml.push_str("]\n");
    Margins::from_toml(&toml, "road.toml").unwrap()
}

#[test]
fn every_standard_error_and_df_is_the_jackknife_of_the_rows_replicate_weights() {
    let (mut compared, mut raked_cases, mut refused) = (0, 0, 0);
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let df = frame(&rows);
        for margins in [None, Some(road_margins(&rows))] {
            let report = match score(&survey, &df, &jackknife(&by, margins.clone())) {
                Ok(r) => r,
                Err(ScoreError::Options(m)) if m.contains("at least two PSUs") => {
                    refused += 1;
                    continue;
                }
                // A replicate leaves a margin cell empty (raking it would divide by zero).
                Err(ScoreError::Margins { message, .. })
                    if message.contains("leaves no respondent") =>
                {
                    refused += 1;
                    continue;
                }
                Err(e) => panic!("case {seed}: {e}"),
            };
            raked_cases += usize::from(margins.is_some());
            let design = Design::new(&survey, &df, &by).unwrap();
            let reps = jkn(&design).unwrap();
            let weights = replicate_weights(&design, &df, &reps, margins.as_ref());
            assert_eq!(
                report.design.df,
                rank_of(&weights) as i64 - 1,
                "case {seed}, margins {}: df",
                margins.is_some()
            );
            let expected = reference(&design, &scores(&rows), &weights, &reps);
            // Raked row by row to 1e-9: the reference is that close.
            let tolerance = if margins.is_some() { 1e-6 } else { 1e-10 };
            for (g, group) in report.groups.iter().enumerate() {
                let mut check = |id: &str, e: &Estimate| {
                    if e.estimate.is_none() {
                        return;
                    }
                    let key = expected.keys().find(|k| k.0 == g && k.1 == id).unwrap();
                    let want = expected[key];
                    let what = format!(
                        "case {seed}, margins {}, group {g}, {id}",
                        margins.is_some()
                    );
                    let se = e.se.unwrap_or_else(|| panic!("{what}: no SE, want {want}"));
                    assert!(
                        (se - want).abs() <= tolerance * want.max(1e-3),
                        "{what}: SE {se} vs {want}"
                    );
                    compared += 1;
                };
                check("total", &group.total);
                for d in &group.dimensions {
                    check(&d.id, &d.value);
                    for s in &d.subdimensions {
                        check(&s.id, &s.value);
                    }
                }
                for i in &group.indicators {
                    check(&i.id, &i.value);
                }
            }
        }
    }
    eprintln!("{compared} SEs compared, {raked_cases} raked cases, {refused} cases refused");
    assert!(
        compared > 500 && raked_cases > 5,
        "{compared} SEs compared, {raked_cases} raked cases, {refused} refused"
    );
}

#[test]
fn permuting_rows_changes_nothing_under_the_jackknife() {
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let mut permuted = rows.clone();
        let mut rng = Rng(seed ^ 0x5A5A);
        for i in (1..permuted.len()).rev() {
            permuted.swap(i, rng.below(i + 1));
        }
        for margins in [None, Some(road_margins(&rows))] {
            let raked = margins.is_some();
            let options = jackknife(&by, margins);
            let (a, b) = (
                score(&survey, &frame(&rows), &options),
                score(&survey, &frame(&permuted), &options),
            );
            match (a, b) {
                (Ok(a), Ok(b)) if raked && a.design.df != b.design.df => {
                    // R's degf of raked replicates is a numerical rank (qr, tol 1e-5) taken in the
                    // order of the PSUs: a column just above the tolerance in one order can fall
                    // just below it in another (here: many PSUs of one respondent each). Everything
                    // but df and the intervals built on it stays the same.
                    assert!((a.design.df - b.design.df).abs() <= 1, "case {seed}");
                    let (a, b) = (by_key(&a), by_key(&b));
                    for (key, x) in &a {
                        let y = &b[key];
                        for (p, q) in [(x.estimate, y.estimate), (x.se, y.se), (x.deff, y.deff)] {
                            assert!(same(p, q), "case {seed}: {key:?}: {p:?} vs {q:?}");
                        }
                    }
                }
                (Ok(a), Ok(b)) => assert_same_reports(&a, &b, &format!("case {seed}, permuted")),
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "case {seed}"),
                (a, b) => panic!("case {seed}: {:?} vs {:?}", a.err(), b.err()),
            }
        }
    }
}

#[test]
fn scaling_the_weights_changes_no_estimate_or_standard_error_under_the_jackknife() {
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let factor = [0.013, 7.25, 1250.0][seed as usize % 3];
        let scaled = weights_scaled(&rows, factor);
        // Margins fix the weights' scale: raked, both are raked to the same totals.
        for margins in [None, Some(road_margins(&rows))] {
            let options = jackknife(&by, margins);
            match (
                score(&survey, &frame(&rows), &options),
                score(&survey, &frame(&scaled), &options),
            ) {
                (Ok(a), Ok(b)) => {
                    assert_same_reports(&a, &b, &format!("case {seed}, weights × {factor}"))
                }
                (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "case {seed}"),
                (a, b) => panic!("case {seed}: {:?} vs {:?}", a.err(), b.err()),
            }
        }
    }
}

#[test]
fn linearization_is_the_default_and_says_nothing_of_replicates() {
    let rows = rows(&mut Rng(3), 3, 3, 6);
    let report = score(
        &survey(Layout::StrataAndClusters),
        &frame(&rows),
        &Options::default(),
    )
    .unwrap();
    let json = serde_json::to_value(&report.design).unwrap();
    assert!(json.get("variance").is_none() && json.get("replicates").is_none());
    let report = score(
        &survey(Layout::StrataAndClusters),
        &frame(&rows),
        &jackknife(&[], None),
    )
    .unwrap();
    let json = serde_json::to_value(&report.design).unwrap();
    assert_eq!(json["variance"], "jackknife");
    assert_eq!(json["replicates"]["type"], "JKn");
    assert_eq!(json["replicates"]["replicates"], 9);
    assert_eq!(json["replicates"]["centred_at"], "replicate_mean");
}

#[test]
fn many_raked_replicates_take_replicates_minus_one_as_df_and_say_so() {
    // Without clusters every respondent is a PSU: 2,100 replicates, above what papi ranks.
    let rows = rows(&mut Rng(11), 1, 1, 2_100);
    let survey = survey(Layout::Neither);
    let report = score(
        &survey,
        &frame(&rows),
        &jackknife(&[], Some(road_margins(&rows))),
    )
    .unwrap();
    let replicates = report.design.replicates.as_ref().unwrap();
    assert_eq!(replicates.replicates, 2_100);
    assert!(!replicates.df_from_rank);
    assert_eq!(report.design.df, 2_099);
    assert!(report
        .design
        .warnings
        .iter()
        .any(|w| w.contains("2100 raked replicates: df is taken as replicates − 1")));
    // Unraked, the rank is known exactly: n − 1 for one stratum.
    let report = score(&survey, &frame(&rows), &jackknife(&[], None)).unwrap();
    assert!(report.design.replicates.as_ref().unwrap().df_from_rank);
    assert_eq!(report.design.df, 2_099);
}
