//! The leadership dashboard: the latest published score run of a survey against the 2018 baseline and
//! the national quartiles, the province's official history with the project's own waves, the strata
//! side by side (small groups suppressed), and the plan's tasks for each dimension. Leaders see
//! aggregates only: everything here comes from published score runs, never from interviews.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use maud::{html, Markup};
use papi_auth::Action;
use papi_chart::{
    ChartLegend, DimensionBar, DimensionChart, DistrictChart, HistoryChart, HistoryPoint, WavePoint,
};
use papi_survey::plan::Plan;
use papi_survey::Survey;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json_;
use uuid::Uuid;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Est {
    pub estimate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Degrees of freedom of the interval (fractional for a change between waves: Welch–Satterthwaite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// The score run flagged it (fewer than 30 respondents, or fewer than 5 degrees of freedom): the
    /// page marks it to be read with care.
    #[serde(
        default,
        rename(deserialize = "flags"),
        deserialize_with = "any_flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub flagged: bool,
}

/// A score run's `flags` list, as whether it has any.
fn any_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(!Vec::<String>::deserialize(d)?.is_empty())
}

/// The mark of a flagged estimate, and what it means.
const FLAG_MARK: &str = "†";

fn flag_legend(lang: Lang) -> Markup {
    html! {
        p.muted { (FLAG_MARK) " " (lang.t(
            "Ước lượng dựa trên dưới 30 người trả lời hoặc dưới 5 bậc tự do của thiết kế mẫu: đọc thận trọng.",
            "Estimate resting on fewer than 30 respondents or fewer than 5 degrees of freedom of the sample design: read with care.",
        )) }
    }
}

/// The dashboard's content, as the page shows it and the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub survey_id: String,
    pub version: String,
    pub title: String,
    pub province: Option<String>,
    pub publication: PublicationInfo,
    pub total: Est,
    pub baseline: Option<BaselineInfo>,
    pub performance: Option<PerformanceInfo>,
    pub dimensions: Vec<DimensionView>,
    pub strata: Option<StrataView>,
    pub history: Vec<HistoryRow>,
    pub waves: Vec<Wave>,
    /// The change from the previous wave (the latest publication of an earlier year from another
    /// version of the survey), when there is one and neither wave is suppressed.
    pub previous_wave: Option<PreviousWave>,
}

/// The change from the previous wave to this one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviousWave {
    pub year: i32,
    /// The survey version that wave's interviews were collected under.
    pub version: String,
    pub publication: String,
    /// That wave's total.
    pub total: Option<f64>,
    /// This wave's total minus that one's, with its 95% interval.
    pub change: Est,
    /// The same for each dimension, in the survey's order.
    pub dimensions: Vec<DimensionChange>,
    /// How the change's standard error is computed.
    pub method: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DimensionChange {
    pub id: String,
    pub change: Est,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicationInfo {
    pub id: String,
    pub published_at: String,
    pub published_by: String,
    pub wave_year: i32,
    pub interviews: i64,
    /// Interviews the recompute could not score and left out (the fieldwork page lists them).
    pub left_out: usize,
    pub overall_run: String,
    pub strata_run: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BaselineInfo {
    pub label: String,
    pub year: Option<i32>,
    pub total: f64,
    pub change: Est,
    /// The definition gives no standard error for the baseline: the change's interval carries only
    /// this survey's sampling error.
    pub baseline_treated_as_exact: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PerformanceInfo {
    pub year: i32,
    pub group: String,
    pub thresholds: Thresholds,
    pub distance_to_high_average: f64,
    pub provinces: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thresholds {
    pub best: f64,
    pub high_average: f64,
    pub low_average: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DimensionView {
    pub id: String,
    pub label_vi: String,
    pub label_en: String,
    pub value: Est,
    pub baseline: Option<f64>,
    pub change: Option<Est>,
    /// National 25th, 50th and 75th percentiles of this dimension in the comparison year.
    pub quartiles: Option<[f64; 3]>,
    pub subdimensions: Vec<SubdimensionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubdimensionView {
    pub id: String,
    pub label_vi: String,
    pub label_en: String,
    pub value: Est,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StrataView {
    /// The stratum column (district for PAPI).
    pub column: String,
    /// Groups with fewer respondents than this are suppressed.
    pub min_respondents: u64,
    pub groups: Vec<StratumView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StratumView {
    pub name: String,
    /// True when the group has too few respondents: no value of it is shown.
    pub suppressed: bool,
    /// Respondents, when not suppressed.
    pub respondents: Option<u64>,
    pub total: Option<Est>,
    /// One per dimension, in the survey's order; null when suppressed or not estimable.
    pub dimensions: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryRow {
    pub year: i32,
    pub total: f64,
    /// 6 before 2018, 8 from 2018.
    pub dimensions: u8,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Wave {
    pub year: i32,
    pub publication: String,
    pub total: Est,
}

// What the dashboard reads of a stored score report (papi-score's JSON).
#[derive(Deserialize)]
struct RunReport {
    groups: Vec<RunGroup>,
    /// Not in the JSON: the run's interview count, from its record.
    #[serde(skip)]
    interviews: i64,
}

#[derive(Deserialize)]
struct RunGroup {
    by: serde_json::Map<String, Json_>,
    respondents: u64,
    total: Est,
    dimensions: Vec<RunDimension>,
    #[serde(default)]
    baseline: Option<RunBaseline>,
    #[serde(default)]
    performance: Option<PerformanceInfo>,
}

#[derive(Deserialize)]
struct RunDimension {
    id: String,
    #[serde(flatten)]
    value: Est,
    subdimensions: Vec<RunSubdimension>,
}

#[derive(Deserialize)]
struct RunSubdimension {
    id: String,
    #[serde(flatten)]
    value: Est,
}

#[derive(Deserialize)]
struct RunBaseline {
    label: String,
    year: Option<i32>,
    total: RunChange,
    dimensions: Vec<RunDimensionChange>,
}

#[derive(Deserialize)]
struct RunChange {
    baseline: f64,
    change: RunChangeEstimate,
}

#[derive(Deserialize)]
struct RunChangeEstimate {
    #[serde(flatten)]
    value: Est,
    #[serde(default)]
    baseline_treated_as_exact: bool,
}

#[derive(Deserialize)]
struct RunDimensionChange {
    id: String,
    baseline: f64,
    change: Est,
}

/// Parsed score runs, by id: runs are immutable, so a parsed one never goes stale.
#[derive(Default)]
pub struct RunCache {
    runs: tokio::sync::RwLock<HashMap<Uuid, Arc<RunReport>>>,
}

impl RunCache {
    async fn get(&self, state: &AppState, id: Uuid) -> Result<Arc<RunReport>, ApiError> {
        if let Some(r) = self.runs.read().await.get(&id) {
            return Ok(r.clone());
        }
        let run =
            state.store.score_run(id).await?.ok_or_else(|| {
                ApiError::internal(format!("published score run {id} is missing"))
            })?;
        let mut report: RunReport =
            serde_json::from_str(&run.run.result).map_err(ApiError::internal)?;
        report.interviews = run.run.interviews;
        let report = Arc::new(report);
        self.runs.write().await.insert(id, report.clone());
        Ok(report)
    }
}

/// National quartiles (type 7, as R) of each PAPI dimension in `year`, by dimension position.
fn dimension_quartiles(
    table: &papi_survey::ReferenceTable,
    year: i32,
    i: usize,
) -> Option<[f64; 3]> {
    let mut values: Vec<f64> = table
        .year(year)
        .filter_map(|r| r.dimensions.get(i).copied().flatten())
        .collect();
    if values.len() < 4 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some([0.25, 0.5, 0.75].map(|p| papi_score::quantile7(&values, p)))
}

/// Builds the dashboard of the latest publication of a survey version; None when nothing is published.
pub async fn build(state: &AppState, survey: &Survey) -> Result<Option<Dashboard>, ApiError> {
    let publications = state
        .store
        .publications(&survey.id, &survey.version)
        .await?;
    let Some(latest) = publications.first() else {
        return Ok(None);
    };
    let settings = papi_recompute::settings(&state.store, survey)
        .await
        .map_err(ApiError::internal)?;
    let overall_run = state
        .runs
        .get(state, latest.publication.overall_run)
        .await?;
    let overall = overall_run
        .groups
        .first()
        .ok_or_else(|| ApiError::internal("a published run has no groups"))?;
    // A group of too few respondents is suppressed, a district or the province itself: no value of
    // it (scores, intervals, change, performance group) is shown, in the latest wave or any other.
    let shown = |g: &RunGroup| g.respondents >= settings.min_respondents;
    let overall_shown = shown(overall);
    let interviews = overall_run.interviews;
    let table = &state.reference;
    // The PAPI dimensions compare with the official table only when the survey scores PAPI's eight.
    let papi = survey.dimensions.len() == papi_survey::PAPI_DIMENSIONS.len();
    let quartile_year = overall.performance.as_ref().map(|p| p.year);
    let dimensions = survey
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let run = overall.dimensions.iter().find(|r| r.id == d.id);
            let change = overall
                .baseline
                .as_ref()
                .and_then(|b| b.dimensions.iter().find(|c| c.id == d.id));
            DimensionView {
                id: d.id.clone(),
                label_vi: d.label.get("vi").to_owned(),
                label_en: d.label.get("en").to_owned(),
                value: run
                    .filter(|_| overall_shown)
                    .map(|r| r.value)
                    .unwrap_or_default(),
                baseline: change.map(|c| c.baseline),
                change: change.filter(|_| overall_shown).map(|c| c.change),
                quartiles: match (papi, quartile_year) {
                    (true, Some(y)) => dimension_quartiles(table, y, i),
                    _ => None,
                },
                subdimensions: d
                    .subdimensions
                    .iter()
                    .map(|s| SubdimensionView {
                        id: s.id.clone(),
                        label_vi: s.label.get("vi").to_owned(),
                        label_en: s.label.get("en").to_owned(),
                        value: run
                            .filter(|_| overall_shown)
                            .and_then(|r| r.subdimensions.iter().find(|x| x.id == s.id))
                            .map(|x| x.value)
                            .unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    let strata = match (latest.publication.strata_run, &survey.design.strata) {
        (Some(run), Some(column)) => {
            let report = state.runs.get(state, run).await?;
            let mut groups: Vec<StratumView> = report
                .groups
                .iter()
                .map(|g| {
                    let name =
                        g.by.get(column)
                            .and_then(Json_::as_str)
                            .unwrap_or("—")
                            .to_owned();
                    let suppressed = !shown(g);
                    StratumView {
                        name,
                        suppressed,
                        respondents: (!suppressed).then_some(g.respondents),
                        total: (!suppressed).then_some(g.total),
                        dimensions: survey
                            .dimensions
                            .iter()
                            .map(|d| {
                                if suppressed {
                                    return None;
                                }
                                g.dimensions
                                    .iter()
                                    .find(|r| r.id == d.id)
                                    .and_then(|r| r.value.estimate)
                            })
                            .collect(),
                    }
                })
                .collect();
            // In the Vietnamese alphabet's order, as a printed report lists them.
            groups.sort_by(|a, b| locale::compare(&a.name, &b.name));
            Some(StrataView {
                column: column.clone(),
                min_respondents: settings.min_respondents,
                groups,
            })
        }
        _ => None,
    };
    let province = survey.baseline.as_ref().and_then(|b| b.province.clone());
    let history = match &province {
        Some(p) => table
            .history(p)
            .into_iter()
            .filter_map(|r| {
                let dims = r.dimensions.iter().filter(|d| d.is_some()).count() as u8;
                r.total.map(|total| HistoryRow {
                    year: r.year,
                    total,
                    dimensions: dims,
                })
            })
            .collect(),
        None => Vec::new(),
    };
    // The previous wave: another version's publication of an earlier year, its own sample.
    let previous = state
        .store
        .previous_wave(&survey.id, &survey.version, latest.publication.wave_year)
        .await?;
    let previous_wave = match previous {
        Some(p) if overall_shown => {
            let report = state.runs.get(state, p.publication.overall_run).await?;
            report
                .groups
                .first()
                .filter(|g| shown(g))
                .map(|before| PreviousWave {
                    year: p.publication.wave_year,
                    version: p.publication.survey_version.clone(),
                    publication: p.id.to_string(),
                    total: before.total.estimate,
                    change: wave_change("total", &before.total, &overall.total),
                    dimensions: survey
                        .dimensions
                        .iter()
                        .map(|d| {
                            let of = |g: &RunGroup| {
                                g.dimensions
                                    .iter()
                                    .find(|x| x.id == d.id)
                                    .map(|x| x.value)
                                    .unwrap_or_default()
                            };
                            DimensionChange {
                                id: d.id.clone(),
                                change: wave_change(&d.id, &of(before), &of(overall)),
                            }
                        })
                        .collect(),
                    method: papi_score::compare::METHOD.to_owned(),
                })
        }
        _ => None,
    };
    let mut waves = Vec::new();
    for p in publications.iter().rev() {
        let report = state.runs.get(state, p.publication.overall_run).await?;
        if let Some(g) = report.groups.first() {
            waves.push(Wave {
                year: p.publication.wave_year,
                publication: p.id.to_string(),
                total: if shown(g) { g.total } else { Est::default() },
            });
        }
    }
    Ok(Some(Dashboard {
        survey_id: survey.id.clone(),
        version: survey.version.clone(),
        title: survey.title.get("vi").to_owned(),
        province,
        publication: PublicationInfo {
            id: latest.id.to_string(),
            published_at: latest.published_at.to_rfc3339(),
            published_by: latest.publication.published_by.clone(),
            wave_year: latest.publication.wave_year,
            interviews,
            left_out: latest.publication.left_out.len(),
            overall_run: latest.publication.overall_run.to_string(),
            strata_run: latest.publication.strata_run.map(|r| r.to_string()),
        },
        total: if overall_shown {
            overall.total
        } else {
            Est::default()
        },
        baseline: overall.baseline.as_ref().map(|b| BaselineInfo {
            label: b.label.clone(),
            year: b.year,
            total: b.total.baseline,
            change: if overall_shown {
                b.total.change.value
            } else {
                Est::default()
            },
            baseline_treated_as_exact: b.total.change.baseline_treated_as_exact,
        }),
        // The performance group is read off the total, so it would tell it.
        performance: overall.performance.clone().filter(|_| overall_shown),
        dimensions,
        strata,
        history,
        waves,
        previous_wave,
    }))
}

/// The change of one estimate from an earlier wave to a later one, as `papi compare` gives it
/// (independent samples, Welch–Satterthwaite df).
fn wave_change(id: &str, before: &Est, after: &Est) -> Est {
    let value = |e: &Est| serde_json::to_value(e).unwrap_or_default();
    let c = papi_score::compare::compare_estimate(id, &value(before), &value(after));
    Est {
        estimate: c.change,
        se: c.se,
        ci_low: c.ci_low,
        ci_high: c.ci_high,
        df: c.df,
        flagged: before.flagged || after.flagged,
    }
}

fn group_name(group: &str, lang: Lang) -> &'static str {
    match group {
        "best" => lang.t("Nhóm cao nhất", "Best performers"),
        "high_average" => lang.t("Nhóm trung bình cao", "High average performers"),
        "low_average" => lang.t("Nhóm trung bình thấp", "Low average performers"),
        _ => lang.t("Nhóm thấp nhất", "Poor performers"),
    }
}

fn dim_label(d: &DimensionView, lang: Lang) -> &str {
    lang.t(&d.label_vi, &d.label_en)
}

// ---- charts -------------------------------------------------------------------------------------

fn dimension_chart(d: &Dashboard, lang: Lang, only: Option<&str>, width: u32) -> DimensionChart {
    let year = d.baseline.as_ref().and_then(|b| b.year).unwrap_or(2018);
    DimensionChart {
        title: format!(
            "{} {} — {}",
            lang.t("Điểm các lĩnh vực, đợt", "Dimension scores, wave"),
            d.publication.wave_year,
            d.province.clone().unwrap_or_default()
        ),
        axis_label: lang.t("Điểm (1–10)", "Score (1–10)").to_owned(),
        range: (1.0, 10.0),
        legend: ChartLegend {
            estimate: lang.t("Ước lượng", "Estimate").to_owned(),
            interval: lang.t("Khoảng tin cậy 95%", "95% interval").to_owned(),
            baseline: format!("{} {year}", lang.t("Mốc", "Baseline")),
            quartile_bands: lang
                .t("Tứ phân vị toàn quốc", "National quartiles")
                .to_owned(),
            no_estimate: lang
                .t(
                    "—: không đủ câu trả lời để ước lượng",
                    "—: too few answers to estimate",
                )
                .to_owned(),
        },
        bars: d
            .dimensions
            .iter()
            .filter(|x| only.is_none_or(|o| o == x.id))
            .map(|x| DimensionBar {
                label: dim_label(x, lang).to_owned(),
                estimate: x.value.estimate,
                low: x.value.ci_low,
                high: x.value.ci_high,
                baseline: x.baseline,
                quartiles: x.quartiles,
            })
            .collect(),
        decimal_comma: lang == Lang::Vi,
        width,
        height: match (only.is_some(), narrow(width)) {
            (true, false) => 260,
            (true, true) => 310,
            (false, false) => 520,
            (false, true) => 720,
        },
    }
}

fn history_chart(d: &Dashboard, lang: Lang, width: u32) -> HistoryChart {
    HistoryChart {
        title: format!(
            "{} — {}",
            lang.t("Chỉ số PAPI tổng hợp qua các năm", "PAPI total over the years"),
            d.province.clone().unwrap_or_default()
        ),
        axis_label: lang.t("Điểm tổng hợp", "Total score").to_owned(),
        official: d
            .history
            .iter()
            .map(|h| HistoryPoint {
                year: h.year,
                total: h.total,
                dimensions: h.dimensions,
            })
            .collect(),
        waves: d
            .waves
            .iter()
            .filter_map(|w| {
                Some(WavePoint {
                    label: format!("{} {}", lang.t("Đợt", "Wave"), w.year),
                    year: w.year as f64,
                    estimate: w.total.estimate?,
                    low: w.total.ci_low?,
                    high: w.total.ci_high?,
                })
            })
            .collect(),
        baseline: d
            .baseline
            .as_ref()
            .map(|b| (b.year.unwrap_or(2018), b.total)),
        legend_official_six: lang
            .t("PAPI chính thức (6 lĩnh vực, tối đa 60)", "Official PAPI (6 dimensions, max 60)")
            .to_owned(),
        legend_official_eight: lang
            .t("PAPI chính thức (8 lĩnh vực, tối đa 80)", "Official PAPI (8 dimensions, max 80)")
            .to_owned(),
        legend_waves: lang
            .t("Khảo sát của tỉnh (khoảng tin cậy 95%)", "Province's own survey (95% interval)")
            .to_owned(),
        legend_baseline: lang.t("Mốc 2018", "2018 baseline").to_owned(),
        note: lang
            .t(
                "Trước 2018 chỉ số gồm 6 lĩnh vực (tối đa 60); từ 2018 gồm 8 lĩnh vực (tối đa 80), nên hai đoạn không so sánh trực tiếp.",
                "Before 2018 the index had 6 dimensions (max 60); from 2018 it has 8 (max 80), so the two segments do not compare directly.",
            )
            .to_owned(),
        decimal_comma: lang == Lang::Vi,
        width,
        height: if narrow(width) { 440 } else { 460 },
    }
}

fn districts_chart(d: &Dashboard, lang: Lang, width: u32) -> Option<DistrictChart> {
    let strata = d.strata.as_ref()?;
    Some(DistrictChart {
        title: lang
            .t(
                "Điểm các lĩnh vực theo huyện",
                "Dimension scores by district",
            )
            .to_owned(),
        axis_label: lang.t("Điểm (1–10)", "Score (1–10)").to_owned(),
        range: (1.0, 10.0),
        dimensions: d
            .dimensions
            .iter()
            .map(|x| dim_label(x, lang).to_owned())
            .collect(),
        districts: strata
            .groups
            .iter()
            .map(|g| (g.name.clone(), g.dimensions.clone()))
            .collect(),
        suppressed_note: format!(
            "— : {} {} {}",
            lang.t("dưới", "fewer than"),
            strata.min_respondents,
            lang.t("người trả lời, không hiển thị", "respondents, not shown")
        ),
        decimal_comma: lang == Lang::Vi,
        width,
        height: if narrow(width) { 250 } else { 120 } + 34 * strata.groups.len() as u32,
    })
}

// ---- handlers -----------------------------------------------------------------------------------

/// The survey versions that have a publication, newest publication first.
async fn published_surveys(state: &AppState) -> Result<Vec<Arc<Survey>>, ApiError> {
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

async fn load(
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
async fn published(
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

fn interval(e: &Est, lang: Lang) -> String {
    let mark = if e.flagged { FLAG_MARK } else { "" };
    match (e.ci_low, e.ci_high) {
        (Some(l), Some(h)) => format!(
            "{} – {}{mark}",
            locale::number(l, 2, lang),
            locale::number(h, 2, lang)
        ),
        _ => format!("—{mark}"),
    }
}

fn score(x: Option<f64>, lang: Lang) -> String {
    locale::score(x, lang)
}

fn signed(x: Option<f64>, lang: Lang) -> String {
    locale::signed(x, lang)
}

/// Whether a change's 95% interval leaves out zero: then the survey can tell it from sampling noise.
fn significant(change: &Est) -> Option<bool> {
    match (change.ci_low, change.ci_high) {
        (Some(lo), Some(hi)) => Some(lo > 0.0 || hi < 0.0),
        _ => None,
    }
}

/// The change in words a leader can read in a breath: its direction and size against the baseline
/// year, and whether it is more than sampling noise.
fn change_sentence(change: &Est, since: Option<i32>, lang: Lang) -> String {
    let Some(x) = change.estimate else {
        return lang
            .t(
                "Chưa ước lượng được thay đổi.",
                "The change cannot be estimated.",
            )
            .to_owned();
    };
    let size = locale::number(x.abs(), 2, lang);
    let direction = match (x >= 0.0, lang) {
        (true, Lang::Vi) => "Tăng",
        (false, Lang::Vi) => "Giảm",
        (true, Lang::En) => "Up",
        (false, Lang::En) => "Down",
    };
    let against = match since {
        Some(y) => format!(" {} {y}", lang.t("so với", "on")),
        None => String::new(),
    };
    let verdict = match significant(change) {
        Some(true) => lang.t(
            "khác biệt có ý nghĩa thống kê (mức 95%)",
            "a statistically significant difference (at 95%)",
        ),
        Some(false) => lang.t(
            "chưa khác biệt có ý nghĩa thống kê",
            "not a statistically significant difference",
        ),
        None => lang.t(
            "chưa đủ dữ liệu để kết luận",
            "too little data to say whether it is more than chance",
        ),
    };
    format!(
        "{direction} {size} {}{against}, {verdict}.",
        lang.t("điểm", "points")
    )
}

/// What the 95% interval of the change means, in one sentence, with its ends.
fn interval_sentence(change: &Est, lang: Lang) -> Option<String> {
    let (lo, hi) = (change.ci_low?, change.ci_high?);
    let (lo, hi) = (locale::number(lo, 2, lang), locale::number(hi, 2, lang));
    let conclusion = match significant(change) {
        Some(true) => lang.t(
            "khoảng này không chứa 0, nên thay đổi không phải do ngẫu nhiên chọn mẫu.",
            "it leaves out zero, so the change is not an accident of the sample.",
        ),
        _ => lang.t(
            "khoảng này chứa cả số âm và số dương, nên chưa thể nói điểm đã tăng hay giảm.",
            "it holds both falls and rises, so the survey cannot yet say which way the score moved.",
        ),
    };
    Some(match lang {
        Lang::Vi => format!("Khoảng tin cậy 95% của thay đổi là {lo} đến {hi}: tính cả sai số do chỉ phỏng vấn một mẫu người dân, thay đổi thật nằm trong khoảng này với độ tin cậy 95%; {conclusion}"),
        Lang::En => format!("The 95% interval of the change is {lo} to {hi}: allowing for the error of interviewing a sample rather than everyone, the true change lies in it with 95% confidence; {conclusion}"),
    })
}

/// The performance group in words: which year's provinces it compares the wave with, and where the
/// groups' thresholds (the national quartiles of the total) lie.
fn performance_sentences(d: &Dashboard, p: &PerformanceInfo, lang: Lang) -> (String, String) {
    let n = |x: f64| locale::number(x, 2, lang);
    let t = &p.thresholds;
    let total = n(d.total.estimate.unwrap_or(f64::NAN));
    let group = group_name(&p.group, lang).to_lowercase();
    let placed = match lang {
        Lang::Vi => format!(
            "Với {total} điểm, kết quả đợt {} của tỉnh thuộc {group} nếu đặt cạnh {} tỉnh, thành phố trong PAPI {}.",
            d.publication.wave_year, p.provinces, p.year
        ),
        Lang::En => format!(
            "At {total} points, the province's {} wave would be among the {group} next to the {} provinces of PAPI {}.",
            d.publication.wave_year, p.provinces, p.year
        ),
    };
    let thresholds = match lang {
        Lang::Vi => format!(
            "Các nhóm chia theo tứ phân vị điểm tổng hợp của các tỉnh năm {}: thấp nhất dưới {}; trung bình thấp từ {} đến dưới {}; trung bình cao từ {} đến dưới {}; cao nhất từ {} trở lên.",
            p.year, n(t.low_average), n(t.low_average), n(t.high_average), n(t.high_average), n(t.best), n(t.best)
        ),
        Lang::En => format!(
            "The groups are the quarters of the provinces' totals in {}: poor performers below {}; low average {} to {}; high average {} to {}; best performers {} and above.",
            p.year, n(t.low_average), n(t.low_average), n(t.high_average), n(t.high_average), n(t.best), n(t.best)
        ),
    };
    (placed, thresholds)
}

/// How wide a chart is drawn for a phone. The page shows it a quarter larger (328 px, which fits a
/// 360 px screen with the page's margins and a scroll bar; see `.chart img` in the pages' style),
/// because the charts' smallest text is drawn 12 px from ascent to descent, a font size of 9.7 px:
/// shown a quarter larger it reads at 12 px.
const PHONE_CHART_WIDTH: u32 = 264;
/// The district heat map needs room for its eight columns: on a phone it is shown at 520 px and
/// scrolls in its box.
const PHONE_HEAT_MAP_WIDTH: u32 = 416;

/// A chart of the page: drawn narrower for a phone, where the wide one would shrink its text.
fn chart_picture(base: &str, name: &str, only: Option<&str>, alt: &str, lang: Lang) -> Markup {
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

fn overview(d: &Dashboard, lang: Lang, base: &str) -> Markup {
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

fn history_section(lang: Lang, base: &str) -> Markup {
    html! {
        h2 { (lang.t("Chỉ số PAPI của tỉnh qua các năm", "The province's PAPI over the years")) }
        p.muted { (lang.t("Trước 2018 chỉ số gồm 6 lĩnh vực (tối đa 60 điểm); từ 2018 gồm 8 lĩnh vực (tối đa 80 điểm).", "Before 2018 the index had 6 dimensions (max 60); from 2018 it has 8 (max 80).")) }
        (chart_picture(base, "history", None, lang.t("Biểu đồ lịch sử chỉ số PAPI", "Chart of the PAPI history"), lang))
        div {
            p.noprint.muted { a href=(href(&format!("{base}/charts/history.png"), lang)) download { (lang.t("Tải ảnh PNG", "Download PNG")) } }
        }
    }
}

fn strata_section(d: &Dashboard, lang: Lang, base: &str) -> Markup {
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

/// A plan and, of its tasks, those for one dimension with the status each was last given.
type PlanTasks = (
    Plan,
    Vec<(papi_survey::plan::PlanTask, Option<papi_store::TaskStatus>)>,
);

/// The plans' tasks for one dimension, with their statuses.
async fn tasks_for(state: &AppState, dimension: &str) -> Result<Vec<PlanTasks>, ApiError> {
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

fn status_name(status: &str, lang: Lang) -> &'static str {
    match status {
        "in_progress" => lang.t("Đang thực hiện", "In progress"),
        "done" => lang.t("Hoàn thành", "Done"),
        "delayed" => lang.t("Chậm tiến độ", "Delayed"),
        _ => lang.t("Chưa bắt đầu", "Not started"),
    }
}

fn dimension_body(
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

#[derive(Deserialize)]
pub struct ChartQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    only: Option<String>,
    /// The width to draw at, in pixels (900 unless asked; the pages ask for a narrow one on phones).
    #[serde(default)]
    w: Option<u32>,
}

/// The widths a chart may be drawn at.
const CHART_WIDTHS: std::ops::RangeInclusive<u32> = 240..=1600;

/// Below this width a chart is laid out for a phone: taller, so that wrapped labels have room.
fn narrow(width: u32) -> bool {
    width < 600
}

/// `GET /dashboard/{survey}/{version}/charts/{file}`: `dimensions|history|districts` `.svg|.png`.
pub async fn chart(
    State(state): State<Arc<AppState>>,
    Path((id, version, file)): Path<(String, String, String)>,
    axum::extract::Query(q): axum::extract::Query<ChartQuery>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewDashboard)?;
    let lang = if q.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    let Some((name, ext)) = file.rsplit_once('.') else {
        return Err(PageRejection::Failed(ApiError::not_found(
            "biểu đồ này",
            "this chart",
        )));
    };
    let (_, dashboard) = load(&state, &id, &version)
        .await
        .map_err(PageRejection::Failed)?;
    let Some(d) = dashboard else {
        return Err(PageRejection::Failed(ApiError::not_found(
            "kết quả đã công bố",
            "a published result",
        )));
    };
    let width =
        q.w.unwrap_or(900)
            .clamp(*CHART_WIDTHS.start(), *CHART_WIDTHS.end());
    let svg = ext == "svg";
    if !svg && ext != "png" {
        return Err(PageRejection::Failed(ApiError::not_found(
            "định dạng biểu đồ này",
            "this chart format",
        )));
    }
    // Rendering (PNG above all) is CPU work: it runs off the async workers.
    let rendered: Result<Vec<u8>, papi_chart::ChartError> = match name {
        "dimensions" => {
            let c = dimension_chart(&d, lang, q.only.as_deref(), width);
            if c.bars.is_empty() {
                return Err(PageRejection::Failed(ApiError::not_found(
                    "lĩnh vực này",
                    "this dimension",
                )));
            }
            render(
                &state,
                svg,
                c,
                papi_chart::dimensions_svg,
                papi_chart::dimensions_png,
            )
            .await?
        }
        "history" => {
            let c = history_chart(&d, lang, width);
            render(
                &state,
                svg,
                c,
                papi_chart::history_svg,
                papi_chart::history_png,
            )
            .await?
        }
        "districts" => {
            let Some(c) = districts_chart(&d, lang, width) else {
                return Err(PageRejection::Failed(ApiError::not_found(
                    "tầng mẫu trong khảo sát này",
                    "strata in this survey",
                )));
            };
            render(
                &state,
                svg,
                c,
                papi_chart::districts_svg,
                papi_chart::districts_png,
            )
            .await?
        }
        _ => {
            return Err(PageRejection::Failed(ApiError::not_found(
                "biểu đồ này",
                "this chart",
            )))
        }
    };
    let bytes = rendered.map_err(|e| PageRejection::Failed(ApiError::internal(e)))?;
    let content_type = if svg {
        "image/svg+xml; charset=utf-8"
    } else {
        "image/png"
    };
    let disposition = format!(
        "inline; filename=\"papi-{id}-{version}-{name}-{}.{ext}\"",
        lang.code()
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=60".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

type Render<C, T> = fn(&C) -> Result<T, papi_chart::ChartError>;

/// Draws a chart as SVG or PNG in the CPU pool.
async fn render<C: Send + 'static>(
    state: &AppState,
    svg: bool,
    chart: C,
    to_svg: Render<C, String>,
    to_png: Render<C, Vec<u8>>,
) -> Result<Result<Vec<u8>, papi_chart::ChartError>, PageRejection> {
    state
        .cpu
        .run(move || {
            if svg {
                to_svg(&chart).map(String::into_bytes)
            } else {
                to_png(&chart)
            }
        })
        .await
        .map_err(PageRejection::Failed)
}

/// `GET /api/v1/dashboard/{survey_id}/{version}`: the dashboard's aggregates (no respondent's answers;
/// small strata suppressed).
#[utoipa::path(
    get,
    path = "/api/v1/dashboard/{survey_id}/{version}",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("survey_id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "The latest publication's aggregates", body = Dashboard),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Enumerators do not see the dashboard", body = crate::openapi::Error),
        (status = 404, description = "No such survey version, or nothing published for it", body = crate::openapi::Error),
    )
)]
pub async fn api(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<Dashboard>, ApiError> {
    actor.may(Action::ViewDashboard)?;
    let (_, d) = load(&state, &id, &version).await?;
    d.map(Json).ok_or_else(|| {
        ApiError::not_found(
            "kết quả đã công bố cho phiên bản khảo sát này",
            "a published result for this survey version",
        )
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TaskUpdate {
    /// not_started, in_progress, done or delayed.
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// `PUT /api/v1/plans/{plan_id}/tasks/{task_id}`: an admin sets a plan task's status.
#[utoipa::path(
    put,
    path = "/api/v1/plans/{plan_id}/tasks/{task_id}",
    tag = "dashboard",
    security(("bearer" = [])),
    params(("plan_id" = String, Path), ("task_id" = String, Path)),
    request_body = TaskUpdate,
    responses(
        (status = 200, description = "The task's new status"),
        (status = 400, description = "Malformed body", body = crate::openapi::Error),
        (status = 413, description = "The body is larger than this request allows", body = crate::openapi::Error),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = crate::openapi::Error),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only an admin updates tasks", body = crate::openapi::Error),
        (status = 404, description = "No such plan or task", body = crate::openapi::Error),
        (status = 422, description = "Unknown status, or a note too long", body = crate::openapi::Error),
    )
)]
pub async fn set_task(
    State(state): State<Arc<AppState>>,
    Path((plan_id, task_id)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<TaskUpdate>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.may(Action::UpdatePlanTasks)?;
    let JsonBody(update) = body?;
    if !papi_store::TASK_STATES.contains(&update.status.as_str()) {
        return Err(ApiError::unprocessable(
            "plan.status",
            format!(
                "status: phải là một trong {}",
                papi_store::TASK_STATES.join(", ")
            ),
            format!(
                "status: must be one of {}",
                papi_store::TASK_STATES.join(", ")
            ),
        ));
    }
    let note = papi_survey::nfc(update.note.trim());
    if note.chars().count() > 2000 || note.contains('\0') {
        return Err(ApiError::unprocessable(
            "plan.note",
            "note: tối đa 2000 ký tự, không có ký tự NUL",
            "note: at most 2,000 characters, no NUL",
        ));
    }
    let Some((_, toml)) = state
        .store
        .plans()
        .await?
        .into_iter()
        .find(|(id, _)| *id == plan_id)
    else {
        return Err(ApiError::not_found("kế hoạch này", "this plan"));
    };
    let plan = Plan::from_toml(&toml, &plan_id).map_err(ApiError::internal)?;
    if !plan.tasks.iter().any(|t| t.id == task_id) {
        return Err(ApiError::not_found(
            "nhiệm vụ này của kế hoạch",
            "this task of the plan",
        ));
    }
    let s = state
        .store
        .set_task_status(&plan_id, &task_id, &update.status, &note, &actor.name)
        .await?;
    Ok(Json(serde_json::json!({
        "plan_id": plan_id, "task_id": s.task_id, "status": s.status, "note": s.note,
        "updated_by": s.updated_by, "updated_at": s.updated_at,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(estimate: f64, ci_low: f64, ci_high: f64) -> Est {
        Est {
            estimate: Some(estimate),
            ci_low: Some(ci_low),
            ci_high: Some(ci_high),
            ..Est::default()
        }
    }

    #[test]
    fn a_flagged_estimate_is_marked_wherever_its_interval_is_shown() {
        let run: Est = serde_json::from_str(
            r#"{"estimate": 0.4, "ci_low": 0.1, "ci_high": 0.7, "df": 3, "flags": ["few_psus"]}"#,
        )
        .unwrap();
        assert!(run.flagged);
        assert_eq!(interval(&run, Lang::En), "0.10 – 0.70†");
        assert_eq!(interval(&run, Lang::Vi), "0,10 – 0,70†");
        let plain: Est =
            serde_json::from_str(r#"{"estimate": 0.4, "ci_low": 0.1, "ci_high": 0.7}"#).unwrap();
        assert_eq!(interval(&plain, Lang::En), "0.10 – 0.70");
    }

    #[test]
    fn the_change_from_the_previous_wave_carries_both_waves_errors() {
        let wave = |estimate: f64, se: f64, df: f64, flagged: bool| Est {
            estimate: Some(estimate),
            se: Some(se),
            df: Some(df),
            flagged,
            ..Est::default()
        };
        let c = wave_change(
            "total",
            &wave(41.0, 0.3, 11.0, false),
            &wave(42.2, 0.4, 44.0, true),
        );
        assert!((c.estimate.unwrap() - 1.2).abs() < 1e-12);
        assert!((c.se.unwrap() - 0.5).abs() < 1e-12);
        assert!(c.df.unwrap() > 11.0 && c.df.unwrap() < 55.0);
        assert!(c.ci_low.unwrap() > 0.0, "{c:?}");
        assert!(c.flagged, "a flagged wave flags the change");
        // A wave without a standard error (a suppressed one) gives no interval.
        let bare = Est {
            estimate: Some(41.0),
            ..Est::default()
        };
        let c = wave_change("total", &bare, &wave(42.2, 0.4, 44.0, false));
        assert_eq!((c.se, c.ci_low), (None, None));
    }

    #[test]
    fn the_change_is_said_in_words_with_whether_it_is_more_than_noise() {
        assert_eq!(
            change_sentence(&est(0.02, -1.28, 1.32), Some(2018), Lang::Vi),
            "Tăng 0,02 điểm so với 2018, chưa khác biệt có ý nghĩa thống kê."
        );
        assert_eq!(
            change_sentence(&est(-1.5, -2.6, -0.4), Some(2018), Lang::En),
            "Down 1.50 points on 2018, a statistically significant difference (at 95%)."
        );
        let meaning = interval_sentence(&est(0.02, -1.28, 1.32), Lang::Vi).unwrap();
        assert!(
            meaning.contains("−1,28 đến 1,32") && meaning.contains("chưa thể nói"),
            "{meaning}"
        );
        let meaning = interval_sentence(&est(-1.5, -2.6, -0.4), Lang::En).unwrap();
        assert!(
            meaning.contains("−2.60 to −0.40") && meaning.contains("leaves out zero"),
            "{meaning}"
        );
        let no_interval = Est {
            estimate: Some(0.3),
            ..Est::default()
        };
        assert!(change_sentence(&no_interval, None, Lang::Vi).contains("chưa đủ dữ liệu"));
        assert!(interval_sentence(&no_interval, Lang::Vi).is_none());
    }
}
