//! The sample design of papi: sampling frames as data, and PAPI-style multi-stage draws from them.
//!
//! A [`Frame`] is a province, its location levels below it (coarse to fine) and nested units with a
//! measure of size, read from TOML or from a CSV of PSUs and checked with every problem listed. A
//! [`draw`] selects units stage by stage under a [`Plan`]: the strata all taken, then within each
//! stratum or selected parent the units marked certainty and the rest by systematic PPS or simple
//! random sampling. The [`Sample`] records every unit considered with its inclusion probability, and
//! the selected places with their base design weights; [`Sample::weights`] adjusts them for
//! non-response.
//!
//! This crate does no IO beyond [`Frame::load`], which reads one file: it knows nothing of HTTP, SQL
//! or the CLI.
//!
//! ```no_run
//! use papi_sample::{draw, DrawOptions, Frame};
//! let frame = Frame::load("survey-defs/frames/binh-dinh.toml".as_ref())?;
//! let sample = draw(&frame, &DrawOptions { seed: 7, ..DrawOptions::default() })?;
//! println!("{} places, {} interviews planned", sample.places.len(),
//!     sample.places.iter().map(|p| p.planned).sum::<usize>());
//! # Ok::<(), papi_sample::FrameError>(())
//! ```

mod check;
mod csv_frame;
mod draw;
mod error;
mod frame;
mod location;
mod name;
mod plan;
mod probability;
mod sample;
mod scale;

pub use draw::{draw, DrawOptions};
pub use error::{FrameError, Problem};
pub use frame::{Frame, Unit};
pub use name::MAX_NAME_CHARS;
pub use plan::{Method, Plan, Stage};
pub use probability::inclusion_probabilities;
pub use sample::{DrawnUnit, Place, PsuRow, Sample};

#[cfg(test)]
mod tests;
