//! What the server-rendered pages share: the language (Vietnamese by default, `?lang=en`), who is
//! signed in (a page sends an unknown visitor to the sign-in page and back), and the layout.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use papi_auth::{Action, Role, Scope};

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
    SignIn(String, Lang),
    Forbidden(Lang, Role),
    Failed(crate::error::ApiError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            // The sign-in page speaks the language of the page that asked for it.
            PageRejection::SignIn(next, lang) => Redirect::to(&format!(
                "/login?next={}{}",
                urlencode(&next),
                lang.t("", "&lang=en")
            ))
            .into_response(),
            PageRejection::Forbidden(lang, role) => forbidden(lang, role),
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
                lang,
            )),
            Err(e) => Err(PageRejection::Failed(e)),
        }
    }
}

impl Viewer {
    /// Refuses the page unless the permission table lets the viewer do `action`.
    pub fn may(&self, action: Action) -> Result<Scope, PageRejection> {
        self.actor
            .role
            .may(action)
            .ok_or(PageRejection::Forbidden(self.lang, self.actor.role))
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

/// Where a role's work is: the page it lands on after signing in, and the front page's redirect.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Leader => "/dashboard",
        Role::Analyst => "/analysis",
        Role::Supervisor | Role::Admin => "/fieldwork",
        Role::Enumerator => "/form/",
    }
}

/// A role's name in the page's language.
pub fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Admin => lang.t("quản trị viên", "administrator"),
        Role::Supervisor => lang.t("giám sát viên", "supervisor"),
        Role::Analyst => lang.t("chuyên viên phân tích", "analyst"),
        Role::Leader => lang.t("lãnh đạo", "leader"),
        Role::Enumerator => lang.t("điều tra viên", "enumerator"),
    }
}

/// A link to `path` in the viewer's language.
pub fn href(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Vi => path.to_owned(),
        Lang::En if path.contains('?') => format!("{path}&lang=en"),
        Lang::En => format!("{path}?lang=en"),
    }
}

// Phones first: nothing may be wider than the screen. Wide tables scroll inside their own box
// (`.wide`) or, with `.stack`, become one card per row on a narrow screen, each cell labelled by its
// `data-label`; charts come as narrower drawings for phones (see `chart`); no text under 12 px.
const STYLE: &str = r#"
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:"DejaVu Sans","Noto Sans",system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:0 1rem 3rem;color:#1b1b1b;line-height:1.45;overflow-wrap:break-word}
header{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;border-bottom:2px solid #8b1a1a;padding:.6rem 0;margin-bottom:1rem}
header a{color:#8b1a1a;text-decoration:none;font-weight:600;padding:.3rem 0}header .who{margin-left:auto;color:#555;font-size:.9rem}
button,select,input{font:inherit;font-size:1rem;max-width:100%}button{padding:.35rem .8rem}
h1{font-size:1.5rem;margin:.4rem 0}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
.scroll{overflow:auto;max-height:28rem}.wide{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #e2e2e2;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f6f2f2}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}
.code{overflow-wrap:anywhere;color:#595959;font-size:.9rem}.nowrap{white-space:nowrap}
.wide th:first-child,.wide td:first-child{position:sticky;left:0;background:#fff;min-width:7rem}.wide th:first-child{background:#f6f2f2}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,15rem),1fr));gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.7rem 1rem;min-width:0}
.cards.counts{grid-template-columns:repeat(auto-fit,minmax(min(100%,9rem),1fr));gap:.5rem}
.big{font-size:2rem;font-weight:700}.muted{color:#595959;font-size:.9rem}.up{color:#1a6b2f}.down{color:#a11}
.headline{font-size:1.05rem;margin:.3rem 0}.headline strong{font-weight:700}
.chart{margin:.5rem 0}.chart img{max-width:100%;height:auto}.chart.wide img{max-width:none}.bar{background:#eee;height:.7rem;border-radius:3px;min-width:4rem}
.bar span{display:block;height:100%;background:#8b1a1a;border-radius:3px}.flag{color:#a11;font-weight:600}
.suppressed{color:#737373}.status-done{color:#1a6b2f}.status-delayed{color:#a11}.status-in_progress{color:#8a5a00}
.field{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.3rem 0}.field label{font-size:.9rem;color:#555}
.field input{flex:1 1 12rem;min-width:0}
.error{color:#a11;font-weight:600}
fieldset{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.3rem .8rem}legend{font-weight:600}
label.choice{display:inline-flex;align-items:center;gap:.3rem;min-height:44px;margin-right:1rem}label.choice input{width:1.3rem;height:1.3rem}
form.job button{min-height:44px}progress{display:block;width:100%;max-width:30rem;height:1rem;margin:.5rem 0}progress[hidden]{display:none}
.page{page-break-after:always}.noprint{}
@media (max-width:40rem){
body{padding:0 .5rem 2rem}h1{font-size:1.3rem}.big{font-size:1.6rem}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack tr{display:block;border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.3rem .5rem}
table.stack td{display:flex;gap:1rem;justify-content:space-between;border:0;padding:.2rem 0;text-align:right}
table.stack td::before{content:attr(data-label);color:#595959;text-align:left;font-size:.9rem}
table.stack td.lead{display:block;text-align:left;font-weight:600}table.stack td.lead::before{content:none}
table.stack td.block{display:block;text-align:left}table.stack td.block::before{display:block}
table.stack td form{text-align:left}
.chart img{width:328px}.chart.wide img{width:520px}
}
@media print{header,.noprint{display:none}body{max-width:none}.page{page-break-after:always}a{color:inherit;text-decoration:none}.wide{overflow:visible}}
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
                    @if viewer.actor.can(Action::ViewFieldwork) {
                        a href=(href("/fieldwork", lang)) { (lang.t("Giám sát thực địa", "Fieldwork")) }
                    }
                    @if viewer.actor.can(Action::ViewAnalysis) {
                        a href=(href("/analysis", lang)) { (lang.t("Phân tích", "Analysis")) }
                    }
                    a href=(switch) lang=(lang.t("en", "vi")) { (lang.t("English", "Tiếng Việt")) }
                    span.who {
                        (viewer.actor.name) " (" (role_name(role, lang)) ") "
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

fn forbidden(lang: Lang, role: Role) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (lang.t("Không có quyền", "Not allowed")) " · papi" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (lang.t("Không có quyền xem trang này", "You may not see this page")) }
                    p { (lang.t("Vai trò của bạn", "Your role")) " (" (role_name(role, lang)) ") " (lang.t("không được phép xem trang này.", "may not see this page.")) }
                    p { a href=(href(home_of(role), lang)) { (lang.t("Về trang của tôi", "To my page")) } }
                }
            }
        }
    };
    (StatusCode::FORBIDDEN, Html(markup.into_string())).into_response()
}

/// A page that says there is nothing to show yet, and why.
pub fn empty_page(viewer: &Viewer, path: &str, title: &str, why: &str) -> Response {
    layout(viewer, path, title, html! { h1 { (title) } p { (why) } }).into_response()
}
