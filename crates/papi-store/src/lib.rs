//! Storage of surveys and interviews, on an embedded SQLite file (the default) or PostgreSQL
//! (deployments). This crate is the one place where papi writes SQL.
//!
//! Both databases run the same queries (sqlx binds `$1`-style parameters on each) against the same
//! schema in two dialects (`migrations/sqlite`, `migrations/postgres`); migrations run when a store
//! is opened. The crate knows nothing of HTTP.
//!
//! Every write is one transaction: a batch of interviews is stored whole or not at all.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use papi_survey::{Interview, Survey};
use serde_json::Value as Json;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

mod error;
pub use error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// How many interviews go into one multi-row INSERT (SQLite allows 32,766 bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// Columns bound per interview in the INSERT (500 × 14 stays under SQLite's 32,766 bound values).
const COLUMNS: usize = 14;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Appends to the audit log inside the transaction `tx` (on either backend), so that the evidence of a
/// change commits or rolls back with it: `audit_in!(tx, at, actor, action, subject, details_json)`.
macro_rules! audit_in {
    ($tx:ident, $at:expr, $actor:expr, $action:expr, $subject:expr, $details:expr) => {
        sqlx::query($crate::fieldwork::AUDIT_SQL)
            .bind($at)
            .bind($actor)
            .bind($action)
            .bind($subject)
            .bind(sqlx::types::Json($details))
            .execute(&mut *$tx)
            .await?
    };
}

/// Runs the same code against whichever pool the store has; the body is compiled once per backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

mod attachments;
pub use attachments::{AttachmentInfo, AttachmentOutcome, NewAttachment};
mod fieldwork;
pub use fieldwork::*;
mod openrosa;
pub use openrosa::EditOutcome;
mod exports;
pub use exports::{ExportJob, NewExportJob};
mod backup;
pub use backup::BackupSummary;
mod recompute_jobs;
pub use recompute_jobs::{JobEnd, JobStart, RecomputeJob, STALE_AFTER_MINUTES};
mod sign_in;
pub use sign_in::{SignInTurn, ThrottleRule};
mod score_runs;
pub use score_runs::ScoreRunSummary;
mod sample;
pub use sample::{place_key, Assignment, NewSample, PlaceCheck, RegisteredSample, SamplePlace};

/// Which database a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool to a migrated papi database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
}

/// What became of one interview handed to [`Store::insert_interviews`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now.
    Created,
    /// Already stored with the same content: acknowledged, not stored twice.
    Duplicate,
    /// Already stored with different content under the same id.
    Conflict,
}

/// The result of [`Store::insert_interviews`]: one outcome per interview, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertReport {
    pub outcomes: Vec<InsertOutcome>,
    /// False when a conflict rolled the whole batch back.
    pub committed: bool,
}

impl InsertReport {
    pub fn count(&self, outcome: InsertOutcome) -> usize {
        self.outcomes.iter().filter(|o| **o == outcome).count()
    }
}

/// Which interviews to list, and where to start.
#[derive(Debug, Clone, Default)]
pub struct InterviewFilter {
    /// Keyset: only interviews stored after this arrival number.
    pub after_seq: i64,
    pub limit: i64,
    /// One interview by its id.
    pub id: Option<Uuid>,
    pub enumerator: Option<String>,
    pub review_state: Option<String>,
    /// Any of these review states (none given: every state).
    pub review_states: Vec<String>,
    pub received_since: Option<DateTime<Utc>>,
    /// Location column → value.
    pub location: Vec<(String, String)>,
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
}

/// A live browser session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub username: String,
    pub role: String,
    pub csrf_token: String,
}

/// A bearer token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub role: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub details: Json,
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

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

/// An interview as stored, with what the server adds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInterview {
    pub seq: i64,
    pub interview: Interview,
    pub received_at: DateTime<Utc>,
    pub review_state: String,
    pub content_hash: String,
}

impl Store {
    /// Opens (creating if need be) and migrates the database at `url`: `sqlite:FILE`, a plain file
    /// path, `postgres://...` or `postgresql://...`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Url(format!("{url}: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Connect(format!("{}: {e}", redact(url))))?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            Pool::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // WAL with synchronous=FULL: a committed interview survives a crash of the process
                // or of the machine.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            Pool::Sqlite(pool)
        };
        Ok(Store { pool })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Records a survey definition. Registering the same version again is a no-op when the
    /// definition is the same, and an error when it differs: a changed definition needs a new version.
    pub async fn register_survey(&self, survey: &Survey) -> Result<(), StoreError> {
        let now = Utc::now();
        let title = survey.title.get(survey.default_language()).to_owned();
        let inserted = on_pool!(self, pool => sqlx::query(
            "INSERT INTO surveys (survey_id, version, title, definition, definition_hash, registered_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id, version) DO NOTHING",
        )
        .bind(&survey.id)
        .bind(&survey.version)
        .bind(&title)
        .bind(&survey.source)
        .bind(&survey.hash)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        if inserted == 0 {
            let hash: String = on_pool!(self, pool => sqlx::query_scalar(
                "SELECT definition_hash FROM surveys WHERE survey_id = $1 AND version = $2",
            )
            .bind(&survey.id)
            .bind(&survey.version)
            .fetch_one(pool)
            .await?);
            if hash != survey.hash {
                return Err(StoreError::SurveyChanged {
                    id: survey.id.clone(),
                    version: survey.version.clone(),
                });
            }
        }
        Ok(())
    }

    /// The registered versions of a survey: (version, definition TOML).
    pub async fn survey_definitions(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = on_pool!(self, pool => sqlx::query(
            "SELECT survey_id, version, definition FROM surveys ORDER BY survey_id, version",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2)))
        .collect());
        Ok(rows)
    }

    /// Stores interviews of one survey version in one transaction, and says for each whether it was
    /// created, was already there with the same content, or conflicts with a stored one. The unique
    /// constraint on the interview id decides, so concurrent writers (even several servers on one
    /// PostgreSQL) never store an interview twice. When any interview conflicts, the transaction is
    /// rolled back and nothing is stored (`committed` is false).
    pub async fn insert_interviews(
        &self,
        survey: &Survey,
        interviews: &[Interview],
    ) -> Result<InsertReport, StoreError> {
        self.insert(survey, interviews, true).await
    }

    async fn insert(
        &self,
        survey: &Survey,
        interviews: &[Interview],
        atomic: bool,
    ) -> Result<InsertReport, StoreError> {
        let rows: Vec<NewRow> = interviews
            .iter()
            .map(|iv| NewRow::new(survey, iv))
            .collect::<Result<_, _>>()?;
        self.insert_rows(survey, &rows, atomic).await
    }

    /// Stores prepared interviews (hashed and serialised by [`PreparedInterview::new`]) in one
    /// transaction, each on its own: a conflicting interview is simply not stored (and reported), the
    /// others are committed. This is group commit for the service: many requests, one durable
    /// transaction, no request failing for another's conflict; the preparing is done in the request
    /// handlers, in parallel, not in the one task that writes.
    pub async fn insert_prepared_each(
        &self,
        survey: &Survey,
        rows: &[PreparedInterview],
    ) -> Result<InsertReport, StoreError> {
        self.insert_rows(survey, rows, false).await
    }

    async fn insert_rows(
        &self,
        survey: &Survey,
        rows: &[NewRow],
        atomic: bool,
    ) -> Result<InsertReport, StoreError> {
        let received_at = Utc::now();
        let mut created: HashSet<String> = HashSet::new();
        let mut stored: HashMap<String, Stored> = HashMap::new();
        let outcomes = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = insert_sql(self.backend(), chunk.len());
                let mut q = sqlx::query_scalar::<_, String>(&sql);
                for r in chunk {
                    q = q
                        .bind(&r.id)
                        .bind(&survey.id)
                        .bind(&survey.version)
                        .bind(SqlJson(&r.location))
                        .bind(r.weight)
                        .bind(&r.enumerator)
                        .bind(r.started_at)
                        .bind(r.finished_at)
                        .bind(received_at)
                        .bind(&r.answers)
                        .bind(&r.content_hash)
                        .bind(&r.answers_hash)
                        .bind(r.duration_seconds)
                        .bind(&r.straightlining);
                }
                created.extend(q.fetch_all(&mut *tx).await?);
            }
            // Interviews that were already there: the same content is a resend, other content a conflict.
            let existing: Vec<&NewRow> = rows.iter().filter(|r| !created.contains(&r.id)).collect();
            for chunk in existing.chunks(ROWS_PER_STATEMENT) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, content_hash, enumerator FROM interviews WHERE id IN ({})",
                    placeholders.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(&r.id);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    stored.insert(
                        row.get(0),
                        Stored {
                            content_hash: row.get(1),
                            enumerator: row.get(2),
                        },
                    );
                }
            }
            let outcomes = outcomes(rows, &created, &stored);
            if atomic && outcomes.contains(&InsertOutcome::Conflict) {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            outcomes
        });
        let committed = !atomic || !outcomes.contains(&InsertOutcome::Conflict);
        Ok(InsertReport {
            outcomes,
            committed,
        })
    }

    /// The definition (TOML) of a registered survey version.
    pub async fn survey_definition(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT definition FROM surveys WHERE survey_id = $1 AND version = $2",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_optional(pool)
        .await?))
    }

    /// Which survey version a stored interview answers.
    pub async fn interview_survey(&self, id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT survey_id, survey_version FROM interviews WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?),
        )
    }

    /// A page of interviews of a survey version, oldest first after `filter.after_seq`, keyset-paginated.
    pub async fn list_interviews(
        &self,
        survey: &Survey,
        filter: &InterviewFilter,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let location_expr = |i: usize| match self.backend() {
            Backend::Sqlite => format!("json_extract(location, '$.' || ${i})"),
            Backend::Postgres => format!("location ->> ${i}"),
        };
        let mut sql = String::from(
            "SELECT seq, id, location, weight, enumerator, started_at, finished_at, received_at, \
             CAST(answers AS TEXT) AS answers, content_hash, review_state FROM interviews \
             WHERE survey_id = $1 AND survey_version = $2 AND seq > $3 \
             AND superseded_by IS NULL",
        );
        let mut n = 3;
        if filter.id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND id = ${n}"));
        }
        if filter.enumerator.is_some() {
            n += 1;
            sql.push_str(&format!(" AND enumerator = ${n}"));
        }
        if filter.review_state.is_some() {
            n += 1;
            sql.push_str(&format!(" AND review_state = ${n}"));
        }
        if !filter.review_states.is_empty() {
            let first = n + 1;
            n += filter.review_states.len();
            let placeholders: Vec<String> = (first..=n).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(
                " AND review_state IN ({})",
                placeholders.join(", ")
            ));
        }
        if filter.received_since.is_some() {
            n += 1;
            sql.push_str(&format!(" AND received_at >= ${n}"));
        }
        for _ in &filter.location {
            sql.push_str(&format!(" AND {} = ${}", location_expr(n + 1), n + 2));
            n += 2;
        }
        sql.push_str(&format!(" ORDER BY seq LIMIT ${}", n + 1));
        let rows = on_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(&survey.id).bind(&survey.version).bind(filter.after_seq);
            if let Some(id) = filter.id {
                q = q.bind(id.to_string());
            }
            if let Some(e) = &filter.enumerator {
                q = q.bind(e);
            }
            if let Some(r) = &filter.review_state {
                q = q.bind(r);
            }
            for r in &filter.review_states {
                q = q.bind(r);
            }
            if let Some(t) = filter.received_since {
                q = q.bind(t);
            }
            for (k, v) in &filter.location {
                q = q.bind(k).bind(v);
            }
            q.bind(filter.limit).fetch_all(pool).await?.into_iter().map(|row| raw_row(&row)).collect::<Result<Vec<_>, _>>()?
        });
        rows.into_iter().map(|r| r.into_stored(survey)).collect()
    }

    /// How many interviews a survey version has.
    pub async fn count_interviews(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM interviews WHERE survey_id = $1 AND survey_version = $2 AND superseded_by IS NULL",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_one(pool)
        .await?))
    }

    /// One interview by its id, read with the definition it answered.
    pub async fn interview(
        &self,
        survey: &Survey,
        id: Uuid,
    ) -> Result<Option<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            id: Some(id),
            limit: 1,
            ..InterviewFilter::default()
        };
        Ok(self
            .list_interviews(survey, &filter)
            .await?
            .into_iter()
            .next())
    }

    /// The interviews of a survey version after `after_seq`, oldest first, at most `limit` of them:
    /// keyset pagination, so reading a million interviews never re-reads a page.
    pub async fn interviews_page(
        &self,
        survey: &Survey,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            after_seq,
            limit,
            ..InterviewFilter::default()
        };
        self.list_interviews(survey, &filter).await
    }

    /// Like [`Store::interviews_page`], only interviews in one of `review_states` (all when empty):
    /// what a score run reads, given the survey's setting of which reviewed interviews count.
    pub async fn interviews_page_in_states(
        &self,
        survey: &Survey,
        review_states: &[String],
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            after_seq,
            limit,
            review_states: review_states.to_vec(),
            ..InterviewFilter::default()
        };
        self.list_interviews(survey, &filter).await
    }

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

    /// Adds a user; the username is unique.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        let result = on_pool!(self, pool => sqlx::query(
            "INSERT INTO users (id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()));
        match result {
            Ok(()) => Ok(id),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Duplicate(format!("user '{username}'")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sets a user's password hash (and enables the user); false when there is no such user.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query(
            "UPDATE users SET password_hash = $1, disabled_at = NULL WHERE username = $2",
        )
        .bind(password_hash)
        .bind(username)
        .execute(pool)
        .await?
        .rows_affected())
            > 0)
    }

    /// Every username, in order.
    pub async fn usernames(&self) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT username FROM users ORDER BY username",
        )
        .fetch_all(pool)
        .await?))
    }

    /// A user by username.
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, User>(
            "SELECT id, username, password_hash, role, disabled_at IS NOT NULL AS disabled FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(pool)
        .await?))
    }

    /// Records a bearer token (its hash only).
    pub async fn create_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::new_v4();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO api_tokens (id, name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(role)
        .bind(token_hash)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(id)
    }

    /// The token with this hash, if any (revoked and expired ones included: the caller decides).
    pub async fn token(&self, token_hash: &str) -> Result<Option<Token>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, Token>(
            "SELECT id, name, role, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await?))
    }

    /// Revokes every live token of this name (or id); returns how many.
    pub async fn revoke_tokens(&self, name_or_id: &str) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE (name = $2 OR id = $2) AND revoked_at IS NULL",
        )
        .bind(Utc::now())
        .bind(name_or_id)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// Opens a browser session for a user.
    pub async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// A live session and its user, if the session exists, has not expired and the user is enabled.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, Session>(
            "SELECT u.username, u.role, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_optional(pool)
        .await?))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: Option<&str>,
        details: &Json,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Utc::now())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(SqlJson(details))
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The latest audit entries, newest first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, subject, details FROM audit_log ORDER BY seq DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(AuditEntry {
                        seq: r.try_get("seq")?,
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        subject: r.try_get("subject")?,
                        details: r.try_get::<SqlJson<Json>, _>("details")?.0,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }
}

/// The multi-row INSERT for `rows` interviews, built once per size.
/// The answers are sent as JSON text; PostgreSQL stores them as `json` (kept as sent, not decomposed),
/// SQLite as text.
fn insert_sql(backend: Backend, rows: usize) -> Cow<'static, str> {
    static FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let answers_cast = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "::json",
    };
    let build = |rows: usize| {
        let mut sql = String::from(
            "INSERT INTO interviews (id, survey_id, survey_version, location, weight, enumerator, \
             started_at, finished_at, received_at, answers, content_hash, answers_hash, \
             duration_seconds, straightlining) VALUES ",
        );
        for i in 0..rows {
            let b = i * COLUMNS;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 1..=COLUMNS {
                if c > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", b + c));
                if c == 10 {
                    sql.push_str(answers_cast);
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING RETURNING id");
        sql
    };
    if rows == ROWS_PER_STATEMENT {
        Cow::Borrowed(FULL[backend as usize].get_or_init(|| build(rows)).as_str())
    } else {
        Cow::Owned(build(rows))
    }
}

/// What is compared of an interview already stored under a submitted id.
struct Stored {
    content_hash: String,
    enumerator: Option<String>,
}

/// What became of each row, given which were created now and what was already stored. A resend is
/// the same content from the same enumerator: another enumerator's interview is a conflict whatever
/// its content, so that sending someone else's id never confirms what they recorded.
fn outcomes(
    rows: &[NewRow],
    created: &HashSet<String>,
    stored: &HashMap<String, Stored>,
) -> Vec<InsertOutcome> {
    let mut first_seen: HashMap<&str, &str> = HashMap::new();
    rows.iter()
        .map(|r| {
            if created.contains(&r.id) {
                // The same id twice in one batch: the first was created, the second is a resend.
                match first_seen.insert(&r.id, &r.content_hash) {
                    None => InsertOutcome::Created,
                    Some(h) if h == r.content_hash => InsertOutcome::Duplicate,
                    Some(_) => InsertOutcome::Conflict,
                }
            } else {
                match stored.get(&r.id) {
                    Some(s) if s.content_hash == r.content_hash && s.enumerator == r.enumerator => {
                        InsertOutcome::Duplicate
                    }
                    _ => InsertOutcome::Conflict,
                }
            }
        })
        .collect()
}

/// Hides a password in a database URL before it is shown in an error.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// An interview flattened to its columns, ready to insert: see [`PreparedInterview::new`].
pub type PreparedInterview = NewRow;

/// An interview flattened to its columns.
pub struct NewRow {
    id: String,
    location: Json,
    weight: Option<f64>,
    enumerator: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    /// JSON text.
    answers: String,
    content_hash: String,
    answers_hash: String,
    duration_seconds: Option<f64>,
    straightlining: Option<String>,
}

impl NewRow {
    /// Checks that the interview answers `survey`, and computes its content hash and JSON columns.
    pub fn new(survey: &Survey, iv: &Interview) -> Result<NewRow, StoreError> {
        if iv.survey_id != survey.id || iv.survey_version != survey.version {
            return Err(StoreError::WrongSurvey {
                id: iv.id,
                survey: format!("{} {}", iv.survey_id, iv.survey_version),
            });
        }
        Ok(NewRow {
            id: iv.id.to_string(),
            location: iv.location_json(),
            weight: iv.weight,
            enumerator: iv.enumerator.clone(),
            started_at: iv.started_at,
            finished_at: iv.finished_at,
            answers: iv.answers_json(survey).to_string(),
            content_hash: iv.content_hash(survey),
            answers_hash: papi_survey::quality::answers_hash(survey, iv),
            duration_seconds: papi_survey::quality::duration_seconds(iv),
            straightlining: papi_survey::quality::straightlining(survey, iv).map(|s| s.to_string()),
        })
    }
}

/// Decodes an interview row on either database.
fn raw_row<'r, R>(row: &'r R) -> Result<RawRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    SqlJson<Json>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RawRow {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        location: row.try_get::<SqlJson<Json>, _>("location")?.0,
        weight: row.try_get("weight")?,
        enumerator: row.try_get("enumerator")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        received_at: row.try_get("received_at")?,
        answers: row.try_get("answers")?,
        content_hash: row.try_get("content_hash")?,
        review_state: row.try_get("review_state")?,
    })
}

struct RawRow {
    seq: i64,
    id: String,
    location: Json,
    weight: Option<f64>,
    enumerator: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    /// The stored JSON as text (read with a cast, so that PostgreSQL's jsonb comes as text too),
    /// decoded straight into typed answers by `Survey::stored_answers`.
    answers: String,
    content_hash: String,
    review_state: String,
}

impl RawRow {
    fn into_stored(self, survey: &Survey) -> Result<StoredInterview, StoreError> {
        let corrupt = |why: String| StoreError::Corrupt {
            id: self.id.clone(),
            why,
        };
        let id = Uuid::parse_str(&self.id).map_err(|e| corrupt(e.to_string()))?;
        let answers = survey
            .stored_answers(&self.answers)
            .map_err(|e| corrupt(format!("the answers do not decode: {e}")))?;
        let location = survey
            .design
            .location
            .iter()
            .map(|col| {
                let v = self
                    .location
                    .get(col)
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                (col.clone(), v.to_owned())
            })
            .collect();
        Ok(StoredInterview {
            seq: self.seq,
            interview: Interview {
                id,
                survey_id: survey.id.clone(),
                survey_version: survey.version.clone(),
                location,
                weight: self.weight,
                enumerator: self.enumerator,
                started_at: self.started_at,
                finished_at: self.finished_at,
                answers,
            },
            received_at: self.received_at,
            review_state: self.review_state,
            content_hash: self.content_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            super::redact("postgres://papi:secret@db:5432/papi"),
            "postgres://papi:***@db:5432/papi"
        );
        assert_eq!(
            super::redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
