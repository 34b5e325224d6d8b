//! XLSX for Excel users, in three sheets:
//!
//! - `data`: row 1 holds the column ids (the flat layout's names, what `papi score` and scripts use),
//!   row 2 the columns' labels in Vietnamese, and the interviews follow from row 3, one a row; the two
//!   header rows and the id column stay frozen while scrolling. Numbers (the weight, integer and
//!   decimal answers) are numbers, everything else text; an empty cell is no answer. Text that a
//!   spreadsheet would read as a formula is neutralised as in the CSV (`cells`).
//! - `codebook`: one row per column of `data`, and for a select question one row per choice (the
//!   question's fields repeated, so that an AutoFilter on any column works): id, labels in Vietnamese
//!   and English, type, required, choice code with its labels, relevance, constraint, and the
//!   indicator, sub-dimension and dimension the question scores into.
//! - `about`: the survey, when the file was made, which review states it holds and how many interviews.
//!
//! rust_xlsxwriter makes the package: every part, the header rows of `data`, the codebook and the
//! about sheet. The interview rows, which are nearly all of the file (150,000 PAPI-sized interviews
//! are 84 million cells and 3.9 GB of XML), are written here, straight into the `data` part of the
//! zip (`zip_package`) as each page arrives: rust_xlsxwriter would hold each cell in a map, format
//! it through `write!`, spool the sheet to a temporary file and compress it at zlib's default level
//! at the end, which took a minute. The package is made twice: once at the start, to get the `data`
//! sheet around its rows, and once at the end, with the count for `about`; the two must agree on
//! the `data` sheet, which is checked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Cursor, Read};

use papi_store::StoredInterview;
use papi_survey::{Answer, Survey};
use papi_table::time;
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use zip::{CompressionMethod, ZipArchive};

use crate::cells::neutralised;
use crate::zip_package::{ZipPackage, DEFLATED, STORED};
use crate::{column_labels, ExportError, Format, PageWriter};

/// Interviews that fit below the two header rows of one sheet.
pub(crate) const MAX_ROWS: i64 = 1_048_576 - 2;

/// The sheets, in order.
pub const DATA_SHEET: &str = "data";
pub const CODEBOOK_SHEET: &str = "codebook";
pub const ABOUT_SHEET: &str = "about";

/// The parts of the package that are written here, or checked: the `data` sheet (the first) and
/// the list of content types, which goes first in the zip, where tools look for it.
const DATA_PART: &str = "xl/worksheets/sheet1.xml";
const CONTENT_TYPES_PART: &str = "[Content_Types].xml";

/// zlib level of the `data` part. Measured on 150,000 PAPI-sized interviews: level 2 exports in
/// 17 s to 320 MB, level 1 in 15 s to 411 MB, level 3 in 25 s, the default 6 in 57 s to 249 MB.
const DATA_COMPRESSION_LEVEL: u32 = 2;

/// Bytes of row XML gathered before they go to the compressor.
const CHUNK: usize = 1 << 20;

pub(crate) struct XlsxPages<'a> {
    survey: &'a Survey,
    states: Vec<String>,
    zip: ZipPackage,
    /// The `data` part and the content types of the package made at the start.
    data_part: Vec<u8>,
    content_types: Vec<u8>,
    /// What follows the rows in the `data` part.
    data_tail: Vec<u8>,
    /// Column letters, A to the last.
    columns: Vec<Vec<u8>>,
    /// The next row, 1-based as in the sheet's XML.
    row: u32,
    xml: Vec<u8>,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Xlsx, e)
}

impl<'a> XlsxPages<'a> {
    /// Starts the file: the content types, then the `data` part up to its first interview row.
    pub(crate) fn new(
        survey: &'a Survey,
        file: File,
        states: &[String],
    ) -> Result<XlsxPages<'a>, ExportError> {
        let mut template = open_package(package(survey, states, 0, "").map_err(err)?)?;
        let content_types = read_part(&mut template, CONTENT_TYPES_PART)?;
        let data_part = read_part(&mut template, DATA_PART)?;
        let (head, data_tail) = split_data_part(&data_part)?;

        let column_count = column_labels(survey).len();
        let mut zip = ZipPackage::new(file);
        copy_part(&mut zip, &mut template, CONTENT_TYPES_PART)?;
        zip.start_deflated(DATA_PART, DATA_COMPRESSION_LEVEL)
            .map_err(err)?;
        zip.write_deflated(&head).map_err(err)?;
        Ok(XlsxPages {
            survey,
            states: states.to_vec(),
            zip,
            data_part,
            content_types,
            data_tail,
            columns: (0..column_count).map(column_letters).collect(),
            row: 3,
            xml: Vec::with_capacity(2 * CHUNK),
        })
    }
}

impl PageWriter for XlsxPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        for s in page {
            write_row(&mut self.xml, &self.columns, self.row, s);
            self.row += 1;
            if self.xml.len() >= CHUNK {
                self.zip.write_deflated(&self.xml).map_err(err)?;
                self.xml.clear();
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        let rows = u64::from(self.row - 3);
        self.xml.extend_from_slice(&self.data_tail);
        self.zip.write_deflated(&self.xml).map_err(err)?;
        self.zip.finish_deflated().map_err(err)?;
        let exported_at = time(&Some(chrono::Utc::now())).unwrap_or_default();
        let mut final_package =
            open_package(package(self.survey, &self.states, rows, &exported_at).map_err(err)?)?;
        // The rows were written into the data sheet of the first package; the rest of the file comes
        // from the second, so both must have made the same data sheet.
        if read_part(&mut final_package, DATA_PART)? != self.data_part
            || read_part(&mut final_package, CONTENT_TYPES_PART)? != self.content_types
        {
            return Err(err(
                "the workbook's data sheet changed while it was being written",
            ));
        }
        for i in 0..final_package.len() {
            let name = final_package
                .name_for_index(i)
                .unwrap_or_default()
                .to_owned();
            if name != DATA_PART && name != CONTENT_TYPES_PART {
                copy_part(&mut self.zip, &mut final_package, &name)?;
            }
        }
        let file = self.zip.finish().map_err(err)?;
        file.sync_all().map_err(err)
    }
}

/// The workbook with the header rows of `data`, the codebook and the about sheet, as XLSX bytes.
fn package(
    survey: &Survey,
    states: &[String],
    rows: u64,
    exported_at: &str,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let label = CellFormat::new().set_italic().set_font_color("#555555");
    let data = workbook.add_worksheet();
    data.set_name(DATA_SHEET)?;
    for (c, (id, vi, _)) in column_labels(survey).iter().enumerate() {
        data.write_string_with_format(0, c as u16, id, &bold)?;
        data.write_string_with_format(1, c as u16, vi, &label)?;
    }
    data.set_column_width(0, 38)?;
    data.set_freeze_panes(2, 1)?;
    codebook(workbook.add_worksheet(), survey, &bold)?;
    about(
        workbook.add_worksheet(),
        survey,
        states,
        rows,
        exported_at,
        &bold,
    )?;
    workbook.save_to_buffer()
}

fn about(
    sheet: &mut Worksheet,
    survey: &Survey,
    states: &[String],
    rows: u64,
    exported_at: &str,
    bold: &CellFormat,
) -> Result<(), XlsxError> {
    sheet.set_name(ABOUT_SHEET)?;
    let states = if states.is_empty() {
        "tất cả / all".to_owned()
    } else {
        states.join(", ")
    };
    let facts: Vec<(&str, String)> = vec![
        ("Khảo sát / Survey", survey.id.clone()),
        ("Phiên bản / Version", survey.version.clone()),
        ("Tên (tiếng Việt)", survey.title.get("vi").to_owned()),
        ("Title (English)", survey.title.get("en").to_owned()),
        ("Thời điểm xuất / Exported at (UTC)", exported_at.to_owned()),
        ("Trạng thái duyệt / Review states", states),
        ("Số phiếu / Interviews", rows.to_string()),
        (
            "Cách đọc / Layout",
            "Trang 'data': hàng 1 là mã cột, hàng 2 là nhãn tiếng Việt, dữ liệu từ hàng 3; \
             trang 'codebook' giải thích từng cột và mã lựa chọn. \
             Sheet 'data': row 1 column ids, row 2 Vietnamese labels, interviews from row 3; \
             sheet 'codebook' explains every column and choice code."
                .to_owned(),
        ),
    ];
    for (r, (k, v)) in facts.iter().enumerate() {
        sheet.write_string_with_format(r as u32, 0, *k, bold)?;
        sheet.write_string(r as u32, 1, v)?;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 60)?;
    Ok(())
}

fn open_package(bytes: Vec<u8>) -> Result<ZipArchive<Cursor<Vec<u8>>>, ExportError> {
    ZipArchive::new(Cursor::new(bytes)).map_err(err)
}

fn read_part(
    package: &mut ZipArchive<Cursor<Vec<u8>>>,
    name: &str,
) -> Result<Vec<u8>, ExportError> {
    let mut part = package
        .by_name(name)
        .map_err(|e| err(format!("{name}: {e}")))?;
    let mut bytes = Vec::new();
    part.read_to_end(&mut bytes).map_err(err)?;
    Ok(bytes)
}

/// Copies a part as it is, compressed.
fn copy_part(
    zip: &mut ZipPackage,
    package: &mut ZipArchive<Cursor<Vec<u8>>>,
    name: &str,
) -> Result<(), ExportError> {
    let index = package
        .index_for_name(name)
        .ok_or_else(|| err(format!("{name} is missing from the workbook")))?;
    let mut part = package.by_index_raw(index).map_err(err)?;
    let method = match part.compression() {
        CompressionMethod::Stored => STORED,
        CompressionMethod::Deflated => DEFLATED,
        other => return Err(err(format!("{name} is compressed with {other:?}"))),
    };
    let (crc, size, compressed) = (part.crc32(), part.size(), part.compressed_size());
    zip.add_compressed(name, method, crc, size, compressed, &mut part)
        .map_err(err)
}

/// Splits the `data` sheet's XML before `</sheetData>`: the head (with the header rows) and the
/// tail. The head loses its `<dimension>`, which would name the header rows only: it is optional,
/// and Excel finds the used range itself.
fn split_data_part(xml: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ExportError> {
    let at = find(xml, b"</sheetData>")
        .ok_or_else(|| err("the data sheet has no <sheetData> element"))?;
    let mut head = xml[..at].to_vec();
    if let Some(start) = find(&head, b"<dimension ") {
        if let Some(len) = find(&head[start..], b"/>") {
            head.drain(start..start + len + 2);
        }
    }
    Ok((head, xml[at..].to_vec()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A column's letters: 0 is A, 25 Z, 26 AA.
fn column_letters(index: usize) -> Vec<u8> {
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
fn write_row(out: &mut Vec<u8>, columns: &[Vec<u8>], row: u32, s: &StoredInterview) {
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
    for a in &iv.answers {
        match a {
            None => cells.skip(),
            Some(Answer::Choice(v)) | Some(Answer::Text(v)) => cells.text(&neutralised(v)),
            Some(Answer::Integer(n)) => cells.integer(*n),
            Some(Answer::Decimal(x)) => cells.number(Some(*x)),
            Some(other) => cells.text(&neutralised(&other.to_cell())),
        }
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

/// The codebook's header row.
pub const CODEBOOK_HEADER: [&str; 16] = [
    "Mã cột / Column",
    "Nhãn (tiếng Việt)",
    "Label (English)",
    "Loại / Type",
    "Bắt buộc / Required",
    "Mã lựa chọn / Choice code",
    "Lựa chọn (tiếng Việt)",
    "Choice (English)",
    "Điều kiện hiển thị / Relevance",
    "Ràng buộc / Constraint",
    "Chỉ số / Indicator",
    "Tiểu lĩnh vực / Sub-dimension",
    "Lĩnh vực / Dimension",
    "Lĩnh vực (tiếng Việt)",
    "Dimension (English)",
    "Nhóm / Group",
];

fn codebook(sheet: &mut Worksheet, survey: &Survey, bold: &CellFormat) -> Result<(), XlsxError> {
    sheet.set_name(CODEBOOK_SHEET)?;
    for (c, h) in CODEBOOK_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, bold)?;
    }
    // Question position → the indicators it scores into.
    let mut scored: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, ind) in survey.indicators.iter().enumerate() {
        scored.entry(ind.question).or_default().push(i);
    }
    let mut row: u32 = 1;
    let labels = column_labels(survey);
    for (id, vi, en) in &labels {
        let question = survey
            .question_position(id)
            .map(|i| (i, &survey.questions[i]));
        let mut cells: Vec<String> = vec![String::new(); CODEBOOK_HEADER.len()];
        cells[0] = id.clone();
        cells[1] = vi.clone();
        cells[2] = en.clone();
        let mut choices: Vec<(String, String, String)> = Vec::new();
        match question {
            None => cells[3] = "metadata".into(),
            Some((i, q)) => {
                cells[3] = q.kind.name().into();
                cells[4] = if q.required { "yes" } else { "no" }.into();
                cells[8] = q.relevant_source.clone().unwrap_or_default();
                cells[9] = q.constraint_source.clone().unwrap_or_default();
                cells[15] = q.group.clone().unwrap_or_default();
                if let Some(list) = q.choices.as_ref().and_then(|l| survey.choice_lists.get(l)) {
                    choices = list
                        .iter()
                        .map(|c| {
                            (
                                c.value.clone(),
                                c.label.get("vi").to_owned(),
                                c.label.get("en").to_owned(),
                            )
                        })
                        .collect();
                }
                if let Some(inds) = scored.get(&i) {
                    let join = |f: &dyn Fn(usize) -> String| {
                        let mut v: Vec<String> = inds.iter().map(|&k| f(k)).collect();
                        v.dedup();
                        v.join(", ")
                    };
                    cells[10] = join(&|k| survey.indicators[k].id.clone());
                    cells[11] = join(&|k| {
                        let ind = &survey.indicators[k];
                        survey.dimensions[ind.dimension].subdimensions[ind.subdimension]
                            .id
                            .clone()
                    });
                    cells[12] =
                        join(&|k| survey.dimensions[survey.indicators[k].dimension].id.clone());
                    cells[13] = join(&|k| {
                        survey.dimensions[survey.indicators[k].dimension]
                            .label
                            .get("vi")
                            .to_owned()
                    });
                    cells[14] = join(&|k| {
                        survey.dimensions[survey.indicators[k].dimension]
                            .label
                            .get("en")
                            .to_owned()
                    });
                }
            }
        }
        if choices.is_empty() {
            write_cells(sheet, row, &cells)?;
            row += 1;
        }
        for (code, cvi, cen) in choices {
            cells[5] = code;
            cells[6] = cvi;
            cells[7] = cen;
            write_cells(sheet, row, &cells)?;
            row += 1;
        }
    }
    sheet.autofilter(
        0,
        0,
        row.saturating_sub(1).max(1),
        (CODEBOOK_HEADER.len() - 1) as u16,
    )?;
    sheet.set_freeze_panes(1, 1)?;
    for (c, w) in [(0u16, 18.0), (1, 50.0), (2, 50.0), (6, 24.0), (7, 24.0)] {
        sheet.set_column_width(c, w)?;
    }
    Ok(())
}

fn write_cells(sheet: &mut Worksheet, row: u32, cells: &[String]) -> Result<(), XlsxError> {
    for (c, v) in cells.iter().enumerate() {
        if !v.is_empty() {
            sheet.write_string(row, c as u16, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use chrono::TimeZone;
    use papi_survey::Interview;

    fn small() -> Survey {
        Survey::from_toml(
            include_str!("../../../tests/fixtures/small.toml"),
            "small.toml",
        )
        .unwrap()
    }

    fn stored(
        survey: &Survey,
        seq: i64,
        answers: &[(&str, Answer)],
        state: &str,
    ) -> StoredInterview {
        let mut typed = vec![None; survey.questions.len()];
        for (id, a) in answers {
            typed[survey.question_position(id).unwrap()] = Some(a.clone());
        }
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 3, 4, 5).unwrap();
        StoredInterview {
            seq,
            interview: Interview {
                id: uuid::Uuid::new_v4(),
                survey_id: survey.id.clone(),
                survey_version: survey.version.clone(),
                location: vec![
                    ("province".into(), "Bình Định".into()),
                    ("district".into(), "Hoài Nhơn".into()),
                    ("commune".into(), String::new()),
                ],
                weight: Some(1234.5625),
                enumerator: None,
                started_at: Some(at),
                finished_at: None,
                answers: typed,
            },
            received_at: at,
            review_state: state.into(),
            content_hash: String::new(),
        }
    }

    fn text(d: &Data) -> String {
        match d {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn cells_hold_exactly_what_was_answered_whatever_the_characters() {
        let survey = small();
        let tricky =
            "  a & b < c > d \"q\" 'a' _x0041_ _x00e9_ _x12_ \u{1}\u{b}\u{1f} tab\there\nline ";
        let first = stored(
            &survey,
            1,
            &[
                ("sex", Answer::Choice("yes".into())),
                ("age", Answer::Integer(42)),
                ("wait_minutes", Answer::Decimal(12.25)),
                (
                    "channels",
                    Answer::Choices(vec!["radio".into(), "board".into()]),
                ),
                ("comment", Answer::Text(tricky.into())),
            ],
            "approved",
        );
        let second = stored(
            &survey,
            2,
            &[("comment", Answer::Text("Đường tốt, không có gì".into()))],
            "received",
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.xlsx");
        let mut pages =
            Box::new(XlsxPages::new(&survey, File::create(&path).unwrap(), &[]).unwrap());
        pages.write_page(std::slice::from_ref(&first)).unwrap();
        pages.write_page(std::slice::from_ref(&second)).unwrap();
        pages.finish().unwrap();

        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(
            book.sheet_names(),
            vec![DATA_SHEET, CODEBOOK_SHEET, ABOUT_SHEET]
        );
        let data = book.worksheet_range(DATA_SHEET).unwrap();
        let rows: Vec<&[Data]> = data.rows().collect();
        assert_eq!(rows.len(), 4);
        let header: Vec<String> = rows[0].iter().map(text).collect();
        assert_eq!(header, crate::columns(&survey));
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let one = rows[2];
        assert_eq!(text(&one[0]), first.interview.id.to_string());
        assert_eq!(text(&one[col("district")]), "Hoài Nhơn");
        assert_eq!(one[col("commune")], Data::Empty);
        assert_eq!(one[col("weight")], Data::Float(1234.5625));
        assert_eq!(one[col("enumerator")], Data::Empty);
        assert_eq!(text(&one[col("started_at")]), "2026-11-02T03:04:05Z");
        assert_eq!(one[col("finished_at")], Data::Empty);
        assert_eq!(text(&one[col("sex")]), "yes");
        assert_eq!(one[col("age")], Data::Float(42.0));
        assert_eq!(one[col("wait_minutes")], Data::Float(12.25));
        assert_eq!(text(&one[col("channels")]), "radio board");
        assert_eq!(text(&one[col("comment")]), tricky);
        assert_eq!(one[col("road_good")], Data::Empty);
        assert_eq!(text(&one[col("review_state")]), "approved");
        let two = rows[3];
        assert_eq!(text(&two[col("comment")]), "Đường tốt, không có gì");
        assert_eq!(text(&two[col("review_state")]), "received");
        assert_eq!(two[col("age")], Data::Empty);

        let about = book.worksheet_range(ABOUT_SHEET).unwrap();
        assert!(about.rows().any(|r| r.len() > 1 && text(&r[1]) == "2"));
    }

    #[test]
    fn text_that_would_start_a_formula_is_neutralised_and_numbers_are_not() {
        let survey = small();
        let mut row = stored(
            &survey,
            1,
            &[
                ("sex", Answer::Choice("-1".into())),
                ("wait_minutes", Answer::Decimal(-2.5)),
                (
                    "comment",
                    Answer::Text("=HYPERLINK(\"http://evil.example\")".into()),
                ),
                (
                    "channels",
                    Answer::Choices(vec!["@x".into(), "radio".into()]),
                ),
            ],
            "received",
        );
        row.interview.enumerator = Some("\t=1+1".into());
        row.interview.location[1].1 = "-2+3+cmd|' /C calc'!A0".into();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.xlsx");
        let mut pages =
            Box::new(XlsxPages::new(&survey, File::create(&path).unwrap(), &[]).unwrap());
        pages.write_page(std::slice::from_ref(&row)).unwrap();
        pages.finish().unwrap();

        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        let data = book.worksheet_range(DATA_SHEET).unwrap();
        let rows: Vec<&[Data]> = data.rows().collect();
        let header: Vec<String> = rows[0].iter().map(text).collect();
        let cell = |name: &str| rows[2][header.iter().position(|h| h == name).unwrap()].clone();
        assert_eq!(
            text(&cell("comment")),
            "'=HYPERLINK(\"http://evil.example\")"
        );
        assert_eq!(text(&cell("enumerator")), "'\t=1+1");
        assert_eq!(text(&cell("district")), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(text(&cell("channels")), "'@x radio");
        // A numeric choice code stays as it is; a negative decimal stays a number.
        assert_eq!(text(&cell("sex")), "-1");
        assert_eq!(cell("wait_minutes"), Data::Float(-2.5));
    }

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
