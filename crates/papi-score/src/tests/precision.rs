//! What stands behind each number: degrees of freedom of each design layout, the t and normal
//! intervals, design effects where they are known exactly, and the flags.

use super::*;
use crate::flags::{MIN_DF, MIN_RESPONDENTS};
use crate::interval::t975;
use crate::{score, Flags, Interval, Options, Report, Z95};

fn scored(layout: Layout, rows: &Rows, by: &[&str], interval: Interval) -> Report {
    let options = Options {
        by: by.iter().map(|s| s.to_string()).collect(),
        interval,
        ..Options::default()
    };
    score(&survey(layout), &frame(rows), &options).unwrap()
}

#[test]
fn degrees_of_freedom_are_psus_minus_strata_for_every_layout_and_domain() {
    // 3 districts × 4 communes × 5 respondents.
    let rows = rows(&mut Rng(1), 3, 4, 5);
    for (layout, df) in [
        (Layout::StrataAndClusters, 12 - 3),
        (Layout::StrataOnly, 60 - 3),
        (Layout::ClustersOnly, 12 - 1),
        (Layout::Neither, 60 - 1),
    ] {
        for by in [&[][..], &["district"][..]] {
            let report = scored(layout, &rows, by, Interval::T);
            assert_eq!(report.design.df, df, "{layout:?}");
            for (_, _, id, e) in by_key(&report)
                .into_iter()
                .map(|((g, l, i), e)| (g, l, i, e))
            {
                assert_eq!(e.df, df, "{layout:?} {by:?} {id}");
            }
        }
    }
}

#[test]
fn t_intervals_use_the_design_df_and_normal_ones_are_given_on_request() {
    let rows = rows(&mut Rng(2), 3, 3, 8);
    let t = scored(Layout::StrataAndClusters, &rows, &["district"], Interval::T);
    let normal = scored(
        Layout::StrataAndClusters,
        &rows,
        &["district"],
        Interval::Normal,
    );
    assert_eq!(t.design.df, 6);
    let q = t975(6.0);
    assert_eq!(t.design.interval_multiplier, Some(q));
    assert_eq!(normal.design.interval_multiplier, Some(Z95));
    let normal = by_key(&normal);
    let mut checked = 0;
    for (key, e) in by_key(&t) {
        let n = normal[&key];
        assert_eq!(
            (e.estimate, e.se, e.deff, e.df),
            (n.estimate, n.se, n.deff, n.df)
        );
        let (Some(x), Some(se)) = (e.estimate, e.se) else {
            continue;
        };
        assert!(same(e.ci_low, Some(x - q * se)) && same(e.ci_high, Some(x + q * se)));
        assert!(same(n.ci_low, Some(x - Z95 * se)) && same(n.ci_high, Some(x + Z95 * se)));
        checked += 1;
    }
    assert!(checked > 20);
}

#[test]
fn a_design_without_degrees_of_freedom_has_no_t_interval() {
    // One cluster and no strata: one PSU, df = 0.
    let rows = rows(&mut Rng(3), 1, 1, 40);
    let report = scored(Layout::ClustersOnly, &rows, &[], Interval::T);
    assert_eq!(report.design.df, 0);
    assert_eq!(report.design.interval_multiplier, None);
    assert!(report
        .design
        .warnings
        .iter()
        .any(|w| w.contains("0 degrees of freedom")));
    let total = report.groups[0].total;
    assert!(total.estimate.is_some() && total.se.is_some());
    assert_eq!((total.ci_low, total.ci_high), (None, None));
    assert!(total.flags.contains(Flags::FEW_PSUS));
    let normal = scored(Layout::ClustersOnly, &rows, &[], Interval::Normal);
    assert!(normal.groups[0].total.ci_low.is_some());
}

#[test]
fn a_simple_random_sample_has_a_design_effect_of_one() {
    // Equal weights, no strata, no clusters: the design variance is the SRSWR variance, for ratios
    // with missing answers and for their combinations alike.
    let mut rows = rows(&mut Rng(4), 2, 3, 12);
    for r in &mut rows {
        r[2] = Some("1".into());
    }
    let report = scored(Layout::Neither, &rows, &[], Interval::T);
    let group = &report.groups[0];
    for (_, e) in by_key(&report) {
        assert!(same(e.deff, Some(1.0)), "{e:?}");
    }
    for i in &group.indicators {
        assert!(same(i.value.n_effective, Some(i.n as f64)), "{}", i.id);
    }
    assert!(same(
        group.total.n_effective,
        Some(group.respondents as f64)
    ));
}

#[test]
fn thin_estimates_are_flagged_and_combinations_inherit_their_indicators_flags() {
    for seed in 0..16 {
        let mut rng = Rng(100 + seed);
        let layout = Layout::ALL[rng.below(4)];
        let (districts, communes) = (1 + rng.below(4), 1 + rng.below(3));
        let per_commune = 4 + rng.below(20);
        let rows = rows(&mut rng, districts, communes, per_commune);
        let report = scored(layout, &rows, &["district"], Interval::T);
        let df = report.design.df;
        for group in &report.groups {
            let of = |n: u64| Flags::of(df, n);
            let indicator_flags: Vec<Flags> = group.indicators.iter().map(|i| of(i.n)).collect();
            for (i, f) in group.indicators.iter().zip(&indicator_flags) {
                assert_eq!(i.value.flags, *f, "case {seed}: {}", i.id);
                assert_eq!(f.contains(Flags::FEW_PSUS), df < MIN_DF);
                assert_eq!(f.contains(Flags::FEW_RESPONDENTS), i.n < MIN_RESPONDENTS);
            }
            let mut total = of(group.respondents);
            for d in &group.dimensions {
                let mut dim = of(group.respondents);
                for s in &d.subdimensions {
                    let mut sub = of(group.respondents);
                    for (i, f) in group.indicators.iter().zip(&indicator_flags) {
                        if s.id == subdimension_of(&i.id) {
                            sub = sub | *f;
                        }
                    }
                    assert_eq!(s.value.flags, sub, "case {seed}: {}", s.id);
                    dim = dim | sub;
                }
                assert_eq!(d.value.flags, dim, "case {seed}: {}", d.id);
                total = total | dim;
            }
            assert_eq!(group.total.flags, total, "case {seed}");
        }
    }
}

fn subdimension_of(indicator: &str) -> &'static str {
    match indicator {
        "clinic_good" | "short_wait" => "health",
        "road_ok" => "roads",
        _ => "information",
    }
}

#[test]
fn the_report_carries_df_deff_n_effective_and_flags_on_every_estimate() {
    let rows = rows(&mut Rng(5), 2, 2, 6);
    let report = scored(Layout::StrataAndClusters, &rows, &["district"], Interval::T);
    let json = serde_json::to_value(&report).unwrap();
    let group = &json["groups"][0];
    let mut objects = vec![&group["total"], &group["indicators"][0]];
    objects.push(&group["dimensions"][0]);
    objects.push(&group["dimensions"][0]["subdimensions"][0]);
    objects.push(&group["baseline"]["total"]["change"]);
    objects.push(&group["baseline"]["dimensions"][1]["change"]);
    for o in objects {
        for key in ["df", "deff", "n_effective", "flags"] {
            assert!(o.get(key).is_some(), "{key} in {o}");
        }
        assert_eq!(o["df"], 2);
        // 4 PSUs in 2 strata, 12 respondents per district.
        assert_eq!(
            o["flags"],
            serde_json::json!(["few_psus", "few_respondents"])
        );
    }
    let change = &group["baseline"]["total"]["change"];
    assert_eq!(change["baseline_treated_as_exact"], true);
    assert!(change["note"]
        .as_str()
        .unwrap()
        .contains("treated as exact"));
}
