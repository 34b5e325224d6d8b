//! Browser sessions: opened at sign-in, read on every request with their user, ended at sign-out.

use chrono::{DateTime, Utc};

use crate::{Pool, Store, StoreError};

/// A live browser session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub username: String,
    pub role: String,
    pub csrf_token: String,
}

impl Store {
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
}
