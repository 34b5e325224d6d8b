//! Reading published score runs: what the dashboard takes of a stored score report, parsed once per
//! run (runs are immutable), and the national quartiles it is compared with.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

/// A published score run: papi-score's report as stored, and the run's interview count from its
/// record.
pub(crate) struct PublishedRun {
    pub(crate) report: papi_score::Report,
    pub(crate) interviews: i64,
}

impl PublishedRun {
    /// The run's groups: overall (one group) or one per stratum.
    pub(crate) fn groups(&self) -> &[papi_score::Group] {
        &self.report.groups
    }
}

/// Parsed score runs, by id: runs are immutable, so a parsed one never goes stale.
#[derive(Default)]
pub struct RunCache {
    pub(crate) runs: tokio::sync::RwLock<HashMap<Uuid, Arc<PublishedRun>>>,
}

impl RunCache {
    pub(crate) async fn get(
        &self,
        state: &AppState,
        id: Uuid,
    ) -> Result<Arc<PublishedRun>, ApiError> {
        if let Some(r) = self.runs.read().await.get(&id) {
            return Ok(r.clone());
        }
        let run =
            state.store.score_run(id).await?.ok_or_else(|| {
                ApiError::internal(format!("published score run {id} is missing"))
            })?;
        let report = serde_json::from_str(&run.run.result).map_err(|e| {
            ApiError::internal(format!("published score run {id} does not read back: {e}"))
        })?;
        let report = Arc::new(PublishedRun {
            report,
            interviews: run.run.interviews,
        });
        self.runs.write().await.insert(id, report.clone());
        Ok(report)
    }
}

/// National quartiles (type 7, as R) of each PAPI dimension in `year`, by dimension position.
pub(crate) fn dimension_quartiles(
    table: &papi_survey::ReferenceTable,
    year: i32,
    i: usize,
) -> Option<[f64; 3]> {
    let mut values: Vec<f64> = table
        .year(year)
        .filter_map(|r| r.dimensions.get(i).copied().flatten())
        .collect();
    if values.len() < 4 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some([0.25, 0.5, 0.75].map(|p| papi_score::quantile7(&values, p)))
}
