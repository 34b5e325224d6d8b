//! Text at the boundary: everything papi reads is normalised to Unicode NFC, so that "Tây Sơn" typed on
//! a keyboard that composes diacritics and on one that sends combining marks is the same district.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Returns `s` in Unicode Normalisation Form C.
pub fn nfc(s: &str) -> String {
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s.to_owned(),
        _ => s.nfc().collect(),
    }
}

/// Normalises a string in place, allocating only when it is not already NFC.
pub fn nfc_in_place(s: &mut String) {
    if is_nfc_quick(s.chars()) != IsNormalized::Yes {
        *s = s.nfc().collect();
    }
}

/// A lower-case ASCII key for a Vietnamese name: diacritics dropped, đ read as d, runs of other
/// characters turned into one `-`. "Bình Định" and "binh-dinh" give the same key.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Rewrites every `${name}` in `text` with `with(name)`; a reference it gives `None` for stays as
/// written. Labels show answers this way, and renamed questions are renamed in them.
pub fn replace_references(text: &str, with: impl Fn(&str) -> Option<String>) -> String {
    if !text.contains("${") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                match with(after[..end].trim()) {
                    Some(new) => out.push_str(&new),
                    None => out.push_str(&rest[start..start + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A text in each of the survey's languages, keyed by language code (`vi`, `en`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(example = json!({"vi": "Xin chào", "en": "Hello"}))
)]
#[serde(transparent)]
pub struct Label(pub BTreeMap<String, String>);

impl Label {
    pub fn new(vi: &str, en: &str) -> Label {
        Label(BTreeMap::from([
            ("vi".to_owned(), vi.to_owned()),
            ("en".to_owned(), en.to_owned()),
        ]))
    }

    /// The text in `lang`, falling back to Vietnamese, then to any language present.
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get("vi"))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    pub(crate) fn normalise(&mut self) {
        for v in self.0.values_mut() {
            nfc_in_place(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_and_decomposed_forms_are_one_string() {
        let composed = "T\u{e2}y S\u{1a1}n";
        let decomposed = "Ta\u{302}y So\u{31b}n";
        assert_ne!(composed, decomposed);
        assert_eq!(nfc(composed), nfc(decomposed));
        assert_eq!(nfc(decomposed), composed);
    }

    #[test]
    fn slug_drops_diacritics() {
        assert_eq!(slug("Bình Định"), "binh-dinh");
        assert_eq!(slug("  Thừa Thiên Huế "), "thua-thien-hue");
        assert_eq!(slug("binh-dinh"), "binh-dinh");
    }
}
