//! An XLSForm workbook read into a survey definition (TOML, SCORING.md §2).
//!
//! The workbook's own problems (a missing sheet, an unknown type, a duplicate name, a row that cannot
//! be read) are found here, each with sheet, row and column; the rules of a definition (expressions,
//! labels in every language, indicators) are then checked by [`Survey::from_toml`], the one loader of
//! definitions, and its problems are traced back to the row and column they came from. Any problem
//! and nothing is returned: there is no half-imported definition.
//!
//! One file a sheet: `table.rs` reads a sheet into text cells under pyxform's column names,
//! `settings.rs` the settings sheet (form id, version, languages, title), `choices.rs` the choice
//! lists, `questions.rs` the survey sheet (names, types, groups, repeats, questions and their
//! indicators), `dimensions.rs` the dimensions sheet; `toml_text.rs` writes what they read as the
//! definition's TOML.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::Reader;
use papi_survey::{replace_references, Label, Survey};
use sha2::{Digest, Sha256};

mod choice_file;
mod choices;
mod dimensions;
mod questions;
mod settings;
mod table;
mod toml_text;

#[cfg(test)]
mod tests;

use table::Table;

/// One problem in a workbook: where (sheet, 1-based row as Excel shows it, column) and which rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SheetProblem {
    pub sheet: String,
    /// The row number Excel shows; 0 when the problem is the sheet or the workbook itself.
    pub row: usize,
    /// The column's header; empty when the problem is a whole row or sheet.
    pub column: String,
    /// A stable machine code, e.g. `survey.unknown_type`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sheet.is_empty() {
            write!(f, "workbook")?;
        } else {
            write!(f, "sheet '{}'", self.sheet)?;
        }
        if self.row > 0 {
            write!(f, ", row {}", self.row)?;
        }
        if !self.column.is_empty() {
            write!(f, ", column '{}'", self.column)?;
        }
        write!(f, ": {} ({})", self.message, self.code)
    }
}

/// A workbook refused, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub problems: Vec<SheetProblem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: the XLSForm has {} problem(s); nothing was written:",
            self.file,
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// A workbook read into a definition: its TOML, the checked survey, and what of the workbook papi
/// did not keep or changed (each with sheet, row and column).
#[derive(Debug)]
pub struct Imported {
    pub toml: String,
    pub survey: Survey,
    pub warnings: Vec<SheetProblem>,
}

/// Reads the XLSForm at `path`: the definition as TOML text, and the checked survey.
pub fn import_workbook(path: impl AsRef<Path>) -> Result<Imported, ImportError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError {
        file: file.clone(),
        problems: vec![problem(
            "",
            0,
            "",
            "workbook.unreadable",
            format!("cannot read the file: {e}"),
        )],
    })?;
    // A select from a file reads the file beside the workbook.
    let dir = path.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    });
    import(&bytes, &file, dir)
}

/// Reads an XLSForm given as xlsx bytes; `file` names it in problems, and its name (without folder
/// and extension) is the form id where the settings sheet gives none, as in pyxform. Bytes have no
/// folder: a `select_one_from_file` row is refused, as its file can only be read beside a workbook
/// imported from its path ([`import_workbook`]).
pub fn import_workbook_from_bytes(bytes: &[u8], file: &str) -> Result<Imported, ImportError> {
    import(bytes, file, None)
}

fn import(bytes: &[u8], file: &str, dir: Option<&Path>) -> Result<Imported, ImportError> {
    let refuse = |problems| ImportError {
        file: file.to_owned(),
        problems,
    };
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        refuse(vec![problem(
            "",
            0,
            "",
            "workbook.unreadable",
            format!("not an xlsx workbook: {e}"),
        )])
    })?;
    let mut tables = HashMap::new();
    for name in wb.sheet_names() {
        let key = name.trim().to_lowercase();
        if let Ok(range) = wb.worksheet_range(&name) {
            tables.insert(key.clone(), Table::new(&key, &range));
        }
    }
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = Sha256::digest(bytes);
    let mut im = Importer {
        problems: Vec::new(),
        warnings: Vec::new(),
        places: HashMap::new(),
        default_language: String::new(),
        renamed: HashMap::new(),
        default_form_id: stem,
        default_version: format!("{:x}", digest)[..10].to_owned(),
        dir: dir.map(Path::to_path_buf),
        choice_files: HashMap::new(),
    };
    let toml = im.read(&tables);
    if !im.problems.is_empty() {
        return Err(refuse(im.problems));
    }
    match Survey::from_toml(&toml, file) {
        Ok(survey) => Ok(Imported {
            toml,
            survey,
            warnings: im.warnings,
        }),
        Err(e) => Err(refuse(
            e.problems
                .iter()
                .map(|p| {
                    let (sheet, row) = im
                        .places
                        .get(&p.id)
                        .cloned()
                        .unwrap_or_else(|| ("survey".to_owned(), 0));
                    let column = column_of(p.code, &sheet);
                    SheetProblem {
                        sheet,
                        row,
                        column: column.to_owned(),
                        code: p.code,
                        message: p.message.clone(),
                    }
                })
                .collect(),
        )),
    }
}

/// Which column a definition problem's code points at.
fn column_of(code: &str, sheet: &str) -> &'static str {
    match (code, sheet) {
        ("question.invalid_relevant", _) => "relevant",
        ("question.invalid_constraint", _) => "constraint",
        ("question.invalid_calculation", _) => "calculation",
        ("question.invalid_choice_filter", _) => "choice_filter",
        ("question.invalid_repeat_count", _) => "repeat_count",
        ("question.invalid_required", _) => "required",
        ("question.invalid_default", _) => "default",
        ("question.invalid_parameters", _) => "parameters",
        ("question.nested_repeat" | "question.unknown_repeat", _) => "type",
        ("label.unknown_reference", _) => "label",
        ("group.duplicate_id", _) => "name",
        (c, _) if c.starts_with("question.") && c.contains("choices") => "type",
        ("question.unknown_type", _) => "type",
        (c, _) if c.starts_with("question.") => "name",
        ("label.missing_language", "settings") => "papi_title",
        ("label.missing_language", _) => "label",
        ("indicator.unknown_subdimension", _) => "papi_subdimension",
        ("indicator.invalid_range", _) => "papi_range",
        ("indicator.value_out_of_range" | "indicator.unknown_choice", _) => "papi_values",
        ("indicator.invalid_weight", _) => "papi_indicator_weight",
        (c, _) if c.starts_with("indicator.") => "papi_indicator",
        // A list copied from a file: its row on the survey sheet names the file in `type`.
        (c, "survey") if c.starts_with("choices.") => "type",
        (c, _) if c.starts_with("choices.") => "name",
        (c, "dimensions") if c.starts_with("baseline.") => "baseline",
        (c, _) if c.starts_with("baseline.") => "papi_baseline_total",
        (c, _) if c.starts_with("design.") => "papi_strata",
        (c, _) if c.starts_with("subdimension.") => "subdimension",
        (c, _) if c.starts_with("dimension.") => "dimension",
        _ => "",
    }
}

fn problem(
    sheet: &str,
    row: usize,
    column: &str,
    code: &'static str,
    message: String,
) -> SheetProblem {
    SheetProblem {
        sheet: sheet.to_owned(),
        row,
        column: column.to_owned(),
        code,
        message,
    }
}

struct Importer {
    problems: Vec<SheetProblem>,
    /// What of the workbook papi did not keep, or changed.
    warnings: Vec<SheetProblem>,
    /// Where each id came from (question, indicator, choice list, dimension...): (sheet, row).
    places: HashMap<String, (String, usize)>,
    default_language: String,
    /// Question names changed to papi's form of an id: the workbook's name → papi's.
    renamed: HashMap<String, String>,
    /// The form id and version where the settings sheet gives none.
    default_form_id: String,
    default_version: String,
    /// The workbook's folder, where the files of a select from a file are; `None` for bytes.
    dir: Option<PathBuf>,
    /// The choice list each file of choices was copied into (by file and its value/label columns).
    choice_files: HashMap<String, String>,
}

fn truthy(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" => Some(true),
        "no" | "false" | "false()" | "0" | "" => Some(false),
        _ => None,
    }
}

/// A choice as read from its row.
struct RawChoiceRow {
    value: String,
    label: Label,
    image: Label,
    columns: BTreeMap<String, String>,
}

/// A dimension row: id, label, baseline score, and its sub-dimensions (id, label).
type RawDimension = (String, Label, Option<f64>, Vec<(String, Label)>);

struct RawIndicator {
    row: usize,
    id: String,
    subdimension: String,
    question: String,
    label: Label,
    weight: Option<String>,
    values: Option<String>,
    range: Option<String>,
    reverse: Option<String>,
    any_of: Option<String>,
}

/// What the survey sheet gives the definition, as TOML text for each part.
struct SurveySheet {
    /// The location columns, in order.
    location: Vec<String>,
    questions: Vec<String>,
    groups: Vec<String>,
    indicators: Vec<RawIndicator>,
}

/// `${name}` references in a text rewritten to renamed ids.
fn rename_references(text: &str, renamed: &HashMap<String, String>) -> String {
    replace_references(text, |name| {
        Some(format!(
            "${{{}}}",
            renamed.get(name).map_or(name, String::as_str)
        ))
    })
}

impl Importer {
    fn report(&mut self, sheet: &str, row: usize, column: &str, code: &'static str, msg: String) {
        self.problems.push(problem(sheet, row, column, code, msg));
    }

    fn warn(&mut self, sheet: &str, row: usize, column: &str, code: &'static str, msg: String) {
        self.warnings.push(problem(sheet, row, column, code, msg));
    }

    fn place(&mut self, id: &str, sheet: &str, row: usize) {
        self.places
            .entry(id.to_owned())
            .or_insert((sheet.to_owned(), row));
    }

    fn number(&mut self, sheet: &str, row: usize, column: &str, text: &str) -> Option<f64> {
        match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                self.report(
                    sheet,
                    row,
                    column,
                    "cell.not_a_number",
                    format!("'{text}' is not a number"),
                );
                None
            }
        }
    }

    /// Warns once per column of `sheet` that holds values papi does not keep.
    fn unkept_columns(&mut self, sheet: &str, table: &Table, kept: &dyn Fn(&str) -> bool) {
        for (i, row) in table.used_columns() {
            let (base, _, text) = &table.header[i];
            if kept(base) {
                continue;
            }
            let why = if base.starts_with("media::") {
                "media other than images are not kept by papi"
            } else if text.is_empty() {
                "a column without a header is not kept"
            } else {
                "papi does not keep this column"
            };
            let rows: Vec<String> = table
                .rows
                .iter()
                .filter(|(_, c)| c.get(i).is_some_and(|v| !v.is_empty()))
                .map(|(r, _)| r.to_string())
                .collect();
            let shown = if rows.len() > 5 {
                format!("{}, … ({} rows)", rows[..5].join(", "), rows.len())
            } else {
                rows.join(", ")
            };
            self.warn(
                sheet,
                row,
                text,
                "column.not_kept",
                format!("{why}; its values (rows {shown}) are left out"),
            );
        }
    }

    /// The text of `base` in each language; a language without text takes the default language's,
    /// with a warning, so that every language reads in full.
    fn texts(
        &mut self,
        table: &Table,
        cells: &[String],
        base: &str,
        sheet: &str,
        row: usize,
        languages: &[String],
    ) -> Label {
        let mut label = table.label(cells, base, &self.default_language);
        for (_, text) in label.0.iter_mut() {
            *text = rename_references(text, &self.renamed);
        }
        if label.0.is_empty() {
            return label;
        }
        let fallback = label
            .0
            .get(&self.default_language)
            .or_else(|| label.0.values().next())
            .cloned()
            .unwrap_or_default();
        for l in languages {
            if !label.0.contains_key(l) {
                label.0.insert(l.clone(), fallback.clone());
                self.warn(
                    sheet,
                    row,
                    base,
                    "label.missing_translation",
                    format!(
                        "no {base} in language '{l}': the {} text is shown",
                        self.default_language
                    ),
                );
            }
        }
        label
    }

    /// Reads the sheets into the definition's TOML; the problems and warnings are left in `self`.
    fn read(&mut self, tables: &HashMap<String, Table>) -> String {
        let Some(survey) = tables.get("survey") else {
            self.report(
                "survey",
                0,
                "",
                "workbook.missing_sheet",
                "the workbook has no 'survey' sheet".into(),
            );
            return String::new();
        };
        for column in ["type", "name"] {
            if !survey.has(column) {
                self.report(
                    "survey",
                    1,
                    column,
                    "sheet.missing_column",
                    format!("the survey sheet needs a '{column}' column"),
                );
            }
        }
        if !self.problems.is_empty() {
            return String::new();
        }
        for (name, table) in tables {
            if !matches!(
                name.as_str(),
                "survey" | "choices" | "settings" | "dimensions"
            ) && !table.rows.is_empty()
            {
                self.warn(name, 0, "", "sheet.not_kept", format!("sheet '{name}' is not one papi reads (survey, choices, settings, dimensions); it is left out"));
            }
        }

        // settings: the first row under the header, where there is one.
        let no_settings = Table {
            header: Vec::new(),
            rows: Vec::new(),
        };
        let settings = self.settings(
            tables.get("settings").unwrap_or(&no_settings),
            survey,
            tables,
        );
        self.rename(survey);
        let mut lists = self.choices(tables, &settings.languages);
        let sheet = self.survey_sheet(survey, &mut lists, &settings.languages);
        let dims = self.dimensions(tables, &settings.default_language);
        self.definition(&settings, &sheet, &lists, &dims)
    }
}
