//! Building the dashboard of a survey version from its latest publication: the province's total and
//! dimensions against the baseline, the strata (small groups suppressed), the official history, the
//! waves, and the change from the previous wave.

use papi_survey::Survey;
use serde_json::Value as Json_;

use crate::error::ApiError;
use crate::locale;
use crate::AppState;

use super::*;

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
        .groups()
        .first()
        .ok_or_else(|| ApiError::internal("a published run has no groups"))?;
    // A group of too few respondents is suppressed, a district or the province itself: no value of
    // it (scores, intervals, change, performance group) is shown, in the latest wave or any other.
    let shown = |g: &papi_score::Group| g.respondents >= settings.min_respondents;
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
                    .map(|r| Est::from(&r.value))
                    .unwrap_or_default(),
                baseline: change.map(|c| c.baseline),
                change: change
                    .filter(|_| overall_shown)
                    .map(|c| Est::from(&c.change.value)),
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
                            .map(|x| Est::from(&x.value))
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
                .groups()
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
                        total: (!suppressed).then(|| Est::from(&g.total)),
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
                .groups()
                .first()
                .filter(|g| shown(g))
                .map(|before| PreviousWave {
                    year: p.publication.wave_year,
                    version: p.publication.survey_version.clone(),
                    publication: p.id.to_string(),
                    total: before.total.estimate,
                    change: wave_change(
                        "total",
                        &Est::from(&before.total),
                        &Est::from(&overall.total),
                    ),
                    dimensions: survey
                        .dimensions
                        .iter()
                        .map(|d| {
                            let of = |g: &papi_score::Group| {
                                g.dimensions
                                    .iter()
                                    .find(|x| x.id == d.id)
                                    .map(|x| Est::from(&x.value))
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
        if let Some(g) = report.groups().first() {
            waves.push(Wave {
                year: p.publication.wave_year,
                publication: p.id.to_string(),
                total: if shown(g) {
                    Est::from(&g.total)
                } else {
                    Est::default()
                },
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
            Est::from(&overall.total)
        } else {
            Est::default()
        },
        baseline: overall.baseline.as_ref().map(|b| BaselineInfo {
            label: b.label.clone(),
            year: b.year,
            total: b.total.baseline,
            change: if overall_shown {
                Est::from(&b.total.change.value)
            } else {
                Est::default()
            },
            baseline_treated_as_exact: b.total.change.baseline_treated_as_exact,
        }),
        // The performance group is read off the total, so it would tell it.
        performance: overall
            .performance
            .as_ref()
            .filter(|_| overall_shown)
            .map(PerformanceInfo::from),
        dimensions,
        strata,
        history,
        waves,
        previous_wave,
    }))
}

/// The change of one estimate from an earlier wave to a later one, as `papi compare` gives it
/// (independent samples, Welch–Satterthwaite df).
pub(crate) fn wave_change(id: &str, before: &Est, after: &Est) -> Est {
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
