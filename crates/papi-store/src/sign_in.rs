//! The sign-in throttle: one row per key (a username, or a client's address) with its failures in a
//! row and the earliest time it may try again. Taking a turn counts the attempt as a failure and
//! raises the wait in the same statement, so parallel attempts cannot all read "no failures yet";
//! a successful sign-in gives its turn back.

use chrono::Utc;

use crate::{Pool, Store, StoreError};

/// How a key's failures turn into a wait (the policy itself lives with the caller).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    /// Failures in a row that cost no wait.
    pub free: i64,
    /// The wait doubles from one second this many times at most.
    pub max_doublings: i64,
    /// A key's failures are forgotten this long after the last one.
    pub forget_after_secs: i64,
}

/// Whether a key may try to sign in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInTurn {
    /// Yes: the attempt is counted as a failure until [`Store::sign_in_succeeded`] says otherwise.
    Granted,
    /// Not before this many seconds.
    Refused { retry_after_secs: i64 },
}

/// The wait in seconds after the failure counted by the SQL expression `n`.
fn wait_sql(n: &str) -> String {
    format!(
        "CASE WHEN {n} <= $4 THEN 0 ELSE (CAST(1 AS BIGINT) << CAST(CASE WHEN {n} - $4 - 1 > $5 THEN $5 ELSE {n} - $4 - 1 END AS INTEGER)) END"
    )
}

fn take_turn_sql() -> String {
    let n = "(CASE WHEN sign_in_throttle.updated_ms < $2 - 1000 * $3 THEN 1 ELSE sign_in_throttle.failures + 1 END)";
    format!(
        "INSERT INTO sign_in_throttle (throttle_key, failures, not_before_ms, updated_ms) \
         VALUES ($1, 1, $2 + 1000 * {first}, $2) \
         ON CONFLICT (throttle_key) DO UPDATE SET failures = {n}, not_before_ms = $2 + 1000 * {wait}, updated_ms = $2 \
         WHERE sign_in_throttle.not_before_ms <= $2 \
         RETURNING failures",
        first = wait_sql("1"),
        wait = wait_sql(n),
    )
}

impl Store {
    /// Takes a sign-in turn for `key`, or says how long it must wait.
    pub async fn take_sign_in_turn(
        &self,
        key: &str,
        rule: ThrottleRule,
    ) -> Result<SignInTurn, StoreError> {
        let now = Utc::now().timestamp_millis();
        let sql = take_turn_sql();
        let granted: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(&sql)
            .bind(key)
            .bind(now)
            .bind(rule.forget_after_secs)
            .bind(rule.free)
            .bind(rule.max_doublings)
            .fetch_optional(pool)
            .await?);
        if granted.is_some() {
            return Ok(SignInTurn::Granted);
        }
        let not_before: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT not_before_ms FROM sign_in_throttle WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_optional(pool)
        .await?);
        let wait_ms = not_before.unwrap_or(now) - now;
        Ok(SignInTurn::Refused {
            retry_after_secs: ((wait_ms + 999) / 1000).max(1),
        })
    }

    /// A sign-in succeeded: the username's failures are forgotten, the address gets its turn back,
    /// and keys idle for longer than `forget_after_secs` are removed.
    pub async fn sign_in_succeeded(
        &self,
        username_key: &str,
        address_key: Option<&str>,
        forget_after_secs: i64,
    ) -> Result<(), StoreError> {
        let now = Utc::now().timestamp_millis();
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sign_in_throttle WHERE throttle_key = $1")
                .bind(username_key)
                .execute(pool)
                .await?;
            if let Some(address) = address_key {
                sqlx::query(
                    "UPDATE sign_in_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0",
                )
                .bind(address)
                .execute(pool)
                .await?;
            }
            sqlx::query("DELETE FROM sign_in_throttle WHERE updated_ms < $1 AND not_before_ms < $2")
                .bind(now - 1000 * forget_after_secs)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
