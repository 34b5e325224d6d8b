//! The one password check, shared by the sign-in page and ODK's HTTP Basic.
//!
//! Throttling: every attempt takes a turn per client address and per username in one statement each
//! (the store counts it as a failure and raises the wait at once, so parallel attempts cannot slip
//! past the count); a success gives the turns back. Waits double per failure from one second, up to
//! a minute for a username (nobody can lock a real user out for long) and four minutes for an
//! address (what an attacker spends). A name that no user can have is refused before anything is
//! stored under it; an unknown user is checked against a real Argon2 hash, so time does not tell.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use papi_auth::Throttle;
use papi_store::{SignInTurn, ThrottleRule, User};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// Where a request comes from: the peer's address, or behind a trusted proxy (`papi serve
/// --behind-proxy`) the address the proxy appended to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts, state.behind_proxy)))
    }
}

pub fn client_addr(parts: &Parts, behind_proxy: bool) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !behind_proxy {
        return peer;
    }
    // The proxy appends the address it saw: the last entry is the only one it vouches for.
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse().ok())
        .or(peer)
}

/// The throttle's key for an address: IPv6 clients get a whole /64 each, as one host does.
fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn rule(t: Throttle) -> ThrottleRule {
    ThrottleRule {
        free: t.free,
        max_doublings: t.max_doublings,
        forget_after_secs: t.forget_after_secs,
    }
}

fn wrong() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "auth.invalid_credentials",
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    )
}

fn too_many(retry_after_secs: i64) -> ApiError {
    ApiError {
        retry_after: Some(retry_after_secs.clamp(1, u32::MAX as i64) as u32),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            format!("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {retry_after_secs} giây."),
            format!("Too many failed sign-ins; try again in {retry_after_secs} seconds."),
        )
    }
}

/// Checks a username and password; `via` ("login", "openrosa") goes into the audit log.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
    client: ClientAddr,
    via: &str,
) -> Result<User, ApiError> {
    let username = papi_survey::nfc(username.trim());
    let valid_name = papi_auth::check_username(&username).is_ok();
    let address_key = client.0.map(address_key);
    if let Some(key) = &address_key {
        if let SignInTurn::Refused { retry_after_secs } = state
            .store
            .take_sign_in_turn(key, rule(Throttle::ADDRESS))
            .await?
        {
            return Err(too_many(retry_after_secs));
        }
    }
    let username_key = format!("user:{username}");
    if valid_name {
        if let SignInTurn::Refused { retry_after_secs } = state
            .store
            .take_sign_in_turn(&username_key, rule(Throttle::USERNAME))
            .await?
        {
            return Err(too_many(retry_after_secs));
        }
    }
    let user = if valid_name {
        state.store.user(&username).await?.filter(|u| !u.disabled)
    } else {
        None
    };
    // The same Argon2 work whether or not the user exists.
    let hash = user.as_ref().map_or_else(
        || papi_auth::decoy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let password = password.to_owned();
    let matches = state
        .cpu
        .run(move || papi_auth::verify_password(&password, &hash))
        .await?;
    match user.filter(|_| matches) {
        Some(user) => {
            state
                .store
                .sign_in_succeeded(
                    &username_key,
                    address_key.as_deref(),
                    Throttle::ADDRESS.forget_after_secs,
                )
                .await?;
            Ok(user)
        }
        None => {
            // Only a name a user could have is written down, so a failure stores a few bytes.
            let actor = if valid_name { username.as_str() } else { "?" };
            state
                .store
                .audit(
                    actor,
                    "login.failure",
                    None,
                    &json!({ "via": via, "address": client.0.map(|a| a.to_string()) }),
                )
                .await?;
            Err(wrong())
        }
    }
}
