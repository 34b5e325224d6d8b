//! What analyst exports read and record: interviews a keyset page at a time (filtered by review
//! state), and the export jobs that the service runs in the background.

use chrono::{DateTime, Utc};
use papi_survey::Survey;
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// An export job to record (queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExportJob {
    pub survey_id: String,
    pub survey_version: String,
    /// csv, parquet or xlsx.
    pub format: String,
    pub bom: bool,
    /// Empty: every review state.
    pub review_states: Vec<String>,
    pub requested_by: String,
}

/// An export job as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub id: Uuid,
    pub job: NewExportJob,
    /// queued, running, done or failed.
    pub status: String,
    pub rows_written: i64,
    pub rows_total: Option<i64>,
    pub error: Option<String>,
    pub file_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Store {
    /// How many live interviews (not replaced by an edit) of a survey version are in one of
    /// `review_states` (all when empty): what [`Store::interviews_page_in_states`] pages through.
    pub async fn count_for_export(
        &self,
        survey: &Survey,
        review_states: &[String],
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM interviews WHERE survey_id = $1 AND survey_version = $2 \
             AND superseded_by IS NULL{}",
            states_clause(review_states, 3)
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(&survey.id).bind(&survey.version);
            for s in review_states {
                q = q.bind(s);
            }
            q.fetch_one(pool).await?
        }))
    }

    /// Records a queued export job.
    pub async fn create_export_job(&self, job: &NewExportJob) -> Result<ExportJob, StoreError> {
        let id = Uuid::new_v4();
        let created_at = Utc::now();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO export_jobs (id, survey_id, survey_version, format, bom, review_states, requested_by, \
             status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8)",
        )
        .bind(id.to_string())
        .bind(&job.survey_id)
        .bind(&job.survey_version)
        .bind(&job.format)
        .bind(job.bom)
        .bind(SqlJson(&job.review_states))
        .bind(&job.requested_by)
        .bind(created_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(ExportJob {
            id,
            job: job.clone(),
            status: "queued".into(),
            rows_written: 0,
            rows_total: None,
            error: None,
            file_name: None,
            created_at,
            finished_at: None,
        })
    }

    /// An export job by id.
    pub async fn export_job(&self, id: Uuid) -> Result<Option<ExportJob>, StoreError> {
        Ok(on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT survey_id, survey_version, format, bom, review_states, requested_by, status, \
                 rows_written, rows_total, error, file_name, created_at, finished_at FROM export_jobs WHERE id = $1",
            )
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?;
            match row {
                None => None,
                Some(r) => Some(ExportJob {
                    id,
                    job: NewExportJob {
                        survey_id: r.try_get("survey_id")?,
                        survey_version: r.try_get("survey_version")?,
                        format: r.try_get("format")?,
                        bom: r.try_get("bom")?,
                        review_states: states_from_json(r.try_get::<SqlJson<Json>, _>("review_states")?.0),
                        requested_by: r.try_get("requested_by")?,
                    },
                    status: r.try_get("status")?,
                    rows_written: r.try_get("rows_written")?,
                    rows_total: r.try_get("rows_total")?,
                    error: r.try_get("error")?,
                    file_name: r.try_get("file_name")?,
                    created_at: r.try_get("created_at")?,
                    finished_at: r.try_get("finished_at")?,
                }),
            }
        }))
    }

    /// Marks a job running, with the number of interviews it will write.
    pub async fn start_export_job(&self, id: Uuid, rows_total: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE export_jobs SET status = 'running', rows_total = $1 WHERE id = $2",
        )
        .bind(rows_total)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Records how many interviews a running job has written.
    pub async fn export_job_progress(&self, id: Uuid, rows_written: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE export_jobs SET rows_written = $1 WHERE id = $2 AND status = 'running'",
        )
        .bind(rows_written)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Ends a job: done with its file, or failed with the reason (`file_name` None).
    pub async fn finish_export_job(
        &self,
        id: Uuid,
        rows_written: i64,
        outcome: Result<&str, &str>,
    ) -> Result<(), StoreError> {
        let (status, file, error) = match outcome {
            Ok(file) => ("done", Some(file), None),
            Err(e) => ("failed", None, Some(e)),
        };
        on_pool!(self, pool => sqlx::query(
            "UPDATE export_jobs SET status = $1, rows_written = $2, file_name = $3, error = $4, finished_at = $5 \
             WHERE id = $6",
        )
        .bind(status)
        .bind(rows_written)
        .bind(file)
        .bind(error)
        .bind(Utc::now())
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Jobs left queued or running by a service that stopped are failed, so nobody waits on them;
    /// returns how many.
    pub async fn fail_interrupted_export_jobs(&self) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query(
            "UPDATE export_jobs SET status = 'failed', error = 'the service stopped before the export finished; ask again', \
             finished_at = $1 WHERE status IN ('queued', 'running')",
        )
        .bind(Utc::now())
        .execute(pool)
        .await?
        .rows_affected()))
    }
}

/// ` AND review_state IN ($first, ...)`, or nothing for every state.
fn states_clause(states: &[String], first: usize) -> String {
    if states.is_empty() {
        return String::new();
    }
    let placeholders: Vec<String> = (first..first + states.len())
        .map(|i| format!("${i}"))
        .collect();
    format!(" AND review_state IN ({})", placeholders.join(", "))
}

fn states_from_json(v: Json) -> Vec<String> {
    match v {
        Json::Array(items) => items
            .into_iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}
