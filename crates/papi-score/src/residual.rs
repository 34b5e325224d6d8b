//! Row residuals of sub-dimensions, dimensions and the total, and Σ w r² per group of every estimate:
//! what their design effects are computed from ([`crate::design_effect`]).
//!
//! These are the only passes over the rows besides each indicator's own, so they read each row once
//! per level: a sub-dimension's pass reads its indicators' scores together, a dimension's its
//! sub-dimensions' residuals, the total's its dimensions'. Sums run in a fixed order, so a report does
//! not depend on how the work was scheduled.

use crate::indicator::RowResiduals;

/// A combination's residual per row, and Σ w r² per group.
pub(crate) struct CombinationResidual {
    pub residual: Vec<f64>,
    pub weighted_squares: Vec<f64>,
}

/// A sub-dimension in one pass over the rows: each indicator's Σ w r² per group (returned in the
/// order given), and the sub-dimension's residual Σ_k b_k r_ik with its own.
pub(crate) fn subdimension(
    indicators: &[RowResiduals<'_>],
    coefficients: &[f64],
    weights: &[f64],
    group: &[u32],
    groups: usize,
) -> (Vec<Vec<f64>>, CombinationResidual) {
    let mut indicator_squares = vec![vec![0.0; groups]; indicators.len()];
    let mut weighted_squares = vec![0.0; groups];
    let mut residual = Vec::with_capacity(weights.len());
    for (i, (&w, &g)) in weights.iter().zip(group).enumerate() {
        let g = g as usize;
        let mut sum = 0.0;
        for ((ind, &b), squares) in indicators
            .iter()
            .zip(coefficients)
            .zip(&mut indicator_squares)
        {
            let r = ind.at(i, g);
            squares[g] += w * r * r;
            sum += b * r;
        }
        weighted_squares[g] += w * sum * sum;
        residual.push(sum);
    }
    (
        indicator_squares,
        CombinationResidual {
            residual,
            weighted_squares,
        },
    )
}

/// A plain sum of combinations (a dimension of its sub-dimensions, the total of its dimensions) in one
/// pass over the rows: its residual (when `keep` asks for it) and Σ w r² per group.
pub(crate) fn sum(
    parts: &[&[f64]],
    weights: &[f64],
    group: &[u32],
    groups: usize,
    keep: bool,
) -> CombinationResidual {
    let mut weighted_squares = vec![0.0; groups];
    let mut residual = Vec::with_capacity(if keep { weights.len() } else { 0 });
    for (i, (&w, &g)) in weights.iter().zip(group).enumerate() {
        let r: f64 = parts.iter().map(|p| p[i]).fold(0.0, |a, x| a + x);
        weighted_squares[g as usize] += w * r * r;
        if keep {
            residual.push(r);
        }
    }
    CombinationResidual {
        residual,
        weighted_squares,
    }
}
