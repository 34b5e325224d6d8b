//! Score runs: recorded whole (what was scored, how, by whom, and the result), immutable once
//! recorded, read back by id, and listed without their (large) results for the analysts' page.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// A score run to record: what was scored, how, by whom, and the full result (JSON text).
#[derive(Debug, Clone, PartialEq)]
pub struct NewScoreRun {
    pub survey_id: String,
    pub survey_version: String,
    pub definition_hash: String,
    pub data_hash: String,
    pub interviews: i64,
    pub parameters: Json,
    pub recorded_by: String,
    pub result: String,
}

/// A recorded score run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRun {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub run: NewScoreRun,
}

impl Store {
    /// Records a score run. Runs are immutable: the database refuses to change or delete one.
    pub async fn record_score_run(&self, run: &NewScoreRun) -> Result<ScoreRun, StoreError> {
        let id = Uuid::new_v4();
        let created_at = Utc::now();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO score_runs (id, survey_id, survey_version, definition_hash, data_hash, interviews, \
             parameters, recorded_by, created_at, result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(&run.survey_id)
        .bind(&run.survey_version)
        .bind(&run.definition_hash)
        .bind(&run.data_hash)
        .bind(run.interviews)
        .bind(SqlJson(&run.parameters))
        .bind(&run.recorded_by)
        .bind(created_at)
        .bind(&run.result)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(ScoreRun {
            id,
            created_at,
            run: run.clone(),
        })
    }

    /// A recorded score run by id.
    pub async fn score_run(&self, id: Uuid) -> Result<Option<ScoreRun>, StoreError> {
        let row = on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT survey_id, survey_version, definition_hash, data_hash, interviews, parameters, \
                 recorded_by, created_at, result FROM score_runs WHERE id = $1",
            )
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?;
            match row {
                Some(r) => Some(ScoreRun {
                    id,
                    created_at: r.try_get("created_at")?,
                    run: NewScoreRun {
                        survey_id: r.try_get("survey_id")?,
                        survey_version: r.try_get("survey_version")?,
                        definition_hash: r.try_get("definition_hash")?,
                        data_hash: r.try_get("data_hash")?,
                        interviews: r.try_get("interviews")?,
                        parameters: r.try_get::<SqlJson<Json>, _>("parameters")?.0,
                        recorded_by: r.try_get("recorded_by")?,
                        result: r.try_get("result")?,
                    },
                }),
                None => None,
            }
        });
        Ok(row)
    }
}

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
