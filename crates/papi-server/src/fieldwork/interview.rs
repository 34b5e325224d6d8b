//! One interview's page for its supervisor: its answers, flags and review history, and the review
//! form.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use papi_auth::Action;
use papi_store::REVIEW_STATES;
use papi_survey::Survey;
use uuid::Uuid;

use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

use super::*;

/// `GET /fieldwork/{survey}/{version}/interviews/{id}`: one interview, its flags and review history,
/// and the review form.
pub async fn interview_page(
    State(state): State<Arc<AppState>>,
    Path((id, version, interview_id)): Path<(String, String, String)>,
    viewer: Viewer,
) -> Result<Response, PageRejection> {
    viewer.may(Action::ViewFieldwork)?;
    let lang = viewer.lang;
    let survey = survey_or_404(&state, &id, &version)
        .await
        .map_err(PageRejection::Failed)?;
    let not_found =
        || PageRejection::Failed(ApiError::not_found("phiếu phỏng vấn này", "this interview"));
    let uuid = Uuid::parse_str(&interview_id).map_err(|_| not_found())?;
    let stored = state
        .store
        .interview(&survey, uuid)
        .await
        .map_err(|e| PageRejection::Failed(e.into()))?
        .ok_or_else(not_found)?;
    let history = state
        .store
        .reviews(uuid)
        .await
        .map_err(|e| PageRejection::Failed(e.into()))?;
    let iv = &stored.interview;
    let base = format!("/fieldwork/{id}/{version}");
    let path = format!("{base}/interviews/{interview_id}");
    let title = format!("{} {}", lang.t("Phiếu", "Interview"), &interview_id[..8]);
    let duration = papi_survey::quality::duration_seconds(iv);
    let straight = papi_survey::quality::straightlining(&survey, iv).map(|s| s.to_string());
    let short_minutes = papi_recompute::settings(&state.store, &survey)
        .await
        .map_err(|e| PageRejection::Failed(ApiError::internal(e)))?
        .short_minutes;
    let short = duration.filter(|s| *s < short_minutes * 60.0);
    let same_answers = state
        .store
        .same_answers(&id, &version, uuid)
        .await
        .map_err(|e| PageRejection::Failed(e.into()))?;
    Ok(layout(&viewer, &path, &title, html! {
        p.muted { a href=(href(&base, lang)) { "← " (lang.t("Giám sát thực địa", "Fieldwork")) } }
        h1 { (title) }
        p {
            (lang.t("Điều tra viên", "Enumerator")) ": " strong { (iv.enumerator.clone().unwrap_or_default()) } " · "
            (iv.location.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ")) " · "
            (lang.t("Thời lượng", "Duration")) ": " (duration.map(|s| format!("{} {}", locale::number(s / 60.0, 1, lang), lang.t("phút", "min"))).unwrap_or_else(|| "—".into()))
        }
        @if short.is_some() || straight.is_some() || same_answers > 0 {
            h2 { (lang.t("Cảnh báo chất lượng", "Quality flags")) }
            ul.flags {
                @if let Some(s) = short { li.flag { (short_words(s, short_minutes, lang)) } }
                @if let Some(s) = &straight { li.flag { (straightlining_words(&survey, s, lang)) } }
                @if same_answers > 0 { li.flag { (same_answers_words(same_answers, lang)) } }
            }
        }
        p { (lang.t("Trạng thái", "State")) ": " strong id="state" { (state_name(&stored.review_state, lang)) } }
        form id="review" class="noprint" data-action="review" data-interview=(interview_id) {
            div.field {
                label for="review-state" { (lang.t("Quyết định", "Decision")) }
                select id="review-state" name="state" { @for s in REVIEW_STATES { option value=(s) selected[s == stored.review_state] { (state_name(s, lang)) } } }
            }
            div.field {
                label for="review-comment" { (lang.t("Nhận xét (bắt buộc khi có vấn đề hoặc loại)", "Comment (required for has issues or rejected)")) }
                input id="review-comment" name="comment";
            }
            button type="submit" { (lang.t("Lưu", "Save")) }
        }
        h2 { (lang.t("Lịch sử duyệt", "Review history")) }
        @if history.is_empty() { p.muted { (lang.t("Chưa duyệt.", "Not reviewed yet.")) } }
        table { tbody { @for r in &history {
            tr { td { (locale::date_time(r.reviewed_at, lang)) } td { (r.reviewer) } td { (state_name(&r.from_state, lang)) " → " (state_name(&r.to_state, lang)) } td { (r.comment) } }
        } } }
        h2 { (lang.t("Câu trả lời", "Answers")) }
        table { tbody { @for (q, a) in survey.questions.iter().zip(&iv.answers) {
            @if let Some(a) = a {
                // The question's id under its label: ids are long words a phone must be able to break.
                tr { td { (q.label.get(lang.code())) br; span.code { (q.id) } } td { (answer_text(&survey, q, a, lang)) } }
            }
        } } }
    }).into_response())
}

pub(crate) fn answer_text(
    survey: &Survey,
    q: &papi_survey::Question,
    a: &papi_survey::Answer,
    lang: Lang,
) -> String {
    let label = |v: &str| {
        survey
            .choices_of(q)
            .iter()
            .find(|c| c.value == v)
            .map(|c| format!("{} ({v})", c.label.get(lang.code())))
            .unwrap_or_else(|| v.to_owned())
    };
    match a {
        papi_survey::Answer::Choice(v) => label(v),
        papi_survey::Answer::Choices(vs) => {
            vs.iter().map(|v| label(v)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_cell(),
    }
}
