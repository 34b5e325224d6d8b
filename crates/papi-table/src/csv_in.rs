//! Reading the columns an analysis needs from a CSV file of the flat layout: each text cell coded as
//! it is read, each number parsed as it is read, buffers sized from the file's lines. A file without
//! a quote character (every line then is one row) is cut at line breaks into one part per core, read
//! side by side, and the parts joined in order.

use std::path::Path;

use rayon::prelude::*;

use crate::column::{Column, NumberColumn, TextBuilder};
use crate::table::Table;
use crate::{ColumnType, TableError};

/// Below this size a file is read in one part: threads would cost more than they save.
const PARALLEL_FROM: usize = 4 << 20;

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
    let opened = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    // SAFETY: the map is only read. Were another program to cut the file short while papi reads
    // it, the read would fault rather than return other data (data.table's fread maps files
    // the same way). Mapped, the file's pages come straight from the page cache: read into memory
    // of its own, each page would first be zeroed, then copied, which took most of the reading time.
    let data = unsafe { memmap2::Mmap::map(&opened) }.map_err(|e| unreadable(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&data[..]);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let body = &data[reader.position().byte() as usize..];
    let mut positions = Vec::with_capacity(wanted.len());
    for c in wanted {
        match header.iter().position(|h| h == c) {
            Some(i) => positions.push(i),
            None => return Err(crate::missing(&file, c)),
        }
    }
    // Checked once for the whole body: without quotes (a quoted cell may hold a line break), each
    // line is a row, so the body may be cut at line breaks and each part split by hand.
    let plain = plain(body);
    let layout = Layout {
        fields: header.len(),
        positions: &positions,
        wanted,
        types,
        file: &file,
    };
    let part = |bytes: &[u8], capacity: usize| read_part(bytes, plain, capacity, &layout);
    let parts = if plain {
        split_at_lines(body, rayon::current_num_threads())
    } else {
        vec![body]
    };
    let buffers = if parts.len() < 2 {
        // An upper bound of the rows (a quoted cell may hold a line break), so no buffer grows.
        part(body, lines(body))?.0
    } else {
        let rows: Vec<usize> = parts.iter().map(|p| lines(p)).collect();
        let total = rows.iter().sum();
        let read: Vec<_> = parts
            .par_iter()
            .enumerate()
            .map(|(i, p)| part(p, if i == 0 { total } else { rows[i] }))
            .collect();
        if read.iter().any(Result::is_err) {
            // Read again in one part, so that the error names the row of the whole file.
            part(body, lines(body))?;
        }
        let mut read = read.into_iter().map(|r| r.map(|(b, _)| b));
        let mut first = read.next().expect("two parts or more")?;
        for later in read {
            for (into, from) in first.iter_mut().zip(later?) {
                match (into, from) {
                    (Buffer::Text(a), Buffer::Text(b)) => a.append(b),
                    (Buffer::Number(a, _), Buffer::Number(b, _)) => a.extend(b),
                    _ => unreachable!("the parts' columns have the same types"),
                }
            }
        }
        first
    };
    let rows = match buffers.first() {
        Some(Buffer::Text(b)) => b.len(),
        Some(Buffer::Number(v, _)) => v.len(),
        None => body_rows(body),
    };
    let mut table = Table::new(rows);
    for (name, buffer) in wanted.iter().zip(buffers) {
        let column = match buffer {
            Buffer::Text(b) => Column::Text(b.finish()),
            Buffer::Number(values, whole) => Column::Number(NumberColumn { values, whole }),
        };
        table.with_column(name, column)?;
    }
    Ok(table)
}

/// What the records of a file hold and which of their fields are wanted.
struct Layout<'a> {
    /// Fields of every record: the header's.
    fields: usize,
    /// Where each wanted column is among the fields, its name and its type.
    positions: &'a [usize],
    wanted: &'a [String],
    types: &'a [ColumnType],
    file: &'a str,
}

/// Reads the rows of `bytes` (CSV records without a header, [`plain`] or not) into one buffer per
/// wanted column, each with room for `capacity` rows; returns them with the number of rows read.
fn read_part(
    bytes: &[u8],
    plain: bool,
    capacity: usize,
    layout: &Layout,
) -> Result<(Vec<Buffer>, usize), TableError> {
    let file = layout.file;
    let mut part = Part {
        buffers: layout
            .types
            .iter()
            .map(|t| match t {
                ColumnType::Text => Buffer::Text(TextBuilder::with_capacity(capacity)),
                ColumnType::Whole => Buffer::Number(Vec::with_capacity(capacity), true),
                ColumnType::Number => Buffer::Number(Vec::with_capacity(capacity), false),
            })
            .collect(),
        layout,
        rows: 0,
    };
    if plain {
        // No quotes and no lone carriage return: a line is a record and a comma ends a field, found
        // far faster than by a CSV parser's state machine.
        let mut cells: Vec<&[u8]> = Vec::with_capacity(layout.fields);
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue; // as the CSV reader skips an empty line
            }
            cells.clear();
            // Cells are a few bytes long: a plain loop finds their commas faster than a search
            // made for long distances.
            let mut start = 0;
            for (at, &b) in line.iter().enumerate() {
                if b == b',' {
                    cells.push(&line[start..at]);
                    start = at + 1;
                }
            }
            cells.push(&line[start..]);
            part.take(cells.len(), |i| cells[i])?;
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| TableError::Read {
                file: file.to_owned(),
                message: e.to_string(),
            })?
        {
            part.take(record.len(), |i| record.get(i).unwrap_or(b""))?;
        }
    }
    Ok((part.buffers, part.rows))
}

/// Whether `bytes` has no quote and no carriage return but before a line feed.
fn plain(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'))
}

/// The buffers of a part as its records arrive.
struct Part<'a> {
    buffers: Vec<Buffer>,
    layout: &'a Layout<'a>,
    rows: usize,
}

impl Part<'_> {
    /// Takes the wanted cells of a record of `len` fields.
    fn take<'c>(&mut self, len: usize, cell: impl Fn(usize) -> &'c [u8]) -> Result<(), TableError> {
        self.rows += 1;
        let (row, layout) = (self.rows, self.layout);
        let file = layout.file;
        if len != layout.fields {
            return Err(TableError::Read {
                file: file.to_owned(),
                message: format!(
                    "row {row} has {len} fields where the header has {}",
                    layout.fields
                ),
            });
        }
        let wanted = layout.positions.iter().zip(layout.wanted);
        for (buffer, (&i, name)) in self.buffers.iter_mut().zip(wanted) {
            let cell = cell(i);
            match buffer {
                Buffer::Text(b) => {
                    if cell.is_empty() {
                        b.push_code(crate::column::NO_VALUE);
                        continue;
                    }
                    let code = b.code_of_bytes(cell).map_err(|_| TableError::Column {
                        file: file.to_owned(),
                        column: name.clone(),
                        message: format!("row {row} is not valid UTF-8"),
                    })?;
                    b.push_code(code);
                }
                Buffer::Number(values, whole) => {
                    let x = crate::parse_number(cell, *whole).ok_or_else(|| {
                        crate::not_a_number(file, name, *whole, row, &String::from_utf8_lossy(cell))
                    })?;
                    values.push(x);
                }
            }
        }
        Ok(())
    }
}

/// A [`plain`] `body` cut at line breaks into about `parts` parts of equal size; one part when it
/// is small.
fn split_at_lines(body: &[u8], parts: usize) -> Vec<&[u8]> {
    if parts < 2 || body.len() < PARALLEL_FROM {
        return vec![body];
    }
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (body.len() * k / parts).max(start);
        let Some(end) = memchr::memchr(b'\n', &body[target..]).map(|i| target + i + 1) else {
            break;
        };
        out.push(&body[start..end]);
        start = end;
    }
    out.push(&body[start..]);
    out
}

/// Line breaks in `bytes`, plus one: an upper bound of its rows.
fn lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count() + 1
}

/// The rows of a body when no column is wanted.
fn body_rows(body: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        rows += 1;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_end_at_line_breaks_and_cover_the_body() {
        let body: Vec<u8> = (0..200_000)
            .flat_map(|i| format!("{i},x{}\n", i % 7).into_bytes())
            .collect();
        let big: Vec<u8> = body.repeat(3);
        assert!(big.len() >= PARALLEL_FROM);
        let parts = split_at_lines(&big, 4);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts.concat(), big);
        for p in &parts {
            assert_eq!(p.last(), Some(&b'\n'));
        }
        assert!(plain(&big) && plain(b"a,b\r\nc,d\r\n"));
        assert!(!plain(b"1,\"a\nb\"\n"), "a quote: lines need not be rows");
        assert!(
            !plain(b"a,b\rc,d\r"),
            "a lone carriage return ends a row too"
        );
    }
}
