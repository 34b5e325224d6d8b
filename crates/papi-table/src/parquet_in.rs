//! Reading the columns an analysis needs from a Parquet file, one column per task (in parallel), each
//! into buffers sized from the row count in the file's footer. Text columns are read as dictionaries
//! (the keys of a dictionary-encoded column chunk, as written), a row group at a time, so a choice is
//! coded once per row group, not once per row.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;

use crate::column::{Column, NumberColumn, TextBuilder, NO_VALUE};
use crate::table::Table;
use crate::{ColumnType, TableError};

/// Rows decoded at a time.
const BATCH_ROWS: usize = 65_536;

/// Reads the columns `wanted` of the Parquet file at `path`, each typed as `types` says.
pub(crate) fn read(
    path: &Path,
    wanted: &[String],
    types: &[ColumnType],
) -> Result<Table, TableError> {
    let file = path.display().to_string();
    let unreadable = |e: &dyn std::fmt::Display| TableError::Read {
        file: file.clone(),
        message: e.to_string(),
    };
    let f = File::open(path).map_err(|e| unreadable(&e))?;
    let found =
        ArrowReaderMetadata::load(&f, ArrowReaderOptions::new()).map_err(|e| unreadable(&e))?;
    let rows = found.metadata().file_metadata().num_rows().max(0) as usize;
    let schema = found.schema();
    let mut positions = Vec::with_capacity(wanted.len());
    for c in wanted {
        match schema.fields().iter().position(|f| f.name() == c) {
            Some(i) => positions.push(i),
            None => return Err(crate::missing(&file, c)),
        }
    }
    // Every text column as a dictionary of strings, whatever string type the writer chose.
    let hinted: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => text_field(f),
            DataType::Dictionary(_, v)
                if matches!(
                    **v,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                text_field(f)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let options = ArrowReaderOptions::new().with_schema(Arc::new(Schema::new(hinted)));
    let metadata = ArrowReaderMetadata::try_new(found.metadata().clone(), options)
        .map_err(|e| unreadable(&e))?;
    let columns: Vec<Column> = positions
        .par_iter()
        .zip(wanted.par_iter().zip(types.par_iter()))
        .map(|(&position, (name, &ty))| {
            let mut column = ColumnReader::new(&file, name, ty, rows);
            // A row group at a time: a batch that crossed into the next row group would change
            // dictionary midway, and the reader would spell out every value of it again.
            for group in 0..metadata.metadata().num_row_groups() {
                let f = File::open(path).map_err(|e| unreadable(&e))?;
                let mask = ProjectionMask::roots(metadata.parquet_schema(), [position]);
                let batches =
                    ParquetRecordBatchReaderBuilder::new_with_metadata(f, metadata.clone())
                        .with_projection(mask)
                        .with_row_groups(vec![group])
                        .with_batch_size(BATCH_ROWS)
                        .build()
                        .map_err(|e| unreadable(&e))?;
                for batch in batches {
                    let batch = batch.map_err(|e| unreadable(&e))?;
                    column.append(batch.column(0))?;
                }
            }
            Ok(column.finish())
        })
        .collect::<Result<_, TableError>>()?;
    let mut table = Table::new(rows);
    for (name, column) in wanted.iter().zip(columns) {
        table.with_column(name, column)?;
    }
    Ok(table)
}

fn text_field(f: &Field) -> Field {
    Field::new(
        f.name(),
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        f.is_nullable(),
    )
}

/// One column's buffer as its batches arrive.
struct ColumnReader<'a> {
    file: &'a str,
    name: &'a str,
    buffer: Buffer,
    /// Dictionary index of the current batch → code of the column.
    codes_of_batch: Vec<u32>,
}

enum Buffer {
    Text(TextBuilder),
    Number(Vec<f64>, bool),
}

impl<'a> ColumnReader<'a> {
    fn new(file: &'a str, name: &'a str, ty: ColumnType, rows: usize) -> Self {
        let buffer = match ty {
            ColumnType::Text => Buffer::Text(TextBuilder::with_capacity(rows)),
            ColumnType::Whole => Buffer::Number(Vec::with_capacity(rows), true),
            ColumnType::Number => Buffer::Number(Vec::with_capacity(rows), false),
        };
        ColumnReader {
            file,
            name,
            buffer,
            codes_of_batch: Vec::new(),
        }
    }

    fn rows(&self) -> usize {
        match &self.buffer {
            Buffer::Text(b) => b.len(),
            Buffer::Number(v, _) => v.len(),
        }
    }

    fn append(&mut self, array: &ArrayRef) -> Result<(), TableError> {
        let first_row = self.rows();
        if let DataType::Dictionary(_, _) = array.data_type() {
            let dict = array.as_dictionary::<Int32Type>();
            let values = dict.values().as_string::<i32>();
            match &mut self.buffer {
                Buffer::Text(b) => {
                    self.codes_of_batch.clear();
                    for v in values.iter() {
                        self.codes_of_batch.push(b.code_of(v));
                    }
                    let keys = dict.keys();
                    for (i, &k) in keys.values().iter().enumerate() {
                        if keys.is_null(i) {
                            b.push_code(NO_VALUE);
                        } else {
                            b.push_code(self.codes_of_batch[k as usize]);
                        }
                    }
                }
                Buffer::Number(out, whole) => {
                    let whole = *whole;
                    let keys = dict.keys();
                    for (i, &k) in keys.values().iter().enumerate() {
                        let cell = if keys.is_null(i) {
                            ""
                        } else {
                            values.value(k as usize)
                        };
                        let x = crate::parse_number(cell.as_bytes(), whole).ok_or_else(|| {
                            crate::not_a_number(
                                self.file,
                                self.name,
                                whole,
                                first_row + i + 1,
                                cell,
                            )
                        })?;
                        out.push(x);
                    }
                }
            }
            return Ok(());
        }
        let (file, name) = (self.file, self.name);
        let error = |message: String| TableError::Column {
            file: file.to_owned(),
            column: name.to_owned(),
            message,
        };
        let numbers = numbers_of(array).ok_or_else(|| {
            error(format!(
                "has type {}, which papi does not read",
                array.data_type()
            ))
        })?;
        match &mut self.buffer {
            Buffer::Number(out, whole) => {
                let whole = *whole;
                let start = out.len();
                out.extend(numbers);
                if whole {
                    if let Some(i) = out[start..]
                        .iter()
                        .position(|x| x.fract() != 0.0 && x.is_finite())
                    {
                        let x = out[start + i];
                        return Err(error(format!(
                            "is {} but must hold whole numbers: row {} has {x}",
                            array.data_type(),
                            first_row + i + 1
                        )));
                    }
                }
            }
            Buffer::Text(b) => {
                let integer = array.data_type().is_integer();
                for x in numbers {
                    let text = match (x.is_nan(), integer) {
                        (true, _) => None,
                        (false, true) => Some((x as i64).to_string()),
                        (false, false) => Some(x.to_string()),
                    };
                    b.push(text.as_deref());
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Column {
        match self.buffer {
            Buffer::Text(b) => Column::Text(b.finish()),
            Buffer::Number(values, whole) => Column::Number(NumberColumn { values, whole }),
        }
    }
}

/// The values of a numeric array as `f64`, null as NaN.
fn numbers_of(array: &ArrayRef) -> Option<Box<dyn Iterator<Item = f64> + '_>> {
    macro_rules! each {
        ($t:ty) => {
            Box::new(
                array
                    .as_primitive::<$t>()
                    .iter()
                    .map(|x| x.map_or(f64::NAN, |x| x as f64)),
            )
        };
    }
    Some(match array.data_type() {
        DataType::Float64 => each!(Float64Type),
        DataType::Float32 => each!(Float32Type),
        DataType::Int64 => each!(Int64Type),
        DataType::Int32 => each!(Int32Type),
        DataType::Int16 => each!(Int16Type),
        DataType::Int8 => each!(Int8Type),
        DataType::UInt64 => each!(UInt64Type),
        DataType::UInt32 => each!(UInt32Type),
        DataType::UInt16 => each!(UInt16Type),
        DataType::UInt8 => each!(UInt8Type),
        DataType::Boolean => Box::new(
            array
                .as_boolean()
                .iter()
                .map(|x| x.map_or(f64::NAN, |b| b as u8 as f64)),
        ),
        _ => return None,
    })
}
