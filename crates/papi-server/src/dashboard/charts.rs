//! The dashboard's charts (`/dashboard/{survey}/{version}/charts/{file}`): the dimensions with their
//! intervals, the official history with the survey's waves, and the districts' heat map, as SVG or PNG,
//! drawn by papi-chart off the async workers.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use papi_auth::Action;
use papi_chart::{
    ChartLegend, DimensionBar, DimensionChart, DistrictChart, HistoryChart, HistoryPoint, WavePoint,
};
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::{Lang, PageRejection, Viewer};
use crate::AppState;

use super::*;

pub(crate) fn dimension_chart(
    d: &Dashboard,
    lang: Lang,
    only: Option<&str>,
    width: u32,
) -> DimensionChart {
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

pub(crate) fn history_chart(d: &Dashboard, lang: Lang, width: u32) -> HistoryChart {
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

pub(crate) fn districts_chart(d: &Dashboard, lang: Lang, width: u32) -> Option<DistrictChart> {
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

#[derive(Deserialize)]
pub struct ChartQuery {
    #[serde(default)]
    pub(crate) lang: Option<String>,
    #[serde(default)]
    pub(crate) only: Option<String>,
    /// The width to draw at, in pixels (900 unless asked; the pages ask for a narrow one on phones).
    #[serde(default)]
    pub(crate) w: Option<u32>,
}

/// The widths a chart may be drawn at.
pub(crate) const CHART_WIDTHS: std::ops::RangeInclusive<u32> = 240..=1600;

/// Below this width a chart is laid out for a phone: taller, so that wrapped labels have room.
pub(crate) fn narrow(width: u32) -> bool {
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

pub(crate) type Render<C, T> = fn(&C) -> Result<T, papi_chart::ChartError>;

/// Draws a chart as SVG or PNG in the CPU pool.
pub(crate) async fn render<C: Send + 'static>(
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
