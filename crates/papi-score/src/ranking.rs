//! Where a total falls among the provinces of an official year: PAPI's four performance groups.

use papi_survey::{ReferenceTable, Survey};

use crate::{Performance, Thresholds};

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
        group: group.to_owned(),
        distance_to_high_average: (t.high_average - total).max(0.0),
        thresholds: t,
        provinces: totals.len(),
    })
}

/// Whether a total of this survey can be placed among the official totals of `year`: the survey scores
/// PAPI's eight dimensions, and that year's table has all eight (2018 on; earlier years have six).
pub(crate) fn comparable_with_papi(survey: &Survey, table: &ReferenceTable, year: i32) -> bool {
    survey.dimensions.len() == papi_survey::PAPI_DIMENSIONS.len()
        && survey
            .dimensions
            .iter()
            .all(|d| papi_survey::PAPI_DIMENSIONS.contains(&d.id.as_str()))
        && table
            .year(year)
            .any(|r| r.total.is_some() && r.dimensions.iter().all(Option::is_some))
}
