//! The leadership's pages: the list of published surveys, a survey's overview, and its print version.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use papi_auth::Action;
use papi_survey::Survey;

use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

use super::*;

/// The survey versions that have a publication, newest publication first.
pub(crate) async fn published_surveys(state: &AppState) -> Result<Vec<Arc<Survey>>, ApiError> {
    let mut out = Vec::new();
    for (id, version, _) in state.store.survey_definitions().await? {
        if !state.store.publications(&id, &version).await?.is_empty() {
            if let Some(s) = state.survey(&id, &version).await? {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// `GET /dashboard`: the dashboard of the survey with a publication (or a list when several have).
pub async fn index(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewDashboard)?;
    let lang = viewer.lang;
    let surveys = published_surveys(&state)
        .await
        .map_err(PageRejection::Failed)?;
    match surveys.as_slice() {
        [only] => Ok(Redirect::to(&href(&format!("/dashboard/{}/{}", only.id, only.version), lang)).into_response()),
        [] => Ok(crate::pages::empty_page(
            &viewer,
            "/dashboard",
            lang.t("Bảng điều hành", "Dashboard"),
            lang.t(
                "Chưa có kết quả nào được công bố. Chuyên viên phân tích công bố kết quả trên trang Phân tích hoặc bằng lệnh papi recompute.",
                "No results are published yet. An analyst publishes them on the Analysis page or with papi recompute.",
            ),
        )),
        many => Ok(layout(&viewer, "/dashboard", lang.t("Bảng điều hành", "Dashboard"), html! {
            h1 { (lang.t("Bảng điều hành", "Dashboard")) }
            ul { @for s in many {
                li { a href=(href(&format!("/dashboard/{}/{}", s.id, s.version), lang)) { (s.title.get(lang.code())) " (" (s.version) ")" } }
            } }
        }).into_response()),
    }
}

pub(crate) async fn load(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<(Arc<Survey>, Option<Dashboard>), ApiError> {
    let survey = state
        .survey(id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("phiên bản khảo sát này", "this survey version"))?;
    let dashboard = build(state, &survey).await?;
    Ok((survey, dashboard))
}

/// The survey and its dashboard for a page, or (as `Err`) the page that says nothing is published.
pub(crate) async fn published(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    version: &str,
    path: &str,
) -> Result<Result<(Arc<Survey>, Dashboard), Response>, PageRejection> {
    let (survey, dashboard) = load(state, id, version)
        .await
        .map_err(PageRejection::Failed)?;
    Ok(match dashboard {
        Some(d) => Ok((survey, d)),
        None => {
            let lang = viewer.lang;
            Err(crate::pages::empty_page(
                viewer,
                path,
                survey.title.get(lang.code()),
                lang.t(
                    "Chưa có kết quả nào được công bố cho khảo sát này.",
                    "No results are published for this survey yet.",
                ),
            ))
        }
    })
}

/// How wide a chart is drawn for a phone. The page shows it a quarter larger (328 px, which fits a
/// 360 px screen with the page's margins and a scroll bar; see `.chart img` in the pages' style),
/// because the charts' smallest text is drawn 12 px from ascent to descent, a font size of 9.7 px:
/// shown a quarter larger it reads at 12 px.
pub(crate) const PHONE_CHART_WIDTH: u32 = 264;
/// The district heat map needs room for its eight columns: on a phone it is shown at 520 px and
/// scrolls in its box.
pub(crate) const PHONE_HEAT_MAP_WIDTH: u32 = 416;

/// A chart of the page: drawn narrower for a phone, where the wide one would shrink its text.
pub(crate) fn chart_picture(
    base: &str,
    name: &str,
    only: Option<&str>,
    alt: &str,
    lang: Lang,
) -> Markup {
    let only = only.map(|o| format!("only={o}&")).unwrap_or_default();
    let phone = if name == "districts" {
        PHONE_HEAT_MAP_WIDTH
    } else {
        PHONE_CHART_WIDTH
    };
    let wide = href(&format!("{base}/charts/{name}.svg?{only}w=900"), lang);
    let narrow = href(&format!("{base}/charts/{name}.svg?{only}w={phone}"), lang);
    let scrolls = name == "districts";
    html! {
        // A box that scrolls is focusable, so that it scrolls from the keyboard too.
        div.chart.wide[scrolls] tabindex=[scrolls.then_some("0")] role=[scrolls.then_some("region")] aria-label=[scrolls.then_some(alt)] {
            picture {
                source media="(max-width: 40rem)" srcset=(narrow);
                img src=(wide) alt=(alt);
            }
        }
    }
}

pub(crate) fn overview(d: &Dashboard, lang: Lang, base: &str) -> Markup {
    let since = d.baseline.as_ref().and_then(|b| b.year);
    let published = chrono::DateTime::parse_from_rfc3339(&d.publication.published_at)
        .map(|t| locale::date(t.with_timezone(&chrono::Utc), lang))
        .unwrap_or_else(|_| d.publication.published_at.clone());
    html! {
        div.cards {
            div.card {
                div.muted { (lang.t("Điểm tổng hợp", "Total score")) " (" (lang.t("tối đa", "max")) " " (d.dimensions.len() * 10) ")" }
                div.big { (score(d.total.estimate, lang)) }
                div.muted { (lang.t("Khoảng tin cậy 95%", "95% interval")) ": " (interval(&d.total, lang)) }
            }
            @if let Some(b) = &d.baseline {
                div.card {
                    div.muted { (lang.t("So với mốc", "Against the baseline")) " " (b.label) }
                    div class=(if b.change.estimate.unwrap_or(0.0) >= 0.0 { "big up" } else { "big down" }) { (signed(b.change.estimate, lang)) }
                    p.headline { strong { (change_sentence(&b.change, since, lang)) } }
                    @if let Some(meaning) = interval_sentence(&b.change, lang) { p.muted { (meaning) } }
                    @if b.baseline_treated_as_exact { p.muted { (lang.t(
                        "Điểm mốc cũng là kết quả của một cuộc khảo sát chọn mẫu, nhưng chưa có sai số chuẩn của nó: khoảng tin cậy trên coi điểm mốc là chính xác, nên hẹp hơn thực tế.",
                        "The baseline is itself a survey estimate, but its standard error is not given: the interval above treats the baseline as exact, so it is narrower than it should be.",
                    )) } }
                    div.muted { (lang.t("Điểm mốc", "Baseline score")) ": " (locale::number(b.total, 2, lang)) }
                }
            }
            @if let Some(w) = &d.previous_wave {
                div.card {
                    div.muted { (lang.t("So với đợt trước", "Against the previous wave")) " " (w.year) }
                    div class=(if w.change.estimate.unwrap_or(0.0) >= 0.0 { "big up" } else { "big down" }) { (signed(w.change.estimate, lang)) }
                    p.headline { strong { (change_sentence(&w.change, Some(w.year), lang)) } }
                    @if let Some(meaning) = interval_sentence(&w.change, lang) { p.muted { (meaning) } }
                    div.muted { (lang.t("Điểm đợt", "Score in")) " " (w.year) ": " (score(w.total, lang)) "; " (lang.t(
                        "hai đợt được coi là hai mẫu độc lập.",
                        "the two waves are taken as independent samples.",
                    )) }
                }
            }
            @if let Some(p) = &d.performance {
                @let (placed, thresholds) = performance_sentences(d, p, lang);
                div.card {
                    div.muted { (lang.t("Nhóm xếp hạng, so với các tỉnh năm", "Performance group, against the provinces in")) " " (p.year) }
                    div.big { (group_name(&p.group, lang)) }
                    p.headline { (placed) }
                    p.muted { (thresholds)
                        @if p.distance_to_high_average > 0.0 {
                            " " (lang.t("Còn cách nhóm trung bình cao", "Short of the high average group by")) " " (locale::number(p.distance_to_high_average, 2, lang)) " " (lang.t("điểm.", "points."))
                        }
                    }
                }
            }
            div.card {
                div.muted { (lang.t("Đợt khảo sát", "Survey wave")) }
                div.big { (d.publication.wave_year) }
                div.muted { (locale::number(d.publication.interviews as f64, 0, lang)) " " (lang.t("phiếu", "interviews")) "; " (lang.t("công bố ngày", "published")) " " (published)
                    @if d.publication.left_out > 0 { "; " (d.publication.left_out) " " (lang.t("phiếu không được tính", "interviews left out")) } }
            }
        }
        h2 { (lang.t("Tám lĩnh vực", "The eight dimensions")) }
        (chart_picture(base, "dimensions", None, lang.t("Biểu đồ điểm các lĩnh vực", "Chart of dimension scores"), lang))
        div {
            p.noprint.muted { a href=(href(&format!("{base}/charts/dimensions.png"), lang)) download { (lang.t("Tải ảnh PNG", "Download PNG")) } }
        }
        @let year = since.map(|y| y.to_string()).unwrap_or_default();
        @let labels = [
            lang.t("Điểm", "Score").to_owned(),
            lang.t("Khoảng tin cậy 95%", "95% interval").to_owned(),
            format!("{} {year}", lang.t("Mốc", "Baseline")),
            lang.t("Thay đổi", "Change").to_owned(),
            lang.t("Trung vị toàn quốc", "National median").to_owned(),
        ];
        @let previous = d.previous_wave.as_ref();
        @let previous_label = previous.map(|w| format!("{} {}", lang.t("So với đợt", "Change from"), w.year));
        table.stack {
            thead { tr {
                th { (lang.t("Lĩnh vực", "Dimension")) }
                @for l in &labels { th.num { (l) } }
                @if let Some(l) = &previous_label { th.num { (l) } }
            } }
            tbody { @for (i, x) in d.dimensions.iter().enumerate() {
                tr {
                    td.lead { a href=(href(&format!("{base}/dimensions/{}", x.id), lang)) { (dim_label(x, lang)) } }
                    td.num data-label=(labels[0]) { (score(x.value.estimate, lang)) }
                    td.num data-label=(labels[1]) { (interval(&x.value, lang)) }
                    td.num data-label=(labels[2]) { (score(x.baseline, lang)) }
                    td.num data-label=(labels[3]) { (signed(x.change.and_then(|c| c.estimate), lang)) }
                    td.num data-label=(labels[4]) { (score(x.quartiles.map(|q| q[1]), lang)) }
                    @if let (Some(w), Some(l)) = (previous, &previous_label) {
                        @let c = w.dimensions.get(i).map(|c| c.change).unwrap_or_default();
                        td.num data-label=(l) { (signed(c.estimate, lang)) @if significant(&c) == Some(true) { " *" } }
                    }
                }
            } }
        }
        @if previous.is_some() { p.muted { (lang.t(
            "* thay đổi so với đợt trước khác biệt có ý nghĩa thống kê (mức 95%).",
            "* the change from the previous wave is statistically significant (at 95%).",
        )) } }
        @if d.total.flagged || d.dimensions.iter().any(|x| x.value.flagged) { (flag_legend(lang)) }
    }
}

pub(crate) fn history_section(lang: Lang, base: &str) -> Markup {
    html! {
        h2 { (lang.t("Chỉ số PAPI của tỉnh qua các năm", "The province's PAPI over the years")) }
        p.muted { (lang.t("Trước 2018 chỉ số gồm 6 lĩnh vực (tối đa 60 điểm); từ 2018 gồm 8 lĩnh vực (tối đa 80 điểm).", "Before 2018 the index had 6 dimensions (max 60); from 2018 it has 8 (max 80).")) }
        (chart_picture(base, "history", None, lang.t("Biểu đồ lịch sử chỉ số PAPI", "Chart of the PAPI history"), lang))
        div {
            p.noprint.muted { a href=(href(&format!("{base}/charts/history.png"), lang)) download { (lang.t("Tải ảnh PNG", "Download PNG")) } }
        }
    }
}

pub(crate) fn strata_section(d: &Dashboard, lang: Lang, base: &str) -> Markup {
    let Some(strata) = &d.strata else {
        return html! {};
    };
    html! {
        h2 { (lang.t("Theo huyện", "By district")) }
        p.muted { (lang.t("Ô có dưới", "Cells with fewer than")) " " (strata.min_respondents) " " (lang.t("người trả lời không được hiển thị (—).", "respondents are not shown (—).")) }
        (chart_picture(base, "districts", None, lang.t("Biểu đồ theo huyện", "Chart by district"), lang))
        div {
            p.noprint.muted { a href=(href(&format!("{base}/charts/districts.png"), lang)) download { (lang.t("Tải ảnh PNG", "Download PNG")) } }
        }
        // Districts side by side: on a phone the table scrolls in its box, the district's name stays.
        div.wide tabindex="0" role="region" aria-label=(lang.t("Bảng điểm theo huyện", "Scores by district")) { table {
            thead { tr {
                th { (lang.t("Huyện", "District")) }
                th.num { (lang.t("Người trả lời", "Respondents")) }
                th.num { (lang.t("Tổng", "Total")) }
                @for (i, _) in d.dimensions.iter().enumerate() { th.num title=(dim_label(&d.dimensions[i], lang)) { "D" (i + 1) } }
            } }
            tbody { @for g in &strata.groups {
                tr class=[g.suppressed.then_some("suppressed")] {
                    td { (g.name) }
                    td.num { @if let Some(n) = g.respondents { (n) } @else { "< " (strata.min_respondents) } }
                    td.num { (score(g.total.and_then(|t| t.estimate), lang)) }
                    @for v in &g.dimensions { td.num { (score(*v, lang)) } }
                }
            } }
        } }
        p.muted { @for (i, x) in d.dimensions.iter().enumerate() { "D" (i + 1) ": " (dim_label(x, lang)) ". " } }
    }
}

/// `GET /dashboard/{survey}/{version}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewDashboard)?;
    let lang = viewer.lang;
    let base = format!("/dashboard/{id}/{version}");
    let (survey, d) = match published(&state, &viewer, &id, &version, &base).await? {
        Ok(found) => found,
        Err(nothing_yet) => return Ok(nothing_yet),
    };
    let title = survey.title.get(lang.code()).to_owned();
    Ok(layout(&viewer, &base, &title, html! {
        h1 { (title) }
        p.muted { (d.province.clone().unwrap_or_default()) " · " (lang.t("phiên bản", "version")) " " (d.version) " · "
            a href=(href(&format!("{base}/print"), lang)) { (lang.t("Bản in", "Printable view")) } }
        (overview(&d, lang, &base))
        (history_section(lang, &base))
        (strata_section(&d, lang, &base))
        h2 { (lang.t("Nhiệm vụ của Kế hoạch theo lĩnh vực", "The plan's tasks by dimension")) }
        p { (lang.t("Xem từng lĩnh vực để biết nhiệm vụ, cơ quan chủ trì và tiến độ:", "Open a dimension for its tasks, lead agencies and progress:")) }
        ul { @for x in &d.dimensions { li { a href=(href(&format!("{base}/dimensions/{}", x.id), lang)) { (dim_label(x, lang)) } } } }
    }).into_response())
}

/// `GET /dashboard/{survey}/{version}/print`: the overview, then one page per dimension.
pub async fn print_page(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewDashboard)?;
    let lang = viewer.lang;
    let base = format!("/dashboard/{id}/{version}");
    let (survey, d) = match published(&state, &viewer, &id, &version, &base).await? {
        Ok(found) => found,
        Err(nothing_yet) => return Ok(nothing_yet),
    };
    let title = survey.title.get(lang.code()).to_owned();
    let mut pages = Vec::new();
    for x in &d.dimensions {
        let tasks = tasks_for(&state, &x.id)
            .await
            .map_err(PageRejection::Failed)?;
        pages.push(dimension_body(&d, x, &tasks, lang, &base, false));
    }
    Ok(layout(
        &viewer,
        &format!("{base}/print"),
        &title,
        html! {
            p.noprint { button type="button" data-action="print" { (lang.t("In", "Print")) } }
            section.page {
                h1 { (title) }
                (overview(&d, lang, &base))
            }
            section.page { (history_section(lang, &base)) (strata_section(&d, lang, &base)) }
            @for p in pages { section.page { (p) } }
        },
    )
    .into_response())
}
