//! The report of a scoring: the design it was scored under and, per group, the total, dimensions,
//! sub-dimensions and indicators (SCORING.md §4).

use serde::{Deserialize, Serialize};

use crate::{BaselineComparison, Estimate, Interval, ReplicateSummary, Variance};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub survey: SurveyId,
    pub design: DesignSummary,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SurveyId {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignSummary {
    /// The weight column; null when the design has none or the report is unweighted.
    pub weights: Option<String>,
    /// True when every respondent counted alike (`Options::unweighted`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unweighted: bool,
    pub strata: Option<String>,
    pub clusters: Option<String>,
    pub respondents: u64,
    pub strata_count: usize,
    pub psus: usize,
    /// PSUs − strata (R's `degf`): the degrees of freedom of every interval, domains included. Under
    /// the jackknife, R's `degf` of the replicate design: the rank of its replicate weights − 1.
    pub df: i64,
    /// `t` or `normal`.
    pub interval: Interval,
    /// What each SE is multiplied by for the 95% interval; null when there is no t interval (df ≤ 0).
    pub interval_multiplier: Option<f64>,
    pub lonely_psu: String,
    pub raked: Option<RakeSummary>,
    /// How the standard errors were computed: absent for linearization (the default), `jackknife`.
    #[serde(default, skip_serializing_if = "Variance::is_linearization")]
    pub variance: Variance,
    /// The jackknife's replicates: absent under linearization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicates: Option<ReplicateSummary>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RakeSummary {
    pub margins: Vec<Vec<String>>,
    pub sweeps: usize,
    pub max_relative_gap: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub by: serde_json::Map<String, serde_json::Value>,
    pub respondents: u64,
    pub total: Estimate,
    pub dimensions: Vec<DimensionResult>,
    pub indicators: Vec<IndicatorResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DimensionResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
    pub subdimensions: Vec<SubdimensionResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubdimensionResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
    pub n: u64,
}

/// Where a total falls among the provinces of an official year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Performance {
    pub year: i32,
    /// `best`, `high_average`, `low_average` or `poor`.
    pub group: String,
    /// Quartiles of the year's complete totals (R's default quantile, type 7): Q3, median, Q1.
    pub thresholds: Thresholds,
    /// How far the total is below the high-average threshold (the median), 0 when at or above it.
    pub distance_to_high_average: f64,
    pub provinces: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thresholds {
    pub best: f64,
    pub high_average: f64,
    pub low_average: f64,
}
