//! The survey around its questions: header, design, choice lists, group headings, dimensions and
//! sub-dimensions, indicators and the baseline, each checked with its problems reported.

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::questions::questions;
use super::{valid_id, Checker, RawDefinition, RawDesign};
use crate::model::*;
use crate::text::nfc;

/// Checks `[baseline.standard_errors]`: each key is `total` or a dimension id, each value a finite
/// non-negative number.
fn baseline_standard_errors(
    c: &mut Checker,
    given: &BTreeMap<String, Spanned<f64>>,
    dimensions: &[Dimension],
) -> BaselineStandardErrors {
    let mut out = BaselineStandardErrors {
        total: None,
        dimensions: vec![None; dimensions.len()],
    };
    for (id, se) in given {
        let at = se.span().start;
        let se = *se.get_ref();
        let slot = if id == "total" {
            Some(&mut out.total)
        } else {
            dimensions
                .iter()
                .position(|d| &d.id == id)
                .map(|d| &mut out.dimensions[d])
        };
        let Some(slot) = slot else {
            c.report(
                at,
                id,
                "baseline.unknown_standard_error",
                format!("standard error of '{id}': it is neither `total` nor a dimension id"),
            );
            continue;
        };
        if se.is_finite() && se >= 0.0 {
            *slot = Some(se);
        } else {
            c.report(
                at,
                id,
                "baseline.invalid_standard_error",
                format!("the standard error of '{id}' must be a finite number ≥ 0, not {se}"),
            );
        }
    }
    out
}

pub(super) fn build(c: &mut Checker, raw: RawDefinition, source: &str) -> Survey {
    let survey_at = raw.survey.span().start;
    let rs = raw.survey.into_inner();
    let languages = rs.languages.clone();
    if languages.is_empty() {
        c.report(
            survey_at,
            &rs.id,
            "survey.no_languages",
            "languages must name at least one language".into(),
        );
    }
    if rs.id.is_empty()
        || !rs
            .id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-')
    {
        c.report(
            survey_at,
            &rs.id,
            "survey.invalid_id",
            "the survey id must be lower-case letters, digits, '_' or '-'".into(),
        );
    }
    if rs.version.trim().is_empty() {
        c.report(
            survey_at,
            &rs.id,
            "survey.invalid_version",
            "the survey version must not be empty".into(),
        );
    }
    let mut title = rs.title;
    title.normalise();
    c.label(survey_at, &rs.id, "the survey title", &title, &languages);

    // Design.
    let (design_at, rd) = match raw.design {
        Some(d) => (d.span().start, d.into_inner()),
        None => (survey_at, RawDesign::default()),
    };
    let location: Vec<String> = rd.location.iter().map(|s| nfc(s)).collect();
    let mut seen = HashSet::new();
    for col in &location {
        if !valid_id(col) {
            c.report(
                design_at,
                col,
                "design.invalid_column",
                format!("location column '{col}' must match [a-z][a-z0-9_]*"),
            );
        }
        if !seen.insert(col.clone()) {
            c.report(
                design_at,
                col,
                "design.duplicate_column",
                format!("location column '{col}' is listed twice"),
            );
        }
    }
    let position =
        |name: &Option<String>| name.as_ref().map(|n| location.iter().position(|l| l == n));
    let strata_at = position(&rd.strata);
    let cluster_at = position(&rd.cluster);
    for (role, name, found) in [
        ("strata", &rd.strata, strata_at),
        ("cluster", &rd.cluster, cluster_at),
    ] {
        if let (Some(name), Some(None)) = (name, found) {
            c.report(
                design_at,
                name,
                "design.unknown_column",
                format!("{role} = '{name}' is not one of the location columns {location:?}"),
            );
        }
    }
    if let (Some(Some(s)), Some(Some(k))) = (strata_at, cluster_at) {
        if k <= s {
            c.report(
                design_at,
                rd.cluster.as_deref().unwrap_or(""),
                "design.cluster_not_nested",
                "the cluster column must be finer than the strata column (later in location)"
                    .into(),
            );
        }
    }
    if let Some(w) = &rd.weight {
        if !valid_id(w) || location.contains(w) {
            c.report(design_at, w, "design.invalid_weight", format!("weight = '{w}' must be a column name of its own, [a-z][a-z0-9_]*, not a location column"));
        }
    }
    let design = Design {
        location,
        strata: rd.strata,
        cluster: rd.cluster,
        weight: rd.weight,
    };

    // Choice lists.
    let mut choice_lists = BTreeMap::new();
    for (name, list) in raw.choices {
        let at = list.span().start;
        let list = list.into_inner();
        if list.is_empty() {
            c.report(
                at,
                &name,
                "choices.empty",
                format!("choice list '{name}' has no choices"),
            );
        }
        let mut values = HashSet::new();
        let mut choices = Vec::new();
        for ch in list {
            let at = ch.span().start;
            let ch = ch.into_inner();
            let value = nfc(&ch.value);
            if value.is_empty() || value.chars().any(char::is_whitespace) {
                c.report(at, &name, "choices.invalid_value", format!("choice value '{value}' in list '{name}' must be non-empty and have no spaces"));
            }
            if !values.insert(value.clone()) {
                c.report(
                    at,
                    &name,
                    "choices.duplicate_value",
                    format!("choice value '{value}' appears twice in list '{name}'"),
                );
            }
            let mut label = ch.label;
            label.normalise();
            c.label(at, &name, &format!("choice '{value}'"), &label, &languages);
            let columns = ch
                .columns
                .into_iter()
                .map(|(k, v)| (nfc(&k), nfc(&v)))
                .collect();
            choices.push(Choice {
                value,
                label,
                columns,
                image: ch.image,
            });
        }
        choice_lists.insert(name, choices);
    }

    // Group headings.
    let mut groups: Vec<Group> = Vec::new();
    for g in raw.groups {
        let at = g.span().start;
        let g = g.into_inner();
        if groups.iter().any(|x| x.id == g.id) {
            c.report(
                at,
                &g.id,
                "group.duplicate_id",
                format!("group '{}' is listed twice", g.id),
            );
        }
        let mut label = g.label;
        label.normalise();
        if !label.0.is_empty() {
            c.label(at, &g.id, &format!("group '{}'", g.id), &label, &languages);
        }
        groups.push(Group {
            id: g.id,
            label,
            appearance: g.appearance,
        });
    }

    // Dimensions and sub-dimensions.
    let mut structure_ids: HashMap<String, usize> = HashMap::new();
    let mut dimensions = Vec::new();
    let mut sub_at = HashMap::new();
    for d in raw.dimensions {
        let at = d.span().start;
        let d = d.into_inner();
        if !valid_id(&d.id) {
            c.report(
                at,
                &d.id,
                "dimension.invalid_id",
                format!("dimension id '{}' must match [a-z][a-z0-9_]*", d.id),
            );
        }
        if structure_ids.insert(d.id.clone(), at).is_some() {
            c.report(
                at,
                &d.id,
                "dimension.duplicate_id",
                format!(
                    "id '{}' is used by more than one dimension or sub-dimension",
                    d.id
                ),
            );
        }
        let mut label = d.label;
        label.normalise();
        c.label(
            at,
            &d.id,
            &format!("dimension '{}'", d.id),
            &label,
            &languages,
        );
        if d.subdimensions.is_empty() {
            c.report(
                at,
                &d.id,
                "dimension.no_subdimensions",
                format!("dimension '{}' has no sub-dimensions", d.id),
            );
        }
        let mut subs = Vec::new();
        for s in d.subdimensions {
            let s_at = s.span().start;
            let s = s.into_inner();
            if !valid_id(&s.id) {
                c.report(
                    s_at,
                    &s.id,
                    "subdimension.invalid_id",
                    format!("sub-dimension id '{}' must match [a-z][a-z0-9_]*", s.id),
                );
            }
            if structure_ids.insert(s.id.clone(), s_at).is_some() {
                c.report(
                    s_at,
                    &s.id,
                    "subdimension.duplicate_id",
                    format!(
                        "id '{}' is used by more than one dimension or sub-dimension",
                        s.id
                    ),
                );
            }
            let mut label = s.label;
            label.normalise();
            c.label(
                s_at,
                &s.id,
                &format!("sub-dimension '{}'", s.id),
                &label,
                &languages,
            );
            sub_at.insert(s.id.clone(), s_at);
            subs.push(Subdimension {
                id: s.id,
                label,
                indicators: Vec::new(),
            });
        }
        dimensions.push(Dimension {
            id: d.id,
            label,
            subdimensions: subs,
        });
    }

    // Questions, in order: skip logic may look only backwards.
    let (questions, question_index) =
        questions(c, raw.questions, &design, &choice_lists, &languages);

    // Indicators.
    let sub_position: HashMap<String, (usize, usize)> = dimensions
        .iter()
        .enumerate()
        .flat_map(|(d, dim)| {
            dim.subdimensions
                .iter()
                .enumerate()
                .map(move |(s, sub)| (sub.id.clone(), (d, s)))
        })
        .collect();
    let mut indicators = Vec::new();
    let mut indicator_ids = HashSet::new();
    // Sub-dimensions some indicator names, even one refused for another reason: a missing question
    // should not also be reported as an empty sub-dimension.
    let mut named_subdimensions = HashSet::new();
    for ind in raw.indicators {
        let at = ind.span().start;
        let ind = ind.into_inner();
        let id = ind.id.clone();
        if id.is_empty() {
            c.report(
                at,
                &id,
                "indicator.invalid_id",
                "an indicator needs an id".into(),
            );
        }
        if !indicator_ids.insert(id.clone()) {
            c.report(
                at,
                &id,
                "indicator.duplicate_id",
                format!("indicator id '{id}' is used twice"),
            );
        }
        let place = sub_position.get(&ind.subdimension).copied();
        named_subdimensions.insert(ind.subdimension.clone());
        if place.is_none() {
            c.report(
                at,
                &id,
                "indicator.unknown_subdimension",
                format!("sub-dimension '{}' does not exist", ind.subdimension),
            );
        }
        let question = question_index.get(&ind.question).copied();
        if question.is_none() {
            c.report(
                at,
                &id,
                "indicator.unknown_question",
                format!("question '{}' does not exist", ind.question),
            );
        }
        let weight = ind.weight.unwrap_or(1.0);
        if !(weight.is_finite() && weight > 0.0) {
            c.report(
                at,
                &id,
                "indicator.invalid_weight",
                format!("weight {weight} must be a positive number"),
            );
        }
        let mut label = ind.label.unwrap_or_default();
        label.normalise();
        if !label.0.is_empty() {
            c.label(at, &id, &format!("indicator '{id}'"), &label, &languages);
        }
        let kinds = [
            ind.values.is_some(),
            ind.range.is_some(),
            ind.any_of.is_some(),
        ];
        let scoring = if kinds.iter().filter(|&&k| k).count() != 1 {
            c.report(
                at,
                &id,
                "indicator.scoring",
                "give exactly one of values, range or any_of".into(),
            );
            None
        } else if let Some(values) = ind.values {
            let values: Vec<(String, f64)> =
                values.into_iter().map(|(k, v)| (nfc(&k), v)).collect();
            for (k, v) in &values {
                if !(0.0..=1.0).contains(v) {
                    c.report(
                        at,
                        &id,
                        "indicator.value_out_of_range",
                        format!("value {v} for '{k}' is outside [0, 1]"),
                    );
                }
            }
            Some(Scoring::Values(values))
        } else if let Some([lo, hi]) = ind.range {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                c.report(
                    at,
                    &id,
                    "indicator.invalid_range",
                    format!("range [{lo}, {hi}] must have lo < hi"),
                );
            }
            Some(Scoring::Range {
                lo,
                hi,
                reverse: ind.reverse.unwrap_or(false),
            })
        } else {
            Some(Scoring::AnyOf(
                ind.any_of
                    .unwrap_or_default()
                    .iter()
                    .map(|s| nfc(s))
                    .collect(),
            ))
        };
        if ind.reverse.is_some() && ind.range.is_none() {
            c.report(
                at,
                &id,
                "indicator.scoring",
                "reverse applies only to range".into(),
            );
        }
        // The scoring must fit the question it reads.
        if let (Some(q), Some(scoring)) = (question, &scoring) {
            let q = &questions[q];
            let fits = match scoring {
                Scoring::Values(_) => {
                    matches!(q.kind, QuestionType::SelectOne | QuestionType::Calculate)
                }
                Scoring::Range { .. } => q.kind.is_numeric(),
                Scoring::AnyOf(_) => q.kind == QuestionType::SelectMultiple,
            };
            if q.repeat.is_some() {
                c.report(at, &id, "indicator.in_repeat", format!(
                    "question '{}' is inside a repeat: an interview has any number of its answers, and an indicator scores one", q.id));
            } else if !fits {
                c.report(at, &id, "indicator.scoring_mismatch", format!(
                    "question '{}' is {}: use values for select_one or calculate, range for integer, decimal, range or calculate, any_of for select_multiple",
                    q.id, q.kind.name()));
            } else if let Some(list) = q.choices.as_ref().and_then(|l| choice_lists.get(l)) {
                let keys: Vec<&String> = match scoring {
                    Scoring::Values(v) => v.iter().map(|(k, _)| k).collect(),
                    Scoring::AnyOf(v) => v.iter().collect(),
                    Scoring::Range { .. } => Vec::new(),
                };
                for k in keys {
                    if !list.iter().any(|ch| &ch.value == k) {
                        c.report(
                            at,
                            &id,
                            "indicator.unknown_choice",
                            format!(
                                "'{k}' is not a choice of question '{}' (list '{}')",
                                q.id,
                                q.choices.as_deref().unwrap_or("")
                            ),
                        );
                    }
                }
            }
        }
        if let (Some((d, s)), Some(question), Some(scoring)) = (place, question, scoring) {
            dimensions[d].subdimensions[s]
                .indicators
                .push(indicators.len());
            indicators.push(Indicator {
                id,
                dimension: d,
                subdimension: s,
                question,
                label,
                weight,
                scoring,
            });
        }
    }
    for dim in &dimensions {
        for sub in &dim.subdimensions {
            if sub.indicators.is_empty() && !named_subdimensions.contains(&sub.id) {
                let at = sub_at.get(&sub.id).copied().unwrap_or(0);
                c.report(
                    at,
                    &sub.id,
                    "subdimension.no_indicators",
                    format!("sub-dimension '{}' has no indicators", sub.id),
                );
            }
        }
    }

    // Baseline.
    let baseline = raw.baseline.map(|b| {
        let at = b.span().start;
        let b = b.into_inner();
        let mut label = b.label;
        label.normalise();
        c.label(at, "baseline", "the baseline", &label, &languages);
        for (id, v) in &b.dimensions {
            if !dimensions.iter().any(|d| &d.id == id) {
                c.report(
                    at,
                    id,
                    "baseline.unknown_dimension",
                    format!("dimension '{id}' does not exist"),
                );
            }
            if !(1.0..=10.0).contains(v) {
                c.report(
                    at,
                    id,
                    "baseline.out_of_range",
                    format!("score {v} of '{id}' is outside [1, 10]"),
                );
            }
        }
        let mut scores = Vec::new();
        for d in &dimensions {
            match b.dimensions.get(&d.id) {
                Some(v) => scores.push(*v),
                None => c.report(
                    at,
                    &d.id,
                    "baseline.missing_dimension",
                    format!("the baseline has no score for dimension '{}'", d.id),
                ),
            }
        }
        let sum: f64 = b.dimensions.values().sum();
        if (sum - b.total).abs() > 0.01 {
            c.report(
                at,
                "baseline",
                "baseline.total_mismatch",
                format!(
                    "total {} is not the sum of the dimensions ({sum:.4})",
                    b.total
                ),
            );
        }
        let standard_errors = baseline_standard_errors(c, &b.standard_errors, &dimensions);
        Baseline {
            label,
            province: b.province.map(|p| nfc(&p)),
            year: b.year,
            total: b.total,
            dimensions: scores,
            standard_errors,
        }
    });

    if dimensions.is_empty() && !indicators.is_empty() {
        c.report(
            0,
            "",
            "definition.no_dimensions",
            "indicators need dimensions".into(),
        );
    }

    Survey {
        id: rs.id,
        version: nfc(&rs.version),
        title,
        languages,
        design,
        baseline,
        choice_lists,
        groups,
        dimensions,
        questions,
        indicators,
        question_index,
        hash: hex::encode(Sha256::digest(source.as_bytes())),
        source: source.to_owned(),
    }
}
