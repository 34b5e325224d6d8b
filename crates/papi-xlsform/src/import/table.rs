//! One sheet of a workbook as text: its header read the way pyxform reads it (column aliases,
//! `column::language`), and its rows as cells of text (numbers and dates as pyxform writes them).

use calamine::Data;
use papi_survey::Label;

use crate::language_code;

/// One sheet: its header (base name, language code, header text) and its rows (Excel row number,
/// cells as text).
pub(super) struct Table {
    pub(super) header: Vec<(String, Option<String>, String)>,
    pub(super) rows: Vec<(usize, Vec<String>)>,
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
    pub(super) fn new(sheet: &str, range: &calamine::Range<Data>) -> Table {
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

    /// A table of text read from elsewhere than a sheet (a file of choices): its header cells read as
    /// a sheet's are, its rows numbered as the file counts them; rows without text are left out.
    pub(super) fn from_text(header: &[String], rows: Vec<(usize, Vec<String>)>) -> Table {
        let header = header
            .iter()
            .map(|text| {
                let text = text.trim().to_owned();
                let (base, lang) = parse_header(&text);
                (base, lang, text)
            })
            .collect();
        let rows = rows
            .into_iter()
            .map(|(n, cells)| (n, cells.into_iter().map(|c| c.trim().to_owned()).collect()))
            .filter(|(_, cells): &(usize, Vec<String>)| cells.iter().any(|c| !c.is_empty()))
            .collect();
        Table { header, rows }
    }

    /// The header columns that hold a value in some row, with the first such row.
    pub(super) fn used_columns(&self) -> Vec<(usize, usize)> {
        (0..self.header.len())
            .filter_map(|i| {
                self.rows
                    .iter()
                    .find(|(_, cells)| cells.get(i).is_some_and(|c| !c.is_empty()))
                    .map(|(row, _)| (i, *row))
            })
            .collect()
    }

    pub(super) fn has(&self, base: &str) -> bool {
        self.header.iter().any(|(b, _, _)| b == base)
    }

    /// The untranslated cell of column `base` (also `base::lang` when only one such column exists).
    pub(super) fn get(&self, cells: &[String], base: &str) -> String {
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
    pub(super) fn label(&self, cells: &[String], base: &str, default_language: &str) -> Label {
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
    pub(super) fn languages(&self, base: &str) -> Vec<String> {
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
