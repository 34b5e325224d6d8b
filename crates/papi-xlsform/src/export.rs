//! A survey definition written as an XLSForm workbook.
//!
//! ODK's sheets and columns carry the questionnaire (`survey`, `choices`, `settings`); what only papi
//! reads goes where ODK tools ignore it: `papi_*` columns and a `dimensions` sheet. A question scored by
//! several indicators gets one row per further indicator right under it, with only `papi_*` cells
//! filled (pyxform skips such rows).

use papi_survey::{Label, QuestionType, Scoring, Survey};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::{language_name, location_label, FINISHED_AT, STARTED_AT};

#[derive(Debug, thiserror::Error)]
#[error("cannot write the XLSForm workbook: {0}")]
pub struct ExportError(#[from] XlsxError);

/// One sheet being written: a header row, then rows of cells by column name.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    columns: Vec<String>,
    row: u32,
}

enum Cell {
    Text(String),
    Number(f64),
}

impl<'a> Sheet<'a> {
    fn new(ws: &'a mut Worksheet, name: &str, columns: Vec<String>) -> Result<Self, XlsxError> {
        ws.set_name(name)?;
        let bold = Format::new().set_bold();
        for (c, title) in columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, title, &bold)?;
            ws.set_column_width(c as u16, if c < 4 { 24 } else { 16 })?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(Sheet {
            ws,
            columns,
            row: 1,
        })
    }

    fn put(&mut self, cells: Vec<(String, Cell)>) -> Result<(), XlsxError> {
        for (name, cell) in cells {
            let c = self
                .columns
                .iter()
                .position(|x| *x == name)
                .expect("every written column is in the header") as u16;
            match cell {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    self.ws.write_string(self.row, c, t)?;
                }
                Cell::Number(x) => {
                    self.ws.write_number(self.row, c, x)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

fn text(name: &str, value: impl Into<String>) -> (String, Cell) {
    (name.to_owned(), Cell::Text(value.into()))
}

fn label_columns(base: &str, languages: &[String]) -> Vec<String> {
    languages
        .iter()
        .map(|l| format!("{base}::{}", language_name(l)))
        .collect()
}

fn label_cells(base: &str, label: Option<&Label>, languages: &[String]) -> Vec<(String, Cell)> {
    let Some(label) = label else {
        return Vec::new();
    };
    languages
        .iter()
        .filter_map(|l| {
            label
                .0
                .get(l)
                .map(|t| text(&format!("{base}::{}", language_name(l)), t.clone()))
        })
        .collect()
}

/// Numbers as the definition wrote them: shortest form that reads back to the same f64.
fn number(x: f64) -> String {
    format!("{x}")
}

/// The `papi_*` cells of one indicator.
fn indicator_cells(survey: &Survey, i: usize) -> Vec<(String, Cell)> {
    let ind = &survey.indicators[i];
    let sub = &survey.dimensions[ind.dimension].subdimensions[ind.subdimension];
    let mut cells = vec![
        text("papi_indicator", ind.id.clone()),
        text("papi_subdimension", sub.id.clone()),
    ];
    let label = (!ind.label.0.is_empty()).then_some(&ind.label);
    cells.extend(label_cells(
        "papi_indicator_label",
        label,
        &survey.languages,
    ));
    if ind.weight != 1.0 {
        cells.push(("papi_indicator_weight".into(), Cell::Number(ind.weight)));
    }
    match &ind.scoring {
        Scoring::Values(values) => cells.push(text(
            "papi_values",
            values
                .iter()
                .map(|(k, v)| format!("{k}={}", number(*v)))
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Scoring::Range { lo, hi, reverse } => {
            cells.push(text(
                "papi_range",
                format!("{} {}", number(*lo), number(*hi)),
            ));
            if *reverse {
                cells.push(text("papi_reverse", "yes"));
            }
        }
        Scoring::AnyOf(any) => cells.push(text("papi_any_of", any.join(" "))),
    }
    cells
}

/// The XLSForm workbook (xlsx bytes) of a definition.
pub fn export_workbook(survey: &Survey) -> Result<Vec<u8>, ExportError> {
    let langs = &survey.languages;
    let mut wb = Workbook::new();

    // survey
    let mut columns: Vec<String> = vec!["type".into(), "name".into()];
    columns.extend(label_columns("label", langs));
    columns.extend(label_columns("hint", langs));
    columns.extend(label_columns("guidance_hint", langs));
    columns.extend(["required".into(), "relevant".into(), "constraint".into()]);
    columns.extend(label_columns("constraint_message", langs));
    columns.extend(label_columns("required_message", langs));
    columns.extend(
        [
            "calculation",
            "choice_filter",
            "repeat_count",
            "default",
            "appearance",
            "read_only",
            "parameters",
        ]
        .map(String::from),
    );
    columns.extend(label_columns("media::image", langs));
    columns.extend([
        "papi_role".into(),
        "papi_indicator".into(),
        "papi_subdimension".into(),
    ]);
    columns.extend(label_columns("papi_indicator_label", langs));
    columns.extend(
        [
            "papi_indicator_weight",
            "papi_values",
            "papi_range",
            "papi_reverse",
            "papi_any_of",
        ]
        .map(String::from),
    );
    {
        let mut sheet = Sheet::new(wb.add_worksheet(), "survey", columns)?;
        sheet.put(vec![text("type", "start"), text("name", STARTED_AT)])?;
        sheet.put(vec![text("type", "end"), text("name", FINISHED_AT)])?;
        for column in &survey.design.location {
            let mut cells = vec![
                text("type", "text"),
                text("name", column.clone()),
                text("required", "yes"),
                text("papi_role", "location"),
            ];
            for l in langs {
                cells.push(text(
                    &format!("label::{}", language_name(l)),
                    location_label(column, l),
                ));
            }
            sheet.put(cells)?;
        }
        let mut group: Option<&str> = None;
        let mut repeat: Option<usize> = None;
        for (position, q) in survey.questions.iter().enumerate() {
            if repeat.is_some() && q.repeat != repeat {
                sheet.put(vec![text("type", "end_repeat")])?;
                repeat = None;
            }
            if q.repeat.is_none() && q.group.as_deref() != group {
                if group.is_some() {
                    sheet.put(vec![text("type", "end_group")])?;
                }
                if let Some(g) = &q.group {
                    let mut cells = vec![text("type", "begin_group"), text("name", g.clone())];
                    if let Some(heading) = survey.group(g) {
                        cells.extend(label_cells("label", Some(&heading.label), langs));
                        if let Some(a) = &heading.appearance {
                            cells.push(text("appearance", a.clone()));
                        }
                    }
                    sheet.put(cells)?;
                }
                group = q.group.as_deref();
            }
            let kind = match (&q.choices, q.kind) {
                (_, QuestionType::Repeat) => "begin_repeat".to_owned(),
                (Some(list), _) => format!("{} {list}", q.kind.name()),
                (None, _) => q.kind.name().to_owned(),
            };
            if q.kind == QuestionType::Repeat {
                repeat = Some(position);
            }
            let mut cells = vec![text("type", kind), text("name", q.id.clone())];
            if !q.label.0.is_empty() {
                cells.extend(label_cells("label", Some(&q.label), langs));
            }
            cells.extend(label_cells("hint", q.hint.as_ref(), langs));
            cells.extend(label_cells(
                "guidance_hint",
                q.guidance_hint.as_ref(),
                langs,
            ));
            if q.required {
                cells.push(text("required", "yes"));
            } else if let Some(r) = &q.required_if_source {
                cells.push(text("required", r.clone()));
            }
            cells.extend(label_cells(
                "required_message",
                q.required_message.as_ref(),
                langs,
            ));
            for (column, value) in [
                ("relevant", &q.relevant_source),
                ("constraint", &q.constraint_source),
                ("calculation", &q.calculation_source),
                ("choice_filter", &q.choice_filter_source),
                ("repeat_count", &q.repeat_count_source),
                ("default", &q.default),
                ("appearance", &q.appearance),
                ("parameters", &q.parameters),
            ] {
                if let Some(v) = value {
                    cells.push(text(column, v.clone()));
                }
            }
            if q.read_only {
                cells.push(text("read_only", "yes"));
            }
            cells.extend(label_cells("media::image", q.image.as_ref(), langs));
            cells.extend(label_cells(
                "constraint_message",
                q.constraint_message.as_ref(),
                langs,
            ));
            let indicators: Vec<usize> = (0..survey.indicators.len())
                .filter(|&i| survey.indicators[i].question == position)
                .collect();
            let mut rest = indicators.into_iter();
            if let Some(first) = rest.next() {
                cells.extend(indicator_cells(survey, first));
            }
            sheet.put(cells)?;
            for more in rest {
                sheet.put(indicator_cells(survey, more))?;
            }
        }
        if repeat.is_some() {
            sheet.put(vec![text("type", "end_repeat")])?;
        }
        if group.is_some() {
            sheet.put(vec![text("type", "end_group")])?;
        }
    }

    // choices
    let mut columns: Vec<String> = vec!["list_name".into(), "name".into()];
    columns.extend(label_columns("label", langs));
    columns.extend(label_columns("media::image", langs));
    // The further columns choice filters read.
    let mut extra: Vec<String> = Vec::new();
    for c in survey.choice_lists.values().flatten() {
        for k in c.columns.keys() {
            if !extra.contains(k) {
                extra.push(k.clone());
            }
        }
    }
    columns.extend(extra.iter().cloned());
    {
        let mut sheet = Sheet::new(wb.add_worksheet(), "choices", columns)?;
        for (list, choices) in &survey.choice_lists {
            for c in choices {
                let mut cells = vec![
                    text("list_name", list.clone()),
                    text("name", c.value.clone()),
                ];
                cells.extend(label_cells("label", Some(&c.label), langs));
                cells.extend(label_cells("media::image", c.image.as_ref(), langs));
                for (k, v) in &c.columns {
                    cells.push(text(k, v.clone()));
                }
                sheet.put(cells)?;
            }
        }
    }

    // settings
    let mut columns: Vec<String> = vec![
        "form_title".into(),
        "form_id".into(),
        "version".into(),
        "default_language".into(),
        "papi_languages".into(),
    ];
    columns.extend(label_columns("papi_title", langs));
    columns.extend(["papi_strata", "papi_cluster", "papi_weight"].map(String::from));
    columns.extend(label_columns("papi_baseline_label", langs));
    columns.extend(
        [
            "papi_baseline_province",
            "papi_baseline_year",
            "papi_baseline_total",
        ]
        .map(String::from),
    );
    {
        let mut sheet = Sheet::new(wb.add_worksheet(), "settings", columns)?;
        let d = &survey.design;
        let mut cells = vec![
            text("form_title", survey.title.get(survey.default_language())),
            text("form_id", survey.id.clone()),
            text("version", survey.version.clone()),
            text("default_language", language_name(survey.default_language())),
            text("papi_languages", langs.join(" ")),
            text("papi_strata", d.strata.clone().unwrap_or_default()),
            text("papi_cluster", d.cluster.clone().unwrap_or_default()),
            text("papi_weight", d.weight.clone().unwrap_or_default()),
        ];
        cells.extend(label_cells("papi_title", Some(&survey.title), langs));
        if let Some(b) = &survey.baseline {
            cells.extend(label_cells("papi_baseline_label", Some(&b.label), langs));
            cells.push(text(
                "papi_baseline_province",
                b.province.clone().unwrap_or_default(),
            ));
            if let Some(y) = b.year {
                cells.push(("papi_baseline_year".into(), Cell::Number(y as f64)));
            }
            cells.push(("papi_baseline_total".into(), Cell::Number(b.total)));
        }
        sheet.put(cells)?;
    }

    // dimensions: one row per dimension (with its baseline score), then one per sub-dimension
    let mut columns: Vec<String> = vec!["dimension".into(), "subdimension".into()];
    columns.extend(label_columns("label", langs));
    columns.push("baseline".into());
    {
        let mut sheet = Sheet::new(wb.add_worksheet(), "dimensions", columns)?;
        for (d, dim) in survey.dimensions.iter().enumerate() {
            let mut cells = vec![text("dimension", dim.id.clone())];
            cells.extend(label_cells("label", Some(&dim.label), langs));
            if let Some(b) = &survey.baseline {
                cells.push(("baseline".into(), Cell::Number(b.dimensions[d])));
            }
            sheet.put(cells)?;
            for sub in &dim.subdimensions {
                let mut cells = vec![
                    text("dimension", dim.id.clone()),
                    text("subdimension", sub.id.clone()),
                ];
                cells.extend(label_cells("label", Some(&sub.label), langs));
                sheet.put(cells)?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}
