//! The survey model of papi: survey definitions (TOML, in XLSForm's vocabulary), the check of an
//! interview against its definition, and the official PAPI reference table.
//!
//! This crate knows nothing of HTTP, SQL or files other than the ones it is asked to read: the
//! collection service, the storage, the simulator and the scoring engine all build on it.
//!
//! ```no_run
//! let survey = papi_survey::Survey::load("survey-defs/papi-2019.toml")?;
//! println!("{} indicators", survey.indicators.len());
//! # Ok::<(), papi_survey::DefinitionError>(())
//! ```

mod definition;
pub mod error;
pub mod expr;
pub mod interview;
mod model;
pub mod plan;
pub mod quality;
pub mod reference;
mod stored;
pub mod text;

pub use error::{DefinitionError, FieldError, InterviewError, Problem};
pub use interview::{Answer, Answers, Interview, Submission, SurveyRef};
pub use model::*;
pub use reference::{ReferenceTable, PAPI_DIMENSIONS};
pub use text::{nfc, replace_references, Label};
