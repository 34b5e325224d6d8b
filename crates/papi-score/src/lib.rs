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
//! [`score`] on a `papi_table::Table` and get the same numbers.

use papi_survey::{ReferenceTable, Survey};
use papi_table::Table;

pub mod change;
pub mod compare;
pub mod design;
pub mod design_effect;
mod estimate;
pub mod flags;
mod indicator;
mod influence;
pub mod interval;
pub mod panel;
mod passes;
pub mod rake;
mod ranking;
pub mod render;
pub mod replicate;
mod report;
mod residual;
mod scores;
mod scoring;
#[cfg(test)]
mod tests;

pub use change::{BaselineComparison, Change, ChangeEstimate, DimensionChange};
pub use design::Design;
pub use estimate::Estimate;
pub(crate) use estimate::Measured;
pub use flags::Flags;
pub use interval::{Interval, IntervalRule, Z95};
pub use rake::Margins;
pub use ranking::{performance, quantile7};
pub use replicate::{ReplicateSummary, Variance};
pub use report::{
    DesignSummary, DimensionResult, Group, IndicatorResult, Performance, RakeSummary, Report,
    SubdimensionResult, SurveyId, Thresholds,
};
pub use scoring::score;
pub(crate) use scoring::score_keeping;

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
    fn design(&self, survey: &Survey, df: &Table, by: &[String]) -> Result<Design, ScoreError> {
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

/// The weights an analysis uses, one per row of `df`: the design's, raked when margins are given.
pub fn analysis_weights(
    survey: &Survey,
    df: &Table,
    options: &Options,
) -> Result<Vec<f64>, ScoreError> {
    options.check()?;
    let mut design = options.design(survey, df, &[])?;
    if let Some(m) = &options.margins {
        m.rake(df, &mut design.weights)?;
    }
    Ok(design.weights)
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
