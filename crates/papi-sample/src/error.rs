//! Typed errors with stable codes: a frame or a plan is refused with every problem found at once.

use std::fmt;

use serde::Serialize;

/// One broken rule in a sampling frame or in the plan drawn from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The frame's file, as it was named when loaded.
    pub file: String,
    /// 1-based line in the file; 0 when the problem has no line (a plan given when drawing).
    pub line: usize,
    /// The unit concerned, as its path of names ("Quy Nhơn / Phường 01"), or empty.
    pub unit: String,
    /// A stable machine code, e.g. `frame.duplicate_unit`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.file, self.line)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if !self.unit.is_empty() {
            write!(f, "[{}] ", self.unit)?;
        }
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Why a frame could not be loaded, a sample not drawn, or a stored sample not read.
#[derive(thiserror::Error, Debug)]
pub enum FrameError {
    /// The file could not be read at all.
    #[error("{file}: cannot read the sampling frame: {message} (frame.unreadable)")]
    Unreadable { file: String, message: String },
    /// The frame or the plan breaks rules: every problem, one per line.
    #[error("{}", list(.problems))]
    Invalid { problems: Vec<Problem> },
    /// A stored sample that is not the JSON of a drawn sample.
    #[error("the sample is not the JSON of a drawn sample: {0} (sample.json)")]
    Json(String),
}

fn list(problems: &[Problem]) -> String {
    let mut text = String::new();
    if problems.len() > 1 {
        text.push_str(&format!("{} problems:", problems.len()));
    }
    for p in problems {
        if !text.is_empty() {
            text.push_str("\n  ");
        }
        text.push_str(&p.to_string());
    }
    text
}

impl FrameError {
    /// A stable machine code; for a refused frame, the code of its first problem (each problem
    /// carries its own).
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::Unreadable { .. } => "frame.unreadable",
            FrameError::Invalid { problems } => {
                problems.first().map_or("frame.invalid", |p| p.code)
            }
            FrameError::Json(_) => "sample.json",
        }
    }

    /// The problems behind a refusal (one for the variants that carry no list).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            FrameError::Invalid { problems } => problems.clone(),
            FrameError::Unreadable { file, message } => vec![Problem {
                file: file.clone(),
                line: 0,
                unit: String::new(),
                code: self.code(),
                message: message.clone(),
            }],
            FrameError::Json(message) => vec![Problem {
                file: String::new(),
                line: 0,
                unit: String::new(),
                code: self.code(),
                message: message.clone(),
            }],
        }
    }
}

/// Collects problems against one file, turning byte offsets into lines.
pub(crate) struct Problems<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub found: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a str, source: &'a str) -> Problems<'a> {
        Problems {
            file,
            source,
            found: Vec::new(),
        }
    }

    /// The 1-based line of a byte offset in the source.
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.source.len());
        self.source.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    pub fn at_line(&mut self, line: usize, unit: &[String], code: &'static str, message: String) {
        self.found.push(Problem {
            file: self.file.to_owned(),
            line,
            unit: unit.join(" / "),
            code,
            message,
        });
    }

    /// The problems found, by line, or `Ok` when there are none.
    pub fn finish(self) -> Result<(), FrameError> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// The problems found (at least one), by line, as one error.
    pub fn into_error(mut self) -> FrameError {
        // A stable sort: problems on one line keep the order they were found in.
        self.found.sort_by_key(|p| p.line);
        FrameError::Invalid {
            problems: self.found,
        }
    }
}
