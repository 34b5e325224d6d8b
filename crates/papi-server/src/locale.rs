//! How the pages write numbers and dates and order names, in Vietnamese and English: "41,06" and
//! "29/11/2026" on Vietnamese pages, "41.06" and "29 Nov 2026" on English ones, and names in the order
//! of the Vietnamese alphabet ("Hoài Ân" before "Hoài Nhơn"), whichever the page's language.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, Utc};
use unicode_normalization::UnicodeNormalization;

use crate::pages::Lang;

/// `x` with `decimals` decimals: a decimal comma and dots between thousands in Vietnamese, the
/// other way round in English.
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let plain = format!("{:.decimals$}", x.abs());
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    let (thousands, decimal) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::with_capacity(plain.len() + whole.len() / 3 + 1);
    // A rounded zero is written without its sign.
    if x < 0.0 && plain.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('−');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(thousands);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// Two decimals, or "—" when there is no value (the scores' precision everywhere on the pages).
pub fn score(x: Option<f64>, lang: Lang) -> String {
    x.map_or_else(|| "—".to_owned(), |v| number(v, 2, lang))
}

/// A change with its sign: "+0,02", "−1,50".
pub fn signed(x: Option<f64>, lang: Lang) -> String {
    match x {
        None => "—".to_owned(),
        Some(v) => {
            let n = number(v, 2, lang);
            if n.starts_with('−') || n.chars().all(|c| matches!(c, '0' | ',' | '.')) {
                n
            } else {
                format!("+{n}")
            }
        }
    }
}

/// The province's clock: the pages are read in Viet Nam (UTC+7, no daylight saving).
fn vietnam(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(7 * 3600).expect("a valid offset"))
}

/// A day: "29/11/2026" in Vietnamese, "29 Nov 2026" in English.
pub fn date(t: DateTime<Utc>, lang: Lang) -> String {
    let t = vietnam(t);
    match lang {
        Lang::Vi => t.format("%d/%m/%Y").to_string(),
        Lang::En => t.format("%-d %b %Y").to_string(),
    }
}

/// A day and time: "29/11/2026 14:05".
pub fn date_time(t: DateTime<Utc>, lang: Lang) -> String {
    format!("{} {}", date(t, lang), vietnam(t).format("%H:%M"))
}

/// A calendar day given as `YYYY-MM-DD` (as the store groups interviews by day), in the page's way;
/// anything else is shown as it is.
pub fn day(iso: &str, lang: Lang) -> String {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => match lang {
            Lang::Vi => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%-d %b %Y").to_string(),
        },
        Err(_) => iso.to_owned(),
    }
}

/// What orders a name in the Vietnamese alphabet, as a dictionary does: first the letters, where
/// ă and â follow a, đ follows d, ê follows e, ô and ơ follow o and ư follows u; then, between names
/// with the same letters, the tones (none, huyền, hỏi, ngã, sắc, nặng); then lower case before upper.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    letters: Vec<u32>,
    tones: Vec<u8>,
    cases: Vec<bool>,
    /// The text itself, so that different names never compare equal.
    text: String,
}

pub fn sort_key(name: &str) -> SortKey {
    let mut key = SortKey {
        letters: Vec::with_capacity(name.len()),
        tones: Vec::new(),
        cases: Vec::new(),
        text: name.to_owned(),
    };
    for c in name.nfd() {
        let (mark, tone) = match c {
            '\u{0306}' => (Some(1), None), // breve: ă
            '\u{0302}' => (Some(2), None), // circumflex: â ê ô
            '\u{031B}' => (Some(3), None), // horn: ơ ư
            '\u{0300}' => (None, Some(1)), // huyền
            '\u{0309}' => (None, Some(2)), // hỏi
            '\u{0303}' => (None, Some(3)), // ngã
            '\u{0301}' => (None, Some(4)), // sắc
            '\u{0323}' => (None, Some(5)), // nặng
            _ => (None, None),
        };
        if let Some(m) = mark {
            // The letter's mark makes it another letter of the alphabet, right after its base.
            if let Some(last) = key.letters.last_mut() {
                *last += m;
            }
            continue;
        }
        if let Some(t) = tone {
            if let Some(last) = key.tones.last_mut() {
                *last = t;
            }
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        let weight = match lower {
            // đ has no decomposition: it is d's next letter.
            'đ' => 'd' as u32 * 4 + 1,
            other => other as u32 * 4,
        };
        key.letters.push(weight);
        key.tones.push(0);
        key.cases.push(lower != c);
    }
    key
}

/// Compares two names in the Vietnamese alphabet's order.
pub fn compare(a: &str, b: &str) -> Ordering {
    sort_key(a).cmp(&sort_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_are_written_the_way_each_language_writes_them() {
        assert_eq!(number(41.0649, 2, Lang::Vi), "41,06");
        assert_eq!(number(41.0649, 2, Lang::En), "41.06");
        assert_eq!(number(1234567.0, 0, Lang::Vi), "1.234.567");
        assert_eq!(number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(number(-1.28, 2, Lang::Vi), "−1,28");
        assert_eq!(number(-0.001, 2, Lang::Vi), "0,00");
        assert_eq!(number(999.999, 2, Lang::Vi), "1.000,00");
        assert_eq!(number(f64::NAN, 2, Lang::Vi), "—");
        assert_eq!(score(None, Lang::Vi), "—");
        assert_eq!(signed(Some(0.02), Lang::Vi), "+0,02");
        assert_eq!(signed(Some(-1.5), Lang::En), "−1.50");
        assert_eq!(signed(Some(0.0), Lang::En), "0.00");
    }

    #[test]
    fn dates_are_days_of_viet_nam_written_the_way_each_language_writes_them() {
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 3, 5, 0).unwrap();
        assert_eq!(date(t, Lang::Vi), "29/11/2026");
        assert_eq!(date(t, Lang::En), "29 Nov 2026");
        assert_eq!(date_time(t, Lang::Vi), "29/11/2026 10:05");
        // 18:30 UTC is already the next day in Viet Nam.
        let late = Utc.with_ymd_and_hms(2026, 11, 29, 18, 30, 0).unwrap();
        assert_eq!(date(late, Lang::Vi), "30/11/2026");
        assert_eq!(day("2026-03-07", Lang::Vi), "07/03/2026");
        assert_eq!(day("2026-03-07", Lang::En), "7 Mar 2026");
        assert_eq!(day("someday", Lang::En), "someday");
    }

    #[test]
    fn names_follow_the_vietnamese_alphabet_then_the_tones() {
        let mut districts = vec![
            "Hoài Nhơn",
            "Hoài Ân",
            "An Nhơn",
            "An Lão",
            "Đập Đá",
            "Diêu Trì",
            "Tây Sơn",
            "Tuy Phước",
            "Quy Nhơn",
            "Phù Cát",
            "Phù Mỹ",
            "Vân Canh",
            "Vĩnh Thạnh",
        ];
        districts.sort_by(|a, b| compare(a, b));
        assert_eq!(
            districts,
            [
                "An Lão",
                "An Nhơn",
                "Diêu Trì",
                "Đập Đá",
                "Hoài Ân",
                "Hoài Nhơn",
                "Phù Cát",
                "Phù Mỹ",
                "Quy Nhơn",
                "Tây Sơn",
                "Tuy Phước",
                "Vân Canh",
                "Vĩnh Thạnh",
            ]
        );
        // The letters decide first (ă and â before b), then the tones in the dictionary's order,
        // then the case.
        let mut words = vec!["ma", "mạ", "má", "mã", "mả", "mà", "mă", "mâ", "Ma", "mb"];
        words.sort_by(|a, b| compare(a, b));
        assert_eq!(
            words,
            ["ma", "Ma", "mà", "mả", "mã", "má", "mạ", "mă", "mâ", "mb"]
        );
        assert!(
            compare("o", "ô").is_lt() && compare("ô", "ơ").is_lt() && compare("ơ", "p").is_lt()
        );
        assert!(compare("u", "ư").is_lt() && compare("ư", "v").is_lt());
        assert!(compare("d", "đ").is_lt() && compare("đ", "e").is_lt());
        // Composed or decomposed, a name sorts the same.
        assert_eq!(
            sort_key("Hoài Ân").letters,
            sort_key("Hoa\u{0300}i A\u{0302}n").letters
        );
    }
}
