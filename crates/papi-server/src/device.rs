//! Device tokens: how the enumerator's form on a phone keeps working offline after a sign-in with a
//! username and password. A browser session (12 hours, a cookie) cannot send an interview queued
//! three days ago in a village with no signal, so a signed-in enumerator asks for a bearer token for
//! this device: named after the user (interviews are recorded under the name the assignments use),
//! with the enumerator's role, expiring, and revocable like any other token (`papi token revoke ID`,
//! or the form's own sign-out). The password is checked once, by `POST /login`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::DateTime;
use chrono::{Duration, Utc};
use papi_auth::{Action, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// How long a device token lasts: a fieldwork wave, after which the enumerator signs in again.
const DEVICE_TOKEN_DAYS: i64 = 60;

fn enumerators_only() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "device.enumerators_only",
        "Chỉ điều tra viên mới có mã cho thiết bị.",
        "Device tokens are for enumerators only.",
    )
}

/// A bearer token issued to the device a user signed in on.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceToken {
    /// The token's id, by which it is revoked (`papi token revoke ID`).
    pub id: Uuid,
    /// The user's name: interviews sent with the token are recorded under it.
    pub name: String,
    /// The token itself, shown once.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/session/device-token`: a bearer token for this device, from a browser session.
#[utoipa::path(
    post,
    path = "/api/v1/session/device-token",
    tag = "service",
    responses(
        (status = 201, description = "The token, shown once: send it as a bearer token from this device", body = DeviceToken),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Not a browser session (a token cannot make tokens), a missing CSRF token, or not an enumerator", body = ErrorBody),
    )
)]
pub async fn issue(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> Result<(StatusCode, Json<DeviceToken>), ApiError> {
    if actor.csrf_token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device.session_required",
            "Chỉ phiên đăng nhập bằng mật khẩu mới cấp được mã cho thiết bị.",
            "Only a session signed in with a password can issue a device token.",
        ));
    }
    // A phone is easily lost: only an enumerator's powers are left on one for weeks.
    if !actor.can(Action::KeepDeviceToken) {
        return Err(enumerators_only());
    }
    let (token, hash) = papi_auth::new_token();
    let expires_at = Utc::now() + Duration::days(DEVICE_TOKEN_DAYS);
    let id = state
        .store
        .create_token(
            &actor.name,
            Role::Enumerator.name(),
            &hash,
            Some(expires_at),
        )
        .await?;
    state
        .store
        .audit(
            &actor.name,
            "token.create",
            Some(&actor.name),
            &json!({ "id": id, "role": Role::Enumerator.name(), "expires_at": expires_at, "via": "form" }),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DeviceToken {
            id,
            name: actor.name,
            token,
            expires_at,
        }),
    ))
}

/// `DELETE /api/v1/session/device-token`: the form signs out, revoking the token it calls with.
#[utoipa::path(
    delete,
    path = "/api/v1/session/device-token",
    tag = "service",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The calling token is revoked"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Not an enumerator's token: only a device signs itself out here", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    // The extractor has checked the token; a session has none to revoke. Other roles' tokens belong to
    // scripts, revoked by an administrator (`papi token revoke`), never by a request of their own.
    let token = crate::auth::bearer(&headers).ok_or_else(ApiError::unauthenticated)??;
    if !actor.can(Action::KeepDeviceToken) {
        return Err(enumerators_only());
    }
    let stored = state
        .store
        .token(&papi_auth::token_hash(token))
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    state.store.revoke_tokens(&stored.id).await?;
    state
        .store
        .audit(
            &actor.name,
            "token.revoke",
            Some(&stored.name),
            &json!({ "id": stored.id, "revoked": 1, "via": "form" }),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
