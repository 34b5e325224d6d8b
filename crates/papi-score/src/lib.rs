//! The PAPI scoring engine. It takes a survey definition and a table of interviews and returns, for
//! the whole sample or for each domain asked for, every indicator, sub-dimension, dimension and the
//! total: estimate, standard error, 95% interval and the respondents behind each indicator
//! (SCORING.md §3 and §4).
//!
//! - Indicators are ratio estimators, Σ w·o·y / Σ w·o, so a missing answer never counts as zero.
//! - Every other estimate is a linear combination of indicators; its standard error comes from Taylor
//!   linearization under a stratified cluster design with PSUs taken with replacement, as R's `survey`
//!   package computes it (lonely PSUs as `survey.lonely.psu = "adjust"`, domains as `svyby`).
//! - Weights may be raked to population margins first ([`rake::Margins`]).
//!
//! The engine knows nothing of HTTP or SQL: the CLI, the service and the notebooks all call
//! [`score`] on a polars frame and get the same numbers.

use papi_survey::{ReferenceTable, Scoring, Survey};
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub mod design;
pub mod rake;
pub mod render;

pub use design::Design;
pub use rake::Margins;

/// The normal quantile for a 95% interval, as R's `confint` uses.
pub const Z95: f64 = 1.959_963_984_540_054;

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
}

/// The columns of the interview table that scoring reads.
pub fn needed_columns(survey: &Survey, options: &Options) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !cols.iter().any(|x| x == c) {
            cols.push(c.to_owned());
        }
    };
    for c in [
        &survey.design.strata,
        &survey.design.cluster,
        &survey.design.weight,
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

/// An estimate with its standard error and 95% interval; null when it cannot be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl Estimate {
    pub const NULL: Estimate = Estimate {
        estimate: None,
        se: None,
        ci_low: None,
        ci_high: None,
    };

    pub fn new(estimate: f64, variance: f64) -> Estimate {
        if !estimate.is_finite() || !variance.is_finite() {
            return Estimate::NULL;
        }
        let se = variance.max(0.0).sqrt();
        Estimate {
            estimate: Some(estimate),
            se: Some(se),
            ci_low: Some(estimate - Z95 * se),
            ci_high: Some(estimate + Z95 * se),
        }
    }

    /// The same interval moved by `shift` (the change from a fixed baseline).
    fn shifted(&self, shift: f64) -> Estimate {
        Estimate {
            estimate: self.estimate.map(|x| x + shift),
            se: self.se,
            ci_low: self.ci_low.map(|x| x + shift),
            ci_high: self.ci_high.map(|x| x + shift),
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
    pub weights: Option<String>,
    pub strata: Option<String>,
    pub clusters: Option<String>,
    pub respondents: u64,
    pub strata_count: usize,
    pub psus: usize,
    pub lonely_psu: &'static str,
    pub raked: Option<RakeSummary>,
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

/// The change from the definition's baseline: estimate − baseline, with the estimate's interval
/// (the baseline is a published constant).
#[derive(Debug, Clone, Serialize)]
pub struct BaselineComparison {
    pub label: String,
    pub year: Option<i32>,
    pub total: Change,
    pub dimensions: Vec<DimensionChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub baseline: f64,
    pub change: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct DimensionChange {
    pub id: String,
    pub baseline: f64,
    pub change: Estimate,
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

/// Per-cell sums of one indicator.
struct Sums {
    num: Vec<f64>,
    den: Vec<f64>,
    n: Vec<u64>,
}

/// One indicator's results in every group, with its influence totals per PSU of the group.
struct IndicatorPass {
    estimates: Vec<(Option<f64>, f64, u64)>,
    /// Per group, aligned with that group's PSU list.
    influence: Vec<Vec<f64>>,
}

/// Scores one indicator for every row into `out` (NaN for missing), checking each value.
fn indicator_scores(survey: &Survey, k: usize, col: &Column) -> Result<Vec<f64>, ScoreError> {
    let ind = &survey.indicators[k];
    let q = &survey.questions[ind.question];
    let choices = survey.choices_of(q);
    let invalid = |row: usize, v: &str| ScoreError::InvalidValue {
        column: q.id.clone(),
        row: row + 1,
        message: format!(
            "'{v}' is not a choice of question {} (list '{}')",
            q.id,
            q.choices.as_deref().unwrap_or("")
        ),
    };
    let data = |e: PolarsError| ScoreError::Data(format!("column '{}': {e}", q.id));
    match &ind.scoring {
        Scoring::Values(values) => {
            let ca = col.str().map_err(data)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                out.push(match v {
                    None | Some("") => f64::NAN,
                    Some(v) => match values.iter().find(|(k, _)| k == v) {
                        Some((_, s)) => *s,
                        None if choices.iter().any(|c| c.value == v) => f64::NAN,
                        None => {
                            let t = v.trim();
                            match values.iter().find(|(k, _)| k == t) {
                                Some((_, s)) => *s,
                                None if choices.iter().any(|c| c.value == t) || t.is_empty() => {
                                    f64::NAN
                                }
                                None => return Err(invalid(i, v)),
                            }
                        }
                    },
                });
            }
            Ok(out)
        }
        Scoring::Range { lo, hi, reverse } => {
            let col = col.cast(&DataType::Float64).map_err(data)?;
            let ca = col.f64().map_err(data)?;
            Ok(ca
                .iter()
                .map(|x| match x {
                    Some(x) if x.is_finite() => {
                        let s = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
                        if *reverse {
                            1.0 - s
                        } else {
                            s
                        }
                    }
                    _ => f64::NAN,
                })
                .collect())
        }
        Scoring::AnyOf(any) => {
            let ca = col.str().map_err(data)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                let Some(v) = v else {
                    out.push(f64::NAN);
                    continue;
                };
                let mut empty = true;
                let mut hit = false;
                for c in v.split_whitespace() {
                    empty = false;
                    if any.iter().any(|a| a == c) {
                        hit = true;
                    } else if !choices.iter().any(|x| x.value == c) {
                        return Err(invalid(i, c));
                    }
                }
                out.push(if empty {
                    f64::NAN
                } else if hit {
                    1.0
                } else {
                    0.0
                });
            }
            Ok(out)
        }
    }
}

/// The weights an analysis uses, one per row of `df`: the design's, raked when margins are given.
pub fn analysis_weights(
    survey: &Survey,
    df: &DataFrame,
    options: &Options,
) -> Result<Vec<f64>, ScoreError> {
    let mut design = Design::new(survey, df, &[])?;
    if let Some(m) = &options.margins {
        m.rake(df, &mut design.weights)?;
    }
    Ok(design.weights)
}

/// Scores `df` (interviews in the flat layout) under `survey`.
pub fn score(survey: &Survey, df: &DataFrame, options: &Options) -> Result<Report, ScoreError> {
    for c in &options.by {
        if df.column(c).is_err() {
            return Err(ScoreError::MissingColumn(c.clone()));
        }
    }
    let mut design = Design::new(survey, df, &options.by)?;
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
    let n_groups = design.groups.len();
    let n_cells = design.cell_group.len();
    let mut cells_of_group: Vec<Vec<u32>> = vec![Vec::new(); n_groups];
    for (c, &g) in design.cell_group.iter().enumerate() {
        cells_of_group[g as usize].push(c as u32);
    }
    // The PSUs whose influence totals each group's variance needs: those with respondents in the group
    // (the others are zeros), or every PSU when raking spreads influence over the whole sample.
    let n_psus = design.psu_stratum.len();
    let psus_of_group: Vec<Vec<u32>> = match &calibration {
        None => cells_of_group
            .iter()
            .map(|cells| cells.iter().map(|&c| design.cell_psu[c as usize]).collect())
            .collect(),
        Some(_) => vec![(0..n_psus as u32).collect(); n_groups],
    };
    let min_n = options.min_respondents.max(1);

    // One pass per indicator, in parallel: per-cell sums, the ratio in each group, its influence
    // totals per cell and its variance.
    let passes: Vec<IndicatorPass> = (0..survey.indicators.len())
        .into_par_iter()
        .map(|k| -> Result<IndicatorPass, ScoreError> {
            let q = &survey.questions[survey.indicators[k].question];
            let col = df
                .column(&q.id)
                .map_err(|_| ScoreError::MissingColumn(q.id.clone()))?;
            let y = indicator_scores(survey, k, col)?;
            let mut sums = Sums {
                num: vec![0.0; n_cells],
                den: vec![0.0; n_cells],
                n: vec![0; n_cells],
            };
            for ((&yi, &w), &c) in y.iter().zip(&design.weights).zip(&design.cell) {
                if !yi.is_nan() {
                    let c = c as usize;
                    sums.num[c] += w * yi;
                    sums.den[c] += w;
                    sums.n[c] += 1;
                }
            }
            let mut influence = Vec::with_capacity(n_groups);
            let mut estimates = Vec::with_capacity(n_groups);
            for (g, cells) in cells_of_group.iter().enumerate() {
                let (mut num, mut den, mut n) = (0.0, 0.0, 0u64);
                for &c in cells {
                    num += sums.num[c as usize];
                    den += sums.den[c as usize];
                    n += sums.n[c as usize];
                }
                if n < min_n || den <= 0.0 {
                    estimates.push((None, f64::NAN, n));
                    influence.push(Vec::new());
                    continue;
                }
                let p = num / den;
                let z: Vec<f64> = match &calibration {
                    None => cells
                        .iter()
                        .map(|&c| (sums.num[c as usize] - p * sums.den[c as usize]) / den)
                        .collect(),
                    Some(rake) => {
                        // Row-level influence in the group, projected on the margins, then PSU totals.
                        let mut x: Vec<f64> = y
                            .iter()
                            .zip(&design.weights)
                            .zip(&design.group)
                            .map(|((&yi, &w), &gi)| {
                                if gi as usize == g && !yi.is_nan() {
                                    w * (yi - p) / den
                                } else {
                                    0.0
                                }
                            })
                            .collect();
                        rake::calibrate_influence(&mut x, &design.weights, rake);
                        let mut z = vec![0.0; n_psus];
                        for (&xi, &psu) in x.iter().zip(&design.psu) {
                            z[psu as usize] += xi;
                        }
                        z
                    }
                };
                estimates.push((Some(p), design.variance(&psus_of_group[g], &z), n));
                influence.push(z);
            }
            Ok(IndicatorPass {
                estimates,
                influence,
            })
        })
        .collect::<Result<_, _>>()?;

    // Sub-dimensions, dimensions and the total: linear combinations of the indicators, whose
    // influence totals are the same combinations of the indicators' (in a fixed order).
    let mut respondents = vec![0u64; n_groups];
    for &g in &design.group {
        respondents[g as usize] += 1;
    }
    let mut groups = Vec::with_capacity(n_groups);
    for (g, cells) in psus_of_group.iter().enumerate() {
        let mut total_z = vec![0.0; cells.len()];
        let mut total = Some(0.0);
        let mut dims = Vec::new();
        for dim in &survey.dimensions {
            let n_d = dim.subdimensions.len() as f64;
            let mut dim_z = vec![0.0; cells.len()];
            let mut dim_est = Some(0.0);
            let mut subs = Vec::new();
            for sub in &dim.subdimensions {
                let wsum: f64 = sub
                    .indicators
                    .iter()
                    .map(|&k| survey.indicators[k].weight)
                    .sum();
                let mut sub_z = vec![0.0; cells.len()];
                let mut m = Some(0.0);
                for &k in &sub.indicators {
                    let a = survey.indicators[k].weight / wsum;
                    match passes[k].estimates[g].0 {
                        Some(p) => {
                            m = m.map(|m| m + a * p);
                            for (z, zk) in sub_z.iter_mut().zip(&passes[k].influence[g]) {
                                *z += 9.0 / n_d * a * zk;
                            }
                        }
                        None => m = None,
                    }
                }
                let value = match m {
                    Some(m) => {
                        let s = (1.0 + 9.0 * m) / n_d;
                        for (d, z) in dim_z.iter_mut().zip(&sub_z) {
                            *d += z;
                        }
                        dim_est = dim_est.map(|d| d + s);
                        Estimate::new(s, design.variance(cells, &sub_z))
                    }
                    None => {
                        dim_est = None;
                        Estimate::NULL
                    }
                };
                subs.push(SubdimensionResult {
                    id: sub.id.clone(),
                    value,
                });
            }
            let value = match dim_est {
                Some(d) => {
                    for (t, z) in total_z.iter_mut().zip(&dim_z) {
                        *t += z;
                    }
                    total = total.map(|t| t + d);
                    Estimate::new(d, design.variance(cells, &dim_z))
                }
                None => {
                    total = None;
                    Estimate::NULL
                }
            };
            dims.push(DimensionResult {
                id: dim.id.clone(),
                value,
                subdimensions: subs,
            });
        }
        let total = match total {
            Some(t) => Estimate::new(t, design.variance(cells, &total_z)),
            None => Estimate::NULL,
        };
        let indicators = survey
            .indicators
            .iter()
            .zip(&passes)
            .map(|(ind, pass)| {
                let (p, v, n) = pass.estimates[g];
                IndicatorResult {
                    id: ind.id.clone(),
                    value: p.map(|p| Estimate::new(p, v)).unwrap_or(Estimate::NULL),
                    n,
                }
            })
            .collect();
        let baseline = survey.baseline.as_ref().map(|b| BaselineComparison {
            label: b.label.get(survey.default_language()).to_owned(),
            year: b.year,
            total: Change {
                baseline: b.total,
                change: total.shifted(-b.total),
            },
            dimensions: dims
                .iter()
                .zip(&b.dimensions)
                .map(|(d, base)| DimensionChange {
                    id: d.id.clone(),
                    baseline: *base,
                    change: d.value.shifted(-base),
                })
                .collect(),
        });
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
        warnings.push(format!(
            "{} stratum/strata with a single PSU ({}): variance centred at the population mean, as R's survey.lonely.psu = \"adjust\"",
            lonely.len(),
            lonely.join(", ")
        ));
    }
    Ok(Report {
        survey: SurveyId {
            id: survey.id.clone(),
            version: survey.version.clone(),
        },
        design: DesignSummary {
            weights: survey.design.weight.clone(),
            strata: survey.design.strata.clone(),
            clusters: survey.design.cluster.clone(),
            respondents: design.rows as u64,
            strata_count: design.stratum_psus.len(),
            psus: design.psu_stratum.len(),
            lonely_psu: "adjust",
            raked,
            warnings,
        },
        groups,
    })
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
