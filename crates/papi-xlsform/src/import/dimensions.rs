//! The dimensions sheet: dimensions with their baseline scores, and the sub-dimensions under them.

use std::collections::HashMap;

use super::table::Table;
use super::{Importer, RawDimension};

impl Importer {
    /// The dimensions, each with its sub-dimensions, in the sheet's order.
    pub(super) fn dimensions(
        &mut self,
        tables: &HashMap<String, Table>,
        default_language: &str,
    ) -> Vec<RawDimension> {
        let mut dims: Vec<RawDimension> = Vec::new();
        if let Some(dt) = tables.get("dimensions") {
            for (row, cells) in &dt.rows {
                let row = *row;
                let d = dt.get(cells, "dimension");
                let s = dt.get(cells, "subdimension");
                let label = dt.label(cells, "label", default_language);
                if d.is_empty() {
                    self.report(
                        "dimensions",
                        row,
                        "dimension",
                        "dimensions.missing_dimension",
                        "every row names its dimension".into(),
                    );
                    continue;
                }
                if s.is_empty() {
                    self.place(&d, "dimensions", row);
                    let base = dt.get(cells, "baseline");
                    let baseline = if base.is_empty() {
                        None
                    } else {
                        self.number("dimensions", row, "baseline", &base)
                    };
                    dims.push((d, label, baseline, Vec::new()));
                } else {
                    self.place(&s, "dimensions", row);
                    match dims.iter_mut().rev().find(|x| x.0 == d) {
                        Some(dim) => dim.3.push((s, label)),
                        None => self.report("dimensions", row, "dimension", "dimensions.unknown_dimension",
                            format!("sub-dimension '{s}' names dimension '{d}', which has no row of its own above it")),
                    }
                }
            }
        }
        dims
    }
}
