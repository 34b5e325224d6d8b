//! CSV: the main table, one row per interview, a select_multiple answer as its values separated by
//! spaces, a point as GeoJSON, an empty cell for no answer; optionally with a UTF-8 byte-order mark
//! for Excel. Text that a spreadsheet would read as a formula is neutralised (`cells`). In a package
//! (`package`), one more CSV file per repeat, one row per repetition.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::{time, ExportLayout, Value};

use crate::cells::neutralised;
use crate::package::{part_names, Tables};
use crate::{columns, ExportError, Format, PageWriter};

/// zlib level of the tables in a ZIP: fast, as for the XLSX data sheet.
const ZIP_LEVEL: u32 = 2;

type Table = csv::Writer<BufWriter<File>>;

pub(crate) struct CsvPages<'a> {
    survey: &'a Survey,
    layout: ExportLayout,
    w: Table,
    /// One table per repeat (packaged exports only).
    repeats: Vec<Table>,
    /// The output, when the tables go into a ZIP (`w` is then a temporary file).
    package: Option<(File, Vec<String>)>,
    cell: String,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Csv, e)
}

fn table(file: File, bom: bool, header: Vec<String>) -> Result<Table, ExportError> {
    let mut out = BufWriter::with_capacity(1 << 20, file);
    if bom {
        out.write_all("\u{feff}".as_bytes()).map_err(err)?;
    }
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(out);
    w.write_record(header).map_err(err)?;
    Ok(w)
}

/// Writes one value as a cell: text neutralised, numbers as Rust prints them.
fn field(w: &mut Table, cell: &mut String, v: Value<'_>) -> Result<(), ExportError> {
    match v {
        Value::Empty => w.write_field("").map_err(err),
        Value::Text(t) => w.write_field(&*neutralised(&t)).map_err(err),
        Value::Whole(n) => {
            cell.clear();
            write!(cell, "{n}").expect("a string takes any text");
            w.write_field(&*cell).map_err(err)
        }
        Value::Number(x) => {
            cell.clear();
            write!(cell, "{x}").expect("a string takes any text");
            w.write_field(&*cell).map_err(err)
        }
    }
}

fn finish_table(w: Table) -> Result<File, ExportError> {
    let out = w.into_inner().map_err(|e| err(e.error()))?;
    out.into_inner().map_err(|e| err(e.error()))
}

impl<'a> CsvPages<'a> {
    pub(crate) fn new(
        survey: &'a Survey,
        tables: Tables,
        bom: bool,
    ) -> Result<CsvPages<'a>, ExportError> {
        let layout = ExportLayout::new(survey);
        if !tables.packaged {
            return Ok(CsvPages {
                survey,
                layout,
                w: table(tables.out, bom, columns(survey))?,
                repeats: Vec::new(),
                package: None,
                cell: String::new(),
            });
        }
        let w = table(tables.temp()?, bom, columns(survey))?;
        let repeats = layout
            .repeats
            .iter()
            .map(|r| table(tables.temp()?, bom, r.column_names()))
            .collect::<Result<_, _>>()?;
        let names = part_names(survey, Format::Csv);
        Ok(CsvPages {
            survey,
            layout,
            w,
            repeats,
            package: Some((tables.out, names)),
            cell: String::new(),
        })
    }
}

impl PageWriter for CsvPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        let w = &mut self.w;
        let cell = &mut self.cell;
        for s in page {
            let iv = &s.interview;
            cell.clear();
            write!(cell, "{}", iv.id).expect("a string takes any text");
            w.write_field(&*cell).map_err(err)?;
            for (_, v) in &iv.location {
                w.write_field(&*neutralised(v)).map_err(err)?;
            }
            cell.clear();
            if let Some(x) = iv.weight {
                write!(cell, "{x}").expect("a string takes any text");
            }
            w.write_field(&*cell).map_err(err)?;
            w.write_field(&*neutralised(iv.enumerator.as_deref().unwrap_or("")))
                .map_err(err)?;
            w.write_field(time(&iv.started_at).unwrap_or_default())
                .map_err(err)?;
            w.write_field(time(&iv.finished_at).unwrap_or_default())
                .map_err(err)?;
            for col in &self.layout.main {
                let answer = iv.answers.get(col.question).and_then(Option::as_ref);
                field(w, cell, col.value(self.survey, answer))?;
            }
            w.write_field(&s.review_state).map_err(err)?;
            w.write_record(None::<&[u8]>).map_err(err)?;
            for (table, r) in self.layout.repeats.iter().zip(&mut self.repeats) {
                for (i, rep) in table.repetitions(&iv.answers).iter().enumerate() {
                    cell.clear();
                    write!(cell, "{}", iv.id).expect("a string takes any text");
                    r.write_field(&*cell).map_err(err)?;
                    field(r, cell, Value::Whole(i as i64 + 1))?;
                    for col in &table.columns {
                        field(r, cell, col.value_in(self.survey, rep))?;
                    }
                    r.write_record(None::<&[u8]>).map_err(err)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        let main = finish_table(self.w)?;
        match self.package {
            None => main.sync_all().map_err(err),
            Some((out, names)) => {
                let mut parts = vec![(names[0].clone(), main)];
                for (name, r) in names[1..].iter().zip(self.repeats) {
                    parts.push((name.clone(), finish_table(r)?));
                }
                Tables::zip(out, parts, ZIP_LEVEL)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use papi_survey::{Answer, Interview};

    #[test]
    fn text_that_would_start_a_formula_is_neutralised_and_numbers_are_not() {
        let survey = Survey::from_toml(
            include_str!("../../../tests/fixtures/small.toml"),
            "small.toml",
        )
        .unwrap();
        let mut answers = vec![None; survey.questions.len()];
        let mut answer = |id: &str, a: Answer| {
            answers[survey.question_position(id).unwrap()] = Some(a);
        };
        answer("sex", Answer::Choice("-1".into()));
        answer("age", Answer::Integer(-3));
        answer("wait_minutes", Answer::Decimal(-2.5));
        answer(
            "channels",
            Answer::Choices(vec!["-1".into(), "=1+1".into()]),
        );
        answer(
            "comment",
            Answer::Text("=HYPERLINK(\"http://evil.example\")".into()),
        );
        let at = chrono::Utc::now();
        let stored = StoredInterview {
            seq: 1,
            interview: Interview {
                id: uuid::Uuid::new_v4(),
                survey_id: survey.id.clone(),
                survey_version: survey.version.clone(),
                location: vec![
                    ("province".into(), "Bình Định".into()),
                    ("district".into(), "@district".into()),
                    ("commune".into(), "-".into()),
                ],
                weight: Some(-0.5),
                enumerator: Some("+cmd|' /C calc'!A0".into()),
                started_at: None,
                finished_at: None,
                answers,
            },
            received_at: at,
            review_state: "received".into(),
            content_hash: String::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.csv");
        let tables = Tables::new(dir.path(), File::create(&path).unwrap(), false).unwrap();
        let mut pages = Box::new(CsvPages::new(&survey, tables, false).unwrap());
        pages.write_page(std::slice::from_ref(&stored)).unwrap();
        pages.finish().unwrap();

        let mut r = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
        let row = r.records().next().unwrap().unwrap();
        let cell = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_owned();
        assert_eq!(cell("district"), "'@district");
        assert_eq!(cell("commune"), "'-");
        assert_eq!(cell("enumerator"), "'+cmd|' /C calc'!A0");
        assert_eq!(cell("comment"), "'=HYPERLINK(\"http://evil.example\")");
        assert_eq!(cell("channels"), "'-1 =1+1");
        // Numbers stay numbers, whatever their sign.
        assert_eq!(cell("sex"), "-1");
        assert_eq!(cell("age"), "-3");
        assert_eq!(cell("wait_minutes"), "-2.5");
        assert_eq!(cell("weight"), "-0.5");
    }
}
