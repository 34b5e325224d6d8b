//! What the server-rendered pages share: the language (Vietnamese by default, `?lang=en`), who is
//! signed in (a page sends an unknown visitor to the sign-in page and back), and the layout.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use papi_auth::Role;

use crate::auth::Actor;
use crate::AppState;

/// The page language: `vi` unless the query says `lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    fn from_query(query: Option<&str>) -> Lang {
        let en = query.is_some_and(|q| {
            q.split('&')
                .any(|kv| kv == "lang=en" || kv.eq_ignore_ascii_case("lang=EN"))
        });
        if en {
            Lang::En
        } else {
            Lang::Vi
        }
    }
}

/// A signed-in visitor of a page, with the page's language.
pub struct Viewer {
    pub actor: Actor,
    pub lang: Lang,
}

/// Why a page is not shown: not signed in (to the sign-in page), or the role may not see it.
pub enum PageRejection {
    SignIn(String),
    Forbidden(Lang),
    Failed(crate::error::ApiError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::SignIn(next) => {
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            PageRejection::Forbidden(lang) => forbidden(lang),
            PageRejection::Failed(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Viewer, PageRejection> {
        let lang = Lang::from_query(parts.uri.query());
        match Actor::from_request_parts(parts, state).await {
            Ok(actor) => Ok(Viewer { actor, lang }),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(PageRejection::SignIn(
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".into()),
            )),
            Err(e) => Err(PageRejection::Failed(e)),
        }
    }
}

impl Viewer {
    /// Refuses the page unless the viewer's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), PageRejection> {
        if roles.contains(&self.actor.role) {
            Ok(())
        } else {
            Err(PageRejection::Forbidden(self.lang))
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A link to `path` in the viewer's language.
pub fn href(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Vi => path.to_owned(),
        Lang::En if path.contains('?') => format!("{path}&lang=en"),
        Lang::En => format!("{path}?lang=en"),
    }
}

const STYLE: &str = r#"
body{font-family:"DejaVu Sans","Noto Sans",system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:0 1rem 3rem;color:#1b1b1b;line-height:1.45}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:2px solid #8b1a1a;padding:.6rem 0;margin-bottom:1rem}
header a{color:#8b1a1a;text-decoration:none;font-weight:600}header .who{margin-left:auto;color:#555;font-size:.9rem}
h1{font-size:1.5rem;margin:.4rem 0}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
.scroll{overflow:auto;max-height:28rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #e2e2e2;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f6f2f2}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.7rem 1rem;min-width:14rem}
.big{font-size:2rem;font-weight:700}.muted{color:#666;font-size:.9rem}.up{color:#1a6b2f}.down{color:#a11}
.chart{margin:.5rem 0}.chart img,.chart object{max-width:100%}.bar{background:#eee;height:.7rem;border-radius:3px;min-width:6rem}
.bar span{display:block;height:100%;background:#8b1a1a;border-radius:3px}.flag{color:#a11;font-weight:600}
.suppressed{color:#888}.status-done{color:#1a6b2f}.status-delayed{color:#a11}.status-in_progress{color:#8a5a00}
.page{page-break-after:always}.noprint{}
@media print{header,.noprint{display:none}body{max-width:none}.page{page-break-after:always}a{color:inherit;text-decoration:none}}
"#;

/// The page frame: header with the navigation the role may use, the language switch, sign-out.
pub fn layout(viewer: &Viewer, path_for_switch: &str, title: &str, body: Markup) -> Html<String> {
    let lang = viewer.lang;
    let role = viewer.actor.role;
    let switch = match lang {
        Lang::Vi => href(path_for_switch, Lang::En),
        Lang::En => path_for_switch.to_owned(),
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(csrf) = &viewer.actor.csrf_token {
                    meta name="csrf-token" content=(csrf);
                }
                title { (title) " · papi" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href=(href("/dashboard", lang)) { (lang.t("Bảng điều hành", "Dashboard")) }
                    @if matches!(role, Role::Supervisor | Role::Admin) {
                        a href=(href("/fieldwork", lang)) { (lang.t("Giám sát thực địa", "Fieldwork")) }
                    }
                    a href=(switch) { (lang.t("English", "Tiếng Việt")) }
                    span.who {
                        (viewer.actor.name) " (" (role.name()) ") "
                        form method="post" action="/logout" style="display:inline" data-action="sign-out" {
                            button type="submit" { (lang.t("Đăng xuất", "Sign out")) }
                        }
                    }
                }
                main { (body) }
                // Every handler of the pages is in this file: the CSP allows no inline script.
                script src="/assets/pages.js" {}
            }
        }
    };
    Html(markup.into_string())
}

fn forbidden(lang: Lang) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { "403" } style { (PreEscaped(STYLE)) } }
            body {
                h1 { (lang.t("Không có quyền xem trang này", "You may not see this page")) }
                p { (lang.t("Vai trò của bạn không được phép xem trang này.", "Your role may not see this page.")) }
                p { a href="/" { (lang.t("Về trang chủ", "Home")) } }
            }
        }
    };
    (StatusCode::FORBIDDEN, Html(markup.into_string())).into_response()
}

/// A page that says there is nothing to show yet, and why.
pub fn empty_page(viewer: &Viewer, path: &str, title: &str, why: &str) -> Response {
    layout(viewer, path, title, html! { h1 { (title) } p { (why) } }).into_response()
}

/// One decimal, or "—" when there is no value.
pub fn fmt1(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}
