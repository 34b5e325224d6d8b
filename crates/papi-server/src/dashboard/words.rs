//! The dashboard's numbers in words: intervals, signed changes, whether a change is significant, and
//! the sentences that say where the province stands.

use maud::{html, Markup};

use crate::locale;
use crate::pages::Lang;

use super::*;

/// The mark of a flagged estimate, and what it means.
pub(crate) const FLAG_MARK: &str = "†";

pub(crate) fn flag_legend(lang: Lang) -> Markup {
    html! {
        p.muted { (FLAG_MARK) " " (lang.t(
            "Ước lượng dựa trên dưới 30 người trả lời hoặc dưới 5 bậc tự do của thiết kế mẫu: đọc thận trọng.",
            "Estimate resting on fewer than 30 respondents or fewer than 5 degrees of freedom of the sample design: read with care.",
        )) }
    }
}

pub(crate) fn group_name(group: &str, lang: Lang) -> &'static str {
    match group {
        "best" => lang.t("Nhóm cao nhất", "Best performers"),
        "high_average" => lang.t("Nhóm trung bình cao", "High average performers"),
        "low_average" => lang.t("Nhóm trung bình thấp", "Low average performers"),
        _ => lang.t("Nhóm thấp nhất", "Poor performers"),
    }
}

pub(crate) fn dim_label(d: &DimensionView, lang: Lang) -> &str {
    lang.t(&d.label_vi, &d.label_en)
}

pub(crate) fn interval(e: &Est, lang: Lang) -> String {
    let mark = if e.flagged { FLAG_MARK } else { "" };
    match (e.ci_low, e.ci_high) {
        (Some(l), Some(h)) => format!(
            "{} – {}{mark}",
            locale::number(l, 2, lang),
            locale::number(h, 2, lang)
        ),
        _ => format!("—{mark}"),
    }
}

pub(crate) fn score(x: Option<f64>, lang: Lang) -> String {
    locale::score(x, lang)
}

pub(crate) fn signed(x: Option<f64>, lang: Lang) -> String {
    locale::signed(x, lang)
}

/// Whether a change's 95% interval leaves out zero: then the survey can tell it from sampling noise.
pub(crate) fn significant(change: &Est) -> Option<bool> {
    match (change.ci_low, change.ci_high) {
        (Some(lo), Some(hi)) => Some(lo > 0.0 || hi < 0.0),
        _ => None,
    }
}

/// The change in words a leader can read in a breath: its direction and size against the baseline
/// year, and whether it is more than sampling noise.
pub(crate) fn change_sentence(change: &Est, since: Option<i32>, lang: Lang) -> String {
    let Some(x) = change.estimate else {
        return lang
            .t(
                "Chưa ước lượng được thay đổi.",
                "The change cannot be estimated.",
            )
            .to_owned();
    };
    let size = locale::number(x.abs(), 2, lang);
    let direction = match (x >= 0.0, lang) {
        (true, Lang::Vi) => "Tăng",
        (false, Lang::Vi) => "Giảm",
        (true, Lang::En) => "Up",
        (false, Lang::En) => "Down",
    };
    let against = match since {
        Some(y) => format!(" {} {y}", lang.t("so với", "on")),
        None => String::new(),
    };
    let verdict = match significant(change) {
        Some(true) => lang.t(
            "khác biệt có ý nghĩa thống kê (mức 95%)",
            "a statistically significant difference (at 95%)",
        ),
        Some(false) => lang.t(
            "chưa khác biệt có ý nghĩa thống kê",
            "not a statistically significant difference",
        ),
        None => lang.t(
            "chưa đủ dữ liệu để kết luận",
            "too little data to say whether it is more than chance",
        ),
    };
    format!(
        "{direction} {size} {}{against}, {verdict}.",
        lang.t("điểm", "points")
    )
}

/// What the 95% interval of the change means, in one sentence, with its ends.
pub(crate) fn interval_sentence(change: &Est, lang: Lang) -> Option<String> {
    let (lo, hi) = (change.ci_low?, change.ci_high?);
    let (lo, hi) = (locale::number(lo, 2, lang), locale::number(hi, 2, lang));
    let conclusion = match significant(change) {
        Some(true) => lang.t(
            "khoảng này không chứa 0, nên thay đổi không phải do ngẫu nhiên chọn mẫu.",
            "it leaves out zero, so the change is not an accident of the sample.",
        ),
        _ => lang.t(
            "khoảng này chứa cả số âm và số dương, nên chưa thể nói điểm đã tăng hay giảm.",
            "it holds both falls and rises, so the survey cannot yet say which way the score moved.",
        ),
    };
    Some(match lang {
        Lang::Vi => format!("Khoảng tin cậy 95% của thay đổi là {lo} đến {hi}: tính cả sai số do chỉ phỏng vấn một mẫu người dân, thay đổi thật nằm trong khoảng này với độ tin cậy 95%; {conclusion}"),
        Lang::En => format!("The 95% interval of the change is {lo} to {hi}: allowing for the error of interviewing a sample rather than everyone, the true change lies in it with 95% confidence; {conclusion}"),
    })
}

/// The performance group in words: which year's provinces it compares the wave with, and where the
/// groups' thresholds (the national quartiles of the total) lie.
pub(crate) fn performance_sentences(
    d: &Dashboard,
    p: &PerformanceInfo,
    lang: Lang,
) -> (String, String) {
    let n = |x: f64| locale::number(x, 2, lang);
    let t = &p.thresholds;
    let total = n(d.total.estimate.unwrap_or(f64::NAN));
    let group = group_name(&p.group, lang).to_lowercase();
    let placed = match lang {
        Lang::Vi => format!(
            "Với {total} điểm, kết quả đợt {} của tỉnh thuộc {group} nếu đặt cạnh {} tỉnh, thành phố trong PAPI {}.",
            d.publication.wave_year, p.provinces, p.year
        ),
        Lang::En => format!(
            "At {total} points, the province's {} wave would be among the {group} next to the {} provinces of PAPI {}.",
            d.publication.wave_year, p.provinces, p.year
        ),
    };
    let thresholds = match lang {
        Lang::Vi => format!(
            "Các nhóm chia theo tứ phân vị điểm tổng hợp của các tỉnh năm {}: thấp nhất dưới {}; trung bình thấp từ {} đến dưới {}; trung bình cao từ {} đến dưới {}; cao nhất từ {} trở lên.",
            p.year, n(t.low_average), n(t.low_average), n(t.high_average), n(t.high_average), n(t.best), n(t.best)
        ),
        Lang::En => format!(
            "The groups are the quarters of the provinces' totals in {}: poor performers below {}; low average {} to {}; high average {} to {}; best performers {} and above.",
            p.year, n(t.low_average), n(t.low_average), n(t.high_average), n(t.high_average), n(t.best), n(t.best)
        ),
    };
    (placed, thresholds)
}
