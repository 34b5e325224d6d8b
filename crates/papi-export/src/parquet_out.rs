//! Parquet: the flat layout typed as `papi score` reads it (numbers as numbers, the rest as text),
//! compressed with zstd, one row group per [`ROWS_PER_GROUP`] interviews.

use std::fs::File;

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::{schema, FrameBuilder};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;

use crate::{ExportError, Format, PageWriter, REVIEW_STATE};

/// Interviews per row group: large enough to compress well, small enough to keep memory flat.
const ROWS_PER_GROUP: usize = 10_000;

pub(crate) struct ParquetPages<'a> {
    frame: FrameBuilder<'a>,
    states: Vec<String>,
    writer: BatchedWriter<File>,
    groups: usize,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Parquet, e)
}

impl<'a> ParquetPages<'a> {
    pub(crate) fn new(survey: &'a Survey, file: File) -> Result<ParquetPages<'a>, ExportError> {
        let mut schema = schema(survey);
        schema.with_column(REVIEW_STATE.into(), DataType::String);
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(&schema)
            .map_err(err)?;
        Ok(ParquetPages {
            frame: FrameBuilder::new(survey),
            states: Vec::new(),
            writer,
            groups: 0,
        })
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        let mut df = self.frame.take().map_err(err)?;
        let states = std::mem::take(&mut self.states);
        df.with_column(Column::new(REVIEW_STATE.into(), states))
            .map_err(err)?;
        self.groups += 1;
        self.writer.write_batch(&df).map_err(err)
    }
}

impl PageWriter for ParquetPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        for s in page {
            self.frame.push(&s.interview);
            self.states.push(s.review_state.clone());
        }
        if self.frame.len() >= ROWS_PER_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        // The last rows, or an empty file's schema.
        if !self.frame.is_empty() || self.groups == 0 {
            self.flush()?;
        }
        self.writer.finish().map_err(err)?;
        Ok(())
    }
}
