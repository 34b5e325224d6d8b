//! What the dashboard shows, as its pages draw it and its API returns it: estimates with their
//! intervals, the baseline, the performance group, dimensions, strata, history and waves.

use serde::Serialize;

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Est {
    pub estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Degrees of freedom of the interval (fractional for a change between waves: Welch–Satterthwaite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// The score run flagged it (fewer than 30 respondents, or fewer than 5 degrees of freedom): the
    /// page marks it to be read with care.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flagged: bool,
}

impl From<&papi_score::Estimate> for Est {
    fn from(e: &papi_score::Estimate) -> Est {
        Est {
            estimate: e.estimate,
            se: e.se,
            ci_low: e.ci_low,
            ci_high: e.ci_high,
            df: Some(e.df as f64),
            flagged: !e.flags.is_empty(),
        }
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PerformanceInfo {
    pub year: i32,
    pub group: String,
    pub thresholds: Thresholds,
    pub distance_to_high_average: f64,
    pub provinces: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

impl From<&papi_score::Performance> for PerformanceInfo {
    fn from(p: &papi_score::Performance) -> PerformanceInfo {
        let t = &p.thresholds;
        PerformanceInfo {
            year: p.year,
            group: p.group.clone(),
            thresholds: Thresholds {
                best: t.best,
                high_average: t.high_average,
                low_average: t.low_average,
            },
            distance_to_high_average: p.distance_to_high_average,
            provinces: p.provinces,
        }
    }
}
