//! The properties of `properties.rs` on cases proptest generates (and shrinks when one fails): any
//! layout, size, permutation of the rows and scale of the weights.

use proptest::prelude::*;

use super::properties::{assert_same_reports, weights_scaled};
use super::*;
use crate::{score, Options, Report};

/// A generated case: design layout, districts, communes, respondents per commune, seed, by district.
fn cases() -> impl Strategy<Value = (usize, usize, usize, usize, u64, bool)> {
    (
        0..Layout::ALL.len(),
        1..5usize,
        1..5usize,
        2..16usize,
        any::<u64>(),
        any::<bool>(),
    )
}

fn scored(survey: &Survey, rows: &Rows, by_district: bool) -> Report {
    let options = Options {
        by: if by_district {
            vec!["district".to_owned()]
        } else {
            Vec::new()
        },
        ..Options::default()
    };
    score(survey, &frame(rows), &options).unwrap()
}

fn generated(case: (usize, usize, usize, usize, u64, bool)) -> (Survey, Rows, bool) {
    let (layout, districts, communes, per_commune, seed, by) = case;
    let rows = rows(&mut Rng(seed), districts, communes, per_commune);
    (survey(Layout::ALL[layout]), rows, by)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_permutation_of_the_rows_changes_no_estimate(case in cases(), shuffle in any::<u64>()) {
        let (survey, rows, by) = generated(case);
        let mut permuted = rows.clone();
        let mut rng = Rng(shuffle);
        for i in (1..permuted.len()).rev() {
            permuted.swap(i, rng.below(i + 1));
        }
        assert_same_reports(&scored(&survey, &rows, by), &scored(&survey, &permuted, by), "permuted");
    }

    #[test]
    fn any_scale_of_the_weights_changes_no_mean(case in cases(), exponent in -3.0f64..4.0) {
        let (survey, rows, by) = generated(case);
        let factor = 10f64.powf(exponent);
        assert_same_reports(
            &scored(&survey, &rows, by),
            &scored(&survey, &weights_scaled(&rows, factor), by),
            &format!("weights × {factor}"),
        );
    }

    #[test]
    fn the_total_is_the_sum_of_dimensions_each_within_1_and_10(case in cases()) {
        let (survey, rows, by) = generated(case);
        let report = scored(&survey, &rows, by);
        for group in &report.groups {
            let dims: Vec<f64> = group.dimensions.iter().filter_map(|d| d.value.estimate).collect();
            for d in &dims {
                prop_assert!((1.0 - 1e-12..=10.0 + 1e-12).contains(d), "dimension {d}");
            }
            match group.total.estimate {
                Some(total) => {
                    prop_assert_eq!(dims.len(), group.dimensions.len());
                    let sum: f64 = dims.iter().sum();
                    prop_assert!((total - sum).abs() <= 1e-12 * total.abs(), "{total} vs {sum}");
                }
                None => prop_assert!(dims.len() < group.dimensions.len(), "a total whenever every dimension has one"),
            }
        }
    }
}
