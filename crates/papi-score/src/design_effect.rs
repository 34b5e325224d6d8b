//! Design effects and effective sample sizes (SCORING.md §3.6), as R's `deff = "replace"`: the
//! design variance over the variance the same estimate would have under simple random sampling WITH
//! replacement of the same number of respondents.
//!
//! What R reports, and what papi follows:
//! - a ratio (every indicator): `svyratio(..., deff = "replace")` takes the residual
//!   r_i = (y_i − p·o_i) / Σ_j w_j o_j and uses `svytotal(r, deff = "replace")`, whose SRSWR variance
//!   is `svyvar(r) · (Σ w)² / m` with m the respondents of the design (those without an answer too:
//!   their residual is zero). As Σ w r = 0 that is V_srs = Σ w · Σ w r² / (m − 1);
//! - a mean (`svymean`) is the ratio with o ≡ 1 and gives the same number;
//! - a domain (`svyby(..., deff = "replace")`) passes the rule to the estimator on the domain's
//!   design, so every sum and m are the domain's;
//! - R reports none for a linear combination (`svycontrast`). For sub-dimensions, dimensions and the
//!   total papi applies R's ratio rule to the combination's own residual, r_i = Σ_k b_k r_ik with the
//!   same coefficients b_k as its influence values: it is R's `svytotal(r, deff = "replace")` of that
//!   residual, and for a single indicator it is the indicator's design effect.
//!
//! The effective sample size is n / deff, with n the respondents behind the estimate: those who
//! answered, for an indicator; the group's respondents, for a combination. The sums Σ w r² come from
//! [`crate::residual`].

/// The SRSWR variance of an estimate whose residuals r_i give `weighted_squares` = Σ w r² over the
/// `respondents` rows of a group of total weight `weight_sum`; `None` with fewer than two respondents.
pub fn srs_variance(weight_sum: f64, weighted_squares: f64, respondents: u64) -> Option<f64> {
    (respondents > 1).then(|| weight_sum * weighted_squares / (respondents - 1) as f64)
}

/// Below this relative standard error an estimate does not vary: what is left is rounding noise
/// (every answer the same score, or a domain inside one PSU whose influence totals cancel, 1e-17 off
/// zero), and a ratio with such noise would change with the order of the rows. A real spread is far
/// above it: one differing answer among ten million respondents gives 1e-7.
const NO_VARIATION: f64 = 1e-10;

/// Design variance over SRSWR variance of `estimate`; `None` when the estimate does not vary under
/// the design or under simple random sampling (R gives NaN when every residual is exactly zero, and
/// rounding noise when they are nearly so), or either variance is not a number.
pub fn design_effect(variance: f64, srs_variance: Option<f64>, estimate: f64) -> Option<f64> {
    let srs = srs_variance?;
    let varies = |v: f64| v.sqrt() > NO_VARIATION * estimate.abs();
    let deff = variance / srs;
    (varies(variance) && varies(srs) && deff.is_finite()).then_some(deff)
}

/// n / deff; `None` when the design effect is zero or unknown.
pub fn effective_n(respondents: u64, deff: Option<f64>) -> Option<f64> {
    deff.filter(|d| *d > 0.0).map(|d| respondents as f64 / d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_random_sampling_has_a_design_effect_of_one() {
        // Equal weights, a mean of 0/1 values: V_srs = s² / m, as the textbook has it.
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let m = y.len() as f64;
        let p = y.iter().sum::<f64>() / m;
        let r: Vec<f64> = y.iter().map(|v| (v - p) / m).collect();
        let squares: f64 = r.iter().map(|x| x * x).sum();
        let s2 = y.iter().map(|v| (v - p) * (v - p)).sum::<f64>() / (m - 1.0);
        let srs = srs_variance(m, squares, 6).unwrap();
        assert!((srs - s2 / m).abs() < 1e-15);
        assert!((design_effect(srs, Some(srs), p).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(effective_n(6, Some(1.0)), Some(6.0));
    }

    #[test]
    fn no_variation_gives_no_design_effect() {
        assert_eq!(srs_variance(10.0, 0.5, 1), None);
        assert_eq!(design_effect(0.0, Some(0.0), 0.0), None);
        assert_eq!(design_effect(0.1, None, 0.5), None);
        // Every answer the same: residuals of rounding size only.
        assert_eq!(design_effect(2e-34, Some(5e-34), 0.6667), None);
        // A domain inside one PSU: no design variance beyond rounding.
        assert_eq!(design_effect(1e-33, Some(0.002), 0.6), None);
        assert!(design_effect(1e-14, Some(1e-14), 1e-7).is_some());
        assert_eq!(effective_n(10, Some(0.0)), None);
    }
}
