//! Replicate weights: the delete-one-PSU jackknife that R builds with `as.svrepdesign(design, type =
//! "JKn")`, with raking redone in every replicate as R's `rake()` does on a replicate design. It is the
//! alternative to linearization (`Options::variance`, `papi score --variance jackknife`).
//!
//! What R's `survey` package (4.1) does, and papi with it:
//! - One replicate per PSU j of stratum h (`jknweights`): j's weights are set to 0, the other PSUs of h
//!   are multiplied by n_h/(n_h − 1), other strata are unchanged; its `rscales` is (n_h − 1)/n_h.
//! - A stratum with a single PSU, under `survey.lonely.psu = "adjust"` (papi's rule, SCORING.md §3.5):
//!   its replicate sets that PSU to 0 and multiplies every other PSU of the design by H/(H − 1), H the
//!   number of strata, with `rscales` (H − 1)/H.
//! - A design without strata is one stratum. R refuses JKn there and asks for JK1, whose replicates
//!   and variance ((n − 1)/n as `scale` instead of `rscales`) are the same.
//! - V = Σ_r rscale_r (θ_r − θ̄)² with θ̄ the MEAN OF THE REPLICATE ESTIMATES, not the full-sample
//!   estimate: R's default `survey.replicates.mse = FALSE` (`svrVar`).
//! - Every estimate is recomputed on each replicate: each indicator's ratio, then sub-dimensions,
//!   dimensions and the total as the same linear combinations (what `svycontrast` does with the
//!   ratios' replicates); a domain's from the same replicates (`svyby`).
//! - A replicate in which an estimate has no denominator (every answer of a domain was in the deleted
//!   PSU) is left out of that estimate's variance, and θ̄ is the mean of the others, as `svrVar` drops
//!   replicates with NA results. A combination is undefined in a replicate where any of its indicators
//!   is.
//! - Raking: every replicate's weights are raked to the margins again (`rake()` post-stratifies each
//!   replicate's weights in every sweep). R stops all replicates when the full sample has converged;
//!   papi rakes each replicate to its own convergence (1e-12 relative), the fixed point both approach.
//!   A replicate that leaves a margin cell without respondents cannot be raked: R's `rake()` fails
//!   there (its weights become NaN), and papi refuses, naming the PSU and the cell.
//! - Degrees of freedom: R's `degf` of a replicate design is the rank of its replicate weights (`qr`,
//!   tol 1e-5) − 1 ([`rank`]). Without raking that is PSUs − strata + strata with a single PSU; raking
//!   usually breaks the dependence among a stratum's replicates, and the rank is computed as R does.
//!
//! The work per replicate is on sums, never on rows. One pass over the rows (the same pass that
//! linearization makes) gives each indicator's sums of w·o·y and w·o per accumulation cell, a distinct
//! (domain, PSU, joint raking cell); a replicate's sums are then the full sums plus (f − 1) times its
//! stratum's minus f times the deleted PSU's, per joint raking cell, weighted by that replicate's raking
//! factors. Raking a replicate is iterative proportional fitting on the weights of the joint raking
//! cells.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::design::Design;
use crate::rake::RakeReport;
use crate::ScoreError;

pub(crate) mod rank;

/// How standard errors are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Variance {
    /// Taylor linearization (SCORING.md §3.5), as R's `svydesign`.
    #[default]
    #[serde(rename = "linearization")]
    Linearization,
    /// The delete-one-PSU jackknife, as R's `as.svrepdesign(type = "JKn")`.
    #[serde(rename = "jackknife")]
    JackknifeJkn,
}

impl Variance {
    pub fn name(self) -> &'static str {
        match self {
            Variance::Linearization => "linearization",
            Variance::JackknifeJkn => "jackknife",
        }
    }

    pub fn is_linearization(&self) -> bool {
        *self == Variance::Linearization
    }
}

/// What the report says of the replicates behind its standard errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicateSummary {
    /// R's replicate type: `JKn`.
    #[serde(rename = "type")]
    pub kind: String,
    pub replicates: usize,
    /// Where the squared deviations are centred: `replicate_mean` (R's `survey.replicates.mse = FALSE`).
    pub centred_at: String,
    /// Whether `df` is the rank of the replicate weights − 1, as R's `degf`; false only for a raked
    /// design with more replicates than papi ranks (then df = replicates − 1, with a warning).
    pub df_from_rank: bool,
    /// With raking: the most sweeps any replicate needed to be raked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raking_sweeps: Option<usize>,
}

/// One replicate: `psu` set to 0, the other PSUs of `stratum` (of the whole design, for `None`)
/// multiplied by `factor`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replicate {
    pub psu: u32,
    pub stratum: Option<u32>,
    pub factor: f64,
    /// R's `rscales`: what each squared deviation is multiplied by.
    pub rscale: f64,
}

impl Replicate {
    /// The replicate's multiplier of PSU `p` in stratum `h` (as R's replicate weights have it).
    #[cfg(test)]
    pub fn multiplier(&self, p: u32, h: u32) -> f64 {
        if p == self.psu {
            0.0
        } else if self.stratum.is_none_or(|s| s == h) {
            self.factor
        } else {
            1.0
        }
    }
}

/// The replicates of a design, R's `jknweights` with `survey.lonely.psu = "adjust"`, in R's order
/// (strata in order of first appearance, PSUs within each likewise).
pub(crate) fn jkn(design: &Design) -> Result<Vec<Replicate>, ScoreError> {
    let strata = design.stratum_psus.len();
    let mut psus_of: Vec<Vec<u32>> = vec![Vec::new(); strata];
    for (p, &h) in design.psu_stratum.iter().enumerate() {
        psus_of[h as usize].push(p as u32);
    }
    let mut out = Vec::with_capacity(design.psu_stratum.len());
    for (h, psus) in psus_of.iter().enumerate() {
        let n = psus.len() as f64;
        if psus.len() > 1 {
            out.extend(psus.iter().map(|&psu| Replicate {
                psu,
                stratum: Some(h as u32),
                factor: n / (n - 1.0),
                rscale: (n - 1.0) / n,
            }));
        } else if strata > 1 {
            let big_h = strata as f64;
            out.push(Replicate {
                psu: psus[0],
                stratum: None,
                factor: big_h / (big_h - 1.0),
                rscale: (big_h - 1.0) / big_h,
            });
        } else {
            return Err(ScoreError::Options(
                "the jackknife needs at least two PSUs, and the design has one".into(),
            ));
        }
    }
    Ok(out)
}

/// Marks "not present in this group".
const NONE: u32 = u32::MAX;

/// A denominator at most this fraction of the full sample's is zero up to rounding: the replicate
/// deleted every answer behind the estimate.
const EMPTY: f64 = 1e-12;

/// Replicate raking stops when every margin matches to this (relative)...
const REPLICATE_TOLERANCE: f64 = 1e-12;
/// ...or, after this many sweeps, to the full sample's tolerance.
const REPLICATE_MAX_SWEEPS: usize = 10_000;
const FULL_SAMPLE_TOLERANCE: f64 = 1e-9;

/// Above this many replicates the rank of raked replicate weights is not computed (its cost grows as
/// the cube): df is replicates − 1, with a warning.
const MAX_RANKED_REPLICATES: usize = 2_000;

/// The accumulation cells of one group, with the slots of its strata and PSUs.
struct GroupSlots {
    cells: Vec<u32>,
    /// Stratum slot and PSU slot of each of `cells`.
    cell_stratum: Vec<u32>,
    cell_psu: Vec<u32>,
    /// Slot of each stratum of the design in this group, `NONE` where it has no respondents here.
    stratum_slot: Vec<u32>,
    n_psus: usize,
    /// (replicate, PSU slot) of the PSUs with respondents in the group, by replicate.
    psu_by_replicate: Vec<(u32, u32)>,
}

/// The jackknife replicates of a design, with what each replicate estimate is made of.
pub struct Replicates {
    reps: Vec<Replicate>,
    /// Accumulation cell of each row: a distinct (group, PSU, joint raking cell).
    pub(crate) cell: Vec<u32>,
    /// The joint raking cell of each accumulation cell (0 without raking).
    cell_joint: Vec<u32>,
    n_joint: usize,
    groups: Vec<GroupSlots>,
    /// Per replicate, the raking factor of each joint cell relative to the full sample's raked weights
    /// (replicates × joint cells); empty without raking.
    raking: Vec<f64>,
    raking_sweeps: Option<usize>,
    df: i64,
    df_from_rank: bool,
}

impl Replicates {
    /// The replicates of `design` (its weights raked already when `rake` is given), and each
    /// replicate raked again to the same margins.
    pub(crate) fn new(
        design: &Design,
        rake: Option<&RakeReport>,
    ) -> Result<Replicates, ScoreError> {
        let reps = jkn(design)?;
        let (joint_of_row, joint_margins) = match rake {
            Some(r) => joint_cells(r),
            None => (Vec::new(), Vec::new()),
        };
        let n_joint = joint_margins.first().map_or(1, Vec::len);
        // Accumulation cells: design cells (group × PSU) split by joint raking cell.
        let (cell, cell_design, cell_joint) = if joint_of_row.is_empty() {
            let n = design.cell_group.len() as u32;
            (design.cell.clone(), (0..n).collect(), vec![0; n as usize])
        } else {
            let mut index: HashMap<(u32, u32), u32> = HashMap::new();
            let (mut cell_design, mut cell_joint) = (Vec::new(), Vec::new());
            let cell = design
                .cell
                .iter()
                .zip(&joint_of_row)
                .map(|(&d, &j)| {
                    let next = index.len() as u32;
                    *index.entry((d, j)).or_insert_with(|| {
                        cell_design.push(d);
                        cell_joint.push(j);
                        next
                    })
                })
                .collect();
            (cell, cell_design, cell_joint)
        };
        let mut replicate_of_psu = vec![0u32; design.psu_stratum.len()];
        for (r, rep) in reps.iter().enumerate() {
            replicate_of_psu[rep.psu as usize] = r as u32;
        }
        let groups = group_slots(design, &cell_design, &replicate_of_psu);
        let mut replicates = Replicates {
            reps,
            cell,
            cell_joint,
            n_joint,
            groups,
            raking: Vec::new(),
            raking_sweeps: None,
            df: 0,
            df_from_rank: true,
        };
        let Some(report) = rake else {
            replicates.df = rank::unraked(design) as i64 - 1;
            return Ok(replicates);
        };
        // Σ w and Σ w² of each accumulation cell: what raking and the rank are computed from.
        let n_cells = replicates.cell_joint.len();
        let (mut weight, mut square) = (vec![0.0; n_cells], vec![0.0; n_cells]);
        for (&c, &w) in replicates.cell.iter().zip(&design.weights) {
            weight[c as usize] += w;
            square[c as usize] += w * w;
        }
        let cell_psu: Vec<u32> = cell_design
            .iter()
            .map(|&d| design.cell_psu[d as usize])
            .collect();
        let totals = JointTotals::new(design, &replicates, &cell_psu, &weight);
        let (raking, sweeps) = replicates.rake(design, report, &joint_margins, &totals)?;
        replicates.raking = raking;
        replicates.raking_sweeps = Some(sweeps);
        if replicates.len() <= MAX_RANKED_REPLICATES {
            let squares = JointTotals::new(design, &replicates, &cell_psu, &square);
            replicates.df = rank::raked(&replicates, design, &squares) as i64 - 1;
        } else {
            (replicates.df, replicates.df_from_rank) = (replicates.len() as i64 - 1, false);
        }
        Ok(replicates)
    }

    /// How many replicates (one per PSU).
    pub fn len(&self) -> usize {
        self.reps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reps.is_empty()
    }

    /// The number of accumulation cells.
    pub(crate) fn cells(&self) -> usize {
        self.cell_joint.len()
    }

    /// R's `degf` of the replicate design.
    pub fn degrees_of_freedom(&self) -> i64 {
        self.df
    }

    pub fn summary(&self) -> ReplicateSummary {
        ReplicateSummary {
            kind: "JKn".to_owned(),
            replicates: self.len(),
            centred_at: "replicate_mean".to_owned(),
            df_from_rank: self.df_from_rank,
            raking_sweeps: self.raking_sweeps,
        }
    }

    /// The replicate estimates of the ratio Σ w·o·y / Σ w·o in group `g`, from its sums per
    /// accumulation cell; NaN where a replicate leaves it without a denominator.
    pub(crate) fn ratios(&self, g: usize, num: &[f64], den: &[f64]) -> Vec<f64> {
        let slots = &self.groups[g];
        let nj = self.n_joint;
        let n_strata = slots.stratum_slot.iter().filter(|&&s| s != NONE).count();
        // Per joint cell: [Σ w·o·y, Σ w·o] of the group, of each stratum and of each PSU in it.
        let mut total = vec![[0.0f64; 2]; nj];
        let mut strata = vec![[0.0f64; 2]; n_strata * nj];
        let mut psus = vec![[0.0f64; 2]; slots.n_psus * nj];
        for ((&c, &s), &p) in slots
            .cells
            .iter()
            .zip(&slots.cell_stratum)
            .zip(&slots.cell_psu)
        {
            let j = self.cell_joint[c as usize] as usize;
            let v = [num[c as usize], den[c as usize]];
            for x in [
                &mut total[j],
                &mut strata[s as usize * nj + j],
                &mut psus[p as usize * nj + j],
            ] {
                x[0] += v[0];
                x[1] += v[1];
            }
        }
        let full_den: f64 = total.iter().map(|t| t[1]).sum();
        let mut own = slots.psu_by_replicate.iter().peekable();
        self.reps
            .iter()
            .enumerate()
            .map(|(r, rep)| {
                let own = own.next_if(|&&(rr, _)| rr as usize == r).map(|&(_, s)| s);
                let scope = match rep.stratum {
                    None => Some(&total[..]),
                    Some(h) => match slots.stratum_slot[h as usize] {
                        NONE => None,
                        s => Some(&strata[s as usize * nj..(s as usize + 1) * nj]),
                    },
                };
                let raking = (!self.raking.is_empty()).then(|| &self.raking[r * nj..(r + 1) * nj]);
                let f = rep.factor;
                let (mut n, mut d) = (0.0, 0.0);
                for (j, t) in total.iter().enumerate() {
                    let mut v = *t;
                    if let Some(s) = scope {
                        v[0] += (f - 1.0) * s[j][0];
                        v[1] += (f - 1.0) * s[j][1];
                    }
                    if let Some(o) = own {
                        let o = psus[o as usize * nj + j];
                        v[0] -= f * o[0];
                        v[1] -= f * o[1];
                    }
                    let k = raking.map_or(1.0, |x| x[j]);
                    n += k * v[0];
                    d += k * v[1];
                }
                if d > EMPTY * full_den {
                    n / d
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// The jackknife variance of an estimate from its replicate estimates (NaN where undefined, those
    /// replicates left out): Σ_r rscale_r (θ_r − θ̄)², θ̄ their mean, as R's `svrVar`; NaN when no
    /// replicate gives the estimate.
    pub(crate) fn variance(&self, values: &[f64]) -> f64 {
        let defined = || values.iter().zip(&self.reps).filter(|(v, _)| v.is_finite());
        let (sum, n) = defined().fold((0.0, 0usize), |(s, n), (v, _)| (s + v, n + 1));
        if n == 0 {
            return f64::NAN;
        }
        let mean = sum / n as f64;
        defined()
            .map(|(v, rep)| rep.rscale * (v - mean) * (v - mean))
            .sum()
    }

    /// Rakes every replicate's joint-cell weights to the margins again: the factor of each joint
    /// cell per replicate, relative to the full sample's raked weights, and the most sweeps taken.
    fn rake(
        &self,
        design: &Design,
        report: &RakeReport,
        joint_margins: &[Vec<u32>],
        totals: &JointTotals,
    ) -> Result<(Vec<f64>, usize), ScoreError> {
        let nj = self.n_joint;
        let raked: Vec<(Vec<f64>, usize)> = self
            .reps
            .par_iter()
            .map(|rep| {
                let mut t = totals.of_replicate(rep);
                for (x, full) in t.iter_mut().zip(&totals.total) {
                    if *x <= EMPTY * full {
                        *x = 0.0;
                    }
                }
                ipf(&t, joint_margins, &report.populations).map_err(|failure| {
                    let psu = design.psu_label(rep.psu);
                    let message = match failure {
                        RakeFailure::Empty(m, c) => format!(
                            "the jackknife replicate without PSU {psu} leaves no respondent in the margin cell {}: raking cannot be redone in it (R's rake() on the JKn replicate design fails there too); rake to margins that every replicate keeps, or use --variance linearization",
                            report.labels[m][c]
                        ),
                        RakeFailure::NoConvergence(gap) => format!(
                            "the jackknife replicate without PSU {psu} cannot be raked to the margins: after {REPLICATE_MAX_SWEEPS} sweeps a margin is still {gap:e} off"
                        ),
                    };
                    ScoreError::Margins {
                        file: "margins".into(),
                        message,
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        let mut factors = Vec::with_capacity(raked.len() * nj);
        let mut most = 0;
        for (f, sweeps) in raked {
            factors.extend(f);
            most = most.max(sweeps);
        }
        Ok((factors, most))
    }
}

/// Why a replicate could not be raked.
enum RakeFailure {
    /// A margin cell (margin, cell) has no weight left in the replicate.
    Empty(usize, usize),
    /// The margins were not met in as many sweeps (the largest relative gap left).
    NoConvergence(f64),
}

/// Iterative proportional fitting of joint-cell weights `t` to the margins: the factor of each joint
/// cell and the sweeps taken.
fn ipf(
    t: &[f64],
    joint_margins: &[Vec<u32>],
    populations: &[Vec<f64>],
) -> Result<(Vec<f64>, usize), RakeFailure> {
    let mut factor = vec![1.0; t.len()];
    let mut sweeps = 0;
    loop {
        let mut gap = 0.0f64;
        for (m, (cells, pop)) in joint_margins.iter().zip(populations).enumerate() {
            let sums = margin_sums(t, &factor, cells, pop.len());
            if let Some(c) = sums.iter().position(|&s| s <= 0.0) {
                return Err(RakeFailure::Empty(m, c));
            }
            for (s, p) in sums.iter().zip(pop) {
                gap = gap.max(((s - p) / p).abs());
            }
        }
        if gap < REPLICATE_TOLERANCE {
            return Ok((factor, sweeps));
        }
        if sweeps >= REPLICATE_MAX_SWEEPS {
            return if gap < FULL_SAMPLE_TOLERANCE {
                Ok((factor, sweeps))
            } else {
                Err(RakeFailure::NoConvergence(gap))
            };
        }
        for (cells, pop) in joint_margins.iter().zip(populations) {
            let sums = margin_sums(t, &factor, cells, pop.len());
            for (f, &c) in factor.iter_mut().zip(cells) {
                *f *= pop[c as usize] / sums[c as usize];
            }
        }
        sweeps += 1;
    }
}

fn margin_sums(t: &[f64], factor: &[f64], cells: &[u32], n: usize) -> Vec<f64> {
    let mut sums = vec![0.0; n];
    for ((&x, &f), &c) in t.iter().zip(factor).zip(cells) {
        sums[c as usize] += x * f;
    }
    sums
}

/// The joint raking cell of each row (a distinct combination of the margins' cells), and for each
/// margin the margin cell of each joint cell.
fn joint_cells(report: &RakeReport) -> (Vec<u32>, Vec<Vec<u32>>) {
    let rows = report.cells.first().map_or(0, |(c, _)| c.len());
    let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut margins: Vec<Vec<u32>> = vec![Vec::new(); report.cells.len()];
    let mut key = Vec::with_capacity(report.cells.len());
    let mut of_row = Vec::with_capacity(rows);
    for i in 0..rows {
        key.clear();
        key.extend(report.cells.iter().map(|(c, _)| c[i] as u32));
        let code = match index.get(&key) {
            Some(&j) => j,
            None => {
                let j = index.len() as u32;
                index.insert(key.clone(), j);
                for (m, &c) in margins.iter_mut().zip(&key) {
                    m.push(c);
                }
                j
            }
        };
        of_row.push(code);
    }
    (of_row, margins)
}

/// Each group's accumulation cells, with its strata and PSUs numbered in slots.
fn group_slots(design: &Design, cell_design: &[u32], replicate_of_psu: &[u32]) -> Vec<GroupSlots> {
    let strata = design.stratum_psus.len();
    let mut groups: Vec<GroupSlots> = (0..design.groups.len())
        .map(|_| GroupSlots {
            cells: Vec::new(),
            cell_stratum: Vec::new(),
            cell_psu: Vec::new(),
            stratum_slot: vec![NONE; strata],
            n_psus: 0,
            psu_by_replicate: Vec::new(),
        })
        .collect();
    let mut psu_slot: Vec<HashMap<u32, u32>> = vec![HashMap::new(); groups.len()];
    let mut n_strata = vec![0u32; groups.len()];
    for (c, &d) in cell_design.iter().enumerate() {
        let g = design.cell_group[d as usize] as usize;
        let p = design.cell_psu[d as usize];
        let h = design.psu_stratum[p as usize] as usize;
        let slots = &mut groups[g];
        if slots.stratum_slot[h] == NONE {
            slots.stratum_slot[h] = n_strata[g];
            n_strata[g] += 1;
        }
        let next = psu_slot[g].len() as u32;
        let s = *psu_slot[g].entry(p).or_insert_with(|| {
            slots
                .psu_by_replicate
                .push((replicate_of_psu[p as usize], next));
            next
        });
        slots.cells.push(c as u32);
        slots.cell_stratum.push(slots.stratum_slot[h]);
        slots.cell_psu.push(s);
    }
    for (slots, psus) in groups.iter_mut().zip(&psu_slot) {
        slots.n_psus = psus.len();
        slots.psu_by_replicate.sort_unstable();
    }
    groups
}

/// Sums of a quantity (the weights, or their squares) per joint raking cell: over the sample, per
/// stratum, and per PSU (its nonzero joint cells).
pub(crate) struct JointTotals {
    n_joint: usize,
    total: Vec<f64>,
    /// strata × joint cells.
    stratum: Vec<f64>,
    /// Per PSU, its (joint cell, sum) entries: `psu_entries[psu_start[p]..psu_start[p + 1]]`.
    psu_start: Vec<usize>,
    psu_entries: Vec<(u32, f64)>,
}

impl JointTotals {
    fn new(design: &Design, reps: &Replicates, cell_psu: &[u32], per_cell: &[f64]) -> JointTotals {
        let nj = reps.n_joint;
        let n_psus = design.psu_stratum.len();
        let mut total = vec![0.0; nj];
        let mut stratum = vec![0.0; design.stratum_psus.len() * nj];
        let mut psu_start = vec![0usize; n_psus + 1];
        for &p in cell_psu {
            psu_start[p as usize + 1] += 1;
        }
        for p in 0..n_psus {
            psu_start[p + 1] += psu_start[p];
        }
        let mut fill = psu_start.clone();
        let mut psu_entries = vec![(0u32, 0.0); cell_psu.len()];
        for (c, (&p, &x)) in cell_psu.iter().zip(per_cell).enumerate() {
            let j = reps.cell_joint[c];
            let h = design.psu_stratum[p as usize] as usize;
            total[j as usize] += x;
            stratum[h * nj + j as usize] += x;
            psu_entries[fill[p as usize]] = (j, x);
            fill[p as usize] += 1;
        }
        JointTotals {
            n_joint: nj,
            total,
            stratum,
            psu_start,
            psu_entries,
        }
    }

    /// PSU `p`'s sums per joint cell.
    fn of_psu(&self, p: u32) -> Vec<f64> {
        let mut out = vec![0.0; self.n_joint];
        for &(j, x) in &self.psu_entries[self.psu_start[p as usize]..self.psu_start[p as usize + 1]]
        {
            out[j as usize] += x;
        }
        out
    }

    /// Stratum `h`'s sums per joint cell.
    fn of_stratum(&self, h: u32) -> &[f64] {
        &self.stratum[h as usize * self.n_joint..(h as usize + 1) * self.n_joint]
    }

    /// The replicate's sums per joint cell: Σ_p multiplier(p) · sum(p).
    fn of_replicate(&self, rep: &Replicate) -> Vec<f64> {
        let own = self.of_psu(rep.psu);
        let scope = match rep.stratum {
            Some(h) => self.of_stratum(h),
            None => &self.total,
        };
        let f = rep.factor;
        self.total
            .iter()
            .zip(scope)
            .zip(&own)
            .map(|((t, s), o)| t + (f - 1.0) * s - f * o)
            .collect()
    }
}
