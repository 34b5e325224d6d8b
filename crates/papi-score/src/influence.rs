//! What a contrast between two groups of one analysis needs beyond each group's own variance: every
//! estimate's influence in every group (influence totals per PSU under linearization, the estimate in
//! every replicate under the jackknife), so that the variance of a difference counts what the two
//! groups share. This is R's `svyby(..., covmat = TRUE)` followed by `svycontrast`.

use std::collections::{BTreeMap, HashMap};

use crate::design::Design;
use crate::replicate::Replicates;

/// One group's estimates' influence, by (level, id): `total`, `dimension`, `subdimension`, `indicator`.
pub(crate) type Kept = HashMap<(&'static str, String), Vec<f64>>;

pub(crate) struct Influence {
    pub design: Design,
    pub replicates: Option<Replicates>,
    /// Per group, the PSUs its influence totals are listed for (linearization).
    pub psus_of_group: Vec<Vec<u32>>,
    pub groups: Vec<Kept>,
}

impl Influence {
    /// The variance of group `b`'s estimate minus group `a`'s, for the estimate (`level`, `id`); None
    /// when either group has no such estimate.
    pub fn variance_of_difference(&self, a: usize, b: usize, level: &str, id: &str) -> Option<f64> {
        let key = |g: usize| {
            self.groups[g]
                .iter()
                .find(|((l, i), _)| *l == level && i == id)
                .map(|(_, z)| z)
        };
        let (za, zb) = (key(a)?, key(b)?);
        let variance = match &self.replicates {
            // The same replicates run through both groups: the difference in each replicate.
            Some(r) => {
                let difference: Vec<f64> = za.iter().zip(zb).map(|(x, y)| y - x).collect();
                r.variance(&difference)
            }
            // Influence totals of the difference per PSU: a PSU in both groups nets out.
            None => {
                let mut by_psu: BTreeMap<u32, f64> = BTreeMap::new();
                for (&p, z) in self.psus_of_group[a].iter().zip(za) {
                    *by_psu.entry(p).or_default() -= z;
                }
                for (&p, z) in self.psus_of_group[b].iter().zip(zb) {
                    *by_psu.entry(p).or_default() += z;
                }
                let (psus, z): (Vec<u32>, Vec<f64>) = by_psu.into_iter().unzip();
                self.design.variance(&psus, &z)
            }
        };
        Some(variance.max(0.0)).filter(|v| v.is_finite())
    }
}
