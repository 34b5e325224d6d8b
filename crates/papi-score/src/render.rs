//! A report as a terminal table (Vietnamese names) or as CSV (one row per group and measure).

use std::fmt::Write as _;

use papi_survey::Survey;

use crate::{Estimate, Report};

fn num(x: Option<f64>, places: usize) -> String {
    x.map(|x| format!("{x:.places$}"))
        .unwrap_or_else(|| "—".into())
}

fn by_label(by: &serde_json::Map<String, serde_json::Value>) -> String {
    if by.is_empty() {
        return "Toàn tỉnh / whole sample".into();
    }
    by.iter()
        .map(|(k, v)| format!("{k} = {}", v.as_str().unwrap_or("(trống)")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A readable table: per group, the total and each dimension with its sub-dimensions, in `lang`.
pub fn table(survey: &Survey, report: &Report, lang: &str) -> String {
    let mut out = String::new();
    let line = |out: &mut String, name: &str, e: &Estimate, places: usize| {
        let _ = writeln!(
            out,
            "  {name:<58} {:>8} {:>7}   [{:>7}, {:>7}]",
            num(e.estimate, places),
            num(e.se, places + 1),
            num(e.ci_low, places),
            num(e.ci_high, places)
        );
    };
    for group in &report.groups {
        let _ = writeln!(
            out,
            "{} — {} người trả lời / respondents",
            by_label(&group.by),
            group.respondents
        );
        let _ = writeln!(
            out,
            "  {:<58} {:>8} {:>7}   {:^18}",
            "", "Điểm", "SE", "KTC 95% / 95% CI"
        );
        line(&mut out, "Tổng điểm PAPI / Total", &group.total, 2);
        for (dim, d) in survey.dimensions.iter().zip(&group.dimensions) {
            line(&mut out, &truncate(dim.label.get(lang), 58), &d.value, 2);
            for (sub, s) in dim.subdimensions.iter().zip(&d.subdimensions) {
                line(
                    &mut out,
                    &format!("  {}", truncate(sub.label.get(lang), 56)),
                    &s.value,
                    3,
                );
            }
        }
        if let Some(b) = &group.baseline {
            let _ = writeln!(
                out,
                "  Thay đổi so với {} ({:.2}) / change from baseline: {} [{}, {}]",
                b.label,
                b.total.baseline,
                num(b.total.change.estimate, 2),
                num(b.total.change.ci_low, 2),
                num(b.total.change.ci_high, 2)
            );
        }
        if let Some(p) = &group.performance {
            let _ = writeln!(
                out,
                "  Nhóm năm {} / group in {}: {} (trung bình cao từ {:.2}; còn cách {:.2})",
                p.year, p.year, p.group, p.thresholds.high_average, p.distance_to_high_average
            );
        }
        out.push('\n');
    }
    for w in &report.design.warnings {
        let _ = writeln!(out, "cảnh báo / warning: {w}");
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// CSV: the `by` columns, then level, id, Vietnamese and English names, estimate, se, ci_low,
/// ci_high, n (indicators) and the group's respondents.
pub fn csv(survey: &Survey, report: &Report) -> Result<String, csv::Error> {
    let by_cols: Vec<String> = report
        .groups
        .first()
        .map(|g| g.by.keys().cloned().collect())
        .unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = by_cols.clone();
    header.extend(
        [
            "level",
            "id",
            "name_vi",
            "name_en",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "n",
            "respondents",
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    let name = |level: &str, id: &str| -> (String, String) {
        let label = match level {
            "total" => return ("Tổng điểm PAPI".into(), "PAPI total".into()),
            "dimension" => survey
                .dimensions
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.label.clone()),
            "subdimension" => survey
                .dimensions
                .iter()
                .flat_map(|d| &d.subdimensions)
                .find(|s| s.id == id)
                .map(|s| s.label.clone()),
            _ => survey
                .indicators
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.label.clone()),
        }
        .unwrap_or_default();
        (label.get("vi").to_owned(), label.get("en").to_owned())
    };
    let f = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    for (g, level, id, e, n) in crate::flatten(report) {
        let group = &report.groups[g];
        let mut row: Vec<String> = by_cols
            .iter()
            .map(|c| {
                group
                    .by
                    .get(c)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        let (vi, en) = name(level, &id);
        row.extend([
            level.to_owned(),
            id,
            vi,
            en,
            f(e.estimate),
            f(e.se),
            f(e.ci_low),
            f(e.ci_high),
            n.map(|n| n.to_string()).unwrap_or_default(),
            group.respondents.to_string(),
        ]);
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 text"))
}
