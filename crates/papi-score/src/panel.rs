//! Wave to wave from the interviews of both waves, so that PSUs the two waves share (panel communes:
//! the same cluster in the same stratum) count with their covariance.
//!
//! Method: when the waves share PSUs, they are scored as one stacked design (strata and clusters as in
//! each wave, a shared PSU one PSU holding both waves' respondents) with the wave as a domain. The
//! change of each estimate is a contrast of the two domains, so its variance is Var(A) + Var(B) −
//! 2 Cov(A, B) from the influence totals of the difference per PSU (under the jackknife, from the
//! difference in each replicate), and its interval uses the stacked design's df. This is R's
//! `svyby(..., ~wave, design, covmat = TRUE)` followed by `svycontrast`. When no PSU is shared the
//! waves are independent samples and [`crate::compare`]'s method applies to their two reports.

use std::collections::HashSet;

use papi_table::{Column, Table, TextBuilder};
use serde_json::{json, Map, Value};

use crate::compare::{self, Compared, Comparison, GroupComparison, PsuOverlap};
use crate::{needed_columns, score, score_keeping, IntervalRule, Options, Report, ScoreError};
use papi_survey::Survey;

/// The method, as the output states it when the waves share PSUs.
pub const METHOD: &str = "waves sharing PSUs: scored as one stacked design (a PSU in both waves is one PSU), the wave a domain; SE of B − A = √(Var A + Var B − 2 Cov(A, B)) from the influence of the difference per PSU (per replicate under the jackknife), as R's svyby(covmat = TRUE) and svycontrast; t interval with the stacked design's degrees of freedom";

/// The domain column that tells the waves apart in the stacked design.
const WAVE: &str = "papi_wave";

/// The change of every estimate from the interviews of wave `a` to those of wave `b`.
pub fn compare_interviews(
    survey: &Survey,
    a: &Table,
    b: &Table,
    options: &Options,
) -> Result<Comparison, ScoreError> {
    if options.by.iter().any(|c| c == WAVE) {
        return Err(ScoreError::Options(format!(
            "by: '{WAVE}' is the column that tells the waves apart; domains cannot use it"
        )));
    }
    let (psus_a, psus_b) = (psus(survey, a)?, psus(survey, b)?);
    let overlap = PsuOverlap {
        a: psus_a.len(),
        b: psus_b.len(),
        shared: psus_a.intersection(&psus_b).count(),
    };
    if overlap.shared == 0 {
        let report = |frame: &Table| -> Result<Value, ScoreError> {
            let r = score(survey, frame, options)?;
            serde_json::to_value(r).map_err(|e| ScoreError::Data(e.to_string()))
        };
        let mut c = compare::compare(&report(a)?, &report(b)?)
            .map_err(|e| ScoreError::Options(e.to_string()))?;
        c.psus = Some(overlap);
        return Ok(c);
    }
    if options.margins.is_some() {
        return Err(ScoreError::Options(
            "margins: waves that share PSUs are compared on one stacked design, which is not raked; compare them without margins, or compare their raked reports (independent samples)".into(),
        ));
    }
    let stacked = stack(survey, a, b, options)?;
    let by: Vec<String> = std::iter::once(WAVE.to_owned())
        .chain(options.by.iter().cloned())
        .collect();
    let stacked_options = Options {
        by,
        ..options.clone()
    };
    let (report, influence) = score_keeping(survey, &stacked, &stacked_options, true)?;
    let influence = influence.expect("kept on request");
    let rule = IntervalRule::new(options.interval, report.design.df);
    let df = (report.design.df > 0).then_some(report.design.df as f64);
    let mut groups = Vec::new();
    for (ga, group_a) in report.groups.iter().enumerate() {
        if group_a.by.get(WAVE).and_then(Value::as_str) != Some("A") {
            continue;
        }
        let rest = without_wave(&group_a.by);
        let Some(gb) = report.groups.iter().position(|g| {
            g.by.get(WAVE).and_then(Value::as_str) == Some("B") && without_wave(&g.by) == rest
        }) else {
            continue;
        };
        let group_b = &report.groups[gb];
        let change = |level: &'static str, id: &str, ea: Option<f64>, eb: Option<f64>| {
            let se = influence
                .variance_of_difference(ga, gb, level, id)
                .map(f64::sqrt);
            Compared::new(id, ea, eb, se, df, rule.multiplier)
        };
        let mut dimensions = Vec::new();
        let mut subdimensions = Vec::new();
        for (da, db) in group_a.dimensions.iter().zip(&group_b.dimensions) {
            dimensions.push(change(
                "dimension",
                &da.id,
                da.value.estimate,
                db.value.estimate,
            ));
            for (sa, sb) in da.subdimensions.iter().zip(&db.subdimensions) {
                subdimensions.push(change(
                    "subdimension",
                    &sa.id,
                    sa.value.estimate,
                    sb.value.estimate,
                ));
            }
        }
        groups.push(GroupComparison {
            by: Value::Object(rest),
            total: change(
                "total",
                "total",
                group_a.total.estimate,
                group_b.total.estimate,
            ),
            dimensions,
            subdimensions,
            indicators: group_a
                .indicators
                .iter()
                .zip(&group_b.indicators)
                .map(|(ia, ib)| change("indicator", &ia.id, ia.value.estimate, ib.value.estimate))
                .collect(),
        });
    }
    Ok(Comparison {
        method: METHOD,
        psus: Some(overlap),
        note: None,
        a: wave_summary(&report, "A"),
        b: wave_summary(&report, "B"),
        groups,
    })
}

/// The (stratum, cluster) pairs of a wave; empty without clusters, where no respondent is shared.
fn psus(survey: &Survey, frame: &Table) -> Result<HashSet<(String, String)>, ScoreError> {
    let Some(cluster) = &survey.design.cluster else {
        return Ok(HashSet::new());
    };
    let text = |name: &str| -> Result<Vec<Option<String>>, ScoreError> {
        let col = frame
            .column(name)
            .ok_or_else(|| ScoreError::MissingColumn(name.to_owned()))?;
        Ok((0..col.len()).map(|i| col.text(i)).collect())
    };
    let clusters = text(cluster)?;
    let strata = match &survey.design.strata {
        Some(s) => text(s)?,
        None => vec![None; clusters.len()],
    };
    Ok(strata
        .into_iter()
        .zip(clusters)
        .map(|(h, c)| (h.unwrap_or_default(), c.unwrap_or_default()))
        .collect())
}

/// Both waves' columns that scoring reads, one below the other, with the wave in `papi_wave`. A
/// column typed differently in the two files (whole numbers in one, decimals in the other) is read as
/// text in both, which scoring reads as it reads a CSV's.
fn stack(survey: &Survey, a: &Table, b: &Table, options: &Options) -> Result<Table, ScoreError> {
    let columns = needed_columns(survey, options);
    for (wave, frame) in [("A", a), ("B", b)] {
        if let Some(name) = columns.iter().find(|c| frame.column(c).is_none()) {
            return Err(ScoreError::MissingColumn(format!("{name} (wave {wave})")));
        }
    }
    let mut stacked =
        Table::stack(&[a, b], &columns).map_err(|e| ScoreError::Data(e.to_string()))?;
    let mut wave = TextBuilder::with_capacity(stacked.height());
    for (name, frame) in [("A", a), ("B", b)] {
        let code = wave.code_of(Some(name));
        for _ in 0..frame.height() {
            wave.push_code(code);
        }
    }
    stacked
        .with_column(WAVE, Column::Text(wave.finish()))
        .map_err(|e| ScoreError::Data(e.to_string()))?;
    Ok(stacked)
}

fn without_wave(by: &Map<String, Value>) -> Map<String, Value> {
    by.iter()
        .filter(|(k, _)| k.as_str() != WAVE)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What the output says of one wave: the survey, its respondents and the interval rule.
fn wave_summary(report: &Report, wave: &str) -> Value {
    let respondents: u64 = report
        .groups
        .iter()
        .filter(|g| g.by.get(WAVE).and_then(Value::as_str) == Some(wave))
        .map(|g| g.respondents)
        .sum();
    json!({
        "survey": report.survey,
        "respondents": respondents,
        "interval": report.design.interval,
    })
}
