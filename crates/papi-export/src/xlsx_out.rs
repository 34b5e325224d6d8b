//! XLSX for Excel users, in three sheets, and one more per repeat:
//!
//! - `data`: row 1 holds the column ids (the flat layout's names, what `papi score` and scripts use),
//!   row 2 the columns' labels in Vietnamese, and the interviews follow from row 3, one a row; the two
//!   header rows and the id column stay frozen while scrolling. Numbers (the weight, integer and
//!   decimal answers) are numbers, everything else text; an empty cell is no answer. Text that a
//!   spreadsheet would read as a formula is neutralised as in the CSV (`cells`).
//! - one sheet per repeat, after `data`, named after the repeat (cut to Excel's 31 characters, and
//!   kept apart from the other sheets' names): the repeat's long table, `interview_id`, `repeat` (the
//!   repetition's position, from 1) and its questions, one row per repetition, under the same two
//!   header rows. `data` holds the number of repetitions in the repeat's column.
//! - `codebook`: one row per column of `data` and of the repeats' sheets (its last column names the
//!   sheet), and for a select question one row per choice (the
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

use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Seek, SeekFrom, Write};

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::{time, ExportLayout, Value};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use zip::{CompressionMethod, ZipArchive};

use crate::package::{unique_names, Tables};
use crate::xlsx_codebook::codebook;
use crate::xlsx_rows::{column_letters, write_row, write_values};
use crate::zip_package::{ZipPackage, DEFLATED, STORED};
use crate::{column_labels, repeat_labels, Described, ExportError, Format, PageWriter};

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

/// The characters a sheet's name may not hold.
const NOT_IN_SHEET_NAMES: &str = "[]:*?/\\";

/// The names of the repeats' sheets, in order.
pub fn repeat_sheet_names(survey: &Survey) -> Vec<String> {
    let wanted: Vec<String> = ExportLayout::new(survey)
        .repeats
        .into_iter()
        .map(|r| r.name.trim_matches('\'').to_owned())
        .collect();
    unique_names(
        &wanted,
        &[DATA_SHEET, CODEBOOK_SHEET, ABOUT_SHEET, "History"],
        31,
        |c| !NOT_IN_SHEET_NAMES.contains(c) && !c.is_control(),
    )
}

/// A repeat's sheet while it is written: its rows go to a temporary file.
struct RepeatSheet {
    part: String,
    head: Vec<u8>,
    tail: Vec<u8>,
    rows: BufWriter<File>,
    columns: Vec<Vec<u8>>,
    row: u32,
}

pub(crate) struct XlsxPages<'a> {
    survey: &'a Survey,
    layout: ExportLayout,
    repeats: Vec<RepeatSheet>,
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
        tables: Tables,
        states: &[String],
    ) -> Result<XlsxPages<'a>, ExportError> {
        let mut template = open_package(package(survey, states, 0, "").map_err(err)?)?;
        let content_types = read_part(&mut template, CONTENT_TYPES_PART)?;
        let data_part = read_part(&mut template, DATA_PART)?;
        let (head, data_tail) = split_data_part(&data_part)?;
        let layout = ExportLayout::new(survey);
        let mut repeats = Vec::new();
        for (i, r) in layout.repeats.iter().enumerate() {
            let part = repeat_part(i);
            let (head, tail) = split_data_part(&read_part(&mut template, &part)?)?;
            repeats.push(RepeatSheet {
                part,
                head,
                tail,
                rows: BufWriter::with_capacity(1 << 20, tables.temp()?),
                columns: (0..r.columns.len() + 2).map(column_letters).collect(),
                row: 3,
            });
        }
        let file = tables.out;

        let column_count = column_labels(survey).len();
        let mut zip = ZipPackage::new(file);
        copy_part(&mut zip, &mut template, CONTENT_TYPES_PART)?;
        zip.start_deflated(DATA_PART, DATA_COMPRESSION_LEVEL)
            .map_err(err)?;
        zip.write_deflated(&head).map_err(err)?;
        Ok(XlsxPages {
            survey,
            layout,
            repeats,
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
            write_row(
                &mut self.xml,
                &self.columns,
                self.row,
                s,
                self.survey,
                &self.layout.main,
            );
            self.row += 1;
            for (table, sheet) in self.layout.repeats.iter().zip(&mut self.repeats) {
                let id = s.interview.id.to_string();
                for (i, rep) in table.repetitions(&s.interview.answers).iter().enumerate() {
                    if i64::from(sheet.row) - 2 > MAX_ROWS {
                        return Err(ExportError::TooManyRepetitions {
                            repeat: table.name.clone(),
                            max: MAX_ROWS,
                        });
                    }
                    let mut values =
                        vec![Value::Text(id.as_str().into()), Value::Whole(i as i64 + 1)];
                    values.extend(table.columns.iter().map(|c| c.value_in(self.survey, rep)));
                    let mut xml = Vec::new();
                    write_values(&mut xml, &sheet.columns, sheet.row, values);
                    sheet.rows.write_all(&xml).map_err(err)?;
                    sheet.row += 1;
                }
            }
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
        let mut buffer = vec![0u8; CHUNK];
        for sheet in std::mem::take(&mut self.repeats) {
            let (head, tail) = split_data_part(&read_part(&mut final_package, &sheet.part)?)?;
            if head != sheet.head || tail != sheet.tail {
                return Err(err(
                    "the workbook's repeat sheets changed while they were being written",
                ));
            }
            let mut rows = sheet.rows.into_inner().map_err(|e| err(e.error()))?;
            rows.seek(SeekFrom::Start(0)).map_err(err)?;
            self.zip
                .start_deflated(&sheet.part, DATA_COMPRESSION_LEVEL)
                .map_err(err)?;
            self.zip.write_deflated(&sheet.head).map_err(err)?;
            loop {
                let n = rows.read(&mut buffer).map_err(err)?;
                if n == 0 {
                    break;
                }
                self.zip.write_deflated(&buffer[..n]).map_err(err)?;
            }
            self.zip.write_deflated(&sheet.tail).map_err(err)?;
            self.zip.finish_deflated().map_err(err)?;
        }
        let written: Vec<String> = (0..self.layout.repeats.len()).map(repeat_part).collect();
        for i in 0..final_package.len() {
            let name = final_package
                .name_for_index(i)
                .unwrap_or_default()
                .to_owned();
            if name != DATA_PART && name != CONTENT_TYPES_PART && !written.contains(&name) {
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
    let mut tables: Vec<(String, Vec<Described>)> =
        vec![(DATA_SHEET.to_owned(), column_labels(survey))];
    let layout = ExportLayout::new(survey);
    for (name, r) in repeat_sheet_names(survey).into_iter().zip(&layout.repeats) {
        tables.push((name, repeat_labels(survey, r)));
    }
    for (name, columns) in &tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        for (c, d) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, &d.id, &bold)?;
            sheet.write_string_with_format(1, c as u16, &d.vi, &label)?;
        }
        sheet.set_column_width(0, 38)?;
        sheet.set_freeze_panes(2, 1)?;
    }
    codebook(workbook.add_worksheet(), survey, &tables, &bold)?;
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
    let mut facts: Vec<(&str, String)> = vec![
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
    let repeats = repeat_sheet_names(survey);
    if !repeats.is_empty() {
        facts.push((
            "Nhóm lặp / Repeats",
            format!(
                "Trang {}: mỗi lần lặp một hàng, nối với 'data' qua interview_id; cột của nhóm lặp \
                 trong 'data' là số lần lặp. Sheet {}: one row per repetition, joined to 'data' by \
                 interview_id; the repeat's column in 'data' is the number of repetitions.",
                repeats.join(", "),
                repeats.join(", ")
            ),
        ));
    }
    for (r, (k, v)) in facts.iter().enumerate() {
        sheet.write_string_with_format(r as u32, 0, *k, bold)?;
        sheet.write_string(r as u32, 1, v)?;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 60)?;
    Ok(())
}

/// The part of the sheet of the `i`-th repeat (the sheets after `data`).
fn repeat_part(i: usize) -> String {
    format!("xl/worksheets/sheet{}.xml", i + 2)
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

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook, Data, Reader, Xlsx};
    use chrono::TimeZone;
    use papi_survey::{Answer, Interview};

    fn tables(dir: &std::path::Path, path: &std::path::Path) -> Tables {
        Tables::new(dir, File::create(path).unwrap(), false).unwrap()
    }

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
        let mut pages = Box::new(XlsxPages::new(&survey, tables(dir.path(), &path), &[]).unwrap());
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
        let mut pages = Box::new(XlsxPages::new(&survey, tables(dir.path(), &path), &[]).unwrap());
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
}
