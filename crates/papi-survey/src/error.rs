//! Typed errors with stable codes.

use std::fmt;

use serde::Serialize;

/// One inconsistency in a survey definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line in the file; 0 when the problem is the file itself.
    pub line: usize,
    /// The id of the survey part concerned (question, indicator, dimension...), or empty.
    pub id: String,
    /// A stable machine code, e.g. `indicator.unknown_question`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if !self.id.is_empty() {
            write!(f, "[{}] ", self.id)?;
        }
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// A definition refused at load time, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the survey definition has {} problem(s) and was not loaded:",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionError {}

/// One broken rule in an interview: which field, which rule, and a message in Vietnamese and English.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the field: `answers.d101`, `location.district`, `id`, `finished_at`...
    pub field: String,
    /// The question id, for errors about an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Stable machine code of the rule, e.g. `answer.required`, `answer.not_relevant`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub rule: &'static str,
    /// The message in Vietnamese (`vi`) and English (`en`).
    pub message: crate::text::Label,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &'static str, vi: String, en: String) -> FieldError {
        FieldError {
            field: field.into(),
            question: None,
            rule,
            message: crate::text::Label::new(&vi, &en),
        }
    }

    pub fn answer(question: &str, rule: &'static str, vi: String, en: String) -> FieldError {
        FieldError {
            question: Some(question.to_owned()),
            ..FieldError::new(format!("answers.{question}"), rule, vi, en)
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.field,
            self.message.get("en"),
            self.rule
        )
    }
}

/// An interview that breaks its definition, with every field error found.
#[derive(Debug, Clone, PartialEq)]
pub struct InterviewError {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for InterviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the interview has {} error(s): ", self.errors.len())?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InterviewError {}
