//! XLSX for Excel users, in three sheets:
//!
//! - `data`: row 1 holds the column ids (the flat layout's names, what `papi score` and scripts use),
//!   row 2 the columns' labels in Vietnamese, and the interviews follow from row 3, one a row; the two
//!   header rows and the id column stay frozen while scrolling. Numbers (the weight, integer and
//!   decimal answers) are numbers, everything else text; an empty cell is no answer. Written in
//!   rust_xlsxwriter's constant-memory mode: a row at a time, straight to disk.
//! - `codebook`: one row per column of `data`, and for a select question one row per choice (the
//!   question's fields repeated, so that an AutoFilter on any column works): id, labels in Vietnamese
//!   and English, type, required, choice code with its labels, relevance, constraint, and the
//!   indicator, sub-dimension and dimension the question scores into.
//! - `about`: the survey, when the file was made, which review states it holds and how many interviews.

use std::collections::HashMap;
use std::fs::File;

use papi_store::StoredInterview;
use papi_survey::{Answer, Survey};
use papi_table::time;
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};

use crate::{column_labels, ExportError, Format, PageWriter};

/// Interviews that fit below the two header rows of one sheet.
pub(crate) const MAX_ROWS: i64 = 1_048_576 - 2;

/// The sheets, in order.
pub const DATA_SHEET: &str = "data";
pub const CODEBOOK_SHEET: &str = "codebook";
pub const ABOUT_SHEET: &str = "about";

pub(crate) struct XlsxPages<'a> {
    survey: &'a Survey,
    workbook: Workbook,
    file: File,
    row: u32,
    states: Vec<String>,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Xlsx, e)
}

impl<'a> XlsxPages<'a> {
    pub(crate) fn new(
        survey: &'a Survey,
        file: File,
        states: &[String],
    ) -> Result<XlsxPages<'a>, ExportError> {
        let mut workbook = Workbook::new();
        let bold = CellFormat::new().set_bold();
        let label = CellFormat::new().set_italic().set_font_color("#555555");
        {
            let data = workbook.add_worksheet_with_constant_memory();
            data.set_name(DATA_SHEET).map_err(err)?;
            let cols = column_labels(survey);
            // Row by row: constant-memory mode cannot go back to a row once it has left it.
            for (c, (id, _, _)) in cols.iter().enumerate() {
                data.write_string_with_format(0, c as u16, id, &bold)
                    .map_err(err)?;
            }
            for (c, (_, vi, _)) in cols.iter().enumerate() {
                data.write_string_with_format(1, c as u16, vi, &label)
                    .map_err(err)?;
            }
            data.set_column_width(0, 38).map_err(err)?;
            data.set_freeze_panes(2, 1).map_err(err)?;
        }
        codebook(workbook.add_worksheet(), survey, &bold).map_err(err)?;
        workbook
            .add_worksheet()
            .set_name(ABOUT_SHEET)
            .map_err(err)?;
        Ok(XlsxPages {
            survey,
            workbook,
            file,
            row: 2,
            states: states.to_vec(),
        })
    }
}

impl PageWriter for XlsxPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        let sheet = self.workbook.worksheet_from_index(0).map_err(err)?;
        for s in page {
            write_row(sheet, self.row, s).map_err(err)?;
            self.row += 1;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ExportError> {
        let rows = self.row - 2;
        let survey = self.survey;
        let states = if self.states.is_empty() {
            "tất cả / all".to_owned()
        } else {
            self.states.join(", ")
        };
        let bold = CellFormat::new().set_bold();
        let about = self.workbook.worksheet_from_index(2).map_err(err)?;
        let facts: Vec<(&str, String)> = vec![
            ("Khảo sát / Survey", survey.id.clone()),
            ("Phiên bản / Version", survey.version.clone()),
            ("Tên (tiếng Việt)", survey.title.get("vi").to_owned()),
            ("Title (English)", survey.title.get("en").to_owned()),
            (
                "Thời điểm xuất / Exported at (UTC)",
                time(&Some(chrono::Utc::now())).unwrap_or_default(),
            ),
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
            about
                .write_string_with_format(r as u32, 0, *k, &bold)
                .map_err(err)?;
            about.write_string(r as u32, 1, v).map_err(err)?;
        }
        about.set_column_width(0, 34).map_err(err)?;
        about.set_column_width(1, 60).map_err(err)?;
        self.workbook.save_to_writer(&mut self.file).map_err(err)?;
        self.file.sync_all().map_err(err)
    }
}

fn write_row(sheet: &mut Worksheet, row: u32, s: &StoredInterview) -> Result<(), XlsxError> {
    let iv = &s.interview;
    let mut c: u16 = 0;
    sheet.write_string(row, c, iv.id.to_string())?;
    for (_, v) in &iv.location {
        c += 1;
        if !v.is_empty() {
            sheet.write_string(row, c, v)?;
        }
    }
    c += 1;
    if let Some(w) = iv.weight {
        sheet.write_number(row, c, w)?;
    }
    c += 1;
    if let Some(e) = &iv.enumerator {
        sheet.write_string(row, c, e)?;
    }
    for t in [&iv.started_at, &iv.finished_at] {
        c += 1;
        if let Some(t) = time(t) {
            sheet.write_string(row, c, t)?;
        }
    }
    for a in &iv.answers {
        c += 1;
        match a {
            None => {}
            Some(Answer::Choice(v)) | Some(Answer::Text(v)) => {
                sheet.write_string(row, c, v)?;
            }
            Some(Answer::Integer(n)) => {
                sheet.write_number(row, c, *n as f64)?;
            }
            Some(Answer::Decimal(x)) => {
                sheet.write_number(row, c, *x)?;
            }
            Some(other) => {
                sheet.write_string(row, c, other.to_cell())?;
            }
        }
    }
    sheet.write_string(row, c + 1, &s.review_state)?;
    Ok(())
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
