//! Who is calling: a bearer token (devices and scripts). Checked at the edge, before any handler runs.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use papi_auth::Role;

use crate::error::ApiError;
use crate::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's (or user's) name: for an enumerator, the name interviews are recorded under.
    pub name: String,
    pub role: Role,
}

impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Actor, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(ApiError::unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthenticated)?;
        let stored = state.store.token(&papi_auth::token_hash(token)).await?;
        let bad = |en: &str, vi: &str, code: &'static str| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                code,
                vi.to_owned(),
                en.to_owned(),
            )
        };
        let Some(t) = stored else {
            return Err(bad(
                "This token is not known.",
                "Mã truy cập không hợp lệ.",
                "auth.invalid_token",
            ));
        };
        if t.revoked_at.is_some() {
            return Err(bad(
                "This token has been revoked.",
                "Mã truy cập đã bị thu hồi.",
                "auth.revoked_token",
            ));
        }
        if t.expires_at.is_some_and(|e| e <= Utc::now()) {
            return Err(bad(
                "This token has expired.",
                "Mã truy cập đã hết hạn.",
                "auth.expired_token",
            ));
        }
        let role = t.role.parse::<Role>().map_err(ApiError::internal)?;
        Ok(Actor { name: t.name, role })
    }
}
