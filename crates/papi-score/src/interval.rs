//! 95% intervals (SCORING.md §3.6): θ ± t(0.975, df)·SE with the degrees of freedom of the whole
//! design, as R's `confint(..., df = degf(design))`, or θ ± 1.959964·SE on request, as R's default
//! `confint`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The normal quantile for a 95% interval, as R's default `confint` uses.
pub const Z95: f64 = 1.959_963_984_540_054;

/// How a 95% interval is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// θ ± t(0.975, df)·SE, df = PSUs − strata of the whole design (R's `degf`), for domains too.
    #[default]
    T,
    /// θ ± 1.959964·SE.
    Normal,
}

impl Interval {
    pub fn name(self) -> &'static str {
        match self {
            Interval::T => "t",
            Interval::Normal => "normal",
        }
    }
}

/// The rule every interval of a report follows: its kind and the design's degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalRule {
    pub interval: Interval,
    pub df: i64,
    /// What the SE is multiplied by; `None` when a t interval has no degrees of freedom (df ≤ 0).
    pub multiplier: Option<f64>,
}

impl IntervalRule {
    pub fn new(interval: Interval, df: i64) -> IntervalRule {
        let multiplier = match interval {
            Interval::Normal => Some(Z95),
            Interval::T if df > 0 => Some(t975(df as f64)),
            Interval::T => None,
        };
        IntervalRule {
            interval,
            df,
            multiplier,
        }
    }

    /// (low, high) around `estimate`, or `None` when the rule gives no interval.
    pub fn bounds(&self, estimate: f64, se: f64) -> Option<(f64, f64)> {
        self.multiplier
            .map(|q| (estimate - q * se, estimate + q * se))
    }
}

/// Beyond this many degrees of freedom the asymptotic expansion is used: statrs inverts the t
/// distribution through the incomplete beta function, which is exact to 1e-12 up to about 10⁴ degrees
/// of freedom but drifts beyond (6e-5 relative at 10⁶), and a design without clusters has as many
/// degrees of freedom as respondents.
const EXPANSION_FROM_DF: f64 = 1000.0;

/// The 0.975 quantile of Student's t with `df` degrees of freedom (R's `qt(0.975, df)`, to 1e-12
/// relative).
pub fn t975(df: f64) -> f64 {
    if df < EXPANSION_FROM_DF {
        StudentsT::new(0.0, 1.0, df)
            .map(|t| t.inverse_cdf(0.975))
            .unwrap_or(f64::NAN)
    } else {
        t_from_normal(Z95, df)
    }
}

/// The t quantile from the normal quantile `z` by the expansion in powers of 1/df of Abramowitz and
/// Stegun 26.7.5; with df ≥ 1000 its first omitted term is below 1e-16 relative.
fn t_from_normal(z: f64, df: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R's `qt(0.975, df)`, printed with 17 significant digits.
    const R_QT: &[(f64, f64)] = &[
        (1.0, 12.706204736174694),
        (2.0, 4.302_652_729_749_462),
        (4.0, 2.7764451051977934),
        (12.0, 2.1788128296672284),
        (30.0, 2.0422724563012378),
        (999.0, 1.9623414611334493),
        (1000.0, 1.9623390808264076),
        (100_000.0, 1.9599877075346088),
        (10_000_000.0, 1.9599642217672049),
    ];

    #[test]
    fn the_t_quantile_equals_rs_qt() {
        for &(df, r) in R_QT {
            let ours = t975(df);
            assert!(((ours - r) / r).abs() < 1e-12, "df {df}: {ours} vs R {r}");
        }
    }

    #[test]
    fn no_degrees_of_freedom_gives_no_t_interval_but_a_normal_one() {
        assert_eq!(IntervalRule::new(Interval::T, 0).bounds(1.0, 0.1), None);
        assert_eq!(IntervalRule::new(Interval::T, -3).multiplier, None);
        let (lo, hi) = IntervalRule::new(Interval::Normal, 0)
            .bounds(1.0, 0.1)
            .unwrap();
        assert!((lo - (1.0 - Z95 * 0.1)).abs() < 1e-15 && (hi - (1.0 + Z95 * 0.1)).abs() < 1e-15);
    }
}
