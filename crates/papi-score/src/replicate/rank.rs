//! The rank of a JKn design's replicate weights, from which R's `degf` of a replicate design is
//! computed: `qr(weights(design, "analysis"), tol = 1e-5)$rank − 1`.
//!
//! Without raking the rank is known exactly. Each stratum h with n_h ≥ 2 PSUs gives n_h independent
//! replicates whose sum is n_h times the full-sample weights, so the strata share one dimension; each
//! stratum with a single PSU adds one (its replicate removes that PSU alone). With H₂ strata of two
//! PSUs or more holding N₂ PSUs and L single-PSU strata the rank is N₂ − H₂ + 1 + L (L when every
//! stratum has one PSU and there are two or more, 0 for a single PSU), so degf is PSUs − strata + L.
//!
//! Raked replicates are computed as R does: LINPACK's `dqrdc2` (which R's `qr` calls) takes the columns
//! in order and leaves out a column whose norm, after projecting out the columns kept before it, has
//! fallen below tol times its original norm. Those norms depend on the columns only through their
//! inner products, so papi computes them from the Gram matrix of the replicate weights, which a sum
//! per joint raking cell gives without the rows (n × R would be a million rows by hundreds of
//! replicates).

use super::{JointTotals, Replicate, Replicates};
use crate::design::Design;

/// R's tolerance in `degf.svyrep.design`.
const TOLERANCE: f64 = 1e-5;

/// The rank of the JKn replicate weights of `design` without raking.
pub(crate) fn unraked(design: &Design) -> usize {
    let lonely = design.stratum_psus.iter().filter(|&&n| n == 1).count();
    let (strata, psus) = design
        .stratum_psus
        .iter()
        .filter(|&&n| n > 1)
        .fold((0, 0), |(h, n), &x| (h + 1, n + x as usize));
    if strata > 0 {
        psus - strata + 1 + lonely
    } else if lonely > 1 {
        lonely
    } else {
        0
    }
}

/// The rank of the raked replicate weights, R's way, from `squares`: Σ w² of the full sample's raked
/// weights per joint raking cell (overall, per stratum and per PSU).
pub(crate) fn raked(reps: &Replicates, design: &Design, squares: &JointTotals) -> usize {
    rank_from_gram(&gram(reps, design, squares), reps.len())
}

/// The replicate's multiplier of PSU p as α + β·[p in its stratum] − factor·[p is its PSU].
fn alpha_beta(rep: &Replicate) -> (f64, f64) {
    match rep.stratum {
        Some(_) => (1.0, rep.factor - 1.0),
        None => (rep.factor, 0.0),
    }
}

/// X'X of the replicate weights X (rows × replicates), X_ir = w_i · a_r(psu of i) · k_r(joint cell of
/// i), with a_r the replicate's PSU multipliers and k_r its raking factors: Σ over joint cells J of
/// k_r(J) k_s(J) Σ_p Q_Jp a_r(p) a_s(p), Q_Jp = Σ w² over PSU p's rows in J, expanded in the sums of Q
/// over the sample, a stratum and a PSU.
fn gram(reps: &Replicates, design: &Design, q: &JointTotals) -> Vec<f64> {
    let n = reps.len();
    let nj = reps.n_joint;
    // Per joint cell, Q of each replicate's own PSU.
    let mut own: Vec<Vec<f64>> = vec![vec![0.0; n]; nj];
    for (r, rep) in reps.reps.iter().enumerate() {
        for (j, x) in q.of_psu(rep.psu).into_iter().enumerate() {
            own[j][r] = x;
        }
    }
    let stratum_of_own: Vec<u32> = reps
        .reps
        .iter()
        .map(|r| design.psu_stratum[r.psu as usize])
        .collect();
    let mut g = vec![0.0; n * n];
    for (j, own) in own.iter().enumerate() {
        let total = q.total[j];
        let of_stratum = |h: u32| q.of_stratum(h)[j];
        for (r, a) in reps.reps.iter().enumerate() {
            let (alpha_r, beta_r) = alpha_beta(a);
            let k_r = reps.raking.get(r * nj + j).copied().unwrap_or(1.0);
            let q_r = own[r];
            for s in r..n {
                let b = &reps.reps[s];
                let (alpha_s, beta_s) = alpha_beta(b);
                let k_s = reps.raking.get(s * nj + j).copied().unwrap_or(1.0);
                let q_s = own[s];
                let in_r = |h: u32| a.stratum == Some(h);
                let in_s = |h: u32| b.stratum == Some(h);
                let mut m = alpha_r * alpha_s * total;
                if let Some(h) = b.stratum {
                    m += alpha_r * beta_s * of_stratum(h);
                }
                if let Some(h) = a.stratum {
                    m += beta_r * alpha_s * of_stratum(h);
                    if b.stratum == Some(h) {
                        m += beta_r * beta_s * of_stratum(h);
                    }
                }
                let beta_r_at_s = if in_r(stratum_of_own[s]) { beta_r } else { 0.0 };
                let beta_s_at_r = if in_s(stratum_of_own[r]) { beta_s } else { 0.0 };
                m -= b.factor * q_s * (alpha_r + beta_r_at_s);
                m -= a.factor * q_r * (alpha_s + beta_s_at_r);
                if r == s {
                    m += a.factor * a.factor * q_r;
                }
                g[r * n + s] += k_r * k_s * m;
            }
        }
    }
    for r in 0..n {
        for s in 0..r {
            g[r * n + s] = g[s * n + r];
        }
    }
    g
}

/// The rank R's `qr(X, tol = 1e-5)` reports, from X'X (`n` × `n`, row-major): columns in order, each
/// kept when the norm of what the kept columns before it leave of it is at least tol times its own
/// norm (a column of zeros is never kept). A Cholesky factor of the kept columns gives those norms.
pub(crate) fn rank_from_gram(g: &[f64], n: usize) -> usize {
    // Rows of the Cholesky factor of the kept columns.
    let mut kept: Vec<usize> = Vec::new();
    let mut factor: Vec<Vec<f64>> = Vec::new();
    for j in 0..n {
        let mut y = Vec::with_capacity(kept.len() + 1);
        for (a, &k) in kept.iter().enumerate() {
            let row = &factor[a];
            let s = g[k * n + j] - row[..a].iter().zip(&y).map(|(l, y)| l * y).sum::<f64>();
            y.push(s / row[a]);
        }
        let norm2 = g[j * n + j];
        let left2 = norm2 - y.iter().map(|v| v * v).sum::<f64>();
        let original = if norm2 > 0.0 { norm2.sqrt() } else { 1.0 };
        if left2 > 0.0 && left2.sqrt() >= TOLERANCE * original {
            y.push(left2.sqrt());
            factor.push(y);
            kept.push(j);
        }
    }
    kept.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X'X of explicit columns.
    fn gram_of(columns: &[Vec<f64>]) -> Vec<f64> {
        let n = columns.len();
        let mut g = vec![0.0; n * n];
        for r in 0..n {
            for s in 0..n {
                g[r * n + s] = columns[r].iter().zip(&columns[s]).map(|(a, b)| a * b).sum();
            }
        }
        g
    }

    #[test]
    fn the_rank_follows_rs_qr_rule() {
        let a = vec![1.0, 2.0, 3.0, 4.0];
        let b = vec![0.5, -1.0, 2.0, 0.0];
        let sum: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + 3.0 * y).collect();
        let nearly: Vec<f64> = sum.iter().map(|x| x + 1e-9).collect();
        let apart: Vec<f64> = sum
            .iter()
            .enumerate()
            .map(|(i, x)| x + if i == 0 { 1e-3 } else { 0.0 })
            .collect();
        let zero = vec![0.0; 4];
        assert_eq!(rank_from_gram(&gram_of(&[a.clone(), b.clone()]), 2), 2);
        assert_eq!(
            rank_from_gram(&gram_of(&[a.clone(), b.clone(), sum.clone()]), 3),
            2
        );
        // Below tol × its norm is dependent (R: qr(cbind(a, b, a + 3b + 1e-9))$rank is 2) ...
        assert_eq!(
            rank_from_gram(&gram_of(&[a.clone(), b.clone(), nearly]), 3),
            2
        );
        // ... above it is not (1e-3 against a norm of about 12).
        assert_eq!(
            rank_from_gram(&gram_of(&[a.clone(), b.clone(), apart]), 3),
            3
        );
        assert_eq!(rank_from_gram(&gram_of(&[zero, a, b, sum]), 4), 2);
    }
}
