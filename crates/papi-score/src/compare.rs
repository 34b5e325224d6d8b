//! Wave to wave: the change of every estimate between two reports (two `papi score` outputs or two
//! recorded runs), B − A, matched by group, dimension, sub-dimension and indicator id.
//!
//! Method: the two waves are independent samples, so Var(B − A) = SE_A² + SE_B², and the interval is
//! t(0.975, df) with Welch–Satterthwaite degrees of freedom, (SE_A² + SE_B²)² / (SE_A⁴/df_A +
//! SE_B⁴/df_B), from each wave's design df. Waves that share PSUs (panel communes) are usually
//! positively correlated there, so this variance is then an upper bound: the change is, if anything,
//! more precise than reported. The covariance over shared PSUs needs both waves' interviews, not
//! their reports: [`crate::panel`] compares from interviews.

use serde::Serialize;
use serde_json::Value;

use crate::interval::{t975, Z95};

/// The method, as the output states it.
pub const METHOD: &str = "independent samples: SE = √(SE_A² + SE_B²), t interval with Welch–Satterthwaite degrees of freedom; for waves sharing PSUs this SE leaves out their covariance (usually an upper bound; compare the waves' interviews to count it)";

/// One estimate in both waves and its change.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Compared {
    pub id: String,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub change: Option<f64>,
    pub se: Option<f64>,
    pub df: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Whether the 95% interval of the change leaves out zero.
    pub distinguishable_from_zero: Option<bool>,
}

/// One group (the whole sample, or a domain) in both waves.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupComparison {
    pub by: Value,
    pub total: Compared,
    pub dimensions: Vec<Compared>,
    pub subdimensions: Vec<Compared>,
    pub indicators: Vec<Compared>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub method: &'static str,
    /// The PSUs of each wave and those both share, when the comparison was made from interviews.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psus: Option<PsuOverlap>,
    /// Why a comparison that could have counted shared PSUs did not (the service's runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub a: Value,
    pub b: Value,
    pub groups: Vec<GroupComparison>,
}

/// How many PSUs each wave has and how many (same stratum, same cluster) both have.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PsuOverlap {
    pub a: usize,
    pub b: usize,
    pub shared: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompareError {
    #[error("{which}: not a papi score report ({why})")]
    NotAReport { which: &'static str, why: String },
    #[error("the reports score different surveys: {a} and {b}")]
    DifferentSurveys { a: String, b: String },
    #[error("the reports share no group: A has {a}, B has {b}")]
    NoCommonGroup { a: String, b: String },
}

impl CompareError {
    pub fn code(&self) -> &'static str {
        match self {
            CompareError::NotAReport { .. } => "compare.not_a_report",
            CompareError::DifferentSurveys { .. } => "compare.different_surveys",
            CompareError::NoCommonGroup { .. } => "compare.no_common_group",
        }
    }
}

/// The change of one estimate (each an object with `estimate`, `se`, `df`).
pub fn compare_estimate(id: &str, a: &Value, b: &Value) -> Compared {
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let (ea, eb) = (num(a, "estimate"), num(b, "estimate"));
    let (sa, sb) = (num(a, "se"), num(b, "se"));
    let se = sa.zip(sb).map(|(x, y)| (x * x + y * y).sqrt());
    let df = match (sa, sb, num(a, "df"), num(b, "df")) {
        (Some(sa), Some(sb), Some(da), Some(db)) if da > 0.0 && db > 0.0 => {
            let (va, vb) = (sa * sa, sb * sb);
            let denominator = va * va / da + vb * vb / db;
            Some(if denominator > 0.0 {
                (va + vb).powi(2) / denominator
            } else {
                da.min(db)
            })
        }
        _ => None,
    };
    let multiplier = match df {
        Some(df) => Some(t975(df)),
        // A report scored with normal intervals carries no df: keep its rule.
        None if a.get("df").is_none() || b.get("df").is_none() => Some(Z95),
        None => None,
    };
    Compared::new(id, ea, eb, se, df, multiplier)
}

impl Compared {
    /// The change B − A with its SE, df and the interval's multiplier (t(0.975, df) or 1.96).
    pub fn new(
        id: &str,
        a: Option<f64>,
        b: Option<f64>,
        se: Option<f64>,
        df: Option<f64>,
        multiplier: Option<f64>,
    ) -> Compared {
        let change = a.zip(b).map(|(x, y)| y - x);
        let half = se.zip(multiplier).map(|(se, q)| q * se);
        let bounds = change.zip(half).map(|(c, h)| (c - h, c + h));
        Compared {
            id: id.to_owned(),
            a,
            b,
            change,
            se,
            df,
            ci_low: bounds.map(|b| b.0),
            ci_high: bounds.map(|b| b.1),
            distinguishable_from_zero: bounds.map(|(lo, hi)| lo > 0.0 || hi < 0.0),
        }
    }
}

fn by_id<'v>(list: &'v Value, id: &str) -> Option<&'v Value> {
    list.as_array()?
        .iter()
        .find(|x| x.get("id").and_then(Value::as_str) == Some(id))
}

fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn group(a: &Value, b: &Value) -> GroupComparison {
    let mut dimensions = Vec::new();
    let mut subdimensions = Vec::new();
    for da in list(a, "dimensions") {
        let id = da.get("id").and_then(Value::as_str).unwrap_or_default();
        let Some(db) = by_id(&b["dimensions"], id) else {
            continue;
        };
        dimensions.push(compare_estimate(id, da, db));
        for sa in list(da, "subdimensions") {
            let sid = sa.get("id").and_then(Value::as_str).unwrap_or_default();
            if let Some(sb) = by_id(&db["subdimensions"], sid) {
                subdimensions.push(compare_estimate(sid, sa, sb));
            }
        }
    }
    let indicators = list(a, "indicators")
        .iter()
        .filter_map(|ia| {
            let id = ia.get("id").and_then(Value::as_str)?;
            Some(compare_estimate(id, ia, by_id(&b["indicators"], id)?))
        })
        .collect();
    GroupComparison {
        by: a.get("by").cloned().unwrap_or(Value::Null),
        total: compare_estimate("total", &a["total"], &b["total"]),
        dimensions,
        subdimensions,
        indicators,
    }
}

/// What a report says of itself, for the output's `a` and `b`.
fn summary(report: &Value) -> Value {
    serde_json::json!({
        "survey": report.get("survey"),
        "respondents": report["groups"].as_array().map(|g| g.iter().filter_map(|x| x["respondents"].as_u64()).sum::<u64>()),
        "interval": report.get("design").and_then(|d| d.get("interval")),
    })
}

/// B − A for every estimate of every group the two reports share.
pub fn compare(a: &Value, b: &Value) -> Result<Comparison, CompareError> {
    for (which, r) in [("A", a), ("B", b)] {
        if !r.get("groups").is_some_and(Value::is_array) {
            return Err(CompareError::NotAReport {
                which,
                why: "it has no \"groups\" list".into(),
            });
        }
    }
    let survey = |r: &Value| {
        r.get("survey")
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    if survey(a) != survey(b) {
        return Err(CompareError::DifferentSurveys {
            a: survey(a),
            b: survey(b),
        });
    }
    let groups: Vec<GroupComparison> = list(a, "groups")
        .iter()
        .filter_map(|ga| {
            let gb = list(b, "groups")
                .iter()
                .find(|gb| gb.get("by") == ga.get("by"))?;
            Some(group(ga, gb))
        })
        .collect();
    if groups.is_empty() {
        let keys = |r: &Value| {
            list(r, "groups")
                .iter()
                .map(|g| g["by"].to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(CompareError::NoCommonGroup {
            a: keys(a),
            b: keys(b),
        });
    }
    Ok(Comparison {
        method: METHOD,
        psus: None,
        note: None,
        a: summary(a),
        b: summary(b),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_change_carries_both_waves_errors_with_welch_satterthwaite_df() {
        let c = compare_estimate(
            "total",
            &json!({"estimate": 41.0, "se": 0.3, "df": 11}),
            &json!({"estimate": 42.2, "se": 0.4, "df": 44}),
        );
        assert!((c.change.unwrap() - 1.2).abs() < 1e-12);
        assert!((c.se.unwrap() - 0.5).abs() < 1e-12);
        // (0.09 + 0.16)² / (0.0081/11 + 0.0256/44)
        let df = 0.0625 / (0.0081 / 11.0 + 0.0256 / 44.0);
        assert!((c.df.unwrap() - df).abs() < 1e-9, "{:?}", c.df);
        let half = t975(df) * 0.5;
        assert!((c.ci_low.unwrap() - (1.2 - half)).abs() < 1e-12);
        assert!(half > 1.0 && half < 1.2, "{half}");
        assert_eq!(c.distinguishable_from_zero, Some(true));
        let same = compare_estimate(
            "x",
            &json!({"estimate": 41.0, "se": 0.3, "df": 11}),
            &json!({"estimate": 41.02, "se": 0.3, "df": 11}),
        );
        assert_eq!(same.distinguishable_from_zero, Some(false));
        let missing = compare_estimate(
            "x",
            &json!({"estimate": null, "se": null, "df": 11}),
            &json!({"estimate": 1.0, "se": 0.1, "df": 11}),
        );
        assert_eq!(missing.change, None);
        assert_eq!(missing.distinguishable_from_zero, None);
    }

    #[test]
    fn reports_of_different_surveys_or_without_groups_are_refused() {
        let r = |id: &str| json!({"survey": {"id": id}, "groups": [{"by": {}, "total": {"estimate": 1.0, "se": 0.1, "df": 3}}]});
        assert_eq!(
            compare(&r("papi"), &json!({"x": 1})).unwrap_err().code(),
            "compare.not_a_report"
        );
        assert_eq!(
            compare(&r("papi"), &r("other")).unwrap_err().code(),
            "compare.different_surveys"
        );
        let c = compare(&r("papi"), &r("papi")).unwrap();
        assert_eq!(c.groups.len(), 1);
        assert_eq!(c.groups[0].total.change, Some(0.0));
    }
}
