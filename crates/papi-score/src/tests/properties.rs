//! Properties of the method that hold on any data set and design: generated cases with and without
//! strata and clusters, overall and by district.

use super::*;
use crate::{score, Options, Report};

pub(super) const CASES: u64 = 24;

/// Case `seed`: a design layout, interviews, and the domains to score.
pub(super) fn case(seed: u64) -> (Survey, Rows, Vec<String>) {
    let mut rng = Rng(seed);
    let layout = Layout::ALL[rng.below(Layout::ALL.len())];
    let districts = 1 + rng.below(4);
    let communes = 1 + rng.below(4);
    let per_commune = 2 + rng.below(14);
    let rows = rows(&mut rng, districts, communes, per_commune);
    let by = if seed % 2 == 0 {
        Vec::new()
    } else {
        vec!["district".to_owned()]
    };
    (survey(layout), rows, by)
}

fn scored(survey: &Survey, rows: &Rows, by: &[String]) -> Report {
    let options = Options {
        by: by.to_vec(),
        ..Options::default()
    };
    score(survey, &frame(rows), &options).unwrap()
}

/// Every number of two reports agrees (1e-9 relative), and df and flags are equal.
pub(super) fn assert_same_reports(a: &Report, b: &Report, what: &str) {
    assert_eq!(a.design.df, b.design.df, "{what}: df");
    let (a, b) = (by_key(a), by_key(b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (key, x) in &a {
        let y = &b[key];
        for (name, p, q) in [
            ("estimate", x.estimate, y.estimate),
            ("se", x.se, y.se),
            ("ci_low", x.ci_low, y.ci_low),
            ("ci_high", x.ci_high, y.ci_high),
            ("deff", x.deff, y.deff),
            ("n_effective", x.n_effective, y.n_effective),
        ] {
            assert!(same(p, q), "{what}: {key:?} {name}: {p:?} vs {q:?}");
        }
        assert_eq!((x.df, x.flags), (y.df, y.flags), "{what}: {key:?}");
    }
}

#[test]
fn permuting_rows_changes_nothing() {
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let mut permuted = rows.clone();
        let mut rng = Rng(seed ^ 0xA5A5);
        for i in (1..permuted.len()).rev() {
            permuted.swap(i, rng.below(i + 1));
        }
        assert_same_reports(
            &scored(&survey, &rows, &by),
            &scored(&survey, &permuted, &by),
            &format!("case {seed}, rows permuted"),
        );
    }
}

/// `rows` with every weight (the third column) multiplied by `factor`.
pub(crate) fn weights_scaled(rows: &Rows, factor: f64) -> Rows {
    rows.iter()
        .map(|r| {
            let mut r = r.clone();
            let w: f64 = r[2].as_deref().unwrap().parse().unwrap();
            r[2] = Some((w * factor).to_string());
            r
        })
        .collect()
}

#[test]
fn scaling_the_weights_changes_no_estimate_se_df_or_design_effect() {
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let factor = [0.013, 7.25, 1250.0][seed as usize % 3];
        let scaled = weights_scaled(&rows, factor);
        assert_same_reports(
            &scored(&survey, &rows, &by),
            &scored(&survey, &scaled, &by),
            &format!("case {seed}, weights × {factor}"),
        );
    }
}

#[test]
fn the_total_is_the_sum_of_the_dimensions_each_in_1_to_10() {
    let mut totals = 0;
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let report = scored(&survey, &rows, &by);
        for group in &report.groups {
            let Some(total) = group.total.estimate else {
                continue; // a domain where an indicator has no answer
            };
            totals += 1;
            let dims: Vec<f64> = group
                .dimensions
                .iter()
                .map(|d| d.value.estimate.unwrap())
                .collect();
            assert!(
                (dims.iter().sum::<f64>() - total).abs() < 1e-12,
                "case {seed}"
            );
            assert!(
                dims.iter().all(|d| (1.0..=10.0).contains(d)),
                "case {seed}: {dims:?}"
            );
            for d in &group.dimensions {
                let subs: f64 = d
                    .subdimensions
                    .iter()
                    .map(|s| s.value.estimate.unwrap())
                    .sum();
                assert!((subs - d.value.estimate.unwrap()).abs() < 1e-12);
            }
        }
    }
    assert!(totals > CASES, "{totals} totals checked");
}

#[test]
fn a_sub_dimension_of_one_indicator_has_that_indicators_design_effect() {
    // The rule for combinations reduces to R's ratio rule for a single indicator, whatever its
    // coefficient.
    let mut compared = 0;
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let report = scored(&survey, &rows, &by);
        for group in &report.groups {
            let indicator = |id: &str| group.indicators.iter().find(|i| i.id == id).unwrap();
            for (d, s, k) in [(0, 1, "road_ok"), (1, 0, "informed")] {
                let sub = group.dimensions[d].subdimensions[s].value;
                let ind = indicator(k);
                assert!(
                    same(sub.deff, ind.value.deff),
                    "case {seed}: {k}: {:?} vs {:?}",
                    sub.deff,
                    ind.value.deff
                );
                compared += usize::from(sub.deff.is_some());
            }
        }
    }
    assert!(
        compared > CASES as usize,
        "{compared} design effects compared"
    );
}

/// A stored report is read back as the report it was (the dashboard reads published runs this way).
#[test]
fn a_report_reads_back_from_its_json() {
    for seed in 0..CASES {
        let (survey, rows, by) = case(seed);
        let report = scored(&survey, &rows, &by);
        let json = serde_json::to_string(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json, "case {seed}");
    }
}
