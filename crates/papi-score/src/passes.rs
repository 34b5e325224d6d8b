//! Every indicator's pass over the rows, grouped by dimension and sub-dimension, and the residual passes
//! of the combinations above them (for their design effects).

use papi_survey::Survey;
use papi_table::Table;
use rayon::prelude::*;

use crate::indicator::{self, IndicatorPass, Layout};
use crate::{residual, ScoreError};

/// One sub-dimension's or dimension's passes, with Σ w r² per group of its own residual.
pub(crate) struct CombinationPass<T> {
    pub parts: Vec<T>,
    pub weighted_squares: Vec<f64>,
}

/// The share of indicator `k` in the mean m_s of its sub-dimension.
pub(crate) fn share(survey: &Survey, sub: &papi_survey::Subdimension, k: usize) -> f64 {
    let wsum: f64 = sub
        .indicators
        .iter()
        .map(|&j| survey.indicators[j].weight)
        .sum();
    survey.indicators[k].weight / wsum
}

/// The coefficient of indicator `k` in the PAPI-scale score of its sub-dimension, (1 + 9 m_s) / n_d:
/// also its coefficient in the dimension and the total.
pub(crate) fn coefficient(
    survey: &Survey,
    sub: &papi_survey::Subdimension,
    k: usize,
    n_d: f64,
) -> f64 {
    9.0 / n_d * share(survey, sub, k)
}

/// Per dimension, its sub-dimensions' passes, each with its indicators' passes.
pub(crate) type DimensionPasses = Vec<CombinationPass<CombinationPass<IndicatorPass>>>;

/// Every indicator's pass, grouped by dimension and sub-dimension, with Σ w r² per group of each
/// indicator, sub-dimension, dimension and (returned beside them) the total. In parallel over
/// dimensions, sub-dimensions and indicators; an indicator's scores live until its sub-dimension's
/// residual is made, a sub-dimension's until its dimension's, a dimension's until the total's.
pub(crate) fn all_passes(
    survey: &Survey,
    frame: &Table,
    layout: &Layout,
) -> Result<(DimensionPasses, Vec<f64>), ScoreError> {
    let design = layout.design;
    let (weights, group) = (&design.weights[..], &design.group[..]);
    let n_groups = layout.cells_of_group.len();
    let dims = survey
        .dimensions
        .par_iter()
        .map(|dim| {
            let n_d = dim.subdimensions.len() as f64;
            let subs = dim
                .subdimensions
                .par_iter()
                .map(|sub| {
                    let (mut passes, rows): (Vec<IndicatorPass>, Vec<_>) = sub
                        .indicators
                        .par_iter()
                        .map(|&k| indicator::pass(survey, k, frame, layout))
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .unzip();
                    let coefficients: Vec<f64> = sub
                        .indicators
                        .iter()
                        .map(|&k| coefficient(survey, sub, k, n_d))
                        .collect();
                    let (squares, own) =
                        residual::subdimension(&rows, &coefficients, weights, group, n_groups);
                    for (pass, squares) in passes.iter_mut().zip(squares) {
                        for (ratio, s) in pass.groups.iter_mut().zip(squares) {
                            if ratio.estimate.is_some() {
                                ratio.weighted_squares = s;
                            }
                        }
                    }
                    Ok((passes, own))
                })
                .collect::<Result<Vec<_>, ScoreError>>()?;
            let parts: Vec<&[f64]> = subs.iter().map(|(_, own)| &own.residual[..]).collect();
            let own = residual::sum(&parts, weights, group, n_groups, true);
            let subs = subs
                .into_iter()
                .map(|(passes, own)| CombinationPass {
                    parts: passes,
                    weighted_squares: own.weighted_squares,
                })
                .collect();
            Ok((subs, own))
        })
        .collect::<Result<Vec<_>, ScoreError>>()?;
    let parts: Vec<&[f64]> = dims.iter().map(|(_, own)| &own.residual[..]).collect();
    let total = residual::sum(&parts, weights, group, n_groups, false);
    let dims = dims
        .into_iter()
        .map(|(subs, own)| CombinationPass {
            parts: subs,
            weighted_squares: own.weighted_squares,
        })
        .collect();
    Ok((dims, total.weighted_squares))
}
