//! Bearer tokens, stored by their SHA-256 only: created, looked up and revoked.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// A bearer token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub role: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
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
}
