//! The fieldwork's states and quality flags in words, in the page's language.

use papi_survey::Survey;

use crate::locale;
use crate::pages::Lang;

use super::*;

pub(crate) fn state_name(state: &str, lang: Lang) -> &'static str {
    match state {
        "approved" => lang.t("Đã duyệt", "Approved"),
        "has_issues" => lang.t("Có vấn đề", "Has issues"),
        "rejected" => lang.t("Bị loại", "Rejected"),
        _ => lang.t("Đã nhận, chưa duyệt", "Received, not reviewed"),
    }
}

/// A straight-lining flag in words: how many rating-scale answers took one place on their scales,
/// which place, and the first of them in the page's language. A stored value not in papi's form is
/// shown as it is.
pub(crate) fn straightlining_words(survey: &Survey, stored: &str, lang: Lang) -> String {
    let Some(s) = papi_survey::quality::Straightlining::parse(stored) else {
        return stored.to_owned();
    };
    let answer = survey
        .choice_lists
        .get(&s.list)
        .and_then(|list| list.iter().find(|c| c.value == s.value))
        .map(|c| c.label.get(lang.code()).to_owned())
        .unwrap_or_else(|| s.value.clone());
    let place = s.position(survey).map(|p| p + 1).unwrap_or(1);
    match lang {
        Lang::Vi => format!(
            "Trả lời một kiểu: cả {} câu hỏi thang đo đều chọn phương án thứ {place} (như «{answer}»)",
            s.answers
        ),
        Lang::En => format!(
            "Straight-lined: all {} rating-scale answers took choice {place} of their scale (such as “{answer}”)",
            s.answers
        ),
    }
}

/// Every flag of a listed interview, in words, one after another.
pub(crate) fn flags_in_words(
    survey: &Survey,
    r: &FlagRow,
    short_minutes: f64,
    lang: Lang,
) -> String {
    let mut words = Vec::new();
    if r.short {
        words.push(short_words(
            r.minutes.unwrap_or(0.0) * 60.0,
            short_minutes,
            lang,
        ));
    }
    if let Some(s) = &r.straightlining {
        words.push(straightlining_words(survey, s, lang));
    }
    if let Some(n) = r.same_answers {
        words.push(same_answers_words(n - 1, lang));
    }
    words.join("; ")
}

pub(crate) fn short_words(seconds: f64, threshold_minutes: f64, lang: Lang) -> String {
    let minutes = locale::number(seconds / 60.0, 1, lang);
    let threshold = locale::number(
        threshold_minutes,
        if threshold_minutes.fract() == 0.0 {
            0
        } else {
            1
        },
        lang,
    );
    match lang {
        Lang::Vi => format!("Quá ngắn: {minutes} phút, dưới mức {threshold} phút"),
        Lang::En => format!("Too short: {minutes} minutes, under {threshold}"),
    }
}

pub(crate) fn same_answers_words(others: i64, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("Trùng câu trả lời với {others} phiếu khác"),
        Lang::En => format!("The same answers as {others} other interview(s)"),
    }
}
