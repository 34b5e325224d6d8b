//! Loading a survey definition: TOML in, a checked [`Survey`] out, or every problem at once.
//!
//! This file holds the definition as written (the raw TOML structures, with their spans) and the
//! checker that collects problems against the file; `survey.rs` builds the survey around its
//! questions (header, design, choice lists, groups, dimensions, indicators, baseline), and
//! `questions.rs` checks the questions in order, with their expressions.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{DefinitionError, Problem};
use crate::model::*;
use crate::text::Label;

mod questions;
mod survey;

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
        let survey = survey::build(&mut c, raw, source);
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
