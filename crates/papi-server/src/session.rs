//! Signing in from a browser: `POST /login` checks the password (`signin`: Argon2id, failures
//! throttled per username and per address), and opens a session held in a `papi_session` cookie (HttpOnly, SameSite=Strict, Secure
//! behind HTTPS). Requests authenticated by that cookie must carry the session's CSRF token in
//! `X-CSRF-Token` to change anything; bearer tokens need none (they are not sent by the browser on
//! its own).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{session_cookie, Actor};
use crate::error::ApiError;
use crate::signin::{self, ClientAddr};
use crate::AppState;

pub const COOKIE: &str = "papi_session";
/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    /// From the HTML form: the page to go back to once signed in.
    #[serde(default)]
    next: Option<String>,
}

/// Where the form sends a signed-in user: a path on this site, or the front page.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if is_same_site_path(p) => p,
        _ => "/",
    }
}

/// Whether a browser following `Location: p` stays on this site. Browsers read `//host` and `/\host`
/// as another site, and drop tabs and newlines from a URL before reading it (so `/\t/host` is
/// `//host`): a path starts with one `/` and holds no control character or backslash anywhere.
fn is_same_site_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// `POST /login`, with JSON or an HTML form.
#[utoipa::path(
    post,
    path = "/login",
    tag = "service",
    request_body(content = crate::openapi::Credentials, description = "JSON, or the same fields as an HTML form"),
    responses(
        (status = 200, description = "Signed in: the session cookie is set; send csrf_token as X-CSRF-Token", body = crate::openapi::Caller),
        (status = 303, description = "Signed in from the HTML form: back to the front page"),
        (status = 400, description = "Malformed body", body = crate::openapi::Error),
        (status = 401, description = "Wrong username or password", body = crate::openapi::Error),
        (status = 415, description = "Neither JSON nor an HTML form", body = crate::openapi::Error),
        (status = 429, description = "Too many failed sign-ins from this address or for this username: retry after Retry-After seconds", body = crate::openapi::Error),
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form && !crate::body::is_json(&headers) {
        return Err(crate::body::unsupported_media_type());
    }
    let creds: Credentials = if form {
        serde_urlencoded::from_bytes(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "login.invalid",
                format!("Biểu mẫu không hợp lệ: {e}"),
                format!("Bad form: {e}"),
            )
        })?
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_json(&e))?
    };
    let user =
        signin::check_password(&state, &creds.username, &creds.password, client, "login").await?;
    let username = user.username.clone();
    let (token, token_hash) = papi_auth::new_token();
    let (csrf, _) = papi_auth::new_token();
    state
        .store
        .create_session(
            &user.id,
            &token_hash,
            &csrf,
            Utc::now() + Duration::hours(SESSION_HOURS),
        )
        .await?;
    state
        .store
        .audit(&username, "login", None, &json!({ "role": user.role }))
        .await?;
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    );
    let mut response = if form {
        let to = HeaderValue::from_str(local_path(creds.next.as_deref()))
            .unwrap_or(HeaderValue::from_static("/"));
        (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
    } else {
        Json(json!({ "username": user.username, "role": user.role, "csrf_token": csrf }))
            .into_response()
    };
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// `POST /logout`: ends the session (needs its CSRF token).
#[utoipa::path(
    post,
    path = "/logout",
    tag = "service",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No session", body = crate::openapi::Error),
        (status = 403, description = "Missing or wrong CSRF token", body = crate::openapi::Error),
    )
)]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&headers) {
        state
            .store
            .delete_session(&papi_auth::token_hash(&token))
            .await?;
    }
    state
        .store
        .audit(&actor.name, "logout", None, &json!({}))
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("papi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// `GET /api/v1/session`: who is signed in, and the CSRF token of a cookie session.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "service",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = crate::openapi::Caller),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
    )
)]
pub async fn whoami(actor: Actor) -> Json<serde_json::Value> {
    Json(json!({ "name": actor.name, "role": actor.role, "csrf_token": actor.csrf_token }))
}

/// `GET /login`: the sign-in page.
#[utoipa::path(
    get,
    path = "/login",
    tag = "service",
    responses((status = 200, description = "The sign-in page (HTML, Vietnamese and English)", content_type = "text/html", body = String))
)]
pub async fn page() -> Html<&'static str> {
    Html(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>papi — Đăng nhập</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}input{display:block;width:100%;margin:.3rem 0 1rem;padding:.4rem;font-size:1rem;box-sizing:border-box}button{background:#b71c1c;color:#fff;border:0;padding:.6rem 1rem;border-radius:.3rem;font-size:1rem}</style>
</head><body><h1>papi</h1><form method="post" action="/login">
<label for="username">Tên đăng nhập / Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Mật khẩu / Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" id="next" name="next" value="/">
<button type="submit">Đăng nhập / Sign in</button></form>
<script src="/assets/pages.js"></script>
<p><a href="/form/">Phiếu phỏng vấn (điều tra viên) / Interview form</a></p></body></html>"#,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        for same_site in [
            "/",
            "/dashboard",
            "/dashboard/papi/2019.1?lang=en",
            "/form/#x",
        ] {
            assert_eq!(local_path(Some(same_site)), same_site);
        }
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ok\\..\\evil",
            "/\u{0}",
            "/\u{85}/evil.example",
            "https://evil.example/",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
