//! Parquet: the flat layout typed as `papi score` reads it (numbers as numbers, the rest as text),
//! compressed with zstd, one row group per [`ROWS_PER_GROUP`] interviews.

use std::fs::File;

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::ParquetRows;

use crate::{ExportError, Format, PageWriter, REVIEW_STATE};

/// Interviews per row group: large enough to compress well, small enough to keep memory flat.
const ROWS_PER_GROUP: usize = 10_000;

pub(crate) struct ParquetPages<'a> {
    rows: ParquetRows<'a, File>,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Parquet, e)
}

impl<'a> ParquetPages<'a> {
    pub(crate) fn new(survey: &'a Survey, file: File) -> Result<ParquetPages<'a>, ExportError> {
        let rows = ParquetRows::new(survey, file, &[REVIEW_STATE], ROWS_PER_GROUP).map_err(err)?;
        Ok(ParquetPages { rows })
    }
}

impl PageWriter for ParquetPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        for s in page {
            self.rows
                .push(&s.interview, &[s.review_state.as_str()])
                .map_err(err)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        self.rows.finish().map_err(err)
    }
}
