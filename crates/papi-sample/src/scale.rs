//! A frame scaled down: every size divided by the same number, for a simulated population small
//! enough to build whole (the coverage tests draw thousands of samples from one).

use crate::frame::{Frame, Unit};

impl Frame {
    /// This frame with every unit of the finest level `divisor` times smaller (rounded, and at least
    /// `finest_floor`), and the coarser units' sizes left to be their units' sums, so that the sizes
    /// stay consistent. Names, certainty and the plan are kept.
    pub fn scaled(&self, divisor: f64, finest_floor: f64) -> Frame {
        fn scale(unit: &Unit, divisor: f64, floor: f64) -> Unit {
            let units: Vec<Unit> = unit
                .units
                .iter()
                .map(|u| scale(u, divisor, floor))
                .collect();
            let size = if units.is_empty() {
                unit.effective_size()
                    .map(|s| (s / divisor).round().max(floor))
            } else {
                None
            };
            Unit {
                size,
                units,
                ..unit.clone()
            }
        }
        let divisor = if divisor.is_finite() && divisor > 0.0 {
            divisor
        } else {
            1.0
        };
        Frame {
            units: self
                .units
                .iter()
                .map(|u| scale(u, divisor, finest_floor))
                .collect(),
            illustrative: true,
            source: format!("{} (sizes divided by {divisor})", self.source),
            ..self.clone()
        }
    }
}
