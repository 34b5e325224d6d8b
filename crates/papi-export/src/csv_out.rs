//! CSV: the flat layout, one row per interview, a select_multiple answer as its values separated by
//! spaces, an empty cell for no answer; optionally with a UTF-8 byte-order mark for Excel. Text that
//! a spreadsheet would read as a formula is neutralised (`cells`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use papi_store::StoredInterview;
use papi_survey::{Answer, Survey};
use papi_table::time;

use crate::cells::neutralised;
use crate::{columns, ExportError, Format, PageWriter};

pub(crate) struct CsvPages {
    w: csv::Writer<BufWriter<File>>,
    cell: String,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Csv, e)
}

impl CsvPages {
    pub(crate) fn new(survey: &Survey, file: File, bom: bool) -> Result<CsvPages, ExportError> {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        if bom {
            out.write_all("\u{feff}".as_bytes()).map_err(err)?;
        }
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(out);
        w.write_record(columns(survey)).map_err(err)?;
        Ok(CsvPages {
            w,
            cell: String::new(),
        })
    }
}

impl PageWriter for CsvPages {
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
            for a in &iv.answers {
                match a {
                    None => w.write_field("").map_err(err)?,
                    Some(Answer::Choice(v)) | Some(Answer::Text(v)) => {
                        w.write_field(&*neutralised(v)).map_err(err)?
                    }
                    Some(Answer::Integer(n)) => {
                        cell.clear();
                        write!(cell, "{n}").expect("a string takes any text");
                        w.write_field(&*cell).map_err(err)?
                    }
                    Some(Answer::Decimal(x)) => {
                        cell.clear();
                        write!(cell, "{x}").expect("a string takes any text");
                        w.write_field(&*cell).map_err(err)?
                    }
                    Some(other) => w
                        .write_field(&*neutralised(&other.to_cell()))
                        .map_err(err)?,
                }
            }
            w.write_field(&s.review_state).map_err(err)?;
            w.write_record(None::<&[u8]>).map_err(err)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        let out = self.w.into_inner().map_err(|e| err(e.error()))?;
        let file = out.into_inner().map_err(|e| err(e.error()))?;
        file.sync_all().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use papi_survey::Interview;

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
        let mut pages =
            Box::new(CsvPages::new(&survey, File::create(&path).unwrap(), false).unwrap());
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
