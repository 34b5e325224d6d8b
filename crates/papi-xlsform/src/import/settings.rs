//! The settings sheet: the form id and version (from the file's name and content where none is
//! given), the default language and the languages of the definition, and the title.

use std::collections::HashMap;

use papi_survey::Label;

use super::table::Table;
use super::Importer;
use crate::language_code;

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

/// What the settings sheet (and the languages of the other sheets) say of the whole form.
pub(super) struct Settings<'a> {
    table: &'a Table,
    /// The row the settings are read from (the first under the header).
    pub(super) row: usize,
    cells: &'a [String],
    pub(super) form_id: String,
    pub(super) version: String,
    pub(super) default_language: String,
    pub(super) languages: Vec<String>,
    pub(super) title: Label,
}

impl Settings<'_> {
    /// The text of a settings column.
    pub(super) fn get(&self, column: &str) -> String {
        self.table.get(self.cells, column)
    }

    /// A settings column in each language.
    pub(super) fn label(&self, column: &str) -> Label {
        self.table.label(self.cells, column, &self.default_language)
    }
}

impl Importer {
    /// Reads the settings row of `settings`; the languages are the settings' own or, when it names
    /// none, those of the survey and choices sheets' columns.
    pub(super) fn settings<'a>(
        &mut self,
        settings: &'a Table,
        survey: &Table,
        tables: &HashMap<String, Table>,
    ) -> Settings<'a> {
        let (srow, scells) = settings
            .rows
            .first()
            .map(|(r, c)| (*r, c.as_slice()))
            .unwrap_or((2, &[]));
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
        Settings {
            table: settings,
            row: srow,
            cells: scells,
            form_id,
            version,
            default_language,
            languages,
            title,
        }
    }
}
