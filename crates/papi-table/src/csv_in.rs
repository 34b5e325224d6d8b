//! Reading the columns an analysis needs from a CSV file of the flat layout, in one pass: each text
//! cell coded as it is read, each number parsed as it is read, buffers sized from the file's lines.

use std::io::Read;
use std::path::Path;

use crate::column::{Column, NumberColumn, TextBuilder};
use crate::table::Table;
use crate::{ColumnType, TableError};

enum Buffer {
    Text(TextBuilder),
    Number(Vec<f64>, bool),
}

/// Reads the columns `wanted` of the CSV file at `path`, each typed as `types` says.
pub(crate) fn read(
    path: &Path,
    wanted: &[String],
    types: &[ColumnType],
) -> Result<Table, TableError> {
    let file = path.display().to_string();
    let unreadable = |message: String| TableError::Read {
        file: file.clone(),
        message,
    };
    // An upper bound of the rows (a quoted cell may hold a line break), so no buffer ever grows.
    let rows = count_lines(path).map_err(|e| unreadable(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_path(path)
        .map_err(|e| unreadable(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let mut positions = Vec::with_capacity(wanted.len());
    for c in wanted {
        match header.iter().position(|h| h == c) {
            Some(i) => positions.push(i),
            None => return Err(crate::missing(&file, c)),
        }
    }
    let mut buffers: Vec<Buffer> = types
        .iter()
        .map(|t| match t {
            ColumnType::Text => Buffer::Text(TextBuilder::with_capacity(rows)),
            ColumnType::Whole => Buffer::Number(Vec::with_capacity(rows), true),
            ColumnType::Number => Buffer::Number(Vec::with_capacity(rows), false),
        })
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| unreadable(e.to_string()))?
    {
        row += 1;
        for ((buffer, &i), name) in buffers.iter_mut().zip(&positions).zip(wanted) {
            let cell = record.get(i).unwrap_or(b"");
            match buffer {
                Buffer::Text(b) => {
                    if cell.is_empty() {
                        b.push_code(crate::column::NO_VALUE);
                        continue;
                    }
                    let code = b.code_of_bytes(cell).map_err(|_| TableError::Column {
                        file: file.clone(),
                        column: name.clone(),
                        message: format!("row {row} is not valid UTF-8"),
                    })?;
                    b.push_code(code);
                }
                Buffer::Number(values, whole) => {
                    let x = crate::parse_number(cell, *whole).ok_or_else(|| {
                        crate::not_a_number(
                            &file,
                            name,
                            *whole,
                            row,
                            &String::from_utf8_lossy(cell),
                        )
                    })?;
                    values.push(x);
                }
            }
        }
    }
    let mut table = Table::new(row);
    for (name, buffer) in wanted.iter().zip(buffers) {
        let column = match buffer {
            Buffer::Text(b) => Column::Text(b.finish()),
            Buffer::Number(values, whole) => Column::Number(NumberColumn { values, whole }),
        };
        table.with_column(name, column)?;
    }
    Ok(table)
}

/// Line breaks in the file, plus one.
fn count_lines(path: &Path) -> std::io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 1;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
    }
}
