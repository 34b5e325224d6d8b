//! The supervisors' pages: the list of surveys, and a survey's fieldwork (progress, enumerators,
//! flags, assignments, settings).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use papi_auth::Action;

use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

use super::*;

/// `GET /fieldwork`: the fieldwork page of the first survey (or a list).
pub async fn index(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewFieldwork)?;
    let lang = viewer.lang;
    let surveys = state
        .store
        .survey_definitions()
        .await
        .map_err(|e| PageRejection::Failed(e.into()))?;
    match surveys.as_slice() {
        [(id, version, _)] => {
            Ok(Redirect::to(&href(&format!("/fieldwork/{id}/{version}"), lang)).into_response())
        }
        many => Ok(layout(&viewer, "/fieldwork", lang.t("Giám sát thực địa", "Fieldwork"), html! {
            h1 { (lang.t("Giám sát thực địa", "Fieldwork")) }
            @if many.is_empty() { p { (lang.t("Chưa có khảo sát nào.", "No survey is registered yet.")) } }
            ul { @for (id, version, _) in many { li { a href=(href(&format!("/fieldwork/{id}/{version}"), lang)) { (id) " " (version) } } } }
        }).into_response()),
    }
}

/// The name of a location level in the page's language (the definition names its columns by id).
pub(crate) fn level_name(column: &str, lang: Lang) -> &str {
    match column {
        "province" => lang.t("tỉnh", "province"),
        "district" => lang.t("huyện", "district"),
        "commune" => lang.t("xã", "commune"),
        "village" => lang.t("thôn", "village"),
        other => other,
    }
}

pub(crate) fn pct(part: i64, whole: Option<i64>) -> Markup {
    match whole {
        Some(w) if w > 0 => {
            let p = (part as f64 / w as f64 * 100.0).min(999.0);
            html! { div.bar title=(format!("{p:.0}%")) { span style=(format!("width:{}%", p.min(100.0))) {} } (format!("{p:.0}%")) }
        }
        _ => html! { span.muted { "—" } },
    }
}

/// `GET /fieldwork/{survey}/{version}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewFieldwork)?;
    let lang = viewer.lang;
    let survey = survey_or_404(&state, &id, &version)
        .await
        .map_err(PageRejection::Failed)?;
    let f = gather(&state, &survey)
        .await
        .map_err(PageRejection::Failed)?;
    let base = format!("/fieldwork/{id}/{version}");
    let title = format!(
        "{} — {}",
        lang.t("Giám sát thực địa", "Fieldwork"),
        survey.title.get(lang.code())
    );
    let include = if f.settings.score_include == "approved" {
        lang.t("chỉ phiếu đã duyệt", "approved interviews only")
    } else {
        lang.t(
            "phiếu đã duyệt và phiếu chưa duyệt",
            "approved and not yet reviewed interviews",
        )
    };
    let labels = [
        lang.t("Điều tra viên", "Enumerator"),
        lang.t("Địa bàn", "Place"),
        lang.t("Cảnh báo", "Flags"),
        lang.t("Trạng thái", "State"),
    ];
    Ok(layout(&viewer, &base, &title, html! {
        h1 { (title) }
        div.cards.counts {
            @for (s, n) in &f.review_states {
                div.card { div.muted { (state_name(s, lang)) } div.big { (n) } }
            }
        }
        p.muted { (lang.t("Kết quả tính điểm dùng", "Score runs take")) ": " strong { (include) } ". "
            (lang.t("Phiếu ngắn hơn", "Interviews shorter than")) " " (locale::number(f.settings.short_interview_minutes, if f.settings.short_interview_minutes.fract() == 0.0 { 0 } else { 1 }, lang)) " " (lang.t("phút bị đánh dấu.", "minutes are flagged.")) }
        h2 { (lang.t("Tiến độ so với chỉ tiêu", "Progress against the quota")) }
        // Seven columns: on a phone the table scrolls in its box and the place stays in view.
        div.wide tabindex="0" role="region" aria-label=(lang.t("Tiến độ so với chỉ tiêu", "Progress against the quota")) { table {
            thead { tr {
                th { (lang.t("Địa bàn", "Place")) } th.num { (lang.t("Chỉ tiêu", "Quota")) } th.num { (lang.t("Đã nhận", "Received")) }
                th { (lang.t("Tiến độ", "Progress")) } th.num { (lang.t("Đã duyệt", "Approved")) } th.num { (lang.t("Có vấn đề", "Has issues")) } th.num { (lang.t("Bị loại", "Rejected")) }
            } }
            tbody { @for p in &f.progress {
                tr {
                    td style=(format!("padding-left:{}rem", 0.4 + 1.2 * (p.place.len().saturating_sub(2)) as f64)) {
                        @if p.place.len() <= 2 { strong { (p.place.last().cloned().unwrap_or_default()) } } @else { (p.place.last().cloned().unwrap_or_default()) }
                        " " span.muted { "(" (level_name(&p.level, lang)) ")" }
                    }
                    td.num { (p.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into())) }
                    td.num { (p.received) }
                    td { (pct(p.received, p.target)) }
                    td.num { (p.approved) } td.num { (p.has_issues) } td.num { (p.rejected) }
                }
            } }
        } }
        h2 { (lang.t("Phân công thôn cho điều tra viên", "Villages assigned to enumerators")) }
        @match f.sample_version {
            None => p { (lang.t("Khảo sát chưa có mẫu được đăng ký: quản trị viên đăng ký mẫu bằng `papi sample register`; chưa thể nhận phiếu.",
                "The survey has no registered sample yet: an administrator registers one with `papi sample register`; no interview can be accepted before.")) },
            Some(v) => {
                p.muted {
                    (lang.t("Mẫu phiên bản", "Sample version")) " " (v) ": " (f.assignments.len()) " " (lang.t("thôn", "villages")) ". "
                    @if f.settings.assignments_required {
                        (lang.t("Điều tra viên chỉ gửi được phiếu của thôn được phân công.", "Enumerators can send interviews only from villages assigned to them."))
                    } @else {
                        (lang.t("Điều tra viên gửi được phiếu của mọi thôn trong mẫu.", "Enumerators can send interviews from any village of the sample."))
                    }
                }
                form id="assignments" data-action="save-assignments" data-survey=(id) data-version=(version) {
                    div.scroll { table {
                        thead { tr { th { (lang.t("Thôn", "Village")) } th.num { (lang.t("Chỉ tiêu", "Quota")) } th { (lang.t("Điều tra viên (cách nhau bởi dấu phẩy)", "Enumerators (comma-separated)")) } } }
                        tbody { @for a in &f.assignments {
                            tr {
                                // The province is the same on every row: the place is shown below it.
                                td { (a.place.split(" / ").skip(1).collect::<Vec<_>>().join(" / ")) }
                                td.num { (a.planned) }
                                td { input name="enumerators" style="width:100%;min-width:8rem" data-place=(a.place) value=(a.enumerators.join(", ")) aria-label=(format!("{} — {}", lang.t("Điều tra viên", "Enumerators"), a.place)); }
                            }
                        } }
                    } }
                    button type="submit" { (lang.t("Lưu phân công", "Save assignments")) }
                    " " span id="assignments-status" class="muted" data-status {}
                }
                h2 { (lang.t("Phiếu chưa gửi từ tệp của điện thoại", "Unsent interviews from a phone's file")) }
                p.muted { (lang.t("Khi điện thoại của điều tra viên hỏng hoặc phải xoá dữ liệu: trên biểu mẫu, bấm “Lưu phiếu chưa gửi ra tệp”, rồi tải tệp đó lên đây. Phiếu được kiểm tra như khi điện thoại gửi; phiếu đã nhận không bị lưu hai lần.",
                    "When an enumerator's phone breaks or must be cleared: on the form, press “Save unsent interviews to a file”, then upload that file here. The interviews are checked as if the phone had sent them; one already received is not stored twice.")) }
                form id="device-file" data-action="upload-device-file" {
                    label for="device-file-input" { (lang.t("Tệp phiếu chưa gửi (.json)", "File of unsent interviews (.json)")) }
                    " " input id="device-file-input" name="file" type="file" accept=".json,application/json" required;
                    " " button type="submit" { (lang.t("Tải lên", "Upload")) }
                    " " span id="device-file-status" class="muted" role="status" data-status {}
                }
            }
        }
        @if !f.left_out.is_empty() {
            h2 { (lang.t("Phiếu không được tính trong lần công bố gần nhất", "Interviews the latest publication left out")) }
            table {
                thead { tr { th { (lang.t("Phiếu", "Interview")) } th { (lang.t("Lý do", "Reason")) } } }
                tbody { @for l in &f.left_out {
                    tr { td { a href=(href(&format!("{base}/interviews/{}", l.id), lang)) { (l.id.chars().take(8).collect::<String>()) "…" } } td { (l.reason) " " span.muted { "(" (l.code) ")" } } }
                } }
            }
        }
        h2 { (lang.t("Số phiếu theo điều tra viên và ngày", "Interviews per enumerator per day")) }
        div.wide tabindex="0" role="region" aria-label=(lang.t("Số phiếu theo điều tra viên và ngày", "Interviews per enumerator per day")) { table {
            thead { tr { th { (lang.t("Ngày", "Day")) } th { (lang.t("Điều tra viên", "Enumerator")) } th.num { (lang.t("Số phiếu", "Interviews")) } th.num { (lang.t("Bị đánh dấu", "Flagged")) } } }
            tbody { @for d in &f.enumerator_days {
                tr { td { (locale::day(&d.day, lang)) } td { (d.enumerator) } td.num { (d.interviews) } td.num class=[(d.flagged > 0).then_some("flag")] { (d.flagged) } }
            } }
        } }
        h2 { (lang.t("Cảnh báo chất lượng", "Quality flags")) }
        p {
            (lang.t("Quá ngắn", "Too short")) ": " strong { (f.quality.short) } " · "
            (lang.t("Trả lời một kiểu (straight-lining)", "Straight-lining")) ": " strong { (f.quality.straightlining) } " · "
            (lang.t("Trùng câu trả lời với phiếu khác", "Same answers as another interview")) ": " strong { (f.quality.duplicated) }
            " / " (f.quality.interviews)
        }
        // On a phone each flagged interview is a card.
        table.stack {
            thead { tr { th { (lang.t("Phiếu", "Interview")) } th { (labels[0]) } th { (labels[1]) } th { (labels[2]) } th { (labels[3]) } } }
            tbody { @for r in &f.quality.flagged {
                tr {
                    td.lead { a href=(href(&format!("{base}/interviews/{}", r.id), lang)) { (lang.t("Phiếu", "Interview")) " " (&r.id[..8]) "…" } }
                    td data-label=(labels[0]) { (r.enumerator.clone().unwrap_or_default()) }
                    td data-label=(labels[1]) { (r.place.join(" / ")) }
                    td.flag data-label=(labels[2]) { (flags_in_words(&survey, r, f.settings.short_interview_minutes, lang)) }
                    td data-label=(labels[3]) { (state_name(&r.review_state, lang)) }
                }
            } }
        }
    }).into_response())
}
