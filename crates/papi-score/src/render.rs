//! A report as a terminal table (Vietnamese names) or as CSV (one row per group and measure).

use std::fmt::Write as _;

use papi_survey::Survey;

use crate::{Estimate, Flags, Interval, Report};

/// The table's mark of each flag, and its legend.
const MARKS: [(Flags, &str, &str); 2] = [
    (
        Flags::FEW_RESPONDENTS,
        "*",
        "ít hơn 30 người trả lời / fewer than 30 respondents",
    ),
    (
        Flags::FEW_PSUS,
        "†",
        "ít hơn 5 bậc tự do (số PSU − số tầng) / fewer than 5 degrees of freedom (PSUs − strata)",
    ),
];

fn marks(flags: Flags) -> String {
    MARKS
        .iter()
        .filter(|(f, _, _)| flags.contains(*f))
        .map(|(_, m, _)| *m)
        .collect()
}

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

/// A readable table: per group, the total and each dimension with its sub-dimensions, in `lang`, with
/// each estimate's design effect and a mark on those that stand on little (legend below).
pub fn table(survey: &Survey, report: &Report, lang: &str) -> String {
    let mut out = String::new();
    let mut flagged = Flags::default();
    let mut line = |out: &mut String, name: &str, e: &Estimate, places: usize| {
        flagged = flagged | e.flags;
        let text = format!(
            "  {name:<58} {:>8} {:>7}   [{:>7}, {:>7}] {:>6} {}",
            num(e.estimate, places),
            num(e.se, places + 1),
            num(e.ci_low, places),
            num(e.ci_high, places),
            num(e.deff, 2),
            marks(e.flags)
        );
        let _ = writeln!(out, "{}", text.trim_end());
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
            "  {:<58} {:>8} {:>7}   {:^18} {:>6}",
            "", "Điểm", "SE", "KTC 95% / 95% CI", "Deff"
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
            let c = &b.total.change;
            let text = format!(
                "  Thay đổi so với {} ({:.2}{}) / change from baseline: {} [{}, {}] {}",
                b.label,
                b.total.baseline,
                b.total
                    .baseline_se
                    .map(|se| format!(", SE {se:.2}"))
                    .unwrap_or_default(),
                num(c.value.estimate, 2),
                num(c.value.ci_low, 2),
                num(c.value.ci_high, 2),
                marks(c.value.flags)
            );
            let _ = writeln!(out, "{}", text.trim_end());
            if c.baseline_treated_as_exact {
                let _ = writeln!(
                    out,
                    "    (mốc được coi là chính xác / the baseline is treated as exact: its own error is not in this interval)"
                );
            }
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
    let d = &report.design;
    // Under the jackknife, df is R's degf of the replicate design.
    let (df_vi, df_en) = match &d.replicates {
        None => ("số PSU − số tầng", "PSUs − strata"),
        Some(r) => {
            let _ = writeln!(
                out,
                "SE: jackknife JKn, {} bản sao (xóa từng PSU) / SE: JKn jackknife, {} replicates (one PSU deleted in each)",
                r.replicates, r.replicates
            );
            (
                "hạng của trọng số bản sao − 1",
                "rank of the replicate weights − 1",
            )
        }
    };
    let _ = match (d.interval, d.interval_multiplier) {
        (Interval::T, Some(q)) => writeln!(
            out,
            "KTC 95%: phân phối t, {} bậc tự do ({df_vi}) / 95% intervals: Student's t with {} degrees of freedom ({df_en}), ±{q:.4} SE",
            d.df, d.df
        ),
        (Interval::T, None) => writeln!(
            out,
            "KTC 95%: không có, {} bậc tự do / 95% intervals: none, the design has {} degrees of freedom",
            d.df, d.df
        ),
        (Interval::Normal, _) => writeln!(
            out,
            "KTC 95%: phân phối chuẩn, ±1.96 SE / 95% intervals: normal, ±1.96 SE ({} degrees of freedom)",
            d.df
        ),
    };
    for (f, mark, legend) in MARKS {
        if flagged.contains(f) {
            let _ = writeln!(out, "{mark} {legend}");
        }
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
/// ci_high, n (indicators), the group's respondents, df, deff, n_effective and the flags (names
/// separated by spaces).
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
            "df",
            "deff",
            "n_effective",
            "flags",
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
            e.df.to_string(),
            f(e.deff),
            f(e.n_effective),
            e.flags.names().collect::<Vec<_>>().join(" "),
        ]);
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 text"))
}
