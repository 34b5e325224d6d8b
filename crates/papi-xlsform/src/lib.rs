//! papi and the tools survey teams already use: XLSForm workbooks, ODK XForms and OpenRosa
//! submissions.
//!
//! - [`export_workbook`] writes a survey definition as an XLSForm workbook (`survey`, `choices`,
//!   `settings`, plus a `dimensions` sheet and `papi_*` columns that ODK tools ignore), and
//!   [`import_workbook`] reads one back into a definition (TOML), so a questionnaire can be edited in
//!   Excel and re-imported without loss.
//! - [`xform`] renders a definition as the XForm (XML) that ODK Collect, KoboCollect and Enketo
//!   download, and [`xform_with_places`] the same with the location picked from cascading selects
//!   over the villages a device may collect from.
//! - [`parse_instance`] reads an XML interview as those clients submit it, refusing DTDs and entities,
//!   and [`XmlInstance::to_submission`] turns it into the same [`papi_survey::Submission`] the JSON
//!   API takes, so it is checked, stored and scored the same way.
//!
//! No IO beyond the workbook asked for, no HTTP, no SQL.

mod export;
mod import;
mod instance;
mod places;
mod xform;

pub use export::{export_workbook, ExportError};
pub use import::{
    import_workbook, import_workbook_from_bytes, ImportError, Imported, SheetProblem,
};
pub use instance::{parse_instance, InstanceError, XmlInstance};
pub use xform::{xform, xform_with_places};

/// Names of the interview times in the form: ODK records them itself (`start` and `end` types).
pub const STARTED_AT: &str = "started_at";
pub const FINISHED_AT: &str = "finished_at";

/// XLSForm's language column suffix for a language code: `Vietnamese (vi)`.
pub fn language_name(code: &str) -> String {
    // pyxform's name for the language of a workbook that names none.
    if code == "default" {
        return code.to_owned();
    }
    let name = LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| *n);
    format!("{name} ({code})")
}

/// Languages papi names in XForms, by code.
const LANGUAGES: [(&str, &str); 12] = [
    ("vi", "Vietnamese"),
    ("en", "English"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("zh", "Chinese"),
    ("km", "Khmer"),
    ("lo", "Lao"),
    ("th", "Thai"),
    ("ar", "Arabic"),
    ("sw", "Swahili"),
    ("hi", "Hindi"),
];

/// The language code of an XLSForm language name: `Vietnamese (vi)` → `vi`, a bare `vi` → `vi`.
pub fn language_code(name: &str) -> String {
    let name = name.trim();
    match (name.rfind('('), name.ends_with(')')) {
        (Some(open), true) => name[open + 1..name.len() - 1].trim().to_owned(),
        // A bare language name (`English`, as many workbooks write it) reads as its code.
        _ => LANGUAGES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(code, _)| (*code).to_owned())
            .unwrap_or_else(|| name.to_owned()),
    }
}

/// What ODK shows for a location column (the definition names the columns only).
pub(crate) fn location_label(column: &str, lang: &str) -> String {
    let (vi, en) = match column {
        "province" => ("Tỉnh/thành phố", "Province"),
        "district" => ("Huyện/quận", "District"),
        "commune" => ("Xã/phường", "Commune"),
        "village" => ("Thôn/tổ dân phố", "Village"),
        other => (other, other),
    };
    if lang == "vi" { vi } else { en }.to_owned()
}
