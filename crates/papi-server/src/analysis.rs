//! The analysts' page of a survey version (`/analysis/{survey}/{version}`): a button that recomputes
//! and publishes the scores, a form that exports the interviews, each following its background job
//! until it ends (the handlers in `web/pages.js` call the JSON API of `recompute.rs` and `exports.rs`),
//! and the version's publications and score runs. Only the roles those handlers accept see the page,
//! and each sees only the buttons its role may use.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use papi_auth::Action;
use papi_store::{Publication, ScoreRunSummary};
use serde_json::Value as Json;

use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

/// How many score runs the page lists (each recompute records two).
const RUNS_SHOWN: i64 = 40;

/// The review states an export may be limited to, with their names (the fieldwork page's words).
const REVIEW_STATES: [(&str, &str, &str); 4] = [
    ("received", "Đã nhận, chưa duyệt", "Received, not reviewed"),
    ("approved", "Đã duyệt", "Approved"),
    ("has_issues", "Có vấn đề", "Has issues"),
    ("rejected", "Bị loại", "Rejected"),
];

/// `GET /analysis`: the only survey version's page, or a list to pick one.
pub async fn index(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewAnalysis)?;
    let lang = viewer.lang;
    let title = lang.t("Phân tích", "Analysis");
    let versions = state
        .store
        .survey_definitions()
        .await
        .map_err(|e| PageRejection::Failed(e.into()))?;
    if let [(id, version, _)] = versions.as_slice() {
        return Ok(Redirect::to(&href(&format!("/analysis/{id}/{version}"), lang)).into_response());
    }
    Ok(layout(&viewer, "/analysis", title, html! {
        h1 { (title) }
        @if versions.is_empty() { p { (lang.t("Chưa có khảo sát nào.", "No survey is registered yet.")) } }
        ul { @for (id, version, _) in &versions {
            li { a href=(href(&format!("/analysis/{id}/{version}"), lang)) { (id) " " (version) } }
        } }
    })
    .into_response())
}

/// `GET /analysis/{survey}/{version}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewAnalysis)?;
    let lang = viewer.lang;
    let failed = |e: papi_store::StoreError| PageRejection::Failed(e.into());
    let survey = state
        .survey(&id, &version)
        .await
        .map_err(PageRejection::Failed)?
        .ok_or_else(|| {
            PageRejection::Failed(ApiError::not_found(
                "phiên bản khảo sát này",
                "this survey version",
            ))
        })?;
    let publications = state
        .store
        .publications(&survey.id, &survey.version)
        .await
        .map_err(failed)?;
    let runs = state
        .store
        .score_runs(&survey.id, &survey.version, RUNS_SHOWN)
        .await
        .map_err(failed)?;
    let path = format!("/analysis/{}/{}", survey.id, survey.version);
    let title = format!(
        "{} — {} ({})",
        lang.t("Phân tích", "Analysis"),
        survey.title.get(lang.code()),
        survey.version
    );
    let body = html! {
        h1 { (title) }
        @if viewer.actor.can(Action::Recompute) { (recompute_form(&survey.id, &survey.version, lang)) }
        @if viewer.actor.can(Action::Export) { (export_form(&survey.id, &survey.version, lang)) }
        // Replaced by the page's script with a fresh copy once a recompute has published.
        div #history {
            (publications_section(&publications, lang))
            (runs_section(&runs, lang))
        }
    };
    Ok(layout(&viewer, &path, &title, body).into_response())
}

fn recompute_form(id: &str, version: &str, lang: Lang) -> Markup {
    html! {
        section {
            h2 { (lang.t("Tính lại và công bố điểm", "Recompute and publish the scores")) }
            p.muted { (lang.t(
                "Tính điểm từ các phiếu trong cơ sở dữ liệu (theo thiết lập duyệt của khảo sát), ghi hai lần tính điểm (toàn tỉnh và theo tầng) và công bố chúng lên bảng điều hành.",
                "Scores the interviews in the database (as the survey's review setting lets them in), records two score runs (the province and its strata) and publishes them to the dashboard.",
            )) }
            form.job data-action="recompute" data-survey=(id) data-version=(version) {
                button type="submit" { (lang.t("Tính lại và công bố", "Recompute and publish")) }
                (job_progress(lang.t("Tiến độ tính lại", "Recompute progress")))
            }
        }
    }
}

fn export_form(id: &str, version: &str, lang: Lang) -> Markup {
    html! {
        section {
            h2 { (lang.t("Xuất dữ liệu phiếu", "Export the interviews")) }
            p.muted { (lang.t(
                "Một tệp với mỗi phiếu một dòng và trọng số do papi tính; để trống trạng thái duyệt để xuất mọi phiếu.",
                "One file with a row per interview and the weights papi computes; leave the review states empty to export every interview.",
            )) }
            form.job data-action="export" data-survey=(id) data-version=(version) {
                fieldset {
                    legend { (lang.t("Định dạng", "Format")) }
                    @for (value, name) in [("csv", "CSV"), ("parquet", "Parquet"), ("xlsx", "XLSX (Excel)")] {
                        label.choice { input type="radio" name="format" value=(value) checked[value == "csv"]; " " (name) }
                    }
                    label.choice { input type="checkbox" name="bom"; " " (lang.t("CSV có BOM (Excel hiển thị đúng tiếng Việt)", "CSV with a BOM (Excel shows Vietnamese right)")) }
                }
                fieldset {
                    legend { (lang.t("Trạng thái duyệt", "Review states")) }
                    @for (value, vi, en) in REVIEW_STATES {
                        label.choice { input type="checkbox" name="review_states" value=(value); " " (lang.t(vi, en)) }
                    }
                }
                button type="submit" { (lang.t("Xuất dữ liệu", "Export")) }
                (job_progress(lang.t("Tiến độ xuất dữ liệu", "Export progress")))
                p { a.download hidden download { (lang.t("Tải tệp xuống", "Download the file")) } }
            }
        }
    }
}

/// A job's progress bar and what it says, filled in by the page's script.
fn job_progress(name: &str) -> Markup {
    html! {
        progress hidden max="1" value="0" aria-label=(name) {}
        p data-status role="status" aria-live="polite" {}
    }
}

fn publications_section(publications: &[Publication], lang: Lang) -> Markup {
    let labels = [
        lang.t("Năm đợt khảo sát", "Wave year"),
        lang.t("Công bố lúc", "Published"),
        lang.t("Người công bố", "By"),
        lang.t("Lần tính điểm", "Score runs"),
        lang.t("Phiếu bị loại", "Left out"),
    ];
    let rows: Vec<Markup> = publications
        .iter()
        .map(|p| {
            html! { tr {
                td.lead data-label=(labels[0]) { (p.publication.wave_year) }
                td.nowrap data-label=(labels[1]) { (locale::date_time(p.published_at, lang)) }
                td.nowrap data-label=(labels[2]) { (p.publication.published_by) }
                td.block data-label=(labels[3]) {
                    (lang.t("tỉnh ", "province ")) (run_link(&p.publication.overall_run))
                    @if let Some(strata) = &p.publication.strata_run {
                        br; (lang.t("theo tầng ", "strata ")) (run_link(strata))
                    }
                }
                td.num data-label=(labels[4]) { (p.publication.left_out.len()) }
            } }
        })
        .collect();
    listing(
        lang.t("Các lần công bố", "Publications"),
        lang.t("Chưa công bố lần nào.", "Nothing is published yet."),
        "publications",
        &labels,
        &rows,
    )
}

/// A run's short id, linking to its row in the list of runs.
fn run_link(id: &uuid::Uuid) -> Markup {
    let full = id.to_string();
    html! { a.code href=(format!("#run-{full}")) title=(full) { (full[..8]) } }
}

fn runs_section(runs: &[ScoreRunSummary], lang: Lang) -> Markup {
    let labels = [
        lang.t("Mã", "Id"),
        lang.t("Lúc", "When"),
        lang.t("Người chạy", "By"),
        lang.t("Số phiếu", "Interviews"),
        lang.t("Tham số", "Parameters"),
    ];
    let rows: Vec<Markup> = runs
        .iter()
        .map(|r| {
            html! { tr id=(format!("run-{}", r.id)) {
                td.lead.code.nowrap data-label=(labels[0]) title=(r.id.to_string()) { (r.id.to_string()[..8]) }
                td.nowrap data-label=(labels[1]) { (locale::date_time(r.created_at, lang)) }
                td.nowrap data-label=(labels[2]) { (r.recorded_by) }
                td.num data-label=(labels[3]) { (locale::number(r.interviews as f64, 0, lang)) }
                td.code.block data-label=(labels[4]) { (parameters_text(&r.parameters)) }
            } }
        })
        .collect();
    let heading = format!(
        "{} ({})",
        lang.t("Các lần tính điểm", "Score runs"),
        lang.t("mới nhất trước, tối đa ", "newest first, at most ")
            .to_owned()
            + &RUNS_SHOWN.to_string()
    );
    listing(
        &heading,
        lang.t(
            "Chưa có lần tính điểm nào.",
            "No score run is recorded yet.",
        ),
        "runs",
        &labels,
        &rows,
    )
}

/// A list under its heading: a sentence when it is empty, else a table that becomes cards on a phone.
fn listing(heading: &str, empty: &str, class: &str, labels: &[&str], rows: &[Markup]) -> Markup {
    html! {
        h2 { (heading) }
        @if rows.is_empty() {
            p { (empty) }
        } @else {
            table class=(format!("stack {class}")) {
                thead { tr { @for l in labels { th { (l) } } } }
                tbody { @for r in rows { (r) } }
            }
        }
    }
}

/// A run's parameters as "name: value" pairs, nulls left out (they say nothing was set).
fn parameters_text(parameters: &Json) -> String {
    let Json::Object(map) = parameters else {
        return parameters.to_string();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Json::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_as_pairs_without_nulls() {
        let p = serde_json::json!({"by": ["district"], "purpose": "publication", "year": null, "left_out": 3});
        assert_eq!(
            parameters_text(&p),
            r#"by: ["district"]; purpose: publication; left_out: 3"#
        );
    }
}
