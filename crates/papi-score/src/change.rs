//! The change from the definition's baseline (SCORING.md §3.6): θ − b. When the definition gives the
//! baseline's standard error (`[baseline.standard_errors]`), the baseline comes from an independent
//! sample and the change's SE is √(SE² + SE_b²); otherwise the baseline is treated as exact, the SE is
//! the estimate's own, and the report says so in words. Either way the interval follows the report's
//! rule with the survey's degrees of freedom (the baseline's are not known).

use papi_survey::{Baseline, Survey};
use serde::{Deserialize, Serialize};

use crate::{DimensionResult, Estimate, IntervalRule};

/// The change from the definition's baseline: the total's and each dimension's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineComparison {
    pub label: String,
    pub year: Option<i32>,
    pub total: Change,
    pub dimensions: Vec<DimensionChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub baseline: f64,
    /// The baseline's standard error, when the definition gives it.
    pub baseline_se: Option<f64>,
    pub change: ChangeEstimate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DimensionChange {
    pub id: String,
    pub baseline: f64,
    pub baseline_se: Option<f64>,
    pub change: ChangeEstimate,
}

/// θ − b with its SE and interval, and whether the baseline's own error is in them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeEstimate {
    /// `deff` and `n_effective` are the estimate's when the baseline is treated as exact (the change
    /// then has its variance), and null when the baseline's error is added (no design effect of a
    /// difference between two surveys is defined).
    #[serde(flatten)]
    pub value: Estimate,
    pub baseline_treated_as_exact: bool,
    pub note: String,
}

const EXACT_NOTE: &str = "The baseline is treated as exact: the definition gives no standard error for it ([baseline.standard_errors]), so this interval carries only this survey's sampling error and is too narrow by the baseline's.";
const COMBINED_NOTE: &str = "The standard error combines this survey's and the baseline's, from independent samples: √(SE² + SE_baseline²).";

/// The change of `estimate` from `baseline`, whose standard error is `baseline_se` when known.
pub fn change(
    estimate: &Estimate,
    baseline: f64,
    baseline_se: Option<f64>,
    rule: &IntervalRule,
) -> ChangeEstimate {
    let exact = baseline_se.is_none();
    let value = match (estimate.estimate, estimate.se) {
        (Some(e), Some(se)) => {
            let shifted = e - baseline;
            let (se, deff, n_effective) = match baseline_se {
                None => (se, estimate.deff, estimate.n_effective),
                Some(se_b) => ((se * se + se_b * se_b).sqrt(), None, None),
            };
            let bounds = rule.bounds(shifted, se);
            Estimate {
                estimate: Some(shifted),
                se: Some(se),
                ci_low: bounds.map(|b| b.0),
                ci_high: bounds.map(|b| b.1),
                deff,
                n_effective,
                ..*estimate
            }
        }
        _ => Estimate::null(rule, estimate.flags),
    };
    ChangeEstimate {
        value,
        baseline_treated_as_exact: exact,
        note: if exact { EXACT_NOTE } else { COMBINED_NOTE }.to_owned(),
    }
}

/// The changes of a group's total and dimensions from the definition's baseline.
pub(crate) fn compare(
    survey: &Survey,
    baseline: &Baseline,
    total: &Estimate,
    dimensions: &[DimensionResult],
    rule: &IntervalRule,
) -> BaselineComparison {
    let ses = &baseline.standard_errors;
    BaselineComparison {
        label: baseline.label.get(survey.default_language()).to_owned(),
        year: baseline.year,
        total: Change {
            baseline: baseline.total,
            baseline_se: ses.total,
            change: change(total, baseline.total, ses.total, rule),
        },
        dimensions: dimensions
            .iter()
            .zip(&baseline.dimensions)
            .enumerate()
            .map(|(d, (dim, &base))| {
                let se_b = ses.dimensions.get(d).copied().flatten();
                DimensionChange {
                    id: dim.id.clone(),
                    baseline: base,
                    baseline_se: se_b,
                    change: change(&dim.value, base, se_b, rule),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Flags, Interval};

    fn estimate(e: f64, se: f64, rule: &IntervalRule) -> Estimate {
        let (lo, hi) = rule.bounds(e, se).unwrap();
        Estimate {
            estimate: Some(e),
            se: Some(se),
            ci_low: Some(lo),
            ci_high: Some(hi),
            df: rule.df,
            deff: Some(1.7),
            n_effective: Some(300.0),
            flags: Flags::default(),
        }
    }

    #[test]
    fn an_exact_baseline_shifts_the_interval_and_says_so() {
        let rule = IntervalRule::new(Interval::T, 12);
        let c = change(&estimate(42.0, 0.5, &rule), 41.04, None, &rule);
        assert!(c.baseline_treated_as_exact);
        assert!(c.note.contains("treated as exact"));
        assert!((c.value.estimate.unwrap() - 0.96).abs() < 1e-12);
        assert_eq!(c.value.se, Some(0.5));
        let q = rule.multiplier.unwrap();
        assert!((c.value.ci_low.unwrap() - (0.96 - q * 0.5)).abs() < 1e-12);
        assert_eq!((c.value.df, c.value.deff), (12, Some(1.7)));
    }

    #[test]
    fn a_baseline_with_a_standard_error_adds_its_variance() {
        let rule = IntervalRule::new(Interval::T, 12);
        let c = change(&estimate(42.0, 0.3, &rule), 41.0, Some(0.4), &rule);
        assert!(!c.baseline_treated_as_exact);
        assert!((c.value.se.unwrap() - 0.5).abs() < 1e-12);
        let q = rule.multiplier.unwrap();
        assert!((c.value.ci_high.unwrap() - (1.0 + q * 0.5)).abs() < 1e-12);
        assert_eq!(
            (c.value.df, c.value.deff, c.value.n_effective),
            (12, None, None)
        );
    }
}
