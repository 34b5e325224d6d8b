//! Writing any table of typed columns as Parquet (whole numbers as Int64, numbers as Float64, text
//! as UTF-8), compressed with zstd, one row group per batch of rows: the exports' main table and
//! repeat tables ([`crate::ExportLayout`]).

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{ColumnType, TableError, Value};

/// A Parquet file of rows of typed columns, written a row group at a time.
pub struct TableRows<W: Write + Send> {
    schema: SchemaRef,
    writer: ArrowWriter<W>,
    rows_per_group: usize,
    buffered: usize,
    columns: Vec<Builder>,
}

enum Builder {
    Text(StringBuilder),
    Whole(Int64Builder),
    Number(Float64Builder),
}

fn write_error(e: impl std::fmt::Display) -> TableError {
    TableError::Write(e.to_string())
}

impl<W: Write + Send> TableRows<W> {
    /// A writer of the columns `columns` (name, type), `rows_per_group` rows to a row group.
    pub fn new(
        out: W,
        columns: &[(String, ColumnType)],
        rows_per_group: usize,
    ) -> Result<Self, TableError> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, ty)| {
                let ty = match ty {
                    ColumnType::Whole => DataType::Int64,
                    ColumnType::Number => DataType::Float64,
                    ColumnType::Text => DataType::Utf8,
                };
                Field::new(name, ty, true)
            })
            .collect();
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let writer =
            ArrowWriter::try_new(out, schema.clone(), Some(properties)).map_err(write_error)?;
        let columns = columns
            .iter()
            .map(|(_, ty)| match ty {
                ColumnType::Whole => Builder::Whole(Int64Builder::with_capacity(rows_per_group)),
                ColumnType::Number => {
                    Builder::Number(Float64Builder::with_capacity(rows_per_group))
                }
                ColumnType::Text => Builder::Text(StringBuilder::new()),
            })
            .collect();
        Ok(TableRows {
            schema,
            writer,
            rows_per_group: rows_per_group.max(1),
            buffered: 0,
            columns,
        })
    }

    /// Adds a row, one value per column; a full row group is written out. A number in a text
    /// column is written as text; text in a number column, or a fraction in a whole one, as nothing.
    pub fn push<'v>(&mut self, row: impl IntoIterator<Item = Value<'v>>) -> Result<(), TableError> {
        let mut row = row.into_iter();
        for col in &mut self.columns {
            let v = row.next().unwrap_or(Value::Empty);
            match col {
                Builder::Whole(b) => b.append_option(match v {
                    Value::Whole(n) => Some(n),
                    _ => None,
                }),
                Builder::Number(b) => b.append_option(match v {
                    Value::Number(x) => Some(x),
                    Value::Whole(n) => Some(n as f64),
                    _ => None,
                }),
                Builder::Text(b) => match v {
                    Value::Empty => b.append_null(),
                    Value::Text(t) => b.append_value(t),
                    Value::Whole(n) => b.append_value(n.to_string()),
                    Value::Number(x) => b.append_value(x.to_string()),
                },
            }
        }
        assert!(row.next().is_none(), "one value per column");
        self.buffered += 1;
        if self.buffered >= self.rows_per_group {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), TableError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|col| -> ArrayRef {
                match col {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Whole(b) => Arc::new(b.finish()),
                    Builder::Number(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(write_error)?;
        self.writer.write(&batch).map_err(write_error)?;
        self.writer.flush().map_err(write_error)?;
        self.buffered = 0;
        Ok(())
    }

    /// Writes the last rows and the footer, and gives the output back.
    pub fn finish(mut self) -> Result<W, TableError> {
        if self.buffered > 0 {
            self.flush()?;
        }
        self.writer.into_inner().map_err(write_error)
    }
}
