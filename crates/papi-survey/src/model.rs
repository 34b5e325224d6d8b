//! The checked survey model: what the rest of papi reads.

use std::collections::{BTreeMap, HashMap};

use crate::expr::Expr;
use crate::text::Label;

/// A loaded, consistent survey definition. Build one with [`Survey::load`] or [`Survey::from_toml`].
#[derive(Debug, Clone)]
pub struct Survey {
    pub id: String,
    pub version: String,
    pub title: Label,
    /// The first is the default language.
    pub languages: Vec<String>,
    pub design: Design,
    pub baseline: Option<Baseline>,
    pub choice_lists: BTreeMap<String, Vec<Choice>>,
    pub dimensions: Vec<Dimension>,
    pub questions: Vec<Question>,
    pub indicators: Vec<Indicator>,
    pub(crate) question_index: HashMap<String, usize>,
    /// SHA-256 of the definition file, in hex: names the exact definition a score run used.
    pub hash: String,
    /// The TOML text, kept so that storage can record the definition an interview answered.
    pub source: String,
}

/// The columns of an interview that carry the sample design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Design {
    /// Geography, coarse to fine (`province`, `district`, `commune`, `village`).
    pub location: Vec<String>,
    pub strata: Option<String>,
    pub cluster: Option<String>,
    pub weight: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub label: Label,
    pub province: Option<String>,
    pub year: Option<i32>,
    pub total: f64,
    /// One score per dimension, in the order of [`Survey::dimensions`].
    pub dimensions: Vec<f64>,
    /// The baseline's own sampling error, where the definition gives it.
    pub standard_errors: BaselineStandardErrors,
}

/// Standard errors of the baseline's scores (`[baseline.standard_errors]`). The baseline comes from an
/// independent sample, so a change from it carries both errors; where none is given the baseline is
/// treated as exact, and reports say so.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaselineStandardErrors {
    pub total: Option<f64>,
    /// One per dimension, in the order of [`Survey::dimensions`]; `None` where not given.
    pub dimensions: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub id: String,
    pub label: Label,
    pub subdimensions: Vec<Subdimension>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subdimension {
    pub id: String,
    pub label: Label,
    /// Positions in [`Survey::indicators`].
    pub indicators: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionType {
    SelectOne,
    SelectMultiple,
    Integer,
    Decimal,
    Text,
    Date,
}

impl QuestionType {
    pub fn parse(s: &str) -> Option<QuestionType> {
        Some(match s {
            "select_one" => QuestionType::SelectOne,
            "select_multiple" => QuestionType::SelectMultiple,
            "integer" => QuestionType::Integer,
            "decimal" => QuestionType::Decimal,
            "text" => QuestionType::Text,
            "date" => QuestionType::Date,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            QuestionType::SelectOne => "select_one",
            QuestionType::SelectMultiple => "select_multiple",
            QuestionType::Integer => "integer",
            QuestionType::Decimal => "decimal",
            QuestionType::Text => "text",
            QuestionType::Date => "date",
        }
    }

    pub fn is_select(self) -> bool {
        matches!(self, QuestionType::SelectOne | QuestionType::SelectMultiple)
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub kind: QuestionType,
    /// The choice list name, for select questions.
    pub choices: Option<String>,
    pub label: Label,
    pub hint: Option<Label>,
    pub group: Option<String>,
    pub required: bool,
    pub relevant_source: Option<String>,
    pub relevant: Option<Expr>,
    pub constraint_source: Option<String>,
    pub constraint: Option<Expr>,
    pub constraint_message: Option<Label>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    /// Position in [`Survey::dimensions`].
    pub dimension: usize,
    /// Position in that dimension's sub-dimensions.
    pub subdimension: usize,
    /// Position in [`Survey::questions`].
    pub question: usize,
    pub label: Label,
    pub weight: f64,
    pub scoring: Scoring,
}

/// How an answer becomes a score in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    /// select_one: choice → score; unlisted choices are missing.
    Values(Vec<(String, f64)>),
    /// integer/decimal: (x − lo)/(hi − lo) clipped to [0, 1], or one minus that.
    Range { lo: f64, hi: f64, reverse: bool },
    /// select_multiple: 1 if any listed choice is selected, else 0.
    AnyOf(Vec<String>),
}

impl Survey {
    /// The position of a question by id.
    pub fn question_position(&self, id: &str) -> Option<usize> {
        self.question_index.get(id).copied()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_position(id).map(|i| &self.questions[i])
    }

    pub fn choices_of(&self, q: &Question) -> &[Choice] {
        q.choices
            .as_ref()
            .and_then(|l| self.choice_lists.get(l))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn subdimension_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.subdimensions.len()).sum()
    }

    /// The default language (the first listed).
    pub fn default_language(&self) -> &str {
        self.languages.first().map(String::as_str).unwrap_or("vi")
    }
}
