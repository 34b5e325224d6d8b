//! Online backup of an SQLite database: `VACUUM INTO` copies one consistent snapshot while writers
//! go on. The copy is then opened and checked (SQLite's integrity check, and its counts).

use std::path::Path;

use crate::{Pool, Store, StoreError};

/// What a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub interviews: i64,
    pub audit_entries: i64,
    pub bytes: u64,
}

impl Store {
    /// Copies the database into a new file at `path` (SQLite only).
    pub async fn backup_into(&self, path: &Path) -> Result<BackupSummary, StoreError> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Err(StoreError::Unsupported(
                "papi backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README)"
                    .into(),
            ));
        };
        let target = path.to_str().ok_or_else(|| {
            StoreError::Unsupported(format!("{}: the path is not UTF-8", path.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        let copy = Store::open(&format!("sqlite:{target}")).await?;
        let Pool::Sqlite(copy_pool) = &copy.pool else {
            unreachable!("a sqlite: URL opens SQLite")
        };
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(copy_pool)
            .await?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                id: target.to_owned(),
                why: format!("the backup fails SQLite's integrity check: {check}"),
            });
        }
        let interviews: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM interviews")
            .fetch_one(copy_pool)
            .await?;
        let audit_entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(copy_pool)
            .await?;
        copy_pool.close().await;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(BackupSummary {
            interviews,
            audit_entries,
            bytes,
        })
    }
}
