//! Where a sampled place is, in a survey's location columns: the one rule that the server's checks,
//! the weights and the simulator share, so that a place is spelled the same everywhere.

use crate::Sample;

impl Sample {
    /// The location of the place at `path` (one name per level) in `columns`: the first column takes
    /// the province, the next ones the path's names, coarse to fine.
    pub fn location(&self, columns: &[String], path: &[String]) -> Vec<(String, String)> {
        std::iter::once(self.province.clone())
            .chain(path.iter().cloned())
            .zip(columns)
            .map(|(value, column)| (column.clone(), value))
            .collect()
    }
}
