//! One dimension's page: its sub-dimensions against the baseline, and the plan's tasks that answer for
//! it, with their lead agencies and status (which an administrator changes here).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use papi_auth::Action;
use papi_survey::plan::Plan;

use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

use super::*;

/// A plan and, of its tasks, those for one dimension with the status each was last given.
pub(crate) type PlanTasks = (
    Plan,
    Vec<(papi_survey::plan::PlanTask, Option<papi_store::TaskStatus>)>,
);

/// The plans' tasks for one dimension, with their statuses.
pub(crate) async fn tasks_for(
    state: &AppState,
    dimension: &str,
) -> Result<Vec<PlanTasks>, ApiError> {
    let mut out = Vec::new();
    for (plan_id, toml) in state.store.plans().await? {
        let plan = Plan::from_toml(&toml, &plan_id).map_err(ApiError::internal)?;
        let statuses = state.store.task_statuses(&plan_id).await?;
        let tasks: Vec<_> = plan
            .tasks_for(dimension)
            .map(|t| {
                (
                    t.clone(),
                    statuses.iter().find(|s| s.task_id == t.id).cloned(),
                )
            })
            .collect();
        if !tasks.is_empty() {
            out.push((plan, tasks));
        }
    }
    Ok(out)
}

pub(crate) fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "in_progress" => lang.t("Đang thực hiện", "In progress"),
        "done" => lang.t("Hoàn thành", "Done"),
        "delayed" => lang.t("Chậm tiến độ", "Delayed"),
        _ => lang.t("Chưa bắt đầu", "Not started"),
    }
}

pub(crate) fn dimension_body(
    d: &Dashboard,
    x: &DimensionView,
    tasks: &[PlanTasks],
    lang: Lang,
    base: &str,
    admin: bool,
) -> Markup {
    let baseline_year = d
        .baseline
        .as_ref()
        .and_then(|b| b.year)
        .map(|y| y.to_string())
        .unwrap_or_default();
    let task_labels = [
        lang.t("Đơn vị chủ trì", "Lead"),
        lang.t("Đơn vị phối hợp", "Coordinating"),
        lang.t("Thời gian thực hiện", "When"),
        lang.t("Tiến độ", "Status"),
    ];
    html! {
        h1 { (dim_label(x, lang)) }
        div.cards {
            div.card { div.muted { (lang.t("Điểm", "Score")) } div.big { (score(x.value.estimate, lang)) } div.muted { (lang.t("Khoảng tin cậy 95%", "95% interval")) ": " (interval(&x.value, lang)) } }
            div.card {
                div.muted { (lang.t("Mốc", "Baseline")) " " (baseline_year) }
                div.big { (score(x.baseline, lang)) }
                @if let Some(c) = &x.change {
                    p.headline { (change_sentence(c, d.baseline.as_ref().and_then(|b| b.year), lang)) }
                    div.muted { (lang.t("Khoảng tin cậy 95% của thay đổi", "95% interval of the change")) ": " (interval(c, lang)) }
                }
            }
            @if let Some(q) = x.quartiles {
                div.card {
                    div.muted { (lang.t("Trung vị toàn quốc", "National median")) @if let Some(p) = &d.performance { " " (p.year) } }
                    div.big { (score(Some(q[1]), lang)) }
                    div.muted { (lang.t("Một phần tư số tỉnh dưới", "A quarter of the provinces below")) " " (score(Some(q[0]), lang)) "; "
                        (lang.t("một phần tư trên", "a quarter above")) " " (score(Some(q[2]), lang)) "." }
                }
            }
        }
        (chart_picture(base, "dimensions", Some(&x.id), dim_label(x, lang), lang))
        h2 { (lang.t("Các nội dung thành phần", "Sub-dimensions")) }
        table {
            thead { tr { th { (lang.t("Nội dung", "Sub-dimension")) } th.num { (lang.t("Điểm", "Score")) } th.num { (lang.t("Khoảng tin cậy 95%", "95% interval")) } } }
            tbody { @for s in &x.subdimensions { tr { td { (lang.t(&s.label_vi, &s.label_en)) } td.num { (score(s.value.estimate, lang)) } td.num { (interval(&s.value, lang)) } } } }
        }
        @if x.value.flagged || x.subdimensions.iter().any(|s| s.value.flagged) { (flag_legend(lang)) }
        @if let Some(strata) = &d.strata {
            @let i = d.dimensions.iter().position(|y| y.id == x.id).unwrap_or(0);
            h2 { (lang.t("Theo huyện", "By district")) }
            table {
                thead { tr { th { (lang.t("Huyện", "District")) } th.num { (lang.t("Điểm", "Score")) } } }
                tbody { @for g in &strata.groups { tr class=[g.suppressed.then_some("suppressed")] { td { (g.name) } td.num { (score(g.dimensions.get(i).copied().flatten(), lang)) } } } }
            }
        }
        h2 { (lang.t("Nhiệm vụ của Kế hoạch cho lĩnh vực này", "The plan's tasks for this dimension")) }
        @if tasks.is_empty() { p.muted { (lang.t("Chưa có kế hoạch nào giao nhiệm vụ cho lĩnh vực này.", "No registered plan has tasks for this dimension.")) } }
        @for (plan, rows) in tasks {
            p.muted { (plan.plan.title.get(lang.code())) " — " (plan.plan.number) ", " (locale::day(&plan.plan.issued.to_string(), lang)) }
            // On a phone each task is a card: its text first, then the labelled details.
            table.tasks.stack {
                thead { tr {
                    th { (lang.t("Nhiệm vụ", "Task")) } th { (task_labels[0]) }
                    th { (task_labels[1]) } th { (task_labels[2]) } th { (task_labels[3]) }
                } }
                tbody { @for (t, s) in rows {
                    @let status = s.as_ref().map(|s| s.status.as_str()).unwrap_or("not_started");
                    @let field = format!("task-{}-{}", plan.plan.id, t.id);
                    tr data-task=(t.id) {
                        td.lead { (t.id) ". " (t.text.get(lang.code())) }
                        td data-label=(task_labels[0]) { (t.lead.join("; ")) }
                        td data-label=(task_labels[1]) { (t.coordinating.join("; ")) }
                        td data-label=(task_labels[2]) { @if let Some(c) = &t.cadence { (c.get(lang.code())) } @else { span.muted { (lang.t("Không ghi", "Not stated")) } } }
                        td data-label=(task_labels[3]) {
                            div {
                                span class=(format!("status-{status}")) { (status_name(status, lang)) }
                                @if let Some(s) = s { @if !s.note.is_empty() { br; span.muted { (s.note) } } }
                                @if admin {
                                    form.noprint data-action="set-task" data-plan=(plan.plan.id) data-task=(t.id) {
                                        div.field {
                                            label for=(format!("{field}-status")) { (lang.t("Tiến độ", "Status")) }
                                            select id=(format!("{field}-status")) name="status" {
                                                @for st in papi_store::TASK_STATES { option value=(st) selected[st == status] { (status_name(st, lang)) } }
                                            }
                                        }
                                        div.field {
                                            label for=(format!("{field}-note")) { (lang.t("Ghi chú", "Note")) }
                                            input id=(format!("{field}-note")) name="note" value=(s.as_ref().map(|s| s.note.as_str()).unwrap_or(""));
                                        }
                                        button type="submit" { (lang.t("Cập nhật", "Update")) }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// `GET /dashboard/{survey}/{version}/dimensions/{dimension}`.
pub async fn dimension_page(
    State(state): State<Arc<AppState>>,
    Path((id, version, dimension)): Path<(String, String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewDashboard)?;
    let lang = viewer.lang;
    let base = format!("/dashboard/{id}/{version}");
    let (survey, d) = match published(&state, &viewer, &id, &version, &base).await? {
        Ok(found) => found,
        Err(nothing_yet) => return Ok(nothing_yet),
    };
    let Some(x) = d.dimensions.iter().find(|x| x.id == dimension) else {
        return Err(PageRejection::Failed(ApiError::not_found(
            "lĩnh vực này",
            "this dimension",
        )));
    };
    let tasks = tasks_for(&state, &x.id)
        .await
        .map_err(PageRejection::Failed)?;
    let path = format!("{base}/dimensions/{dimension}");
    Ok(layout(
        &viewer,
        &path,
        dim_label(x, lang),
        html! {
            p.muted { a href=(href(&base, lang)) { "← " (survey.title.get(lang.code())) } }
            (dimension_body(&d, x, &tasks, lang, &base, viewer.actor.can(Action::UpdatePlanTasks)))
        },
    )
    .into_response())
}
