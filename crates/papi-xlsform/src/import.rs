//! An XLSForm workbook read into a survey definition (TOML, SCORING.md §2).
//!
//! The workbook's own problems (a missing sheet, an unknown type, a duplicate name, a row that cannot
//! be read) are found here, each with sheet, row and column; the rules of a definition (expressions,
//! labels in every language, indicators) are then checked by [`Survey::from_toml`], the one loader of
//! definitions, and its problems are traced back to the row and column they came from. Any problem
//! and nothing is returned: there is no half-imported definition.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};
use papi_survey::{replace_references, Label, QuestionType, Survey};
use sha2::{Digest, Sha256};

use crate::language_code;

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
    import_workbook_from_bytes(&bytes, &file)
}

/// Reads an XLSForm given as xlsx bytes; `file` names it in problems, and its name (without folder
/// and extension) is the form id where the settings sheet gives none, as in pyxform.
pub fn import_workbook_from_bytes(bytes: &[u8], file: &str) -> Result<Imported, ImportError> {
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

/// One sheet: its header (base name, language code, header text) and its rows (Excel row number,
/// cells as text).
struct Table {
    header: Vec<(String, Option<String>, String)>,
    rows: Vec<(usize, Vec<String>)>,
}

/// Columns whose text may be given per language.
const TRANSLATABLE: [&str; 10] = [
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "media::image",
    "media::audio",
    "media::video",
    "media::big-image",
    "papi_title",
];

/// Other spellings of a column, as pyxform reads them (lower case), and papi's name for it.
const COLUMN_ALIASES: [(&str, &str); 27] = [
    ("caption", "label"),
    ("constraint message", "constraint_message"),
    ("jr:constraintmsg", "constraint_message"),
    ("bind::jr:constraintmsg", "constraint_message"),
    ("required message", "required_message"),
    ("jr:requiredmsg", "required_message"),
    ("bind::jr:requiredmsg", "required_message"),
    ("guidance hint", "guidance_hint"),
    ("jr:count", "repeat_count"),
    ("control::jr:count", "repeat_count"),
    ("repeat count", "repeat_count"),
    ("read only", "read_only"),
    ("readonly", "read_only"),
    ("bind::readonly", "read_only"),
    ("choice filter", "choice_filter"),
    ("list name", "list_name"),
    ("image", "media::image"),
    ("audio", "media::audio"),
    ("video", "media::video"),
    ("big-image", "media::big-image"),
    ("relevance", "relevant"),
    ("bind::relevant", "relevant"),
    ("bind::constraint", "constraint"),
    ("bind::required", "required"),
    ("bind::calculate", "calculation"),
    ("body::appearance", "appearance"),
    ("default language", "default_language"),
];

/// A header cell as (column, language): `label::English (en)`, `label::English`, `label:English`,
/// `media::image::English`, and the aliases pyxform reads.
fn parse_header(text: &str) -> (String, Option<String>) {
    let lower = text.trim().to_lowercase();
    let alias = |c: &str| -> String {
        COLUMN_ALIASES
            .iter()
            .find(|(a, _)| *a == c)
            .map_or_else(|| c.to_owned(), |(_, n)| (*n).to_owned())
    };
    let whole = alias(&lower);
    if whole != lower || !text.contains(':') {
        return (whole, None);
    }
    // `media::image::English`: the column has two parts before the language.
    let (column, language) = match text.trim().split_once("::") {
        Some((m, rest)) if m.trim().eq_ignore_ascii_case("media") => match rest.split_once("::") {
            Some((kind, lang)) => (format!("media::{}", kind.trim().to_lowercase()), Some(lang)),
            None => (format!("media::{}", rest.trim().to_lowercase()), None),
        },
        Some((c, lang)) => (alias(&c.trim().to_lowercase()), Some(lang)),
        None => match text.trim().split_once(':') {
            Some((c, lang)) if TRANSLATABLE.contains(&alias(&c.trim().to_lowercase()).as_str()) => {
                (alias(&c.trim().to_lowercase()), Some(lang))
            }
            _ => (lower.clone(), None),
        },
    };
    // `column::language` is translated whatever the column (papi's own `papi_*_label` too); a single
    // colon only after a column XLSForm translates.
    if language.is_some() && (text.contains("::") || TRANSLATABLE.contains(&column.as_str())) {
        (column, language.map(language_code))
    } else {
        (alias(&lower), None)
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => format!("{x}"),
        Data::Int(n) => n.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date typed into a cell (a default, a constraint's bound) reads as ISO 8601, as in pyxform.
        Data::DateTime(d) if d.is_datetime() => excel_date(d.as_f64()),
        other => other.to_string().trim().to_owned(),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`, with the time when it has one.
fn excel_date(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
    let days = serial.floor();
    let Some(day) = epoch.checked_add_signed(chrono::Duration::days(days as i64)) else {
        return serial.to_string();
    };
    let seconds = ((serial - days) * 86_400.0).round() as u32;
    if seconds == 0 {
        day.format("%Y-%m-%d").to_string()
    } else {
        let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399), 0)
            .expect("within a day");
        day.and_time(time).format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

impl Table {
    fn new(sheet: &str, range: &calamine::Range<Data>) -> Table {
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows = range.rows().enumerate();
        let mut header = Vec::new();
        if let Some((_, cells)) = rows.next() {
            header = std::iter::repeat_n((String::new(), None, String::new()), first_col)
                .chain(cells.iter().map(|c| {
                    let text = cell_text(c);
                    let (mut base, lang) = parse_header(&text);
                    // On the choices sheet `value` is the choice's name.
                    if sheet == "choices" && base == "value" {
                        base = "name".into();
                    }
                    (base, lang, text)
                }))
                .collect();
        }
        let rows = rows
            .map(|(i, cells)| {
                let mut texts = vec![String::new(); first_col];
                texts.extend(cells.iter().map(cell_text));
                (first_row + i + 1, texts)
            })
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .collect();
        Table { header, rows }
    }

    /// The header columns that hold a value in some row, with the first such row.
    fn used_columns(&self) -> Vec<(usize, usize)> {
        (0..self.header.len())
            .filter_map(|i| {
                self.rows
                    .iter()
                    .find(|(_, cells)| cells.get(i).is_some_and(|c| !c.is_empty()))
                    .map(|(row, _)| (i, *row))
            })
            .collect()
    }

    fn has(&self, base: &str) -> bool {
        self.header.iter().any(|(b, _, _)| b == base)
    }

    /// The untranslated cell of column `base` (also `base::lang` when only one such column exists).
    fn get(&self, cells: &[String], base: &str) -> String {
        let found = self
            .header
            .iter()
            .position(|(b, l, _)| b == base && l.is_none())
            .or_else(|| self.header.iter().position(|(b, _, _)| b == base));
        found
            .and_then(|i| cells.get(i))
            .cloned()
            .unwrap_or_default()
    }

    /// The text of `base` in each language (`base::Name (code)`; a bare `base` is the default language).
    fn label(&self, cells: &[String], base: &str, default_language: &str) -> Label {
        let mut label = Label::default();
        for (i, (b, lang, _)) in self.header.iter().enumerate() {
            if b != base {
                continue;
            }
            let text = cells.get(i).cloned().unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            let lang = lang.clone().unwrap_or_else(|| default_language.to_owned());
            label.0.entry(lang).or_insert(text);
        }
        label
    }

    /// Language codes of the `base::...` columns, in column order.
    fn languages(&self, base: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (b, lang, _) in &self.header {
            if let (true, Some(l)) = (b == base, lang) {
                if !out.contains(l) {
                    out.push(l.clone());
                }
            }
        }
        out
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
}

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A TOML key: bare when it can be.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_owned()
    } else {
        q(s)
    }
}

fn label_toml(label: &Label, languages: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for l in languages {
        if let Some(t) = label.0.get(l) {
            parts.push(format!("{} = {}", key(l), q(t)));
        }
    }
    for (l, t) in &label.0 {
        if !languages.contains(l) {
            parts.push(format!("{} = {}", key(l), q(t)));
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

/// A float as TOML: always with a decimal point or exponent, shortest round-trip form.
fn float(x: f64) -> String {
    format!("{x:?}")
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

/// Columns of the survey sheet papi keeps (the rest are reported as not kept).
const SURVEY_COLUMNS: [&str; 29] = [
    "type",
    "name",
    "label",
    "hint",
    "guidance_hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "repeat_count",
    "default",
    "appearance",
    "read_only",
    "parameters",
    "media::image",
    "papi_role",
    "papi_indicator",
    "papi_indicator_label",
    "papi_subdimension",
    "papi_indicator_weight",
    "papi_values",
    "papi_range",
    "papi_reverse",
    "papi_any_of",
    "disabled",
    "",
];

/// Columns of the settings sheet papi keeps.
const SETTINGS_COLUMNS: [&str; 15] = [
    "form_id",
    "id_string",
    "version",
    "form_title",
    "title",
    "default_language",
    "papi_languages",
    "papi_title",
    "papi_strata",
    "papi_cluster",
    "papi_weight",
    "papi_baseline_total",
    "papi_baseline_label",
    "papi_baseline_province",
    "papi_baseline_year",
];

/// A question or group name in papi's form of an id: lower case, `-` and `.` as `_`, starting with a
/// letter.
fn id_of(name: &str) -> String {
    let mut id: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert(0, 'q');
    }
    id
}

/// A form id in papi's form: lower-case letters, digits, `_` and `-`.
fn form_id_of(name: &str) -> String {
    let id: String = name
        .trim()
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            '-' => '-',
            _ => '_',
        })
        .collect();
    if id.is_empty() {
        "form".into()
    } else {
        id
    }
}

/// A question type as written in a workbook, read the way pyxform reads it.
enum RowType {
    BeginGroup,
    EndGroup,
    BeginRepeat,
    EndRepeat,
    /// start and end: the interview's own times.
    InterviewTime,
    Question {
        kind: QuestionType,
        list: Option<String>,
        or_other: bool,
    },
    Refused(String),
}

fn row_type(kind: &str) -> RowType {
    let lower = kind
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let (lower, or_other) = match lower.strip_suffix(" or_other") {
        Some(base) => (base.to_owned(), true),
        None => (lower, false),
    };
    let original_tail = |words: usize| -> String {
        kind.split_whitespace()
            .skip(words)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let select = |kind: QuestionType, words: usize| {
        let list = original_tail(words);
        let list = list
            .strip_suffix(" or_other")
            .unwrap_or(&list)
            .trim()
            .to_owned();
        RowType::Question {
            kind,
            list: Some(list),
            or_other,
        }
    };
    let plain = |kind: QuestionType| RowType::Question {
        kind,
        list: None,
        or_other,
    };
    let words: Vec<&str> = lower.split(' ').collect();
    match words.as_slice() {
        ["begin", "group"] | ["begin_group"] => RowType::BeginGroup,
        ["end", "group"] | ["end_group"] => RowType::EndGroup,
        ["begin", "repeat"] | ["begin_repeat"] => RowType::BeginRepeat,
        ["end", "repeat"] | ["end_repeat"] => RowType::EndRepeat,
        ["start"] | ["end"] => RowType::InterviewTime,
        ["select_one", "from", _] | ["select", "one", "from", _] => {
            select(QuestionType::SelectOne, words.len() - 1)
        }
        ["select_one", _] | ["select1", _] => select(QuestionType::SelectOne, 1),
        ["select", "one", _] => select(QuestionType::SelectOne, 2),
        ["select_multiple", "from", _] | ["select", "all", "that", "apply", "from", _] => {
            select(QuestionType::SelectMultiple, words.len() - 1)
        }
        ["select_multiple", _] | ["select", "multiple", _] => {
            select(QuestionType::SelectMultiple, words.len() - 1)
        }
        ["select", "all", "that", "apply", _] => select(QuestionType::SelectMultiple, 4),
        ["select_one"] | ["select_multiple"] | ["select", "one"] | ["select", "all", "that", "apply"] => {
            RowType::Refused(format!("'{kind}' needs a choice list name, e.g. '{kind} yes_no'"))
        }
        ["begin", "loop", ..] | ["begin_loop", ..] | ["end", "loop"] | ["end_loop"] => {
            RowType::Refused(
                "a loop over a choice list is not kept by papi: write it as a begin repeat with repeat_count, or as one group per item".into(),
            )
        }
        ["select_one_from_file", ..] | ["select_multiple_from_file", ..] => RowType::Refused(
            "choices from a separate file are not kept by papi: put the choices on the choices sheet".into(),
        ),
        ["select_one_external", ..] | ["select_multiple_external", ..] => RowType::Refused(
            "external choices (the external_choices sheet) are not kept by papi: put the choices on the choices sheet and use choice_filter".into(),
        ),
        ["rank", ..] => RowType::Refused("rank questions are not kept by papi".into()),
        [single] => {
            let base = match *single {
                "int" => "integer",
                "string" => "text",
                "gps" | "location" => "geopoint",
                "photo" => "image",
                "trigger" => "acknowledge",
                "imei" => "deviceid",
                "date_time" => "datetime",
                "select_one" => "",
                other => other,
            };
            match QuestionType::parse(base) {
                Some(QuestionType::Repeat) | None => RowType::Refused(format!(
                    "type '{kind}' is not one papi knows: use {} (and begin/end group, begin/end repeat, start, end)",
                    QuestionType::names()
                        .filter(|n| *n != "repeat")
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(t) => plain(t),
            }
        }
        _ => RowType::Refused(format!("type '{kind}' is not one papi knows")),
    }
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

fn and_all(parts: &[String]) -> Option<String> {
    match parts.len() {
        0 => None,
        1 => Some(parts[0].clone()),
        _ => Some(
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
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
        let settings = tables.get("settings").unwrap_or(&no_settings);
        let empty = Vec::new();
        let (srow, scells) = settings
            .rows
            .first()
            .map(|(r, c)| (*r, c))
            .unwrap_or((2, &empty));
        let get = |c: &str| settings.get(scells, c);
        self.unkept_columns("settings", settings, &|c| SETTINGS_COLUMNS.contains(&c));
        let given_id = match get("form_id") {
            id if id.is_empty() => get("id_string"),
            id => id,
        };
        let form_id = if given_id.is_empty() {
            let id = form_id_of(&self.default_form_id);
            self.warn(
                "settings",
                srow,
                "form_id",
                "settings.default",
                format!("no form_id: the form is named '{id}' after its file"),
            );
            id
        } else {
            let id = form_id_of(&given_id);
            if id != given_id {
                self.warn("settings", srow, "form_id", "settings.normalised", format!("form_id '{given_id}' is kept as '{id}' (lower-case letters, digits, '_' and '-')"));
            }
            id
        };
        let version = match get("version") {
            v if v.is_empty() => {
                let v = self.default_version.clone();
                self.warn("settings", srow, "version", "settings.default", format!("no version: papi names this workbook's version '{v}' (from its content), so an edited workbook is a new version"));
                v
            }
            v => v,
        };
        let has_bare_label = survey
            .header
            .iter()
            .any(|(b, l, _)| b == "label" && l.is_none());
        let translated = survey.languages("label");
        let default_language = match get("default_language") {
            d if !d.is_empty() => language_code(&d),
            // A bare label column beside translated ones is pyxform's "default" language.
            _ if has_bare_label && !translated.is_empty() => "default".to_owned(),
            // A workbook that names no language: pyxform's "default".
            _ => translated
                .first()
                .cloned()
                .unwrap_or_else(|| "default".to_owned()),
        };
        self.default_language = default_language.clone();
        let mut languages: Vec<String> = get("papi_languages")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if languages.is_empty() {
            if has_bare_label || translated.is_empty() {
                languages.push(default_language.clone());
            }
            for table in [Some(survey), tables.get("choices")].into_iter().flatten() {
                for base in ["label", "hint"] {
                    for l in table.languages(base) {
                        if !languages.contains(&l) {
                            languages.push(l);
                        }
                    }
                }
            }
            if !languages.contains(&default_language) {
                languages.insert(0, default_language.clone());
            }
        }
        let mut title = settings.label(scells, "papi_title", &default_language);
        if title.0.is_empty() {
            let t = match get("form_title") {
                t if t.is_empty() => match get("title") {
                    t if t.is_empty() => form_id.clone(),
                    t => t,
                },
                t => t,
            };
            // XLSForm has one title: it stands for every language.
            for l in &languages {
                title.0.insert(l.clone(), t.clone());
            }
        }
        self.place(&form_id, "settings", srow);
        self.place("baseline", "settings", srow);

        // Names first: a question renamed to papi's form of an id is renamed wherever it is referred to.
        let mut seen_ids: HashMap<String, usize> = HashMap::new();
        for (row, cells) in &survey.rows {
            let name = survey.get(cells, "name");
            let kind = survey.get(cells, "type").to_lowercase();
            if name.is_empty() || kind.starts_with("end") {
                continue;
            }
            let id = id_of(&name);
            if id != name {
                if let Some(first) = seen_ids.get(&id) {
                    self.report("survey", *row, "name", "survey.duplicate_name", format!(
                        "name '{name}' reads as '{id}', the name of row {first}: papi's ids are lower case, with '_' for '-' and '.'"));
                    continue;
                }
                self.renamed.insert(name.clone(), id.clone());
                self.warn("survey", *row, "name", "survey.renamed", format!("name '{name}' is kept as '{id}' (lower-case letters, digits and '_'); references to it are renamed too"));
            }
            seen_ids.entry(id).or_insert(*row);
        }

        // choices
        let mut lists: BTreeMap<String, Vec<RawChoiceRow>> = BTreeMap::new();
        let mut choice_rows: HashMap<(String, String), usize> = HashMap::new();
        if let Some(choices) = tables.get("choices") {
            let list_column = "list_name";
            if !choices.has(list_column) && !choices.rows.is_empty() {
                self.report(
                    "choices",
                    1,
                    "list_name",
                    "sheet.missing_column",
                    "the choices sheet needs a 'list_name' column".into(),
                );
            }
            self.unkept_columns("choices", choices, &|c| {
                !c.is_empty() && (!c.starts_with("media::") || c == "media::image")
            });
            let extra: Vec<(usize, String)> = choices
                .header
                .iter()
                .enumerate()
                .filter(|(_, (b, l, _))| {
                    l.is_none()
                        && !b.is_empty()
                        && !matches!(b.as_str(), "list_name" | "name" | "label" | "media::image")
                        && !b.starts_with("media::")
                })
                .map(|(i, (b, _, _))| (i, b.clone()))
                .collect();
            for (row, cells) in &choices.rows {
                let list = choices.get(cells, list_column);
                let name = choices.get(cells, "name");
                if list.is_empty() {
                    self.report(
                        "choices",
                        *row,
                        "list_name",
                        "choices.missing_list_name",
                        "a choice needs the name of its list".into(),
                    );
                    continue;
                }
                if name.is_empty() {
                    self.report(
                        "choices",
                        *row,
                        "name",
                        "choices.missing_name",
                        format!("a choice of list '{list}' needs a name (its value)"),
                    );
                    continue;
                }
                if name.chars().any(char::is_whitespace) {
                    self.report("choices", *row, "name", "choices.invalid_value", format!(
                        "choice name '{name}' in list '{list}' has a space: a select_multiple answer separates its choices by spaces"));
                    continue;
                }
                if let Some(first) = choice_rows.insert((list.clone(), name.clone()), *row) {
                    self.report(
                        "choices",
                        *row,
                        "name",
                        "choices.duplicate_value",
                        format!("choice '{name}' is already in list '{list}' (row {first})"),
                    );
                    continue;
                }
                self.place(&list, "choices", *row);
                let mut label = self.texts(choices, cells, "label", "choices", *row, &languages);
                if label.0.is_empty() {
                    for l in &languages {
                        label.0.insert(l.clone(), name.clone());
                    }
                    self.warn(
                        "choices",
                        *row,
                        "label",
                        "choices.missing_label",
                        format!("choice '{name}' of list '{list}' has no label: its name is shown"),
                    );
                }
                let image = choices.label(cells, "media::image", &self.default_language);
                let columns = extra
                    .iter()
                    .filter_map(|(i, b)| {
                        cells
                            .get(*i)
                            .filter(|v| !v.is_empty())
                            .map(|v| (b.clone(), v.clone()))
                    })
                    .collect();
                lists.entry(list).or_default().push(RawChoiceRow {
                    value: name,
                    label,
                    image,
                    columns,
                });
            }
        }

        // survey
        self.unkept_columns("survey", survey, &|c| SURVEY_COLUMNS.contains(&c));
        let mut location: Vec<String> = Vec::new();
        let mut questions: Vec<String> = Vec::new();
        let mut groups_toml: Vec<String> = Vec::new();
        let mut indicators: Vec<RawIndicator> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        // Open groups and repeats: (name, row, is_repeat, relevant).
        let mut open: Vec<(String, usize, bool, Option<String>)> = Vec::new();
        let mut last_question: Option<String> = None;
        let sv = "survey";
        for (row, cells) in &survey.rows {
            let row = *row;
            let kind = survey
                .get(cells, "type")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            // pyxform leaves out a row marked `disabled`.
            if truthy(&survey.get(cells, "disabled")) == Some(true) {
                continue;
            }
            let given_name = survey.get(cells, "name");
            let name = self
                .renamed
                .get(&given_name)
                .cloned()
                .unwrap_or_else(|| given_name.clone());
            let indicator = survey.get(cells, "papi_indicator");
            let renamed = self.renamed.clone();
            let expr = |c: &str| -> Option<String> {
                let e = survey.get(cells, c);
                (!e.is_empty()).then(|| rename_references(&e, &renamed))
            };
            if kind.is_empty() {
                if !name.is_empty() {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.missing_type",
                        format!("'{given_name}' has no type"),
                    );
                } else if !indicator.is_empty() {
                    // One more indicator of the question above.
                    match &last_question {
                        Some(question) => {
                            indicators.push(self.indicator(survey, cells, row, question))
                        }
                        None => self.report(
                            sv,
                            row,
                            "papi_indicator",
                            "survey.indicator_without_question",
                            format!("indicator '{indicator}' is not under a question"),
                        ),
                    }
                }
                continue;
            }
            let relevant_here = expr("relevant");
            let group_relevants: Vec<String> = open
                .iter()
                .filter(|(_, _, repeat, _)| !repeat)
                .filter_map(|(_, _, _, r)| r.clone())
                .collect();
            let in_repeat = open
                .iter()
                .rev()
                .find(|(_, _, r, _)| *r)
                .map(|(n, ..)| n.clone());
            let (qkind, list, or_other) = match row_type(&kind) {
                RowType::BeginGroup | RowType::BeginRepeat => {
                    let repeat = matches!(row_type(&kind), RowType::BeginRepeat);
                    if name.is_empty() {
                        self.report(
                            sv,
                            row,
                            "name",
                            "survey.missing_name",
                            format!("a row of type '{kind}' needs a name"),
                        );
                        open.push((format!("row{row}"), row, repeat, relevant_here));
                        continue;
                    }
                    if let Some(first) = names.insert(name.clone(), row) {
                        self.report(sv, row, "name", "survey.duplicate_name",
                            format!("name '{given_name}' is already used in row {first}; every group and question needs its own"));
                    }
                    self.place(&name, sv, row);
                    let label = self.texts(survey, cells, "label", sv, row, &languages);
                    if repeat {
                        // A repeat is a question whose answer is its repetitions.
                        let mut t =
                            format!("\n[[questions]]\nid = {}\ntype = \"repeat\"\n", q(&name));
                        if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                            t.push_str(&format!("group = {}\n", q(g)));
                        }
                        if let Some(r) = &in_repeat {
                            t.push_str(&format!("repeat = {}\n", q(r)));
                        }
                        if !label.0.is_empty() {
                            t.push_str(&format!("label = {}\n", label_toml(&label, &languages)));
                        }
                        let mut rel = group_relevants.clone();
                        rel.extend(relevant_here.clone());
                        if let Some(r) = and_all(&rel) {
                            t.push_str(&format!("relevant = {}\n", q(&r)));
                        }
                        if let Some(c) = expr("repeat_count") {
                            t.push_str(&format!("repeat_count = {}\n", q(&c)));
                        }
                        if let Some(a) = expr("appearance") {
                            t.push_str(&format!("appearance = {}\n", q(&a)));
                        }
                        questions.push(t);
                        open.push((name, row, true, None));
                    } else {
                        let mut t = format!("\n[[groups]]\nid = {}\n", q(&name));
                        if !label.0.is_empty() {
                            t.push_str(&format!("label = {}\n", label_toml(&label, &languages)));
                        }
                        if let Some(a) = expr("appearance") {
                            t.push_str(&format!("appearance = {}\n", q(&a)));
                        }
                        groups_toml.push(t);
                        open.push((name, row, false, relevant_here));
                    }
                    last_question = None;
                    continue;
                }
                RowType::EndGroup | RowType::EndRepeat => {
                    let repeat = matches!(row_type(&kind), RowType::EndRepeat);
                    match open.last() {
                        Some((_, _, r, _)) if *r == repeat => {
                            open.pop();
                        }
                        Some((n, opened, _, _)) => {
                            let (n, opened) = (n.clone(), *opened);
                            self.report(
                                sv,
                                row,
                                "type",
                                "survey.unbalanced_group",
                                format!(
                                    "{kind} closes '{n}' (row {opened}), which is a {}",
                                    if repeat { "group" } else { "repeat" }
                                ),
                            );
                            open.pop();
                        }
                        None => self.report(
                            sv,
                            row,
                            "type",
                            "survey.unbalanced_group",
                            format!(
                                "{kind} without a begin {} above it",
                                if repeat { "repeat" } else { "group" }
                            ),
                        ),
                    }
                    last_question = None;
                    continue;
                }
                // Times the device records: they become the interview's started_at and finished_at.
                RowType::InterviewTime => continue,
                RowType::Refused(why) => {
                    self.report(sv, row, "type", "survey.unknown_type", why);
                    continue;
                }
                RowType::Question {
                    kind,
                    list,
                    or_other,
                } => (kind, list, or_other),
            };
            if name.is_empty() {
                self.report(
                    sv,
                    row,
                    "name",
                    "survey.missing_name",
                    format!("a row of type '{kind}' needs a name"),
                );
                continue;
            }
            if let Some(first) = names.insert(name.clone(), row) {
                self.report(sv, row, "name", "survey.duplicate_name",
                    format!("name '{given_name}' is already used in row {first}; every question needs its own"));
                continue;
            }
            let role = survey.get(cells, "papi_role");
            if role == "location" {
                if qkind != QuestionType::Text {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.location_type",
                        format!("location column '{name}' must be of type text, not {kind}"),
                    );
                }
                location.push(name);
                continue;
            } else if !role.is_empty() {
                self.report(
                    sv,
                    row,
                    "papi_role",
                    "survey.unknown_role",
                    format!("papi_role '{role}' is not known (only 'location')"),
                );
                continue;
            }
            if let Some(l) = &list {
                if !lists.contains_key(l) {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.unknown_list",
                        format!("choice list '{l}' (type '{kind}') is not on the choices sheet"),
                    );
                    continue;
                }
                if or_other && !lists[l].iter().any(|c| c.value == "other") {
                    let mut label = Label::default();
                    for lang in &languages {
                        label.0.insert(
                            lang.clone(),
                            if lang == "vi" { "Khác" } else { "Other" }.to_owned(),
                        );
                    }
                    lists.get_mut(l).expect("checked above").push(RawChoiceRow {
                        value: "other".into(),
                        label,
                        image: Label::default(),
                        columns: BTreeMap::new(),
                    });
                }
            }
            let required_text = survey.get(cells, "required");
            let (required, required_if) = match truthy(&required_text) {
                Some(r) => (r, None),
                // pyxform takes an expression: required when it holds.
                None => (false, Some(rename_references(&required_text, &renamed))),
            };
            self.place(&name, sv, row);
            let mut t = String::from("\n[[questions]]\n");
            t.push_str(&format!("id = {}\n", q(&name)));
            if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                t.push_str(&format!("group = {}\n", q(g)));
            }
            if let Some(r) = &in_repeat {
                t.push_str(&format!("repeat = {}\n", q(r)));
            }
            t.push_str(&format!("type = {}\n", q(qkind.name())));
            if let Some(l) = &list {
                t.push_str(&format!("choices = {}\n", q(l)));
            }
            let label = self.texts(survey, cells, "label", sv, row, &languages);
            if !label.0.is_empty() {
                t.push_str(&format!("label = {}\n", label_toml(&label, &languages)));
            }
            for (column, key_name) in [
                ("hint", "hint"),
                ("guidance_hint", "guidance_hint"),
                ("constraint_message", "constraint_message"),
                ("required_message", "required_message"),
            ] {
                let text = self.texts(survey, cells, column, sv, row, &languages);
                if !text.0.is_empty() {
                    t.push_str(&format!("{key_name} = {}\n", label_toml(&text, &languages)));
                }
            }
            let image = survey.label(cells, "media::image", &self.default_language);
            if !image.0.is_empty() {
                t.push_str(&format!("image = {}\n", label_toml(&image, &languages)));
            }
            if required {
                t.push_str("required = true\n");
            }
            if let Some(r) = required_if {
                t.push_str(&format!("required_if = {}\n", q(&r)));
            }
            // A group's skip logic holds for every question in it.
            let mut rel = group_relevants;
            rel.extend(relevant_here);
            if let Some(r) = and_all(&rel) {
                t.push_str(&format!("relevant = {}\n", q(&r)));
            }
            for column in [
                "constraint",
                "calculation",
                "choice_filter",
                "default",
                "appearance",
                "parameters",
            ] {
                if let Some(e) = expr(column) {
                    t.push_str(&format!("{column} = {}\n", q(&e)));
                }
            }
            let read_only = survey.get(cells, "read_only");
            match truthy(&read_only) {
                Some(true) => t.push_str("read_only = true\n"),
                Some(false) => {}
                None => self.warn(sv, row, "read_only", "survey.read_only_expression", format!(
                    "read_only '{read_only}' is an expression: papi keeps read_only as yes or no, and shows the question as editable")),
            }
            questions.push(t);
            if or_other {
                // pyxform's companion question for the "other" choice.
                let other = format!("{name}_other");
                let mut label = Label::default();
                for lang in &languages {
                    label.0.insert(
                        lang.clone(),
                        if lang == "vi" {
                            "Ghi rõ lựa chọn khác."
                        } else {
                            "Specify other."
                        }
                        .to_owned(),
                    );
                }
                let mut t = format!("\n[[questions]]\nid = {}\n", q(&other));
                if let Some((g, ..)) = open.iter().rev().find(|(_, _, r, _)| !r) {
                    t.push_str(&format!("group = {}\n", q(g)));
                }
                if let Some(r) = &in_repeat {
                    t.push_str(&format!("repeat = {}\n", q(r)));
                }
                t.push_str(&format!(
                    "type = \"text\"\nlabel = {}\nrelevant = {}\n",
                    label_toml(&label, &languages),
                    q(&format!("selected(${{{name}}}, 'other')"))
                ));
                self.place(&other, sv, row);
                questions.push(t);
            }
            if !indicator.is_empty() {
                indicators.push(self.indicator(survey, cells, row, &name));
            }
            last_question = Some(name);
        }
        for (g, row, repeat, _) in open.iter().rev() {
            self.report(
                sv,
                *row,
                "type",
                "survey.unbalanced_group",
                format!(
                    "{} '{g}' has no end {}",
                    if *repeat { "repeat" } else { "group" },
                    if *repeat { "repeat" } else { "group" }
                ),
            );
        }
        if questions.is_empty() && location.is_empty() && self.problems.is_empty() {
            self.report(
                sv,
                0,
                "",
                "survey.empty",
                "the survey sheet has no questions".into(),
            );
        }

        // dimensions
        let mut dims: Vec<RawDimension> = Vec::new();
        if let Some(dt) = tables.get("dimensions") {
            for (row, cells) in &dt.rows {
                let row = *row;
                let d = dt.get(cells, "dimension");
                let s = dt.get(cells, "subdimension");
                let label = dt.label(cells, "label", &default_language);
                if d.is_empty() {
                    self.report(
                        "dimensions",
                        row,
                        "dimension",
                        "dimensions.missing_dimension",
                        "every row names its dimension".into(),
                    );
                    continue;
                }
                if s.is_empty() {
                    self.place(&d, "dimensions", row);
                    let base = dt.get(cells, "baseline");
                    let baseline = if base.is_empty() {
                        None
                    } else {
                        self.number("dimensions", row, "baseline", &base)
                    };
                    dims.push((d, label, baseline, Vec::new()));
                } else {
                    self.place(&s, "dimensions", row);
                    match dims.iter_mut().rev().find(|x| x.0 == d) {
                        Some(dim) => dim.3.push((s, label)),
                        None => self.report("dimensions", row, "dimension", "dimensions.unknown_dimension",
                            format!("sub-dimension '{s}' names dimension '{d}', which has no row of its own above it")),
                    }
                }
            }
        }

        // The definition, in the order of SCORING.md §2.
        let mut t = String::new();
        t.push_str(&format!(
            "# Imported from an XLSForm workbook by `papi xlsform import`.\n\n[survey]\nid = {}\nversion = {}\ntitle = {}\nlanguages = [{}]\n",
            q(&form_id),
            q(&version),
            label_toml(&title, &languages),
            languages.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")
        ));
        t.push_str(&format!(
            "\n[design]\nlocation = [{}]\n",
            location.iter().map(|l| q(l)).collect::<Vec<_>>().join(", ")
        ));
        for (column, k) in [
            ("papi_strata", "strata"),
            ("papi_cluster", "cluster"),
            ("papi_weight", "weight"),
        ] {
            let v = get(column);
            if !v.is_empty() {
                t.push_str(&format!("{k} = {}\n", q(&v)));
            }
        }
        let total = get("papi_baseline_total");
        if !total.is_empty() {
            t.push_str("\n[baseline]\n");
            let label = settings.label(scells, "papi_baseline_label", &default_language);
            t.push_str(&format!("label = {}\n", label_toml(&label, &languages)));
            let province = get("papi_baseline_province");
            if !province.is_empty() {
                t.push_str(&format!("province = {}\n", q(&province)));
            }
            let year = get("papi_baseline_year");
            if !year.is_empty() {
                match year.parse::<i32>() {
                    Ok(y) => t.push_str(&format!("year = {y}\n")),
                    Err(_) => self.report(
                        "settings",
                        srow,
                        "papi_baseline_year",
                        "cell.not_a_year",
                        format!("'{year}' is not a year"),
                    ),
                }
            }
            if let Some(x) = self.number("settings", srow, "papi_baseline_total", &total) {
                t.push_str(&format!("total = {}\n", float(x)));
            }
            t.push_str("\n[baseline.dimensions]\n");
            for (d, _, score, _) in &dims {
                if let Some(s) = score {
                    t.push_str(&format!("{} = {}\n", key(d), float(*s)));
                }
            }
        }
        if !lists.is_empty() {
            t.push_str("\n[choices]\n");
            for (list, choices) in &lists {
                t.push_str(&format!("{} = [\n", key(list)));
                for c in choices {
                    t.push_str(&format!(
                        "  {{ value = {}, label = {}",
                        q(&c.value),
                        label_toml(&c.label, &languages)
                    ));
                    if !c.image.0.is_empty() {
                        t.push_str(&format!(", image = {}", label_toml(&c.image, &languages)));
                    }
                    if !c.columns.is_empty() {
                        let cols: Vec<String> = c
                            .columns
                            .iter()
                            .map(|(k, v)| format!("{} = {}", key(k), q(v)))
                            .collect();
                        t.push_str(&format!(", columns = {{ {} }}", cols.join(", ")));
                    }
                    t.push_str(" },\n");
                }
                t.push_str("]\n");
            }
        }
        for g in &groups_toml {
            t.push_str(g);
        }
        for (d, label, _, subs) in &dims {
            t.push_str(&format!(
                "\n[[dimensions]]\nid = {}\nlabel = {}\nsubdimensions = [\n",
                q(d),
                label_toml(label, &languages)
            ));
            for (s, label) in subs {
                t.push_str(&format!(
                    "  {{ id = {}, label = {} }},\n",
                    q(s),
                    label_toml(label, &languages)
                ));
            }
            t.push_str("]\n");
        }
        for question in &questions {
            t.push_str(question);
        }
        for ind in &indicators {
            t.push_str(&self.indicator_toml(ind, &languages));
        }
        t
    }

    fn indicator(
        &mut self,
        survey: &Table,
        cells: &[String],
        row: usize,
        question: &str,
    ) -> RawIndicator {
        let get = |c: &str| {
            let v = survey.get(cells, c);
            (!v.is_empty()).then_some(v)
        };
        let id = survey.get(cells, "papi_indicator");
        self.place(&id, "survey", row);
        RawIndicator {
            row,
            id,
            subdimension: survey.get(cells, "papi_subdimension"),
            question: question.to_owned(),
            label: survey.label(cells, "papi_indicator_label", &self.default_language),
            weight: get("papi_indicator_weight"),
            values: get("papi_values"),
            range: get("papi_range"),
            reverse: get("papi_reverse"),
            any_of: get("papi_any_of"),
        }
    }

    fn indicator_toml(&mut self, ind: &RawIndicator, languages: &[String]) -> String {
        let sv = "survey";
        let mut t = format!(
            "\n[[indicators]]\nid = {}\nsubdimension = {}\nquestion = {}\n",
            q(&ind.id),
            q(&ind.subdimension),
            q(&ind.question)
        );
        if !ind.label.0.is_empty() {
            t.push_str(&format!("label = {}\n", label_toml(&ind.label, languages)));
        }
        if let Some(w) = &ind.weight {
            if let Some(x) = self.number(sv, ind.row, "papi_indicator_weight", w) {
                t.push_str(&format!("weight = {}\n", float(x)));
            }
        }
        if let Some(values) = &ind.values {
            let mut parts = Vec::new();
            for pair in values.split_whitespace() {
                match pair.split_once('=') {
                    Some((k, v)) if !k.is_empty() => {
                        if let Some(x) = self.number(sv, ind.row, "papi_values", v) {
                            parts.push(format!("{} = {}", key(k), float(x)));
                        }
                    }
                    _ => self.report(
                        sv,
                        ind.row,
                        "papi_values",
                        "indicator.invalid_values",
                        format!("'{pair}' is not CHOICE=SCORE (e.g. yes=1 no=0)"),
                    ),
                }
            }
            t.push_str(&format!("values = {{ {} }}\n", parts.join(", ")));
        }
        if let Some(range) = &ind.range {
            let bounds: Vec<&str> = range.split_whitespace().collect();
            if bounds.len() == 2 {
                let lo = self.number(sv, ind.row, "papi_range", bounds[0]);
                let hi = self.number(sv, ind.row, "papi_range", bounds[1]);
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    t.push_str(&format!("range = [{}, {}]\n", float(lo), float(hi)));
                }
            } else {
                self.report(
                    sv,
                    ind.row,
                    "papi_range",
                    "indicator.invalid_range",
                    format!("'{range}' is not two numbers LO HI (e.g. 1 5)"),
                );
            }
        }
        if let Some(reverse) = &ind.reverse {
            match truthy(reverse) {
                Some(r) => t.push_str(&format!("reverse = {r}\n")),
                None => self.report(
                    sv,
                    ind.row,
                    "papi_reverse",
                    "indicator.invalid_reverse",
                    format!("papi_reverse must be yes or no, not '{reverse}'"),
                ),
            }
        }
        if let Some(any) = &ind.any_of {
            t.push_str(&format!(
                "any_of = [{}]\n",
                any.split_whitespace().map(q).collect::<Vec<_>>().join(", ")
            ));
        }
        t
    }
}
