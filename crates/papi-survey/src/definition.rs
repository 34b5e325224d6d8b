//! Loading a survey definition: TOML in, a checked [`Survey`] out, or every problem at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::error::{DefinitionError, Problem};
use crate::expr::{self, Expr};
use crate::model::*;
use crate::text::{nfc, Label};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    survey: Spanned<RawSurvey>,
    #[serde(default)]
    design: Option<Spanned<RawDesign>>,
    baseline: Option<Spanned<RawBaseline>>,
    #[serde(default)]
    choices: BTreeMap<String, Spanned<Vec<Spanned<RawChoice>>>>,
    #[serde(default)]
    groups: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    dimensions: Vec<Spanned<RawDimension>>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
    #[serde(default)]
    indicators: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    id: String,
    version: String,
    title: Label,
    languages: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDesign {
    #[serde(default)]
    location: Vec<String>,
    strata: Option<String>,
    cluster: Option<String>,
    weight: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    label: Label,
    province: Option<String>,
    year: Option<i32>,
    total: f64,
    dimensions: BTreeMap<String, f64>,
    /// `total` and dimension ids → the standard error of that baseline score.
    #[serde(default)]
    standard_errors: BTreeMap<String, Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    value: String,
    label: Label,
    /// Further columns of the choices sheet, read by choice filters.
    #[serde(default)]
    columns: BTreeMap<String, String>,
    image: Option<Label>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: String,
    #[serde(default)]
    label: Label,
    appearance: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    id: String,
    label: Label,
    #[serde(default)]
    subdimensions: Vec<Spanned<RawSubdimension>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubdimension {
    id: String,
    label: Label,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    choices: Option<String>,
    /// Every shown question has one; calculations, device metadata and repeats may go without.
    #[serde(default)]
    label: Label,
    hint: Option<Label>,
    group: Option<String>,
    repeat: Option<String>,
    #[serde(default)]
    required: bool,
    required_if: Option<String>,
    required_message: Option<Label>,
    relevant: Option<String>,
    constraint: Option<String>,
    constraint_message: Option<Label>,
    calculation: Option<String>,
    choice_filter: Option<String>,
    repeat_count: Option<String>,
    default: Option<String>,
    appearance: Option<String>,
    #[serde(default)]
    read_only: bool,
    guidance_hint: Option<Label>,
    parameters: Option<String>,
    image: Option<Label>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    subdimension: String,
    question: String,
    label: Option<Label>,
    weight: Option<f64>,
    values: Option<BTreeMap<String, f64>>,
    range: Option<[f64; 2]>,
    reverse: Option<bool>,
    any_of: Option<Vec<String>>,
}

/// Collects problems against the file being loaded.
struct Checker<'a> {
    file: String,
    source: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        self.source[..offset.min(self.source.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn report(&mut self, offset: usize, id: &str, code: &'static str, message: String) {
        self.problems.push(Problem {
            file: self.file.clone(),
            line: self.line(offset),
            id: id.to_owned(),
            code,
            message,
        });
    }

    fn label(&mut self, offset: usize, id: &str, what: &str, label: &Label, languages: &[String]) {
        for lang in languages {
            if label.0.get(lang).is_none_or(|t| t.trim().is_empty()) {
                self.report(
                    offset,
                    id,
                    "label.missing_language",
                    format!("{what} has no text in language '{lang}'"),
                );
            }
        }
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Survey {
    /// Reads and checks the definition at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Survey, DefinitionError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|e| DefinitionError {
            problems: vec![Problem {
                file: path.display().to_string(),
                line: 0,
                id: String::new(),
                code: "file.unreadable",
                message: format!("cannot read the definition: {e}"),
            }],
        })?;
        Survey::from_toml(&source, &path.display().to_string())
    }

    /// Checks a definition given as TOML text; `file` names it in problems.
    pub fn from_toml(source: &str, file: &str) -> Result<Survey, DefinitionError> {
        let mut c = Checker {
            file: file.to_owned(),
            source,
            problems: Vec::new(),
        };
        let raw: RawDefinition = match toml::from_str(source) {
            Ok(raw) => raw,
            Err(e) => {
                let offset = e.span().map(|s| s.start).unwrap_or(0);
                c.report(offset, "", "toml.invalid", e.message().trim().to_owned());
                return Err(DefinitionError {
                    problems: c.problems,
                });
            }
        };
        let survey = build(&mut c, raw, source);
        if c.problems.is_empty() {
            Ok(survey)
        } else {
            c.problems.sort_by_key(|p| p.line);
            Err(DefinitionError {
                problems: c.problems,
            })
        }
    }
}

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

fn build(c: &mut Checker, raw: RawDefinition, source: &str) -> Survey {
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

/// The questions of a definition, checked in order, and their positions by id.
fn questions(
    c: &mut Checker,
    raw: Vec<Spanned<RawQuestion>>,
    design: &Design,
    choice_lists: &BTreeMap<String, Vec<Choice>>,
    languages: &[String],
) -> (Vec<Question>, HashMap<String, usize>) {
    let all_ids: HashSet<String> = raw.iter().map(|q| q.get_ref().id.clone()).collect();
    let mut questions: Vec<Question> = Vec::new();
    let mut question_index: HashMap<String, usize> = HashMap::new();
    for q in raw {
        let at = q.span().start;
        let q = q.into_inner();
        let position = questions.len();
        if !valid_id(&q.id) {
            c.report(
                at,
                &q.id,
                "question.invalid_id",
                format!("question id '{}' must match [a-z][a-z0-9_]*", q.id),
            );
        }
        if question_index.contains_key(&q.id) {
            c.report(
                at,
                &q.id,
                "question.duplicate_id",
                format!("question id '{}' is used twice", q.id),
            );
        }
        if design.location.contains(&q.id)
            || design.weight.as_deref() == Some(q.id.as_str())
            || q.id == "id"
        {
            c.report(
                at,
                &q.id,
                "question.reserved_id",
                format!("question id '{}' is a design column or 'id'", q.id),
            );
        }
        let kind = match QuestionType::parse(&q.kind) {
            Some(k) => k,
            None => {
                c.report(
                    at,
                    &q.id,
                    "question.unknown_type",
                    format!(
                        "type '{}' is not one of {}",
                        q.kind,
                        QuestionType::names().collect::<Vec<_>>().join(", ")
                    ),
                );
                QuestionType::Text
            }
        };
        match (&q.choices, kind.is_select()) {
            (None, true) => c.report(
                at,
                &q.id,
                "question.missing_choices",
                format!("a {} question needs a choice list", q.kind),
            ),
            (Some(list), true) if !choice_lists.contains_key(list) => c.report(
                at,
                &q.id,
                "question.unknown_choices",
                format!("choice list '{list}' does not exist"),
            ),
            (Some(_), false) => c.report(
                at,
                &q.id,
                "question.unexpected_choices",
                format!("a {} question takes no choice list", q.kind),
            ),
            _ => {}
        }
        // Which settings belong to which types.
        let only = |c: &mut Checker, given: bool, allowed: bool, setting: &str, types: &str| {
            if given && !allowed {
                c.report(
                    at,
                    &q.id,
                    "question.setting_not_for_type",
                    format!("{setting} applies to {types} questions, not to {}", q.kind),
                );
            }
        };
        only(
            c,
            q.calculation.is_some(),
            kind == QuestionType::Calculate,
            "calculation",
            "calculate",
        );
        only(
            c,
            q.choice_filter.is_some(),
            kind.is_select(),
            "choice_filter",
            "select_one and select_multiple",
        );
        only(
            c,
            q.repeat_count.is_some(),
            kind == QuestionType::Repeat,
            "repeat_count",
            "repeat",
        );
        if kind == QuestionType::Calculate && q.calculation.is_none() {
            c.report(
                at,
                &q.id,
                "question.missing_calculation",
                format!("calculate question '{}' needs a calculation", q.id),
            );
        }
        if kind == QuestionType::Note && q.required {
            c.report(
                at,
                &q.id,
                "question.required_note",
                format!("note '{}' takes no answer, so it cannot be required", q.id),
            );
        }

        // The repeat a question belongs to: an earlier repeat, with nothing else in between.
        let repeat = q.repeat.as_ref().and_then(|r| {
            let found = question_index.get(r).copied();
            match found {
                Some(p) if questions[p].kind == QuestionType::Repeat => {
                    let contiguous = questions[p + 1..].iter().all(|x| x.repeat == Some(p));
                    if !contiguous {
                        c.report(at, &q.id, "question.repeat_not_contiguous", format!(
                            "question '{}' is in repeat '{r}', but questions outside it come between: a repeat's questions follow it"
                            , q.id));
                    }
                    Some(p)
                }
                _ => {
                    c.report(
                        at,
                        &q.id,
                        "question.unknown_repeat",
                        format!("repeat '{r}' is not an earlier question of type repeat"),
                    );
                    None
                }
            }
        });
        if kind == QuestionType::Repeat && repeat.is_some() {
            c.report(
                at,
                &q.id,
                "question.nested_repeat",
                format!(
                    "repeat '{}' is inside another repeat: papi keeps one level of repeats",
                    q.id
                ),
            );
        }

        // A question may go by its hint alone, as in XLSForm.
        let labelled = !(kind == QuestionType::Calculate
            || kind == QuestionType::Repeat
            || kind.is_metadata()
            || (q.label.0.is_empty() && q.hint.is_some()));
        let mut label = q.label;
        label.normalise();
        if labelled || !label.0.is_empty() {
            c.label(
                at,
                &q.id,
                &format!("question '{}'", q.id),
                &label,
                languages,
            );
        }
        let mut texts = vec![label.clone()];
        let mut optional_label = |c: &mut Checker, what: &str, l: Option<Label>| {
            l.map(|mut h| {
                h.normalise();
                c.label(
                    at,
                    &q.id,
                    &format!("the {what} of question '{}'", q.id),
                    &h,
                    languages,
                );
                texts.push(h.clone());
                h
            })
        };
        let hint = optional_label(c, "hint", q.hint);
        let constraint_message = optional_label(c, "constraint message", q.constraint_message);
        let required_message = optional_label(c, "required message", q.required_message);
        let guidance_hint = optional_label(c, "guidance hint", q.guidance_hint);
        // `${name}` in a text is shown as that answer: the name must be a question.
        for text in &texts {
            for t in text.0.values() {
                for name in label_references(t) {
                    if !all_ids.contains(name) {
                        c.report(
                            at,
                            &q.id,
                            "label.unknown_reference",
                            format!(
                                "'${{{name}}}' in the text of question '{}' is not a question",
                                q.id
                            ),
                        );
                    }
                }
            }
        }

        let earlier = |name: &str| -> Result<usize, String> {
            match question_index.get(name) {
                Some(&i) => Ok(i),
                None if name == q.id => Err(format!(
                    "question '{name}' cannot refer to itself (use '.')"
                )),
                None => Err(format!("'{name}' is not an earlier question")),
            }
        };
        let expression = |c: &mut Checker,
                          column: &str,
                          code: &'static str,
                          src: &Option<String>| {
            let src = src.as_deref()?;
            let parsed = match column {
                "choice_filter" => {
                    let mut columns = vec!["name".to_owned(), "label".to_owned()];
                    if let Some(list) = q.choices.as_ref().and_then(|l| choice_lists.get(l)) {
                        for ch in list {
                            for k in ch.columns.keys() {
                                if !columns.contains(k) {
                                    columns.push(k.clone());
                                }
                            }
                        }
                    }
                    expr::parse_choice_filter(&nfc(src), &earlier, &columns)
                }
                _ => expr::parse(&nfc(src), &earlier),
            };
            let checked = parsed.map_err(|e| e.to_string()).and_then(|e| {
                if column != "constraint" && e.uses_current() {
                    return Err(format!("{column} cannot use '.', the question's own answer"));
                }
                if column != "calculation" && e.uses_device_values() {
                    return Err("once(), uuid() and random() give values only the device knows: use them in a calculation".to_owned());
                }
                repeat_references(&e, &questions, repeat, false)?;
                Ok(e)
            });
            match checked {
                Ok(e) => Some(e),
                Err(e) => {
                    // `required` given as an expression is kept as `required_if`.
                    let shown = if column == "required_if" {
                        "required"
                    } else {
                        column
                    };
                    c.report(at, &q.id, code, format!("{shown} \"{src}\": {e}"));
                    None
                }
            }
        };
        let relevant = expression(c, "relevant", "question.invalid_relevant", &q.relevant);
        let required_if = expression(
            c,
            "required_if",
            "question.invalid_required",
            &q.required_if,
        );
        let constraint = expression(
            c,
            "constraint",
            "question.invalid_constraint",
            &q.constraint,
        );
        let calculation = expression(
            c,
            "calculation",
            "question.invalid_calculation",
            &q.calculation,
        );
        let choice_filter = expression(
            c,
            "choice_filter",
            "question.invalid_choice_filter",
            &q.choice_filter,
        );
        let repeat_count = expression(
            c,
            "repeat_count",
            "question.invalid_repeat_count",
            &q.repeat_count,
        );

        let question = Question {
            id: q.id,
            kind,
            choices: q.choices,
            label,
            hint,
            group: q.group,
            repeat,
            required: q.required,
            required_if_source: q.required_if,
            required_if,
            required_message,
            relevant_source: q.relevant,
            relevant,
            constraint_source: q.constraint,
            constraint,
            constraint_message,
            calculation_source: q.calculation,
            calculation,
            choice_filter_source: q.choice_filter,
            choice_filter,
            repeat_count_source: q.repeat_count,
            repeat_count,
            default: q.default.map(|d| nfc(&d)),
            appearance: q.appearance,
            read_only: q.read_only,
            guidance_hint,
            parameters: q.parameters,
            image: q.image,
        };
        check_parameters(c, at, &question);
        check_default(c, at, &question, choice_lists);
        question_index
            .entry(question.id.clone())
            .or_insert(position);
        questions.push(question);
    }
    (questions, question_index)
}

/// The names of `${name}` in a text.
pub(crate) fn label_references(text: &str) -> impl Iterator<Item = &str> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.trim()))
}

/// An answer inside a repeat is read from the same repetition, or across all of them by `count()`,
/// `sum()`, `min()` or `max()`: anything else has no single value.
fn repeat_references(
    e: &Expr,
    questions: &[Question],
    repeat: Option<usize>,
    aggregated: bool,
) -> Result<(), String> {
    use crate::expr::Function as F;
    match e {
        Expr::Answer(p) => {
            let q = &questions[*p];
            let inside = q.repeat.or((q.kind == QuestionType::Repeat).then_some(*p));
            match inside {
                Some(r) if Some(r) != repeat && !aggregated && q.kind != QuestionType::Repeat => {
                    Err(format!(
                        "'{}' is inside repeat '{}': read it with count(), sum(), min() or max()",
                        q.id, questions[r].id
                    ))
                }
                _ => Ok(()),
            }
        }
        Expr::Call(F::Sum | F::Count | F::Min | F::Max, args) if args.len() == 1 => {
            repeat_references(&args[0], questions, repeat, true)
        }
        Expr::Call(_, args) => args
            .iter()
            .try_for_each(|a| repeat_references(a, questions, repeat, false)),
        Expr::Negate(x) | Expr::Not(x) | Expr::Regex(x, _) => {
            repeat_references(x, questions, repeat, false)
        }
        Expr::Binary(_, l, r) => {
            repeat_references(l, questions, repeat, false)?;
            repeat_references(r, questions, repeat, false)
        }
        _ => Ok(()),
    }
}

/// `parameters` of a range: start, end and step, numbers with start < end and step > 0.
fn check_parameters(c: &mut Checker, at: usize, q: &Question) {
    let Some(p) = &q.parameters else { return };
    if q.kind != QuestionType::Range {
        return;
    }
    for part in p.split_whitespace() {
        let ok = part.split_once('=').is_some_and(|(k, v)| {
            matches!(k.trim(), "start" | "end" | "step")
                && v.trim().parse::<f64>().is_ok_and(f64::is_finite)
        });
        if !ok {
            c.report(at, &q.id, "question.invalid_parameters", format!(
                "parameters '{p}' of range question '{}': each must be start=, end= or step= a number", q.id));
            return;
        }
    }
    let (start, end, step) = q.range_scale();
    if start == end || step <= 0.0 || step > (end - start).abs() {
        c.report(at, &q.id, "question.invalid_parameters", format!(
            "range question '{}': start {start} and end {end} must differ, and step {step} be above 0 and at most their distance", q.id));
    }
}

/// A `default` must be an answer the question could take.
fn check_default(
    c: &mut Checker,
    at: usize,
    q: &Question,
    choice_lists: &BTreeMap<String, Vec<Choice>>,
) {
    let Some(d) = &q.default else { return };
    let choices = q.choices.as_ref().and_then(|l| choice_lists.get(l));
    let is_choice = |v: &str| choices.is_some_and(|l| l.iter().any(|ch| ch.value == v));
    let ok = match q.kind.answer_kind() {
        AnswerKind::Choice => is_choice(d),
        AnswerKind::Choices => d.split_whitespace().all(is_choice),
        AnswerKind::Integer => d.trim().parse::<i64>().is_ok(),
        AnswerKind::Decimal => d.trim().parse::<f64>().is_ok_and(f64::is_finite),
        AnswerKind::Date => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").is_ok(),
        AnswerKind::Text => true,
        AnswerKind::Calculated | AnswerKind::Nothing | AnswerKind::Repeat => false,
    };
    if !ok {
        c.report(
            at,
            &q.id,
            "question.invalid_default",
            format!(
                "default '{d}' is not an answer {} question '{}' can take",
                q.kind.name(),
                q.id
            ),
        );
    }
}
