//! What a text cell of an export may begin with. A spreadsheet reads a cell that begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return as a formula, so an answer typed as
//! `=HYPERLINK("http://evil.example", "…")` would run on the analyst's machine. Such text is written
//! with a single quote in front, as OWASP recommends ("CSV Injection"); numbers are written as they
//! are, so that `papi score --responses` reads an export as the database holds it.

use std::borrow::Cow;

/// The characters a spreadsheet starts a formula with.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a spreadsheet may safely read it: unchanged, unless it would start a formula and is not
/// a number (such as the choice code `-1` or the decimal `-2.5`), in which case a `'` goes first.
pub(crate) fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_START) && !is_numbers(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One number, or several separated by single spaces (a select_multiple answer of numeric codes).
fn is_numbers(text: &str) -> bool {
    text.split(' ').all(is_number)
}

/// A number as papi writes one: digits, sign, decimal point and exponent only (so not `-inf`).
fn is_number(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && text.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_would_start_a_formula_gets_a_quote_in_front() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
            "-",
            "- không biết",
            "-1 =1+1",
            "-inf",
        ] {
            assert_eq!(neutralised(formula), format!("'{formula}"), "{formula:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_written_as_they_are() {
        for plain in [
            "-1",
            "-2.5",
            "+3",
            "-1e-3",
            "-1 -2 3",
            "1+1",
            "Đường tốt, không có gì",
            "a=b",
            " =1+1",
            "'=1+1",
            "",
        ] {
            assert!(matches!(neutralised(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }
}
