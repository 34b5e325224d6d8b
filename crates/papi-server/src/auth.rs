//! Who is calling: a bearer token (devices and scripts) or a browser session cookie (with its CSRF
//! token for anything that changes state). Checked at the edge, before any handler runs.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use papi_auth::{Action, Role, Scope};

use crate::error::ApiError;
use crate::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's (or user's) name: for an enumerator, the name interviews are recorded under.
    pub name: String,
    pub role: Role,
    /// The session's CSRF token, for a browser session.
    pub csrf_token: Option<String>,
}

impl Actor {
    /// Whether this caller may do `action`, and over what, as the permission table in `papi-auth`
    /// says; a 403 naming the action when not. Every handler asks this first, before it reads a body.
    pub fn may(&self, action: Action) -> Result<Scope, ApiError> {
        self.role.may(action).ok_or_else(|| {
            let (vi, en) = action.describe();
            ApiError::forbidden(vi, en)
        })
    }

    /// Whether this caller may do `action` at all (what a page shows or hides).
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }

    /// Whether what this caller does under `action` is limited to their own (an enumerator's
    /// interviews, villages; an analyst's export jobs).
    pub fn only_own(&self, action: Action) -> bool {
        self.role.may(action) == Some(Scope::Own)
    }
}

/// The session token of the `papi_session` cookie, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == crate::session::COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The token of an `Authorization` header: `None` when there is none, an error when it is not a
/// bearer token.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<Result<&str, ApiError>> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    Some(
        header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthenticated),
    )
}

impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Actor, ApiError> {
        let Some(token) = bearer(&parts.headers) else {
            return from_session(parts, state).await;
        };
        let token = token?;
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
        Ok(Actor {
            name: t.name,
            role,
            csrf_token: None,
        })
    }
}

/// A browser session: the cookie, and for a request that changes state, the matching CSRF header.
async fn from_session(parts: &Parts, state: &Arc<AppState>) -> Result<Actor, ApiError> {
    let token = session_cookie(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
    let session = state
        .store
        .session(&papi_auth::token_hash(&token))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "auth.session_expired",
                "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                "The session has ended; sign in again.",
            )
        })?;
    let safe = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let sent = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    if !safe && sent != Some(session.csrf_token.as_str()) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "auth.csrf",
            "Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token).",
            "Missing or wrong CSRF token (X-CSRF-Token).",
        ));
    }
    let role = session.role.parse::<Role>().map_err(ApiError::internal)?;
    Ok(Actor {
        name: session.username,
        role,
        csrf_token: Some(session.csrf_token),
    })
}
