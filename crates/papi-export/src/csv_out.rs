//! CSV: the flat layout, one row per interview, a select_multiple answer as its values separated by
//! spaces, an empty cell for no answer; optionally with a UTF-8 byte-order mark for Excel.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use papi_store::StoredInterview;
use papi_survey::{Answer, Survey};
use papi_table::time;

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
                w.write_field(v).map_err(err)?;
            }
            cell.clear();
            if let Some(x) = iv.weight {
                write!(cell, "{x}").expect("a string takes any text");
            }
            w.write_field(&*cell).map_err(err)?;
            w.write_field(iv.enumerator.as_deref().unwrap_or(""))
                .map_err(err)?;
            w.write_field(time(&iv.started_at).unwrap_or_default())
                .map_err(err)?;
            w.write_field(time(&iv.finished_at).unwrap_or_default())
                .map_err(err)?;
            for a in &iv.answers {
                match a {
                    None => w.write_field("").map_err(err)?,
                    Some(Answer::Choice(v)) | Some(Answer::Text(v)) => {
                        w.write_field(v).map_err(err)?
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
                    Some(other) => w.write_field(other.to_cell()).map_err(err)?,
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
