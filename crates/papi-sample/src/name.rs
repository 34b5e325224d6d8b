//! Names at the boundary: every unit name is trimmed and normalised to Unicode NFC, so that "Tây Sơn"
//! typed with composed diacritics and with combining marks is the same district.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// The longest unit name accepted, in characters: long enough for any Vietnamese place name, short
/// enough that a name pasted by mistake (a paragraph, a whole row) is caught.
pub const MAX_NAME_CHARS: usize = 200;

/// `s` trimmed and in Unicode Normalisation Form C.
pub fn normalise(s: &str) -> String {
    let s = s.trim();
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s.to_owned(),
        _ => s.nfc().collect(),
    }
}

/// Why a normalised name is refused, if it is.
pub fn refusal(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Some(format!(
            "the name has {chars} characters; names have at most {MAX_NAME_CHARS}"
        ));
    }
    None
}
