//! Recompute jobs: one running per survey version, visible to every instance, forgotten after a while.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// A recompute job as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RecomputeJob {
    pub id: Uuid,
    pub survey_id: String,
    pub survey_version: String,
    pub requested_by: String,
    /// running, done or failed.
    pub status: String,
    pub phase: String,
    pub interviews_read: i64,
    pub interviews_total: i64,
    pub left_out: Option<i64>,
    pub publication: Option<String>,
    pub total: Option<f64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What [`Store::start_recompute_job`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStart {
    /// A new job is recorded as running: the caller runs it.
    Started(RecomputeJob),
    /// A job for this survey version is already running (on this instance or another).
    AlreadyRunning(RecomputeJob),
}

/// How the end of a job is recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    Done {
        publication: String,
        left_out: i64,
        total: Option<f64>,
    },
    Failed(String),
}

/// A running job silent for this long was interrupted (its instance stopped): it no longer blocks.
pub const STALE_AFTER_MINUTES: i64 = 10;

const COLUMNS: &str =
    "id, survey_id, survey_version, requested_by, status, phase, interviews_read, \
     interviews_total, left_out, publication, total, error, created_at, updated_at";

fn decode<'r, R>(row: &'r R) -> Result<RecomputeJob, StoreError>
where
    R: sqlx::Row,
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    Ok(RecomputeJob {
        id: Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt {
            id: id.clone(),
            why: format!("recompute job id: {e}"),
        })?,
        survey_id: row.try_get("survey_id")?,
        survey_version: row.try_get("survey_version")?,
        requested_by: row.try_get("requested_by")?,
        status: row.try_get("status")?,
        phase: row.try_get("phase")?,
        interviews_read: row.try_get("interviews_read")?,
        interviews_total: row.try_get("interviews_total")?,
        left_out: row.try_get("left_out")?,
        publication: row.try_get("publication")?,
        total: row.try_get("total")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Records a new running job for a survey version, unless one is already running there.
    pub async fn start_recompute_job(
        &self,
        survey_id: &str,
        survey_version: &str,
        requested_by: &str,
    ) -> Result<JobStart, StoreError> {
        let now = Utc::now();
        let id = Uuid::new_v4();
        // Up to two rounds: a concurrent request may finish its job between our insert and our read.
        for _ in 0..2 {
            on_pool!(self, pool => sqlx::query(
                "UPDATE recompute_jobs SET status = 'failed', error = 'interrupted: the service running it stopped', \
                 updated_at = $1 WHERE survey_id = $2 AND survey_version = $3 AND status = 'running' AND updated_at < $4",
            )
            .bind(now)
            .bind(survey_id)
            .bind(survey_version)
            .bind(now - Duration::minutes(STALE_AFTER_MINUTES))
            .execute(pool)
            .await
            .map(|_| ()))?;
            let inserted = on_pool!(self, pool => sqlx::query(
                "INSERT INTO recompute_jobs (id, survey_id, survey_version, requested_by, status, phase, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'running', 'queued', $5, $5) ON CONFLICT DO NOTHING",
            )
            .bind(id.to_string())
            .bind(survey_id)
            .bind(survey_version)
            .bind(requested_by)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
            if inserted == 1 {
                let job = self.recompute_job(id).await?;
                return job
                    .map(JobStart::Started)
                    .ok_or_else(|| StoreError::Corrupt {
                        id: id.to_string(),
                        why: "a recompute job vanished once recorded".into(),
                    });
            }
            let sql = format!(
                "SELECT {COLUMNS} FROM recompute_jobs WHERE survey_id = $1 AND survey_version = $2 AND status = 'running'"
            );
            let running = on_pool!(self, pool => {
                let row = sqlx::query(&sql)
                    .bind(survey_id)
                    .bind(survey_version)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(decode).transpose()?
            });
            if let Some(job) = running {
                return Ok(JobStart::AlreadyRunning(job));
            }
        }
        Err(StoreError::Corrupt {
            id: format!("{survey_id} {survey_version}"),
            why: "could not start a recompute job: the running one kept changing".into(),
        })
    }

    /// A recompute job by id.
    pub async fn recompute_job(&self, id: Uuid) -> Result<Option<RecomputeJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM recompute_jobs WHERE id = $1");
        Ok(on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(pool).await?;
            row.as_ref().map(decode).transpose()?
        }))
    }

    /// Records a running job's progress (and that it is alive).
    pub async fn recompute_progress(
        &self,
        id: Uuid,
        phase: &str,
        read: i64,
        total: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE recompute_jobs SET phase = $1, interviews_read = $2, interviews_total = $3, updated_at = $4 \
             WHERE id = $5 AND status = 'running'",
        )
        .bind(phase)
        .bind(read)
        .bind(total)
        .bind(Utc::now())
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Tells other instances a running job is alive; false once the job has ended.
    pub async fn touch_recompute_job(&self, id: Uuid) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query(
            "UPDATE recompute_jobs SET updated_at = $1 WHERE id = $2 AND status = 'running'",
        )
        .bind(Utc::now())
        .bind(id.to_string())
        .execute(pool)
        .await?
        .rows_affected())
            == 1)
    }

    /// Records how a job ended.
    pub async fn finish_recompute_job(&self, id: Uuid, end: &JobEnd) -> Result<(), StoreError> {
        let (status, publication, left_out, total, error) = match end {
            JobEnd::Done {
                publication,
                left_out,
                total,
            } => (
                "done",
                Some(publication.as_str()),
                Some(*left_out),
                *total,
                None,
            ),
            JobEnd::Failed(e) => ("failed", None, None, None, Some(e.as_str())),
        };
        on_pool!(self, pool => sqlx::query(
            "UPDATE recompute_jobs SET status = $1, phase = $1, publication = $2, left_out = $3, total = $4, \
             error = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status)
        .bind(publication)
        .bind(left_out)
        .bind(total)
        .bind(error)
        .bind(Utc::now())
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Forgets finished jobs (recompute and export) created before `before`, and returns the file
    /// names of the exports forgotten, for the caller to delete.
    pub async fn expire_jobs(&self, before: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM recompute_jobs WHERE created_at < $1 AND status <> 'running'")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            let files: Vec<Option<String>> = sqlx::query_scalar(
                "DELETE FROM export_jobs WHERE created_at < $1 AND status IN ('done', 'failed') RETURNING file_name",
            )
            .bind(before)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            files.into_iter().flatten().collect()
        }))
    }

    /// How many jobs of each kind ("recompute", "export") are in each status.
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String, i64)>(
            "SELECT 'recompute', status, COUNT(*) FROM recompute_jobs GROUP BY status \
             UNION ALL SELECT 'export', status, COUNT(*) FROM export_jobs GROUP BY status",
        )
        .fetch_all(pool)
        .await?),
        )
    }
}
