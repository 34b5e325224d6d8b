//! Parquet: the main table typed as `papi score` reads it (numbers as numbers, the rest as text, a
//! point as GeoJSON text), compressed with zstd, one row group per [`ROWS_PER_GROUP`] interviews;
//! in a package (`package`), one more file per repeat.

use std::borrow::Cow;
use std::fs::File;

use papi_store::StoredInterview;
use papi_survey::Survey;
use papi_table::{meta_columns, time, ColumnType, ExportLayout, TableRows, Value};

use crate::package::{part_names, Tables};
use crate::{ExportError, Format, PageWriter, REVIEW_STATE};

/// Interviews per row group: large enough to compress well, small enough to keep memory flat.
const ROWS_PER_GROUP: usize = 10_000;

/// zlib level of the files in a ZIP: Parquet is compressed already.
const ZIP_LEVEL: u32 = 1;

pub(crate) struct ParquetPages<'a> {
    survey: &'a Survey,
    layout: ExportLayout,
    rows: TableRows<File>,
    repeats: Vec<TableRows<File>>,
    /// The output, when the tables go into a ZIP (`rows` is then a temporary file).
    package: Option<(File, Vec<String>)>,
}

fn err(e: impl std::fmt::Display) -> ExportError {
    ExportError::write(Format::Parquet, e)
}

impl<'a> ParquetPages<'a> {
    pub(crate) fn new(survey: &'a Survey, tables: Tables) -> Result<ParquetPages<'a>, ExportError> {
        let layout = ExportLayout::new(survey);
        let weight = papi_table::weight_column(survey);
        let mut main: Vec<(String, ColumnType)> = meta_columns(survey)
            .into_iter()
            .map(|c| {
                let ty = if c == weight {
                    ColumnType::Number
                } else {
                    ColumnType::Text
                };
                (c, ty)
            })
            .collect();
        main.extend(layout.main.iter().map(|c| (c.name.clone(), c.kind)));
        main.push((REVIEW_STATE.to_owned(), ColumnType::Text));
        if !tables.packaged {
            return Ok(ParquetPages {
                survey,
                rows: TableRows::new(tables.out, &main, ROWS_PER_GROUP).map_err(err)?,
                layout,
                repeats: Vec::new(),
                package: None,
            });
        }
        let rows = TableRows::new(tables.temp()?, &main, ROWS_PER_GROUP).map_err(err)?;
        let mut repeats = Vec::new();
        for r in &layout.repeats {
            let mut cols = vec![
                (papi_table::INTERVIEW_ID.to_owned(), ColumnType::Text),
                (papi_table::REPETITION.to_owned(), ColumnType::Whole),
            ];
            cols.extend(r.columns.iter().map(|c| (c.name.clone(), c.kind)));
            repeats.push(TableRows::new(tables.temp()?, &cols, ROWS_PER_GROUP).map_err(err)?);
        }
        Ok(ParquetPages {
            survey,
            layout,
            rows,
            repeats,
            package: Some((tables.out, part_names(survey, Format::Parquet))),
        })
    }
}

fn text(t: Option<&str>) -> Value<'_> {
    t.map_or(Value::Empty, |t| Value::Text(Cow::Borrowed(t)))
}

impl PageWriter for ParquetPages<'_> {
    fn write_page(&mut self, page: &[StoredInterview]) -> Result<(), ExportError> {
        for s in page {
            let iv = &s.interview;
            let id = iv.id.to_string();
            let started = time(&iv.started_at);
            let finished = time(&iv.finished_at);
            let mut row: Vec<Value> = Vec::with_capacity(8 + self.layout.main.len());
            row.push(text(Some(&id)));
            for col in &self.survey.design.location {
                row.push(text(iv.location_value(col)));
            }
            row.push(iv.weight.map_or(Value::Empty, Value::Number));
            row.push(text(iv.enumerator.as_deref()));
            row.push(text(started.as_deref()));
            row.push(text(finished.as_deref()));
            for col in &self.layout.main {
                let answer = iv.answers.get(col.question).and_then(Option::as_ref);
                row.push(col.value(self.survey, answer));
            }
            row.push(text(Some(&s.review_state)));
            self.rows.push(row).map_err(err)?;
            for (table, out) in self.layout.repeats.iter().zip(&mut self.repeats) {
                for (i, rep) in table.repetitions(&iv.answers).iter().enumerate() {
                    let mut row = vec![text(Some(&id)), Value::Whole(i as i64 + 1)];
                    row.extend(table.columns.iter().map(|c| c.value_in(self.survey, rep)));
                    out.push(row).map_err(err)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        let main = self.rows.finish().map_err(err)?;
        match self.package {
            None => main.sync_all().map_err(err),
            Some((out, names)) => {
                let mut parts = vec![(names[0].clone(), main)];
                for (name, r) in names[1..].iter().zip(self.repeats) {
                    parts.push((name.clone(), r.finish().map_err(err)?));
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
    use papi_table::ParquetRows;

    /// A survey with no repeat and no point exports exactly the flat layout's file, byte for byte,
    /// as papi wrote it before repeats had tables of their own.
    #[test]
    fn without_repeats_the_file_is_the_flat_layout_byte_for_byte() {
        let survey = Survey::from_toml(
            include_str!("../../../tests/fixtures/small.toml"),
            "small.toml",
        )
        .unwrap();
        let mut answers = vec![None; survey.questions.len()];
        answers[survey.question_position("age").unwrap()] = Some(Answer::Integer(41));
        answers[survey.question_position("wait_minutes").unwrap()] = Some(Answer::Decimal(2.5));
        answers[survey.question_position("channels").unwrap()] =
            Some(Answer::Choices(vec!["radio".into(), "board".into()]));
        answers[survey.question_position("comment").unwrap()] = Some(Answer::Text("tốt".into()));
        let at = chrono::Utc::now();
        let page: Vec<StoredInterview> = (0..3)
            .map(|i| StoredInterview {
                seq: i,
                interview: Interview {
                    id: uuid::Uuid::new_v4(),
                    survey_id: survey.id.clone(),
                    survey_version: survey.version.clone(),
                    location: vec![
                        ("province".into(), "Bình Định".into()),
                        ("district".into(), "Tây Sơn".into()),
                        ("commune".into(), "Bình Tường".into()),
                    ],
                    weight: (i != 1).then_some(12.5),
                    enumerator: Some("Lan".into()),
                    started_at: Some(at),
                    finished_at: None,
                    answers: if i == 2 {
                        vec![None; survey.questions.len()]
                    } else {
                        answers.clone()
                    },
                },
                received_at: at,
                review_state: "received".into(),
                content_hash: String::new(),
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.parquet");
        let tables = Tables::new(dir.path(), File::create(&path).unwrap(), false).unwrap();
        let mut pages = Box::new(ParquetPages::new(&survey, tables).unwrap());
        pages.write_page(&page).unwrap();
        pages.finish().unwrap();

        let mut flat = Vec::new();
        let mut rows =
            ParquetRows::new(&survey, &mut flat, &[REVIEW_STATE], ROWS_PER_GROUP).unwrap();
        for s in &page {
            rows.push(&s.interview, &[s.review_state.as_str()]).unwrap();
        }
        rows.finish().unwrap();
        assert!(std::fs::read(&path).unwrap() == flat);
    }
}
