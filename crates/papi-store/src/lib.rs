//! Storage of surveys and interviews, on an embedded SQLite file (the default) or PostgreSQL
//! (deployments). This crate is the one place where papi writes SQL.
//!
//! Both databases run the same queries (sqlx binds `$1`-style parameters on each) against the same
//! schema in two dialects (`migrations/sqlite`, `migrations/postgres`); migrations run when a store
//! is opened. The crate knows nothing of HTTP.
//!
//! Every write is one transaction: a batch of interviews is stored whole or not at all.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

mod error;
pub use error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

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

mod audit;
pub use audit::AuditEntry;
mod interviews;
pub use interviews::{
    InsertOutcome, InsertReport, InterviewFilter, NewRow, PreparedInterview, StoredInterview,
};
mod sessions;
pub use sessions::Session;
mod surveys;
mod tokens;
pub use tokens::Token;
mod users;
pub use users::User;
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
pub use score_runs::{NewScoreRun, ScoreRun, ScoreRunSummary};
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

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
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
