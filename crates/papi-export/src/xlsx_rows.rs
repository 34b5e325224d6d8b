//! The rows of the sheets that `xlsx_out` writes itself, as the sheet's XML: cells addressed by
//! column letters and row, text inline and escaped as Excel writes it, numbers as numbers, an empty
//! value left out. Text that a spreadsheet would read as a formula is neutralised (`cells`).

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::{time, QuestionColumn, Value};

use crate::cells::neutralised;

/// A column's letters: 0 is A, 25 Z, 26 AA.
pub(crate) fn column_letters(index: usize) -> Vec<u8> {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    letters
}

/// Appends one interview as a `<row>` of the `data` sheet.
pub(crate) fn write_row(
    out: &mut Vec<u8>,
    columns: &[Vec<u8>],
    row: u32,
    s: &StoredInterview,
    survey: &Survey,
    main: &[QuestionColumn],
) {
    let mut row_digits = itoa::Buffer::new();
    let row_ref = row_digits.format(row).as_bytes();
    let iv = &s.interview;
    let mut cells = Cells {
        out,
        columns,
        row: row_ref,
        column: 0,
    };
    cells.out.extend_from_slice(b"<row r=\"");
    cells.out.extend_from_slice(row_ref);
    cells.out.extend_from_slice(b"\">");
    let mut id = uuid::Uuid::encode_buffer();
    cells.text(iv.id.hyphenated().encode_lower(&mut id));
    for (_, v) in &iv.location {
        cells.text(&neutralised(v));
    }
    cells.number(iv.weight);
    cells.text(&neutralised(iv.enumerator.as_deref().unwrap_or_default()));
    for t in [&iv.started_at, &iv.finished_at] {
        cells.text(&time(t).unwrap_or_default());
    }
    for col in main {
        let answer = iv.answers.get(col.question).and_then(Option::as_ref);
        cells.value(col.value(survey, answer));
    }
    cells.text(&s.review_state);
    cells.out.extend_from_slice(b"</row>");
}

/// The cells of one row, left to right; an empty value leaves its cell out.
struct Cells<'o, 'c> {
    out: &'o mut Vec<u8>,
    columns: &'c [Vec<u8>],
    row: &'c [u8],
    column: usize,
}

impl Cells<'_, '_> {
    /// A value: text neutralised, numbers as numbers.
    fn value(&mut self, v: Value<'_>) {
        match v {
            Value::Empty => self.skip(),
            Value::Text(t) => self.text(&neutralised(&t)),
            Value::Whole(n) => self.integer(n),
            Value::Number(x) => self.number(Some(x)),
        }
    }

    fn skip(&mut self) {
        self.column += 1;
    }

    fn open(&mut self) {
        self.out.extend_from_slice(b"<c r=\"");
        self.out.extend_from_slice(&self.columns[self.column]);
        self.out.extend_from_slice(self.row);
        self.column += 1;
    }

    fn text(&mut self, v: &str) {
        if v.is_empty() {
            return self.skip();
        }
        self.open();
        let preserve = v.starts_with(['\t', '\n', ' ']) || v.ends_with(['\t', '\n', ' ']);
        self.out.extend_from_slice(if preserve {
            b"\" t=\"inlineStr\"><is><t xml:space=\"preserve\">".as_slice()
        } else {
            b"\" t=\"inlineStr\"><is><t>".as_slice()
        });
        push_escaped(self.out, v);
        self.out.extend_from_slice(b"</t></is></c>");
    }

    fn integer(&mut self, n: i64) {
        self.open();
        self.out.extend_from_slice(b"\"><v>");
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.out.extend_from_slice(b"</v></c>");
    }

    fn number(&mut self, x: Option<f64>) {
        match x {
            None => self.skip(),
            // Excel has no infinity or NaN: such a value is kept as text.
            Some(x) if !x.is_finite() => self.text(&x.to_string()),
            Some(x) => {
                self.open();
                self.out.extend_from_slice(b"\"><v>");
                self.out
                    .extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
                self.out.extend_from_slice(b"</v></c>");
            }
        }
    }
}

/// Appends text as Excel writes it in XML: `&`, `<` and `>` as entities; control characters, which
/// XML cannot hold, as Excel's `_xHHHH_`; and a literal `_xHHHH_` with its underscore escaped as
/// `_x005F_`, so that Excel does not read it as such an escape.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let plain = |b: u8| !(b < 0x20 || b == b'&' || b == b'<' || b == b'>' || b == b'_');
    if bytes.iter().all(|&b| plain(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\t' | b'\n' => out.push(b),
            0..=0x1f => {
                out.extend_from_slice(b"_x00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                out.push(b'_');
            }
            b'_' if looks_like_escape(&bytes[i..]) => out.extend_from_slice(b"_x005F_"),
            _ => out.push(b),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `s` starts with `_xHHHH_`.
fn looks_like_escape(s: &[u8]) -> bool {
    s.len() >= 7 && s[1] == b'x' && s[2..6].iter().all(u8::is_ascii_hexdigit) && s[6] == b'_'
}

/// Appends a row of values as a `<row>` of a sheet.
pub(crate) fn write_values<'v>(
    out: &mut Vec<u8>,
    columns: &[Vec<u8>],
    row: u32,
    values: impl IntoIterator<Item = Value<'v>>,
) {
    let mut row_digits = itoa::Buffer::new();
    let row_ref = row_digits.format(row).as_bytes();
    let mut cells = Cells {
        out,
        columns,
        row: row_ref,
        column: 0,
    };
    cells.out.extend_from_slice(b"<row r=\"");
    cells.out.extend_from_slice(row_ref);
    cells.out.extend_from_slice(b"\">");
    for v in values {
        cells.value(v);
    }
    cells.out.extend_from_slice(b"</row>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_run_as_in_excel() {
        let name = |i| String::from_utf8(column_letters(i)).unwrap();
        assert_eq!(name(0), "A");
        assert_eq!(name(25), "Z");
        assert_eq!(name(26), "AA");
        assert_eq!(name(701), "ZZ");
        assert_eq!(name(702), "AAA");
        assert_eq!(name(16_383), "XFD");
    }

    #[test]
    fn escapes_follow_excel() {
        let mut out = Vec::new();
        push_escaped(&mut out, "a<b>&c _x0041_ _xZZZZ_ \u{0}\r");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a&lt;b&gt;&amp;c _x005F_x0041_ _xZZZZ_ _x0000__x000D_"
        );
    }
}
