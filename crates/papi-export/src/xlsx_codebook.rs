//! The `codebook` sheet of an XLSX export: one row per column of every sheet of data (the main
//! table, then each repeat's), and for a select question one row per choice (the question's fields
//! repeated, so that an AutoFilter on any column works).

use std::collections::HashMap;

use papi_survey::Survey;
use papi_table::Part;
use rust_xlsxwriter::{Format as CellFormat, Worksheet, XlsxError};

use crate::xlsx_out::CODEBOOK_SHEET;
use crate::Described;

/// The codebook's header row.
pub const CODEBOOK_HEADER: [&str; 17] = [
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
    "Trang / Sheet",
];

/// The codebook: every column of every sheet of data (`tables`: sheet name, its columns).
pub(crate) fn codebook(
    sheet: &mut Worksheet,
    survey: &Survey,
    tables: &[(String, Vec<Described>)],
    bold: &CellFormat,
) -> Result<(), XlsxError> {
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
    let columns = tables
        .iter()
        .flat_map(|(name, cols)| cols.iter().map(move |c| (name, c)));
    for (table, column) in columns {
        let mut cells: Vec<String> = vec![String::new(); CODEBOOK_HEADER.len()];
        cells[0] = column.id.clone();
        cells[1] = column.vi.clone();
        cells[2] = column.en.clone();
        cells[16] = table.clone();
        let mut choices: Vec<(String, String, String)> = Vec::new();
        match column.question {
            None => cells[3] = "metadata".into(),
            Some((i, Part::Accuracy)) => {
                cells[3] = "geopoint accuracy (m)".into();
                cells[15] = survey.questions[i].group.clone().unwrap_or_default();
            }
            Some((i, _)) => {
                let q = &survey.questions[i];
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
