//! The PAPI scoring engine. It takes a survey definition and a table of interviews and returns, for
//! the whole sample or for each domain asked for, every indicator, sub-dimension, dimension and the
//! total: estimate, standard error, 95% interval, degrees of freedom, design effect, effective sample
//! size and flags, and the respondents behind each indicator (SCORING.md §3 and §4).
//!
//! - Indicators are ratio estimators, Σ w·o·y / Σ w·o, so a missing answer never counts as zero.
//! - Every other estimate is a linear combination of indicators; its standard error comes from Taylor
//!   linearization under a stratified cluster design with PSUs taken with replacement, as R's `survey`
//!   package computes it (lonely PSUs as `survey.lonely.psu = "adjust"`, domains as `svyby`), or on
//!   request from the delete-one-PSU jackknife, R's `as.svrepdesign(type = "JKn")`, with raking redone
//!   in every replicate ([`replicate`]).
//! - Intervals are Student's t with the design's degrees of freedom ([`interval`]); design effects
//!   follow R's `deff = "replace"` ([`design_effect`]); thin estimates are [`flags`]ged.
//! - Weights may be raked to population margins first ([`rake::Margins`]).
//!
//! The engine knows nothing of HTTP or SQL: the CLI, the service and the notebooks all call
//! [`score`] on a polars frame and get the same numbers.

use papi_survey::{ReferenceTable, Survey};
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub mod change;
pub mod compare;
pub mod design;
pub mod design_effect;
pub mod flags;
mod indicator;
mod influence;
pub mod interval;
pub mod panel;
pub mod rake;
pub mod render;
pub mod replicate;
mod residual;
#[cfg(test)]
mod tests;

pub use change::{BaselineComparison, Change, ChangeEstimate, DimensionChange};
pub use design::Design;
pub use flags::Flags;
pub use interval::{Interval, IntervalRule, Z95};
pub use rake::Margins;
pub use replicate::{ReplicateSummary, Variance};

use design_effect::{design_effect, effective_n, srs_variance};
use indicator::{IndicatorPass, Layout};
use influence::Influence;
use replicate::Replicates;

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("column '{0}' is missing from the interviews")]
    MissingColumn(String),
    #[error("column '{column}', row {row}: {message}")]
    InvalidValue {
        column: String,
        row: usize,
        message: String,
    },
    #[error("margins {file}: {message}")]
    Margins { file: String, message: String },
    #[error("reading the interviews: {0}")]
    Data(String),
    #[error("{0}")]
    Options(String),
}

impl ScoreError {
    pub fn code(&self) -> &'static str {
        match self {
            ScoreError::MissingColumn(_) => "score.missing_column",
            ScoreError::InvalidValue { .. } => "score.invalid_value",
            ScoreError::Margins { .. } => "score.margins",
            ScoreError::Data(_) => "score.data",
            ScoreError::Options(_) => "score.options",
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Domain columns (`district`, `sex`...): one group per combination, in order of first appearance.
    pub by: Vec<String>,
    pub margins: Option<Margins>,
    /// Fewest respondents for an indicator estimate in a group; fewer gives null (default 1).
    pub min_respondents: u64,
    /// Official table and year for the performance group.
    pub reference: Option<(ReferenceTable, i32)>,
    /// Student's t intervals with the design's degrees of freedom (the default), or normal ones.
    pub interval: Interval,
    /// Standard errors by linearization (the default) or the JKn jackknife.
    pub variance: Variance,
    /// Every respondent counts alike (the design's weights are not applied; strata and clusters still
    /// shape the standard errors), as PAPI's published figures are computed: for like-for-like
    /// comparisons with the official table.
    pub unweighted: bool,
}

impl Options {
    /// Options that contradict each other.
    fn check(&self) -> Result<(), ScoreError> {
        if self.unweighted && self.margins.is_some() {
            return Err(ScoreError::Options(
                "unweighted: scoring every respondent alike cannot be combined with raking to margins (leave out the margins, or score weighted)".into(),
            ));
        }
        Ok(())
    }

    /// The design these options score with: weighted, or every respondent alike.
    fn design(&self, survey: &Survey, df: &DataFrame, by: &[String]) -> Result<Design, ScoreError> {
        if self.unweighted {
            Design::unweighted(survey, df, by)
        } else {
            Design::new(survey, df, by)
        }
    }
}

/// The columns of the interview table that scoring reads.
pub fn needed_columns(survey: &Survey, options: &Options) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !cols.iter().any(|x| x == c) {
            cols.push(c.to_owned());
        }
    };
    let weight = survey
        .design
        .weight
        .as_ref()
        .filter(|_| !options.unweighted);
    for c in [
        survey.design.strata.as_ref(),
        survey.design.cluster.as_ref(),
        weight,
    ]
    .into_iter()
    .flatten()
    {
        add(c);
    }
    for c in &options.by {
        add(c);
    }
    if let Some(m) = &options.margins {
        for c in m.columns() {
            add(&c);
        }
    }
    for ind in &survey.indicators {
        add(&survey.questions[ind.question].id);
    }
    cols
}

/// An estimate with its standard error, 95% interval and what stands behind it; null (with the
/// design's df and its flags) when it cannot be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    /// Null when a t interval has no degrees of freedom.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Degrees of freedom of the whole design (PSUs − strata; under the jackknife, R's `degf` of the
    /// replicate design), the same for every estimate and domain.
    pub df: i64,
    /// Design effect, as R's `deff = "replace"` (see [`design_effect`]).
    pub deff: Option<f64>,
    /// The respondents behind the estimate over its design effect.
    pub n_effective: Option<f64>,
    pub flags: Flags,
}

/// What an estimate is computed from, besides the report's interval rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured {
    pub estimate: f64,
    pub variance: f64,
    /// The variance under simple random sampling with replacement of the same size.
    pub srs_variance: Option<f64>,
    /// The respondents behind the estimate (for n_effective and the flags).
    pub respondents: u64,
    /// Flags passed up from the estimates this one is made of.
    pub inherited: Flags,
}

impl Estimate {
    /// No estimate: the design's degrees of freedom and `flags` only.
    pub fn null(rule: &IntervalRule, flags: Flags) -> Estimate {
        Estimate {
            estimate: None,
            se: None,
            ci_low: None,
            ci_high: None,
            df: rule.df,
            deff: None,
            n_effective: None,
            flags,
        }
    }

    pub(crate) fn new(m: Measured, rule: &IntervalRule) -> Estimate {
        let flags = Flags::of(rule.df, m.respondents) | m.inherited;
        if !m.estimate.is_finite() || !m.variance.is_finite() {
            return Estimate::null(rule, flags);
        }
        let variance = m.variance.max(0.0);
        let se = variance.sqrt();
        let bounds = rule.bounds(m.estimate, se);
        let deff = design_effect(variance, m.srs_variance, m.estimate);
        Estimate {
            estimate: Some(m.estimate),
            se: Some(se),
            ci_low: bounds.map(|b| b.0),
            ci_high: bounds.map(|b| b.1),
            df: rule.df,
            deff,
            n_effective: effective_n(m.respondents, deff),
            flags,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub survey: SurveyId,
    pub design: DesignSummary,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SurveyId {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DesignSummary {
    /// The weight column; null when the design has none or the report is unweighted.
    pub weights: Option<String>,
    /// True when every respondent counted alike (`Options::unweighted`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
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
    pub lonely_psu: &'static str,
    pub raked: Option<RakeSummary>,
    /// How the standard errors were computed: absent for linearization (the default), `jackknife`.
    #[serde(skip_serializing_if = "Variance::is_linearization")]
    pub variance: Variance,
    /// The jackknife's replicates: absent under linearization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicates: Option<ReplicateSummary>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RakeSummary {
    pub margins: Vec<Vec<String>>,
    pub sweeps: usize,
    pub max_relative_gap: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub by: serde_json::Map<String, serde_json::Value>,
    pub respondents: u64,
    pub total: Estimate,
    pub dimensions: Vec<DimensionResult>,
    pub indicators: Vec<IndicatorResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DimensionResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
    pub subdimensions: Vec<SubdimensionResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubdimensionResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorResult {
    pub id: String,
    #[serde(flatten)]
    pub value: Estimate,
    pub n: u64,
}

/// Where a total falls among the provinces of an official year.
#[derive(Debug, Clone, Serialize)]
pub struct Performance {
    pub year: i32,
    /// `best`, `high_average`, `low_average` or `poor`.
    pub group: &'static str,
    /// Quartiles of the year's complete totals (R's default quantile, type 7): Q3, median, Q1.
    pub thresholds: Thresholds,
    /// How far the total is below the high-average threshold (the median), 0 when at or above it.
    pub distance_to_high_average: f64,
    pub provinces: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Thresholds {
    pub best: f64,
    pub high_average: f64,
    pub low_average: f64,
}

/// The quantile of sorted values by R's type 7 rule.
pub fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The performance group of a total among the provinces of `year` in the official table.
pub fn performance(table: &ReferenceTable, year: i32, total: f64) -> Option<Performance> {
    let mut totals: Vec<f64> = table.year(year).filter_map(|r| r.total).collect();
    if totals.len() < 4 {
        return None;
    }
    totals.sort_by(f64::total_cmp);
    let t = Thresholds {
        best: quantile7(&totals, 0.75),
        high_average: quantile7(&totals, 0.5),
        low_average: quantile7(&totals, 0.25),
    };
    let group = if total >= t.best {
        "best"
    } else if total >= t.high_average {
        "high_average"
    } else if total >= t.low_average {
        "low_average"
    } else {
        "poor"
    };
    Some(Performance {
        year,
        group,
        distance_to_high_average: (t.high_average - total).max(0.0),
        thresholds: t,
        provinces: totals.len(),
    })
}

/// Whether a total of this survey can be placed among the official totals of `year`: the survey scores
/// PAPI's eight dimensions, and that year's table has all eight (2018 on; earlier years have six).
fn comparable_with_papi(survey: &Survey, table: &ReferenceTable, year: i32) -> bool {
    survey.dimensions.len() == papi_survey::PAPI_DIMENSIONS.len()
        && survey
            .dimensions
            .iter()
            .all(|d| papi_survey::PAPI_DIMENSIONS.contains(&d.id.as_str()))
        && table
            .year(year)
            .any(|r| r.total.is_some() && r.dimensions.iter().all(Option::is_some))
}

/// The weights an analysis uses, one per row of `df`: the design's, raked when margins are given.
pub fn analysis_weights(
    survey: &Survey,
    df: &DataFrame,
    options: &Options,
) -> Result<Vec<f64>, ScoreError> {
    options.check()?;
    let mut design = options.design(survey, df, &[])?;
    if let Some(m) = &options.margins {
        m.rake(df, &mut design.weights)?;
    }
    Ok(design.weights)
}

/// One sub-dimension's or dimension's passes, with Σ w r² per group of its own residual.
struct CombinationPass<T> {
    parts: Vec<T>,
    weighted_squares: Vec<f64>,
}

/// The share of indicator `k` in the mean m_s of its sub-dimension.
fn share(survey: &Survey, sub: &papi_survey::Subdimension, k: usize) -> f64 {
    let wsum: f64 = sub
        .indicators
        .iter()
        .map(|&j| survey.indicators[j].weight)
        .sum();
    survey.indicators[k].weight / wsum
}

/// The coefficient of indicator `k` in the PAPI-scale score of its sub-dimension, (1 + 9 m_s) / n_d:
/// also its coefficient in the dimension and the total.
fn coefficient(survey: &Survey, sub: &papi_survey::Subdimension, k: usize, n_d: f64) -> f64 {
    9.0 / n_d * share(survey, sub, k)
}

/// Per dimension, its sub-dimensions' passes, each with its indicators' passes.
type DimensionPasses = Vec<CombinationPass<CombinationPass<IndicatorPass>>>;

/// Every indicator's pass, grouped by dimension and sub-dimension, with Σ w r² per group of each
/// indicator, sub-dimension, dimension and (returned beside them) the total. In parallel over
/// dimensions, sub-dimensions and indicators; an indicator's scores live until its sub-dimension's
/// residual is made, a sub-dimension's until its dimension's, a dimension's until the total's.
fn all_passes(
    survey: &Survey,
    frame: &DataFrame,
    layout: &Layout,
) -> Result<(DimensionPasses, Vec<f64>), ScoreError> {
    let design = layout.design;
    let (weights, group) = (&design.weights[..], &design.group[..]);
    let n_groups = layout.cells_of_group.len();
    let dims = survey
        .dimensions
        .par_iter()
        .map(|dim| {
            let n_d = dim.subdimensions.len() as f64;
            let subs = dim
                .subdimensions
                .par_iter()
                .map(|sub| {
                    let (mut passes, rows): (Vec<IndicatorPass>, Vec<_>) = sub
                        .indicators
                        .par_iter()
                        .map(|&k| indicator::pass(survey, k, frame, layout))
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .unzip();
                    let coefficients: Vec<f64> = sub
                        .indicators
                        .iter()
                        .map(|&k| coefficient(survey, sub, k, n_d))
                        .collect();
                    let (squares, own) =
                        residual::subdimension(&rows, &coefficients, weights, group, n_groups);
                    for (pass, squares) in passes.iter_mut().zip(squares) {
                        for (ratio, s) in pass.groups.iter_mut().zip(squares) {
                            if ratio.estimate.is_some() {
                                ratio.weighted_squares = s;
                            }
                        }
                    }
                    Ok((passes, own))
                })
                .collect::<Result<Vec<_>, ScoreError>>()?;
            let parts: Vec<&[f64]> = subs.iter().map(|(_, own)| &own.residual[..]).collect();
            let own = residual::sum(&parts, weights, group, n_groups, true);
            let subs = subs
                .into_iter()
                .map(|(passes, own)| CombinationPass {
                    parts: passes,
                    weighted_squares: own.weighted_squares,
                })
                .collect();
            Ok((subs, own))
        })
        .collect::<Result<Vec<_>, ScoreError>>()?;
    let parts: Vec<&[f64]> = dims.iter().map(|(_, own)| &own.residual[..]).collect();
    let total = residual::sum(&parts, weights, group, n_groups, false);
    let dims = dims
        .into_iter()
        .map(|(subs, own)| CombinationPass {
            parts: subs,
            weighted_squares: own.weighted_squares,
        })
        .collect();
    Ok((dims, total.weighted_squares))
}

/// Scores `df` (interviews in the flat layout) under `survey`.
pub fn score(survey: &Survey, df: &DataFrame, options: &Options) -> Result<Report, ScoreError> {
    Ok(score_keeping(survey, df, options, false)?.0)
}

/// Scores `df` and, when `keep` is set, keeps every estimate's influence in every group, from which
/// contrasts between groups get their variance ([`influence::Influence`]).
pub(crate) fn score_keeping(
    survey: &Survey,
    df: &DataFrame,
    options: &Options,
    keep: bool,
) -> Result<(Report, Option<Influence>), ScoreError> {
    for c in &options.by {
        if df.column(c).is_err() {
            return Err(ScoreError::MissingColumn(c.clone()));
        }
    }
    options.check()?;
    let mut design = options.design(survey, df, &options.by)?;
    let mut calibration = None;
    let raked = match &options.margins {
        Some(m) => {
            let r = m.rake(df, &mut design.weights)?;
            let summary = Some(RakeSummary {
                margins: m.margins.iter().map(|x| x.columns.clone()).collect(),
                sweeps: r.sweeps,
                max_relative_gap: r.max_relative_gap,
            });
            calibration = Some(r);
            summary
        }
        None => None,
    };
    let replicates = match options.variance {
        Variance::Linearization => None,
        Variance::JackknifeJkn => Some(Replicates::new(&design, calibration.as_ref())?),
    };
    let design_df = match &replicates {
        Some(r) => r.degrees_of_freedom(),
        None => design.degrees_of_freedom(),
    };
    let rule = IntervalRule::new(options.interval, design_df);
    let n_groups = design.groups.len();
    let mut cells_of_group: Vec<Vec<u32>> = vec![Vec::new(); n_groups];
    for (c, &g) in design.cell_group.iter().enumerate() {
        cells_of_group[g as usize].push(c as u32);
    }
    // The PSUs whose influence totals each group's variance needs: those with respondents in the group
    // (the others are zeros), or every PSU when raking spreads influence over the whole sample.
    let n_psus = design.psu_stratum.len();
    let psus_of_group: Vec<Vec<u32>> = match &calibration {
        _ if replicates.is_some() => vec![Vec::new(); n_groups],
        None => cells_of_group
            .iter()
            .map(|cells| cells.iter().map(|&c| design.cell_psu[c as usize]).collect())
            .collect(),
        Some(_) => vec![(0..n_psus as u32).collect(); n_groups],
    };
    let layout = Layout {
        design: &design,
        cells_of_group,
        psus_of_group,
        // The jackknife rakes every replicate instead of projecting influence values on the margins.
        calibration: calibration.as_ref().filter(|_| replicates.is_none()),
        replicates: replicates.as_ref(),
        min_respondents: options.min_respondents.max(1),
    };
    let (dim_passes, total_squares) = all_passes(survey, df, &layout)?;
    let mut passes: Vec<Option<&IndicatorPass>> = vec![None; survey.indicators.len()];
    for (dim, dp) in survey.dimensions.iter().zip(&dim_passes) {
        for (sub, sp) in dim.subdimensions.iter().zip(&dp.parts) {
            for (&k, pass) in sub.indicators.iter().zip(&sp.parts) {
                passes[k] = Some(pass);
            }
        }
    }
    let passes: Vec<&IndicatorPass> = passes
        .into_iter()
        .map(|p| p.expect("every indicator belongs to a sub-dimension"))
        .collect();

    // Sub-dimensions, dimensions and the total: linear combinations of the indicators, whose
    // influence totals are the same combinations of the indicators' (in a fixed order).
    let mut respondents = vec![0u64; n_groups];
    let mut weight_sum = vec![0.0f64; n_groups];
    for (&g, &w) in design.group.iter().zip(&design.weights) {
        respondents[g as usize] += 1;
        weight_sum[g as usize] += w;
    }
    let mut groups = Vec::with_capacity(n_groups);
    let mut kept: Vec<influence::Kept> = Vec::new();
    for g in 0..n_groups {
        let mut keeping = influence::Kept::default();
        let mut keep_z = |level: &'static str, id: &str, z: &[f64]| {
            if keep {
                keeping.insert((level, id.to_owned()), z.to_vec());
            }
        };
        // What each estimate's variance is computed from: influence totals per PSU of the group, or
        // one estimate per replicate.
        let width = match &replicates {
            Some(r) => r.len(),
            None => layout.psus_of_group[g].len(),
        };
        let spread = |z: &[f64]| match &replicates {
            Some(r) => r.variance(z),
            None => design.variance(&layout.psus_of_group[g], z),
        };
        let srs = |squares: &[f64]| srs_variance(weight_sum[g], squares[g], respondents[g]);
        let combination = |estimate: f64, z: &[f64], squares: &[f64], inherited: Flags| {
            Estimate::new(
                Measured {
                    estimate,
                    variance: spread(z),
                    srs_variance: srs(squares),
                    respondents: respondents[g],
                    inherited,
                },
                &rule,
            )
        };
        let indicator_flags = |k: usize| Flags::of(rule.df, passes[k].groups[g].n);
        let mut total_z = vec![0.0; width];
        let mut total = Some(0.0);
        let mut total_flags = Flags::default();
        let mut dims = Vec::new();
        for (dim, dp) in survey.dimensions.iter().zip(&dim_passes) {
            let n_d = dim.subdimensions.len() as f64;
            let mut dim_z = vec![0.0; width];
            let mut dim_est = Some(0.0);
            let mut dim_flags = Flags::default();
            let mut subs = Vec::new();
            for (sub, sp) in dim.subdimensions.iter().zip(&dp.parts) {
                let mut sub_z = vec![0.0; width];
                let mut m = Some(0.0);
                let mut sub_flags = Flags::default();
                for &k in &sub.indicators {
                    sub_flags = sub_flags | indicator_flags(k);
                    let a = share(survey, sub, k);
                    let b = coefficient(survey, sub, k, n_d);
                    match passes[k].groups[g].estimate {
                        Some(p) => {
                            m = m.map(|m| m + a * p);
                            for (z, zk) in sub_z.iter_mut().zip(&passes[k].influence[g]) {
                                *z += b * zk;
                            }
                        }
                        None => m = None,
                    }
                }
                dim_flags = dim_flags | sub_flags;
                let value = match m {
                    Some(m) => {
                        let s = (1.0 + 9.0 * m) / n_d;
                        for (d, z) in dim_z.iter_mut().zip(&sub_z) {
                            *d += z;
                        }
                        dim_est = dim_est.map(|d| d + s);
                        keep_z("subdimension", &sub.id, &sub_z);
                        combination(s, &sub_z, &sp.weighted_squares, sub_flags)
                    }
                    None => {
                        dim_est = None;
                        Estimate::null(&rule, Flags::of(rule.df, respondents[g]) | sub_flags)
                    }
                };
                subs.push(SubdimensionResult {
                    id: sub.id.clone(),
                    value,
                });
            }
            total_flags = total_flags | dim_flags;
            let value = match dim_est {
                Some(d) => {
                    for (t, z) in total_z.iter_mut().zip(&dim_z) {
                        *t += z;
                    }
                    total = total.map(|t| t + d);
                    keep_z("dimension", &dim.id, &dim_z);
                    combination(d, &dim_z, &dp.weighted_squares, dim_flags)
                }
                None => {
                    total = None;
                    Estimate::null(&rule, Flags::of(rule.df, respondents[g]) | dim_flags)
                }
            };
            dims.push(DimensionResult {
                id: dim.id.clone(),
                value,
                subdimensions: subs,
            });
        }
        let total = match total {
            Some(t) => {
                keep_z("total", "total", &total_z);
                combination(t, &total_z, &total_squares, total_flags)
            }
            None => Estimate::null(&rule, Flags::of(rule.df, respondents[g]) | total_flags),
        };
        let indicators = survey
            .indicators
            .iter()
            .zip(&passes)
            .map(|(ind, pass)| {
                let r = pass.groups[g];
                if r.estimate.is_some() {
                    keep_z("indicator", &ind.id, &pass.influence[g]);
                }
                let value = match r.estimate {
                    Some(p) => Estimate::new(
                        Measured {
                            estimate: p,
                            variance: r.variance,
                            srs_variance: srs_variance(
                                weight_sum[g],
                                r.weighted_squares,
                                respondents[g],
                            ),
                            respondents: r.n,
                            inherited: Flags::default(),
                        },
                        &rule,
                    ),
                    None => Estimate::null(&rule, Flags::of(rule.df, r.n)),
                };
                IndicatorResult {
                    id: ind.id.clone(),
                    value,
                    n: r.n,
                }
            })
            .collect();
        let baseline = survey
            .baseline
            .as_ref()
            .map(|b| change::compare(survey, b, &total, &dims, &rule));
        let performance = match (&options.reference, total.estimate) {
            (Some((table, year)), Some(t)) if comparable_with_papi(survey, table, *year) => {
                performance(table, *year, t)
            }
            _ => None,
        };
        let by = design.groups[g]
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.clone()
                        .map(serde_json::Value::String)
                        .unwrap_or(serde_json::Value::Null),
                )
            })
            .collect();
        kept.push(keeping);
        groups.push(Group {
            by,
            respondents: respondents[g],
            total,
            dimensions: dims,
            indicators,
            baseline,
            performance,
        });
    }

    let lonely: Vec<String> = design
        .lonely_strata()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut warnings = Vec::new();
    if !lonely.is_empty() && survey.design.strata.is_some() {
        warnings.push(match &replicates {
            None => format!(
                "{} stratum/strata with a single PSU ({}): variance centred at the population mean, as R's survey.lonely.psu = \"adjust\"",
                lonely.len(),
                lonely.join(", ")
            ),
            Some(_) => format!(
                "{} stratum/strata with a single PSU ({}): the jackknife replicate of each drops that PSU and multiplies every other PSU by H/(H − 1), as R's as.svrepdesign(type = \"JKn\") with survey.lonely.psu = \"adjust\"",
                lonely.len(),
                lonely.join(", ")
            ),
        });
    }
    if let Some(r) = replicates.as_ref().filter(|r| !r.summary().df_from_rank) {
        warnings.push(format!(
            "{} raked replicates: df is taken as replicates − 1, not computed from the rank of the replicate weights as R's degf",
            r.len()
        ));
    }
    if rule.multiplier.is_none() {
        let rule_of_df = match &replicates {
            None => "PSUs − strata",
            Some(_) => "the rank of the replicate weights − 1",
        };
        warnings.push(format!(
            "the design has {} degrees of freedom ({rule_of_df}): no t interval can be given",
            rule.df
        ));
    }
    let report = Report {
        survey: SurveyId {
            id: survey.id.clone(),
            version: survey.version.clone(),
        },
        design: DesignSummary {
            weights: survey.design.weight.clone().filter(|_| !options.unweighted),
            unweighted: options.unweighted,
            strata: survey.design.strata.clone(),
            clusters: survey.design.cluster.clone(),
            respondents: design.rows as u64,
            strata_count: design.stratum_psus.len(),
            psus: design.psu_stratum.len(),
            df: rule.df,
            interval: rule.interval,
            interval_multiplier: rule.multiplier,
            lonely_psu: "adjust",
            raked,
            variance: options.variance,
            replicates: replicates.as_ref().map(Replicates::summary),
            warnings,
        },
        groups,
    };
    let psus_of_group = layout.psus_of_group;
    let influence = keep.then_some(Influence {
        design,
        replicates,
        psus_of_group,
        groups: kept,
    });
    Ok((report, influence))
}

/// Every estimate of a report, flattened: (group index, level, id, estimate).
pub fn flatten(report: &Report) -> Vec<(usize, &'static str, String, Estimate, Option<u64>)> {
    let mut out = Vec::new();
    for (g, group) in report.groups.iter().enumerate() {
        out.push((g, "total", "total".to_owned(), group.total, None));
        for d in &group.dimensions {
            out.push((g, "dimension", d.id.clone(), d.value, None));
            for s in &d.subdimensions {
                out.push((g, "subdimension", s.id.clone(), s.value, None));
            }
        }
        for i in &group.indicators {
            out.push((g, "indicator", i.id.clone(), i.value, Some(i.n)));
        }
    }
    out
}
