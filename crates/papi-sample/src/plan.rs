//! The draw plan: which level forms the strata, how many units each stage draws and how, and how many
//! interviews each selected unit of the finest level gets.

use serde::{Deserialize, Serialize};

/// How one stage draws its units among the units of each stratum or selected parent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The level whose units are all taken, each a stratum: always the frame's first level.
    /// `None`: the province is one stratum.
    #[serde(default)]
    pub strata: Option<String>,
    /// One stage per level below the strata, in order, down to the finest level.
    pub stages: Vec<Stage>,
    /// Planned interviews in each selected unit of the finest level.
    pub interviews: usize,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The level this stage draws units of.
    pub level: String,
    /// Units drawn within each stratum or selected parent. A CSV frame's plan leaves it at 0: the
    /// count is given when drawing (`DrawOptions::psus_per_stratum`).
    pub draw: usize,
    pub method: Method,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Systematic sampling with probability proportional to size, after a random start.
    Pps,
    /// Simple random sampling without replacement.
    Srs,
}

impl Plan {
    /// The index in the frame's levels of the level the first stage draws.
    pub fn first_stage_depth(&self) -> usize {
        usize::from(self.strata.is_some())
    }
}
