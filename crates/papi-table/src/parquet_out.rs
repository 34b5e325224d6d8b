//! Writing interviews as Parquet in the flat layout, typed as `papi score` reads it (whole numbers as
//! Int64, decimals and the weight as Float64, the rest as text), compressed with zstd, one row group
//! per batch of rows so that memory stays flat in the number of interviews.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use papi_survey::{Answer, Interview, Survey};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{columns, question_type, time, weight_column, ColumnType, TableError};

/// A Parquet file of interviews, written a row group at a time.
pub struct ParquetRows<'a, W: Write + Send> {
    survey: &'a Survey,
    schema: SchemaRef,
    writer: ArrowWriter<W>,
    rows_per_group: usize,
    buffered: usize,
    /// id, location..., enumerator, started_at, finished_at, then the extra columns.
    text: Vec<StringBuilder>,
    weight: Float64Builder,
    answers: Vec<AnswerBuilder>,
    extra: usize,
}

enum AnswerBuilder {
    Text(StringBuilder),
    Whole(Int64Builder),
    Number(Float64Builder),
}

fn write_error(e: impl std::fmt::Display) -> TableError {
    TableError::Write(e.to_string())
}

impl<'a, W: Write + Send> ParquetRows<'a, W> {
    /// A writer of the flat layout of `survey` followed by the text columns `extra` (such as the
    /// review state), `rows_per_group` interviews to a row group.
    pub fn new(
        survey: &'a Survey,
        out: W,
        extra: &[&str],
        rows_per_group: usize,
    ) -> Result<Self, TableError> {
        let loc = survey.design.location.len();
        let mut fields = Vec::new();
        for (i, name) in columns(survey).iter().enumerate() {
            let ty = if i == loc + 1 {
                debug_assert_eq!(name, weight_column(survey));
                DataType::Float64
            } else if i >= loc + 5 {
                match question_type(survey.questions[i - loc - 5].kind) {
                    ColumnType::Whole => DataType::Int64,
                    ColumnType::Number => DataType::Float64,
                    ColumnType::Text => DataType::Utf8,
                }
            } else {
                DataType::Utf8
            };
            fields.push(Field::new(name, ty, true));
        }
        fields.extend(
            extra
                .iter()
                .map(|name| Field::new(*name, DataType::Utf8, true)),
        );
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let writer =
            ArrowWriter::try_new(out, schema.clone(), Some(properties)).map_err(write_error)?;
        let answers = survey
            .questions
            .iter()
            .map(|q| match question_type(q.kind) {
                ColumnType::Whole => {
                    AnswerBuilder::Whole(Int64Builder::with_capacity(rows_per_group))
                }
                ColumnType::Number => {
                    AnswerBuilder::Number(Float64Builder::with_capacity(rows_per_group))
                }
                ColumnType::Text => AnswerBuilder::Text(StringBuilder::new()),
            })
            .collect();
        Ok(ParquetRows {
            survey,
            schema,
            writer,
            rows_per_group: rows_per_group.max(1),
            buffered: 0,
            text: (0..loc + 4 + extra.len())
                .map(|_| StringBuilder::new())
                .collect(),
            weight: Float64Builder::with_capacity(rows_per_group),
            answers,
            extra: extra.len(),
        })
    }

    /// Adds an interview with the values of the extra columns; a full row group is written out.
    pub fn push(&mut self, iv: &Interview, extra: &[&str]) -> Result<(), TableError> {
        assert_eq!(extra.len(), self.extra, "one value per extra column");
        let loc = self.survey.design.location.len();
        self.text[0].append_value(iv.id.to_string());
        for (i, col) in self.survey.design.location.iter().enumerate() {
            self.text[1 + i].append_option(iv.location_value(col));
        }
        self.text[1 + loc].append_option(iv.enumerator.as_deref());
        self.text[2 + loc].append_option(time(&iv.started_at));
        self.text[3 + loc].append_option(time(&iv.finished_at));
        for (b, v) in self.text[4 + loc..].iter_mut().zip(extra) {
            b.append_value(v);
        }
        self.weight.append_option(iv.weight);
        for (col, a) in self.answers.iter_mut().zip(&iv.answers) {
            match col {
                AnswerBuilder::Whole(b) => b.append_option(match a {
                    Some(Answer::Integer(n)) => Some(*n),
                    _ => None,
                }),
                AnswerBuilder::Number(b) => b.append_option(match a {
                    Some(Answer::Decimal(x)) => Some(*x),
                    Some(Answer::Integer(n)) => Some(*n as f64),
                    _ => None,
                }),
                AnswerBuilder::Text(b) => match a {
                    Some(Answer::Choice(c)) | Some(Answer::Text(c)) => b.append_value(c),
                    Some(other) => b.append_value(other.to_cell()),
                    None => b.append_null(),
                },
            }
        }
        self.buffered += 1;
        if self.buffered >= self.rows_per_group {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), TableError> {
        let loc = self.survey.design.location.len();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        let mut text = self.text.iter_mut();
        for _ in 0..=loc {
            arrays.push(Arc::new(text.next().expect("text").finish()));
        }
        arrays.push(Arc::new(self.weight.finish()));
        for _ in 0..3 {
            arrays.push(Arc::new(text.next().expect("text").finish()));
        }
        for col in &mut self.answers {
            arrays.push(match col {
                AnswerBuilder::Text(b) => Arc::new(b.finish()),
                AnswerBuilder::Whole(b) => Arc::new(b.finish()),
                AnswerBuilder::Number(b) => Arc::new(b.finish()),
            });
        }
        for b in text {
            arrays.push(Arc::new(b.finish()));
        }
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(write_error)?;
        self.writer.write(&batch).map_err(write_error)?;
        self.writer.flush().map_err(write_error)?;
        self.buffered = 0;
        Ok(())
    }

    /// Writes the last rows and the footer.
    pub fn finish(mut self) -> Result<(), TableError> {
        if self.buffered > 0 {
            self.flush()?;
        }
        self.writer.close().map_err(write_error)?;
        Ok(())
    }
}
