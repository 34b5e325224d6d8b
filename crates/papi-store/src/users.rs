//! People who sign in: their usernames, password hashes (never passwords) and roles.

use chrono::Utc;
use uuid::Uuid;

use crate::{is_unique_violation, Pool, Store, StoreError};

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
}

impl Store {
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
}
