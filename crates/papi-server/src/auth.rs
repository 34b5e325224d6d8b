//! Who is calling: the one sign-in check of every route, run at the edge before any handler.
//!
//! A bearer token (devices and scripts), a browser session cookie (with its CSRF token for anything
//! that changes state), and on the OpenRosa routes also a device token in the URL
//! (`/odk/key/{token}`) or HTTP Basic with a papi user's password (the sign-in page's own check,
//! `signin::check_password`). Every path comes through `sign_in`, so they cannot drift apart.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use base64::Engine as _;
use chrono::Utc;
use papi_auth::{Action, Role, Scope};

use crate::error::ApiError;
use crate::signin::{check_password, client_addr, ClientAddr};
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

/// What an `Authorization` header carries. Schemes are case-insensitive (RFC 9110).
pub enum Authorization<'a> {
    Bearer(&'a str),
    Basic(&'a str),
    Other,
}

/// The `Authorization` header, if any.
pub fn authorization(headers: &axum::http::HeaderMap) -> Option<Authorization<'_>> {
    let header = headers.get(axum::http::header::AUTHORIZATION)?;
    let Ok(header) = header.to_str() else {
        return Some(Authorization::Other);
    };
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let rest = rest.trim();
    Some(
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            Authorization::Bearer(rest)
        } else if scheme.eq_ignore_ascii_case("basic") && !rest.is_empty() {
            Authorization::Basic(rest)
        } else {
            Authorization::Other
        },
    )
}

/// The bearer token of an `Authorization` header: `None` when there is none, an error when it is
/// not a bearer token.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<Result<&str, ApiError>> {
    match authorization(headers)? {
        Authorization::Bearer(token) => Some(Ok(token)),
        _ => Some(Err(ApiError::unauthenticated())),
    }
}

/// Which credentials a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The API and the pages: a bearer token or a session cookie.
    Web,
    /// OpenRosa (ODK Collect, Enketo): a bearer token, the device token of a `/odk/key/{token}`
    /// URL, or HTTP Basic. A browser sends Basic on its own, so no other route accepts it.
    OpenRosa,
}

/// No credentials, or credentials of a kind this route does not take.
fn unauthenticated(door: Door) -> ApiError {
    match door {
        Door::Web => ApiError::unauthenticated(),
        Door::OpenRosa => ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "auth.required",
            "Cần đăng nhập (HTTP Basic) hoặc mã thiết bị trong đường dẫn (/odk/key/MÃ/).",
            "Authentication required: HTTP Basic, or a device token in the URL (/odk/key/TOKEN/).",
        ),
    }
}

/// The one sign-in check: who sent this request, by whichever credential `door` takes.
pub async fn sign_in(
    parts: &mut Parts,
    state: &Arc<AppState>,
    door: Door,
) -> Result<Actor, ApiError> {
    if door == Door::OpenRosa {
        if let Some(key) = url_token(parts, state).await {
            return token_holder(state, &key).await;
        }
    }
    match authorization(&parts.headers) {
        None if door == Door::Web => from_session(parts, state).await,
        Some(Authorization::Bearer(token)) => token_holder(state, token).await,
        Some(Authorization::Basic(encoded)) if door == Door::OpenRosa => {
            let client = ClientAddr(client_addr(parts, state.behind_proxy));
            password_holder(state, encoded, client, door).await
        }
        _ => Err(unauthenticated(door)),
    }
}

/// The device token of a `/odk/key/{token}` URL.
async fn url_token(parts: &mut Parts, state: &Arc<AppState>) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_owned())
}

/// A papi user by HTTP Basic, checked by the sign-in page's own check (throttled, audited).
async fn password_holder(
    state: &AppState,
    encoded: &str,
    client: ClientAddr,
    door: Door,
) -> Result<Actor, ApiError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| unauthenticated(door))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| unauthenticated(door))?;
    let user = check_password(state, username, password, client, "openrosa").await?;
    Ok(Actor {
        role: user.role.parse::<Role>().map_err(ApiError::internal)?,
        name: user.username,
        csrf_token: None,
    })
}

impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Actor, ApiError> {
        sign_in(parts, state, Door::Web).await
    }
}

/// The holder of a bearer token: known, not revoked, not expired.
async fn token_holder(state: &AppState, token: &str) -> Result<Actor, ApiError> {
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
