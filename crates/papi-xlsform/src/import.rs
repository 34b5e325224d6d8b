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
use papi_survey::{Label, QuestionType, Survey};

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

/// Reads the XLSForm at `path`: the definition as TOML text, and the checked survey.
pub fn import_workbook(path: impl AsRef<Path>) -> Result<(String, Survey), ImportError> {
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

/// Reads an XLSForm given as xlsx bytes; `file` names it in problems.
pub fn import_workbook_from_bytes(
    bytes: &[u8],
    file: &str,
) -> Result<(String, Survey), ImportError> {
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
            tables.insert(key.clone(), Table::new(&range));
        }
    }
    let mut im = Importer {
        problems: Vec::new(),
        places: HashMap::new(),
        default_language: String::new(),
    };
    let toml = im.read(&tables);
    if !im.problems.is_empty() {
        return Err(refuse(im.problems));
    }
    match Survey::from_toml(&toml, file) {
        Ok(survey) => Ok((toml, survey)),
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

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => format!("{x}"),
        Data::Int(n) => n.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string().trim().to_owned(),
    }
}

impl Table {
    fn new(range: &calamine::Range<Data>) -> Table {
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows = range.rows().enumerate();
        let mut header = Vec::new();
        if let Some((_, cells)) = rows.next() {
            header = std::iter::repeat_n((String::new(), None, String::new()), first_col)
                .chain(cells.iter().map(|c| {
                    let text = cell_text(c);
                    match text.split_once("::") {
                        Some((base, lang)) => (
                            base.trim().to_lowercase(),
                            Some(language_code(lang)),
                            text.clone(),
                        ),
                        None => (text.trim().to_lowercase(), None, text.clone()),
                    }
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
    /// Where each id came from (question, indicator, choice list, dimension...): (sheet, row).
    places: HashMap<String, (String, usize)>,
    default_language: String,
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

impl Importer {
    fn report(&mut self, sheet: &str, row: usize, column: &str, code: &'static str, msg: String) {
        self.problems.push(problem(sheet, row, column, code, msg));
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

    fn read(&mut self, tables: &HashMap<String, Table>) -> String {
        for required in ["survey", "settings"] {
            if !tables.contains_key(required) {
                self.report(
                    required,
                    0,
                    "",
                    "workbook.missing_sheet",
                    format!("the workbook has no '{required}' sheet"),
                );
            }
        }
        let (Some(survey), Some(settings)) = (tables.get("survey"), tables.get("settings")) else {
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

        // settings: the first row under the header
        let empty = Vec::new();
        let (srow, scells) = settings
            .rows
            .first()
            .map(|(r, c)| (*r, c))
            .unwrap_or((2, &empty));
        let get = |c: &str| settings.get(scells, c);
        let form_id = get("form_id");
        let version = get("version");
        for (column, value) in [("form_id", &form_id), ("version", &version)] {
            if value.is_empty() {
                self.report(
                    "settings",
                    srow,
                    column,
                    "settings.missing",
                    format!("the settings sheet needs a '{column}': papi keeps every version of a form apart"),
                );
            }
        }
        let default_language = match get("default_language") {
            d if d.is_empty() => survey
                .languages("label")
                .first()
                .cloned()
                .unwrap_or_else(|| "vi".to_owned()),
            d => language_code(&d),
        };
        self.default_language = default_language.clone();
        let mut languages: Vec<String> = get("papi_languages")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if languages.is_empty() {
            languages.push(default_language.clone());
            for l in survey.languages("label") {
                if !languages.contains(&l) {
                    languages.push(l);
                }
            }
        }
        let mut title = settings.label(scells, "papi_title", &default_language);
        if title.0.is_empty() {
            let t = match get("form_title") {
                t if t.is_empty() => form_id.clone(),
                t => t,
            };
            // XLSForm has one title: it stands for every language.
            for l in &languages {
                title.0.insert(l.clone(), t.clone());
            }
        }
        self.place(&form_id, "settings", srow);
        self.place("baseline", "settings", srow);

        // choices
        let mut lists: BTreeMap<String, Vec<(String, Label)>> = BTreeMap::new();
        let mut choice_rows: HashMap<(String, String), usize> = HashMap::new();
        if let Some(choices) = tables.get("choices") {
            let list_column = if choices.has("list_name") {
                "list_name"
            } else {
                "list name"
            };
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
                let label = choices.label(cells, "label", &default_language);
                lists.entry(list).or_default().push((name, label));
            }
        }

        // survey
        let mut location: Vec<String> = Vec::new();
        let mut questions: Vec<String> = Vec::new();
        let mut indicators: Vec<RawIndicator> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(String, usize)> = Vec::new();
        let mut last_question: Option<String> = None;
        let sv = "survey";
        for (row, cells) in &survey.rows {
            let row = *row;
            let kind = survey
                .get(cells, "type")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let name = survey.get(cells, "name");
            let indicator = survey.get(cells, "papi_indicator");
            if kind.is_empty() {
                if !name.is_empty() {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.missing_type",
                        format!("'{name}' has no type"),
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
            let lower = kind.to_lowercase();
            match lower.as_str() {
                "begin_group" | "begin group" => {
                    if name.is_empty() {
                        self.report(
                            sv,
                            row,
                            "name",
                            "survey.missing_name",
                            "a group needs a name".into(),
                        );
                    }
                    groups.push((name, row));
                    last_question = None;
                    continue;
                }
                "end_group" | "end group" => {
                    if groups.pop().is_none() {
                        self.report(
                            sv,
                            row,
                            "type",
                            "survey.unbalanced_group",
                            "end_group without a begin_group above it".into(),
                        );
                    }
                    last_question = None;
                    continue;
                }
                // Times the device records: they become the interview's started_at and finished_at.
                "start" | "end" => continue,
                _ => {}
            }
            if name.is_empty() {
                self.report(
                    sv,
                    row,
                    "name",
                    "survey.missing_name",
                    format!("a {kind} row needs a name"),
                );
                continue;
            }
            if let Some(first) = names.insert(name.clone(), row) {
                self.report(sv, row, "name", "survey.duplicate_name",
                    format!("name '{name}' is already used in row {first}; every question needs its own"));
                continue;
            }
            let role = survey.get(cells, "papi_role");
            if role == "location" {
                if lower != "text" {
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
            let (base, list) = match lower.split_once(' ') {
                Some((b, _)) => (b.to_owned(), Some(kind[b.len()..].trim().to_owned())),
                None => (lower.clone(), None),
            };
            let Some(qtype) = QuestionType::parse(&base) else {
                self.report(sv, row, "type", "survey.unknown_type", format!(
                    "type '{kind}' is not one papi scores or stores: use select_one LIST, select_multiple LIST, integer, decimal, text or date (and start, end, begin_group, end_group)"));
                continue;
            };
            match (&list, qtype.is_select()) {
                (None, true) => {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.missing_list",
                        format!("'{kind}' needs a choice list name, e.g. '{kind} yes_no'"),
                    );
                    continue;
                }
                (Some(l), true) if !lists.contains_key(l) => {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.unknown_list",
                        format!("choice list '{l}' is not on the choices sheet"),
                    );
                    continue;
                }
                (Some(_), false) => {
                    self.report(
                        sv,
                        row,
                        "type",
                        "survey.unknown_type",
                        format!(
                            "type '{kind}': only select_one and select_multiple take a choice list"
                        ),
                    );
                    continue;
                }
                _ => {}
            }
            let required_text = survey.get(cells, "required");
            let Some(required) = truthy(&required_text) else {
                self.report(
                    sv,
                    row,
                    "required",
                    "survey.invalid_required",
                    format!("required must be yes or no, not '{required_text}'"),
                );
                continue;
            };
            self.place(&name, sv, row);
            let mut t = String::from("\n[[questions]]\n");
            t.push_str(&format!("id = {}\n", q(&name)));
            if let Some((g, _)) = groups.last() {
                t.push_str(&format!("group = {}\n", q(g)));
            }
            t.push_str(&format!("type = {}\n", q(qtype.name())));
            if let Some(l) = &list {
                t.push_str(&format!("choices = {}\n", q(l)));
            }
            let label = survey.label(cells, "label", &default_language);
            t.push_str(&format!("label = {}\n", label_toml(&label, &languages)));
            let hint = survey.label(cells, "hint", &default_language);
            if !hint.0.is_empty() {
                t.push_str(&format!("hint = {}\n", label_toml(&hint, &languages)));
            }
            if required {
                t.push_str("required = true\n");
            }
            for column in ["relevant", "constraint"] {
                let e = survey.get(cells, column);
                if !e.is_empty() {
                    t.push_str(&format!("{column} = {}\n", q(&e)));
                }
            }
            let msg = survey.label(cells, "constraint_message", &default_language);
            if !msg.0.is_empty() {
                t.push_str(&format!(
                    "constraint_message = {}\n",
                    label_toml(&msg, &languages)
                ));
            }
            questions.push(t);
            if !indicator.is_empty() {
                indicators.push(self.indicator(survey, cells, row, &name));
            }
            last_question = Some(name);
        }
        if let Some((g, row)) = groups.last() {
            self.report(
                sv,
                *row,
                "type",
                "survey.unbalanced_group",
                format!("group '{g}' has no end_group"),
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
                for (value, label) in choices {
                    t.push_str(&format!(
                        "  {{ value = {}, label = {} }},\n",
                        q(value),
                        label_toml(label, &languages)
                    ));
                }
                t.push_str("]\n");
            }
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
