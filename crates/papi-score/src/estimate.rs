//! One estimate as a report gives it: the value, its standard error and interval, and what stands
//! behind it (df, design effect, effective sample size, flags).

use serde::{Deserialize, Serialize};

use crate::design_effect::{design_effect, effective_n};
use crate::{Flags, IntervalRule};

/// An estimate with its standard error, 95% interval and what stands behind it; null (with the
/// design's df and its flags) when it cannot be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    /// Null when a t interval has no degrees of freedom.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Degrees of freedom of the whole design (PSUs − strata; under the jackknife, R's `degf` of the
    /// replicate design), the same for every estimate and domain.
    pub df: i64,
    /// Design effect, as R's `deff = "replace"` (see [`design_effect`]).
    pub deff: Option<f64>,
    /// The respondents behind the estimate over its design effect.
    pub n_effective: Option<f64>,
    pub flags: Flags,
}

/// What an estimate is computed from, besides the report's interval rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured {
    pub estimate: f64,
    pub variance: f64,
    /// The variance under simple random sampling with replacement of the same size.
    pub srs_variance: Option<f64>,
    /// The respondents behind the estimate (for n_effective and the flags).
    pub respondents: u64,
    /// Flags passed up from the estimates this one is made of.
    pub inherited: Flags,
}

impl Estimate {
    /// No estimate: the design's degrees of freedom and `flags` only.
    pub fn null(rule: &IntervalRule, flags: Flags) -> Estimate {
        Estimate {
            estimate: None,
            se: None,
            ci_low: None,
            ci_high: None,
            df: rule.df,
            deff: None,
            n_effective: None,
            flags,
        }
    }

    pub(crate) fn new(m: Measured, rule: &IntervalRule) -> Estimate {
        let flags = Flags::of(rule.df, m.respondents) | m.inherited;
        if !m.estimate.is_finite() || !m.variance.is_finite() {
            return Estimate::null(rule, flags);
        }
        let variance = m.variance.max(0.0);
        let se = variance.sqrt();
        let bounds = rule.bounds(m.estimate, se);
        let deff = design_effect(variance, m.srs_variance, m.estimate);
        Estimate {
            estimate: Some(m.estimate),
            se: Some(se),
            ci_low: bounds.map(|b| b.0),
            ci_high: bounds.map(|b| b.1),
            df: rule.df,
            deff,
            n_effective: effective_n(m.respondents, deff),
            flags,
        }
    }
}
