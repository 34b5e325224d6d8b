//! Signing in from a browser: `POST /login` checks the password (`signin`: Argon2id, failures
//! throttled per username and per address), and opens a session held in a `papi_session` cookie (HttpOnly, SameSite=Strict, Secure
//! behind HTTPS). Requests authenticated by that cookie must carry the session's CSRF token in
//! `X-CSRF-Token` to change anything; bearer tokens need none (they are not sent by the browser on
//! its own).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use maud::{html, PreEscaped, DOCTYPE};
use papi_auth::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{session_cookie, Actor};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{home_of, href, Lang};
use crate::signin::{self, ClientAddr};
use crate::AppState;

pub const COOKIE: &str = "papi_session";
/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

/// A sign-in.
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    username: String,
    password: String,
    /// From the HTML form: the page to go back to once signed in.
    #[serde(default)]
    next: Option<String>,
    /// From the HTML form: the sign-in page's language, for its messages.
    #[serde(default)]
    lang: Option<String>,
}

/// Where the form sends a signed-in user: a path on this site, or the front page.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if is_same_site_path(p) => p,
        _ => "/",
    }
}

/// Where the form sends a signed-in user of `role`: the page that asked for the sign-in, or else
/// the role's own page (not the bare front page, which would only redirect again).
fn landing(next: Option<&str>, role: Option<Role>, lang: Lang) -> String {
    match (local_path(next), role) {
        ("/", Some(role)) => href(home_of(role), lang),
        ("/", None) => href("/", lang),
        (path, _) => path.to_owned(),
    }
}

fn lang_of(code: Option<&str>) -> Lang {
    if code == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    }
}

/// Whether a browser following `Location: p` stays on this site. Browsers read `//host` and `/\host`
/// as another site, and drop tabs and newlines from a URL before reading it (so `/\t/host` is
/// `//host`): a path starts with one `/` and holds no control character or backslash anywhere.
fn is_same_site_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// A JSON sign-in's answer: who signed in, and the session's CSRF token.
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub username: String,
    /// admin, supervisor, analyst, leader or enumerator.
    pub role: String,
    /// Send it as `X-CSRF-Token` on requests that change anything.
    pub csrf_token: String,
}

/// The authenticated caller.
#[derive(Serialize, ToSchema)]
pub struct Caller {
    pub name: String,
    /// admin, supervisor, analyst, leader or enumerator.
    #[schema(value_type = String)]
    pub role: Role,
    /// For a browser session: send it as `X-CSRF-Token` on requests that change anything.
    pub csrf_token: Option<String>,
}

/// `POST /login`, with JSON or an HTML form.
#[utoipa::path(
    post,
    path = "/login",
    tag = "service",
    request_body(content = Credentials, description = "JSON, or the same fields as an HTML form"),
    responses(
        (status = 200, description = "Signed in: the session cookie is set; send csrf_token as X-CSRF-Token", body = SignedIn),
        (status = 303, description = "Signed in from the HTML form: back to the page that asked, or the role's own page"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong username or password (JSON; from the HTML form, the sign-in page with the message)", body = ErrorBody),
        (status = 415, description = "Neither JSON nor an HTML form", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins from this address or for this username: retry after Retry-After seconds", body = ErrorBody),
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
        match serde_urlencoded::from_bytes(&body) {
            Ok(c) => c,
            Err(e) => {
                let e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "login.invalid",
                    format!("Biểu mẫu không hợp lệ: {e}"),
                    format!("Bad form: {e}"),
                );
                return Ok(refused(e, &SignInForm::default()));
            }
        }
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_json(&e))?
    };
    let checked =
        signin::check_password(&state, &creds.username, &creds.password, client, "login").await;
    let user = match checked {
        Ok(user) => user,
        // A browser's form gets the sign-in page again, with the message in its language.
        Err(e) if form => {
            let again = SignInForm {
                username: creds.username.clone(),
                next: creds.next.clone(),
                lang: creds.lang.clone(),
            };
            return Ok(refused(e, &again));
        }
        Err(e) => return Err(e),
    };
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
        let role = user.role.parse::<Role>().ok();
        let lang = lang_of(creds.lang.as_deref());
        let to = HeaderValue::from_str(&landing(creds.next.as_deref(), role, lang))
            .unwrap_or(HeaderValue::from_static("/"));
        (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
    } else {
        Json(SignedIn {
            username: user.username,
            role: user.role,
            csrf_token: csrf,
        })
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
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ErrorBody),
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
        (status = 200, description = "The caller", body = Caller),
        (status = 401, description = "No valid token or session", body = ErrorBody),
    )
)]
pub async fn whoami(actor: Actor) -> Json<Caller> {
    Json(Caller {
        name: actor.name,
        role: actor.role,
        csrf_token: actor.csrf_token,
    })
}

/// What the sign-in page shows: its language, the page to go back to, and after a refusal the
/// username that was typed.
#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /login`: the sign-in page.
#[utoipa::path(
    get,
    path = "/login",
    tag = "service",
    params(
        ("next" = Option<String>, Query, description = "The page to go back to once signed in"),
        ("lang" = Option<String>, Query, description = "en for English; Vietnamese otherwise"),
    ),
    responses((status = 200, description = "The sign-in page (HTML, Vietnamese or English)", content_type = "text/html", body = String))
)]
pub async fn page(Query(form): Query<SignInForm>) -> Html<String> {
    sign_in_page(&form, None)
}

/// The sign-in page again after a refusal, with its status (and Retry-After) and the message.
fn refused(e: ApiError, form: &SignInForm) -> Response {
    let lang = lang_of(form.lang.as_deref());
    let message = lang.t(&e.vi, &e.en).to_owned();
    let mut response = (e.status, sign_in_page(form, Some(&message))).into_response();
    if let Some(secs) = e.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

const SIGN_IN_STYLE: &str = "*{box-sizing:border-box}body{font-family:\"DejaVu Sans\",\"Noto Sans\",system-ui,sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1b1b1b}\
label{display:block;font-weight:600}input,button{font:inherit}input{display:block;width:100%;margin:.3rem 0 1rem;padding:.5rem;font-size:1rem;border:1px solid #767676;border-radius:.3rem}\
button{background:#b71c1c;color:#fff;border:0;padding:.7rem 1.2rem;border-radius:.3rem;font-size:1rem;width:100%}\
.error{color:#a11;font-weight:600;border:1px solid #a11;border-radius:.3rem;padding:.5rem .7rem;margin:0 0 1rem}nav{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}a{color:#8b1a1a}";

fn sign_in_page(form: &SignInForm, error: Option<&str>) -> Html<String> {
    let lang = lang_of(form.lang.as_deref());
    let next = form.next.as_deref().filter(|p| is_same_site_path(p));
    let switch = {
        let other = lang.t("en", "vi");
        match next {
            Some(n) => format!("/login?lang={other}&next={}", crate::pages::urlencode(n)),
            None => format!("/login?lang={other}"),
        }
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "papi — " (lang.t("Đăng nhập", "Sign in")) }
                style { (PreEscaped(SIGN_IN_STYLE)) }
            }
            body {
                main {
                    nav { strong { "papi" } a href=(switch) lang=(lang.t("en", "vi")) { (lang.t("English", "Tiếng Việt")) } }
                    h1 { (lang.t("Đăng nhập", "Sign in")) }
                    @if let Some(message) = error {
                        p.error role="alert" { (message) }
                    }
                    form method="post" action="/login" {
                        label for="username" { (lang.t("Tên đăng nhập", "Username")) }
                        input id="username" name="username" autocomplete="username" autocapitalize="none" required value=(form.username);
                        label for="password" { (lang.t("Mật khẩu", "Password")) }
                        input id="password" name="password" type="password" autocomplete="current-password" required autofocus[error.is_some()];
                        input type="hidden" id="next" name="next" value=(next.unwrap_or("/"));
                        input type="hidden" name="lang" value=(lang.code());
                        button type="submit" { (lang.t("Đăng nhập", "Sign in")) }
                    }
                    p { a href="/form/" { (lang.t("Phiếu phỏng vấn (dành cho điều tra viên)", "The interview form (for enumerators)")) } }
                }
            }
        }
    };
    Html(markup.into_string())
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

    #[test]
    fn each_role_lands_on_its_own_page_unless_a_page_asked_for_the_sign_in() {
        assert_eq!(landing(None, Some(Role::Leader), Lang::Vi), "/dashboard");
        assert_eq!(
            landing(Some("/"), Some(Role::Supervisor), Lang::En),
            "/fieldwork?lang=en"
        );
        assert_eq!(
            landing(Some("/"), Some(Role::Enumerator), Lang::Vi),
            "/form/"
        );
        assert_eq!(
            landing(Some("/"), Some(Role::Admin), Lang::Vi),
            "/fieldwork"
        );
        assert_eq!(
            landing(Some("/"), Some(Role::Analyst), Lang::Vi),
            "/analysis"
        );
        assert_eq!(
            landing(Some("/dashboard/papi/2019.1"), Some(Role::Admin), Lang::Vi),
            "/dashboard/papi/2019.1"
        );
        assert_eq!(
            landing(Some("//evil.example"), Some(Role::Leader), Lang::Vi),
            "/dashboard"
        );
    }
}
