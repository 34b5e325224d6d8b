//! The audit log: appended to, and read newest first. The database refuses to change or delete an
//! entry; changes recorded with the evidence of them use `audit_in!` inside their own transaction.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;

use crate::{Pool, Store, StoreError};

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

impl Store {
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
