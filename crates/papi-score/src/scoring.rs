//! Scoring a table: the design, raking, the passes, then every group's estimates assembled from the
//! indicators' (sub-dimensions, dimensions and the total are linear combinations of them).

use papi_survey::Survey;
use papi_table::Table;

use crate::change;
use crate::design_effect::srs_variance;
use crate::indicator::{IndicatorPass, Layout};
use crate::influence::{self, Influence};
use crate::passes::{all_passes, coefficient, share};
use crate::ranking::{comparable_with_papi, performance};
use crate::replicate::Replicates;
use crate::{
    DesignSummary, DimensionResult, Estimate, Flags, Group, IndicatorResult, IntervalRule,
    Measured, Options, RakeSummary, Report, ScoreError, SubdimensionResult, SurveyId, Variance,
};

/// Scores `df` (interviews in the flat layout) under `survey`.
pub fn score(survey: &Survey, df: &Table, options: &Options) -> Result<Report, ScoreError> {
    Ok(score_keeping(survey, df, options, false)?.0)
}

/// Scores `df` and, when `keep` is set, keeps every estimate's influence in every group, from which
/// contrasts between groups get their variance ([`influence::Influence`]).
pub(crate) fn score_keeping(
    survey: &Survey,
    df: &Table,
    options: &Options,
    keep: bool,
) -> Result<(Report, Option<Influence>), ScoreError> {
    for c in &options.by {
        if df.column(c).is_none() {
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
            lonely_psu: "adjust".to_owned(),
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
