//! One indicator in every group: its scores per row, the ratio estimator Σ w·o·y / Σ w·o in each
//! group (SCORING.md §3.1), its influence totals per PSU and variance (§3.5), and the row residuals
//! that its design effect and those of the combinations above it are computed from.

use papi_survey::Survey;
use papi_table::Table;

use crate::design::Design;
use crate::rake::{self, RakeReport};
use crate::replicate::Replicates;
use crate::scores::{scores, Scores};
use crate::ScoreError;

/// How the rows of the design fall into groups, cells and PSUs, shared by every indicator's pass.
pub(crate) struct Layout<'a> {
    pub design: &'a Design,
    /// The cells of each group.
    pub cells_of_group: Vec<Vec<u32>>,
    /// The PSUs whose influence totals each group's variance needs, aligned with its influence.
    pub psus_of_group: Vec<Vec<u32>>,
    pub calibration: Option<&'a RakeReport>,
    /// The jackknife's replicates, when standard errors come from them instead of linearization.
    pub replicates: Option<&'a Replicates>,
    /// Fewest respondents for an estimate in a group.
    pub min_respondents: u64,
}

/// One indicator's estimate in one group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupRatio {
    /// `None` with too few respondents.
    pub estimate: Option<f64>,
    pub variance: f64,
    /// Respondents who answered.
    pub n: u64,
    /// Σ w r² over the group's rows, r the row residual (for the design effect).
    pub weighted_squares: f64,
}

/// One indicator's results in every group, with what the variances of the combinations above it are
/// made of: its influence totals per PSU of the group (linearization), or its replicate estimates (the
/// jackknife). Both combine linearly.
pub(crate) struct IndicatorPass {
    pub groups: Vec<GroupRatio>,
    /// Per group: aligned with that group's PSU list, or one value per replicate.
    pub influence: Vec<Vec<f64>>,
}

/// Per-cell sums of one indicator.
struct Sums {
    num: Vec<f64>,
    den: Vec<f64>,
    n: Vec<u64>,
}

/// An indicator's scores per row, with what turns them into its residuals (SCORING.md §3.5):
/// r_i = o_i (y_i − p) / Σ_j w_j o_j, p and the sum those of the row's group. w·r is the row's
/// influence value before any raking; the design effects are computed from Σ w r².
pub(crate) struct RowResiduals<'a> {
    y: Scores<'a>,
    /// Per group: p, and 1 / Σ w·o (0 where the group has no estimate, so that r = 0 there).
    p: Vec<f64>,
    scale: Vec<f64>,
}

impl RowResiduals<'_> {
    /// r of row `i` in group `g`; 0 for a missing answer.
    #[inline]
    pub fn at(&self, i: usize, g: usize) -> f64 {
        let y = self.y.at(i);
        if y.is_nan() {
            0.0
        } else {
            (y - self.p[g]) * self.scale[g]
        }
    }
}

/// Scores indicator `k` in every group; also returns its residuals per row, for the design effects
/// of the indicator and of the combinations above it.
pub(crate) fn pass<'a>(
    survey: &Survey,
    k: usize,
    frame: &'a Table,
    layout: &Layout,
) -> Result<(IndicatorPass, RowResiduals<'a>), ScoreError> {
    let design = layout.design;
    let n_groups = layout.cells_of_group.len();
    let n_cells = design.cell_group.len();
    let n_psus = design.psu_stratum.len();
    let q = &survey.questions[survey.indicators[k].question];
    let col = frame
        .column(&q.id)
        .ok_or_else(|| ScoreError::MissingColumn(q.id.clone()))?;
    let y = scores(survey, k, col)?;
    let (weights, cell) = (&design.weights[..], &design.cell[..]);
    let mut sums = Sums {
        num: vec![0.0; n_cells],
        den: vec![0.0; n_cells],
        n: vec![0; n_cells],
    };
    // The jackknife's sums per accumulation cell, beside (not instead of) the cells' own, so that
    // the estimates are those of linearization to the last bit.
    let replicate_sums = match layout.replicates {
        None => {
            y.each(|i, yi| {
                if !yi.is_nan() {
                    let (w, c) = (weights[i], cell[i] as usize);
                    sums.num[c] += w * yi;
                    sums.den[c] += w;
                    sums.n[c] += 1;
                }
            });
            None
        }
        Some(reps) => {
            let (mut num, mut den) = (vec![0.0; reps.cells()], vec![0.0; reps.cells()]);
            y.each(|i, yi| {
                if !yi.is_nan() {
                    let (w, c, a) = (weights[i], cell[i] as usize, reps.cell[i] as usize);
                    sums.num[c] += w * yi;
                    sums.den[c] += w;
                    sums.n[c] += 1;
                    num[a] += w * yi;
                    den[a] += w;
                }
            });
            Some((reps, num, den))
        }
    };
    let mut influence = Vec::with_capacity(n_groups);
    let mut groups = Vec::with_capacity(n_groups);
    // (p, Σ w·o) of each group with an estimate.
    let mut ratio_of_group: Vec<Option<(f64, f64)>> = Vec::with_capacity(n_groups);
    for (g, cells) in layout.cells_of_group.iter().enumerate() {
        let (mut num, mut den, mut n) = (0.0, 0.0, 0u64);
        for &c in cells {
            num += sums.num[c as usize];
            den += sums.den[c as usize];
            n += sums.n[c as usize];
        }
        if n < layout.min_respondents || den <= 0.0 {
            groups.push(GroupRatio {
                estimate: None,
                variance: f64::NAN,
                n,
                weighted_squares: f64::NAN,
            });
            influence.push(Vec::new());
            ratio_of_group.push(None);
            continue;
        }
        let p = num / den;
        if let Some((reps, cell_num, cell_den)) = &replicate_sums {
            let estimates = reps.ratios(g, cell_num, cell_den);
            groups.push(GroupRatio {
                estimate: Some(p),
                variance: reps.variance(&estimates),
                n,
                weighted_squares: 0.0,
            });
            influence.push(estimates);
            ratio_of_group.push(Some((p, den)));
            continue;
        }
        let z: Vec<f64> = match layout.calibration {
            None => cells
                .iter()
                .map(|&c| (sums.num[c as usize] - p * sums.den[c as usize]) / den)
                .collect(),
            Some(rake) => {
                // Row-level influence in the group, projected on the margins, then PSU totals.
                let mut x: Vec<f64> = Vec::with_capacity(design.rows);
                y.each(|i, yi| {
                    x.push(if design.group[i] as usize == g && !yi.is_nan() {
                        weights[i] * (yi - p) / den
                    } else {
                        0.0
                    });
                });
                rake::calibrate_influence(&mut x, &design.weights, rake);
                let mut z = vec![0.0; n_psus];
                for (&xi, &psu) in x.iter().zip(&design.psu) {
                    z[psu as usize] += xi;
                }
                z
            }
        };
        groups.push(GroupRatio {
            estimate: Some(p),
            variance: design.variance(&layout.psus_of_group[g], &z),
            n,
            weighted_squares: 0.0,
        });
        influence.push(z);
        ratio_of_group.push(Some((p, den)));
    }
    let (mut p, mut scale) = (vec![0.0; n_groups], vec![0.0; n_groups]);
    for (g, ratio) in ratio_of_group.iter().enumerate() {
        if let Some((ratio, den)) = ratio {
            (p[g], scale[g]) = (*ratio, 1.0 / den);
        }
    }
    Ok((
        IndicatorPass { groups, influence },
        RowResiduals { y, p, scale },
    ))
}
