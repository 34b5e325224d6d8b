//! A drawn sample: every unit considered at every stage with its inclusion probability, the selected
//! places with their planned interviews and base design weights, and the weights after non-response.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::frame::sha256_hex;
use crate::name;
use crate::plan::Plan;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub frame_id: String,
    /// SHA-256 of the frame's source text.
    pub frame_hash: String,
    pub province: String,
    pub levels: Vec<String>,
    pub size_measure: String,
    pub illustrative: bool,
    pub seed: u64,
    /// The plan as resolved after the draw's overrides.
    pub plan: Plan,
    /// Every unit considered at every stage, in frame order, selected or not (a unit is considered
    /// when its parent is selected).
    pub units: Vec<DrawnUnit>,
    /// The selected units of the finest level, in frame order.
    pub places: Vec<Place>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrawnUnit {
    pub level: String,
    /// Names from the first level down to this unit.
    pub path: Vec<String>,
    /// The stratum's name, or the province's when the province is one stratum.
    pub stratum: String,
    /// The unit's size, or its units' total; `None` when neither is known.
    pub size: Option<f64>,
    /// Taken with certainty by design.
    pub certainty: bool,
    /// Conditional on its parent being selected; 1 for strata.
    pub inclusion_probability: f64,
    pub selected: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// One name per level.
    pub path: Vec<String>,
    pub stratum: String,
    /// The name of the first-stage unit the place lies in.
    pub psu: String,
    /// The conditional inclusion probability at each stage, in order.
    pub stage_probabilities: Vec<f64>,
    /// The product of the stage probabilities.
    pub inclusion_probability: f64,
    /// The place's size, or its estimate (see `size_estimated`).
    pub size: f64,
    /// True when the frame gives no size for the place: it is its parent's size over the number of the
    /// parent's units (going up as far as a size is known).
    pub size_estimated: bool,
    /// Planned interviews.
    pub planned: usize,
    /// The design weight of one interview with full response: size / (π · planned).
    pub base_weight: f64,
}

/// One first-stage unit of the frame, as the CSV output of a draw lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct PsuRow {
    pub stratum: String,
    pub psu: String,
    /// The unit's size; NaN when the frame gives none (an SRS stage without sizes).
    pub size: f64,
    pub inclusion_probability: f64,
    pub selected: bool,
}

impl Sample {
    /// The place at exactly this path of names (normalised to NFC before comparing).
    pub fn place(&self, path: &[String]) -> Option<&Place> {
        let path: Vec<String> = path.iter().map(|n| name::normalise(n)).collect();
        self.places.iter().find(|p| p.path == path)
    }

    /// One row per first-stage unit of the frame considered (every one, selected or not).
    pub fn psu_rows(&self) -> Vec<PsuRow> {
        let Some(first) = self.plan.stages.first() else {
            return Vec::new();
        };
        self.units
            .iter()
            .filter(|u| u.level == first.level)
            .map(|u| PsuRow {
                stratum: u.stratum.clone(),
                psu: u.path.last().cloned().unwrap_or_default(),
                size: u.size.unwrap_or(f64::NAN),
                inclusion_probability: u.inclusion_probability,
                selected: u.selected,
            })
            .collect()
    }

    /// Design weights per place after the non-response adjustment: base_weight × planned / counted,
    /// for every place with counted > 0.
    pub fn weights(&self, counted: &HashMap<Vec<String>, usize>) -> HashMap<Vec<String>, f64> {
        let counted: HashMap<Vec<String>, usize> = counted
            .iter()
            .map(|(path, &n)| (path.iter().map(|s| name::normalise(s)).collect(), n))
            .collect();
        self.places
            .iter()
            .filter_map(|p| {
                let n = *counted.get(&p.path)?;
                (n > 0).then(|| (p.path.clone(), p.base_weight * p.planned as f64 / n as f64))
            })
            .collect()
    }

    /// The sample as pretty JSON: what is stored, and what [`Sample::hash`] is taken of.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sample serialises")
    }

    pub fn from_json(text: &str) -> Result<Sample, FrameError> {
        serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))
    }

    /// SHA-256 (hex) of [`Sample::to_json`].
    pub fn hash(&self) -> String {
        sha256_hex(&self.to_json())
    }
}
