//! Reading published score runs: what the dashboard takes of a stored score report, parsed once per
//! run (runs are immutable), and the national quartiles it is compared with.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as Json_;
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

use super::*;

// What the dashboard reads of a stored score report (papi-score's JSON).
#[derive(Deserialize)]
pub(crate) struct RunReport {
    pub(crate) groups: Vec<RunGroup>,
    /// Not in the JSON: the run's interview count, from its record.
    #[serde(skip)]
    pub(crate) interviews: i64,
}

#[derive(Deserialize)]
pub(crate) struct RunGroup {
    pub(crate) by: serde_json::Map<String, Json_>,
    pub(crate) respondents: u64,
    pub(crate) total: Est,
    pub(crate) dimensions: Vec<RunDimension>,
    #[serde(default)]
    pub(crate) baseline: Option<RunBaseline>,
    #[serde(default)]
    pub(crate) performance: Option<PerformanceInfo>,
}

#[derive(Deserialize)]
pub(crate) struct RunDimension {
    pub(crate) id: String,
    #[serde(flatten)]
    pub(crate) value: Est,
    pub(crate) subdimensions: Vec<RunSubdimension>,
}

#[derive(Deserialize)]
pub(crate) struct RunSubdimension {
    pub(crate) id: String,
    #[serde(flatten)]
    pub(crate) value: Est,
}

#[derive(Deserialize)]
pub(crate) struct RunBaseline {
    pub(crate) label: String,
    pub(crate) year: Option<i32>,
    pub(crate) total: RunChange,
    pub(crate) dimensions: Vec<RunDimensionChange>,
}

#[derive(Deserialize)]
pub(crate) struct RunChange {
    pub(crate) baseline: f64,
    pub(crate) change: RunChangeEstimate,
}

#[derive(Deserialize)]
pub(crate) struct RunChangeEstimate {
    #[serde(flatten)]
    pub(crate) value: Est,
    #[serde(default)]
    pub(crate) baseline_treated_as_exact: bool,
}

#[derive(Deserialize)]
pub(crate) struct RunDimensionChange {
    pub(crate) id: String,
    pub(crate) baseline: f64,
    pub(crate) change: Est,
}

/// Parsed score runs, by id: runs are immutable, so a parsed one never goes stale.
#[derive(Default)]
pub struct RunCache {
    pub(crate) runs: tokio::sync::RwLock<HashMap<Uuid, Arc<RunReport>>>,
}

impl RunCache {
    pub(crate) async fn get(&self, state: &AppState, id: Uuid) -> Result<Arc<RunReport>, ApiError> {
        if let Some(r) = self.runs.read().await.get(&id) {
            return Ok(r.clone());
        }
        let run =
            state.store.score_run(id).await?.ok_or_else(|| {
                ApiError::internal(format!("published score run {id} is missing"))
            })?;
        let mut report: RunReport =
            serde_json::from_str(&run.run.result).map_err(ApiError::internal)?;
        report.interviews = run.run.interviews;
        let report = Arc::new(report);
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
