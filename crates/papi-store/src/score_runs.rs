//! The score runs of a survey version as a list: what each scored, when and by whom, without the
//! (large) results, for the analysts' page.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// A recorded score run without its result.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRunSummary {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub recorded_by: String,
    pub interviews: i64,
    pub parameters: Json,
}

/// id, created at, recorded by, interviews, parameters.
type SummaryRow = (String, DateTime<Utc>, String, i64, SqlJson<Json>);

impl Store {
    /// A survey version's latest `limit` score runs, newest first.
    pub async fn score_runs(
        &self,
        survey_id: &str,
        version: &str,
        limit: i64,
    ) -> Result<Vec<ScoreRunSummary>, StoreError> {
        let rows: Vec<SummaryRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, created_at, recorded_by, interviews, parameters FROM score_runs \
             WHERE survey_id = $1 AND survey_version = $2 ORDER BY created_at DESC, id LIMIT $3",
        )
        .bind(survey_id)
        .bind(version)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|(id, created_at, recorded_by, interviews, parameters)| {
                Ok(ScoreRunSummary {
                    id: Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt {
                        id: id.clone(),
                        why: e.to_string(),
                    })?,
                    created_at,
                    recorded_by,
                    interviews,
                    parameters: parameters.0,
                })
            })
            .collect()
    }
}
