//! Several tables in one export. CSV and Parquet hold one table a file, so an export of a survey
//! with repeats is a ZIP: `data.csv` (or `data.parquet`), the main table, and `REPEAT.csv` per repeat,
//! each written to a temporary file as pages arrive and deflated into the ZIP at the end. An
//! export to a `.zip` file is always such a package; an export of a survey without repeats to any
//! other name is the one table, as it always was.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use papi_survey::Survey;
use papi_table::ExportLayout;

use crate::zip_package::ZipPackage;
use crate::{ExportError, Format};

/// The main table's name in a package.
pub const MAIN_TABLE: &str = "data";

/// Whether an export in `format` to `path` is a ZIP of tables (CSV or Parquet to a `.zip` file).
pub fn is_package(format: Format, path: &Path) -> bool {
    format != Format::Xlsx
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Whether an export of `survey` in `format` must be a ZIP of tables: CSV or Parquet of a survey
/// with a repeat. (XLSX puts a repeat's table on a sheet of its own.)
pub fn needs_package(survey: &Survey, format: Format) -> bool {
    format != Format::Xlsx && !ExportLayout::new(survey).repeats.is_empty()
}

/// The extension of the file of an export of `survey` in `format`: `zip` when it needs a package.
pub fn file_extension(survey: &Survey, format: Format) -> &'static str {
    if needs_package(survey, format) {
        "zip"
    } else {
        format.extension()
    }
}

/// The media type of the file of an export of `survey` in `format`.
pub fn content_type(survey: &Survey, format: Format) -> &'static str {
    if needs_package(survey, format) {
        "application/zip"
    } else {
        format.content_type()
    }
}

/// The files in a package of `survey` in `format`: the main table, then one per repeat.
pub fn part_names(survey: &Survey, format: Format) -> Vec<String> {
    let mut wanted = vec![MAIN_TABLE.to_owned()];
    wanted.extend(
        ExportLayout::new(survey)
            .repeats
            .into_iter()
            .map(|r| r.name),
    );
    let stems = unique_names(&wanted, &[], 100, |c| {
        c.is_ascii_alphanumeric() || "-_.".contains(c)
    });
    stems
        .into_iter()
        .map(|s| format!("{s}.{}", format.extension()))
        .collect()
}

/// Names for `wanted`, in order, that differ from each other and from `reserved` (ignoring case),
/// with at most `max` characters, each character not `allowed` replaced by `_`; a clash gets `~2`,
/// `~3`... at its end.
pub(crate) fn unique_names(
    wanted: &[String],
    reserved: &[&str],
    max: usize,
    allowed: fn(char) -> bool,
) -> Vec<String> {
    let mut taken: Vec<String> = reserved.iter().map(|r| r.to_lowercase()).collect();
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let clean: String = w
            .chars()
            .map(|c| if allowed(c) { c } else { '_' })
            .collect();
        let mut name: String = clean.chars().take(max).collect();
        let mut n = 1;
        while taken.contains(&name.to_lowercase()) {
            n += 1;
            let suffix = format!("~{n}");
            let keep = max.saturating_sub(suffix.chars().count());
            name = clean.chars().take(keep).collect::<String>() + &suffix;
        }
        taken.push(name.to_lowercase());
        out.push(name);
    }
    out
}

/// Where the tables of one export go: the output file, and temporary files beside it.
pub(crate) struct Tables {
    pub(crate) out: File,
    dir: PathBuf,
    /// Whether the output is a ZIP of tables.
    pub(crate) packaged: bool,
}

fn temp_error(e: impl std::fmt::Display) -> ExportError {
    ExportError::Write {
        format: "temporary",
        message: e.to_string(),
    }
}

impl Tables {
    pub(crate) fn new(dir: &Path, out: File, packaged: bool) -> Result<Tables, ExportError> {
        Ok(Tables {
            out,
            dir: dir.to_path_buf(),
            packaged,
        })
    }

    /// A temporary file beside the output, gone when closed.
    pub(crate) fn temp(&self) -> Result<File, ExportError> {
        tempfile::tempfile_in(&self.dir).map_err(temp_error)
    }

    /// Writes `parts` (name, file with the part's bytes) into a ZIP at `out`, deflated at `level`.
    pub(crate) fn zip(
        out: File,
        parts: Vec<(String, File)>,
        level: u32,
    ) -> Result<(), ExportError> {
        let mut zip = ZipPackage::new(out);
        let mut buffer = vec![0u8; 1 << 20];
        for (name, mut file) in parts {
            file.seek(SeekFrom::Start(0)).map_err(temp_error)?;
            zip.start_deflated(&name, level).map_err(temp_error)?;
            loop {
                let n = file.read(&mut buffer).map_err(temp_error)?;
                if n == 0 {
                    break;
                }
                zip.write_deflated(&buffer[..n]).map_err(temp_error)?;
            }
            zip.finish_deflated().map_err(temp_error)?;
        }
        let file = zip.finish().map_err(temp_error)?;
        file.sync_all().map_err(temp_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_cleaned_and_kept_apart() {
        let wanted: Vec<String> = [
            "data",
            "Data",
            "a/b:c",
            "x".repeat(40).as_str(),
            &"x".repeat(40),
        ]
        .map(String::from)
        .to_vec();
        let names = unique_names(&wanted, &["codebook"], 31, |c| !"[]:*?/\\".contains(c));
        assert_eq!(names[0], "data");
        assert_eq!(names[1], "Data~2");
        assert_eq!(names[2], "a_b_c");
        assert_eq!(names[3], "x".repeat(31));
        assert_eq!(names[4], format!("{}~2", "x".repeat(29)));
        let names = unique_names(&["codebook".into()], &["codebook"], 31, |_| true);
        assert_eq!(names, ["codebook~2"]);
    }
}
