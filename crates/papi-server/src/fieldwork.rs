//! Fieldwork supervision: progress against the quota by district, commune and village, interviews per
//! enumerator per day, review decisions with comments (audited), and quality flags. Supervisors and
//! admins only; the settings and quotas a supervisor keeps go through the JSON API as well.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use maud::{html, Markup};
use papi_auth::Action;
use papi_store::REVIEW_STATES;
use papi_survey::Survey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Actor;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::locale;
use crate::pages::{href, layout, Lang, PageRejection, Viewer};
use crate::AppState;

fn state_name(state: &str, lang: Lang) -> &'static str {
    match state {
        "approved" => lang.t("Đã duyệt", "Approved"),
        "has_issues" => lang.t("Có vấn đề", "Has issues"),
        "rejected" => lang.t("Bị loại", "Rejected"),
        _ => lang.t("Đã nhận, chưa duyệt", "Received, not reviewed"),
    }
}

/// Progress of one place against its quota.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaceProgress {
    /// Location values from the top column down to this place's level.
    pub place: Vec<String>,
    pub level: String,
    pub target: Option<i64>,
    pub received: i64,
    pub approved: i64,
    pub has_issues: i64,
    pub rejected: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnumeratorDayRow {
    pub enumerator: String,
    pub day: String,
    pub interviews: i64,
    pub flagged: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagRow {
    pub id: String,
    pub enumerator: Option<String>,
    pub place: Vec<String>,
    pub received_at: String,
    pub review_state: String,
    pub minutes: Option<f64>,
    pub short: bool,
    pub straightlining: Option<String>,
    pub same_answers: Option<i64>,
}

/// What the fieldwork page shows, as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Fieldwork {
    pub survey_id: String,
    pub version: String,
    pub settings: SettingsView,
    pub review_states: BTreeMap<String, i64>,
    /// Every level of the location hierarchy below the top one (district, commune, village for PAPI).
    pub progress: Vec<PlaceProgress>,
    pub enumerator_days: Vec<EnumeratorDayRow>,
    pub quality: QualityView,
    /// The registered sample's version, when there is one.
    pub sample_version: Option<i64>,
    /// Each village of the sample and the enumerators assigned to it.
    pub assignments: Vec<VillageAssignment>,
    /// What the latest publication's recompute left out, and why.
    pub left_out: Vec<LeftOutRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VillageAssignment {
    /// The village's key: its location values joined with " / ".
    pub place: String,
    pub planned: i64,
    pub enumerators: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeftOutRow {
    pub id: String,
    /// A stable code: `location.not_in_sample`, `weight.missing`, `weight.invalid`.
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    /// approved or approved_or_unreviewed.
    pub score_include: String,
    pub short_interview_minutes: f64,
    pub dashboard_min_respondents: u64,
    /// Must an enumerator's interviews come from villages assigned to them?
    pub assignments_required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QualityView {
    pub interviews: i64,
    pub short: i64,
    pub straightlining: i64,
    pub duplicated: i64,
    pub flagged: Vec<FlagRow>,
}

async fn survey_or_404(state: &AppState, id: &str, version: &str) -> Result<Arc<Survey>, ApiError> {
    state
        .survey(id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("phiên bản khảo sát này", "this survey version"))
}

/// A place's values in the definition's column order (PostgreSQL's JSONB keeps its own).
fn in_column_order(survey: &Survey, location: &[(String, String)]) -> Vec<String> {
    survey
        .location_in_column_order(location)
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

/// Gathers the fieldwork view of a survey version.
pub async fn gather(state: &AppState, survey: &Survey) -> Result<Fieldwork, ApiError> {
    let settings = papi_recompute::settings(&state.store, survey)
        .await
        .map_err(ApiError::internal)?;
    let short_seconds = settings.short_minutes * 60.0;
    let (id, version) = (&survey.id, &survey.version);
    let counts = state.store.interviews_by_place(id, version).await?;
    let quotas = state.store.quotas(id, version).await?;
    let columns = &survey.design.location;
    let mut review_states: BTreeMap<String, i64> =
        REVIEW_STATES.iter().map(|s| (s.to_string(), 0)).collect();
    // Every prefix of a place below the top level (the province) is a row: district, commune, village.
    let top = usize::from(columns.len() > 1);
    let mut rows: BTreeMap<Vec<String>, PlaceProgress> = BTreeMap::new();
    fn row<'a>(
        rows: &'a mut BTreeMap<Vec<String>, PlaceProgress>,
        columns: &[String],
        place: Vec<String>,
    ) -> &'a mut PlaceProgress {
        let level = columns.get(place.len() - 1).cloned().unwrap_or_default();
        rows.entry(place.clone()).or_insert(PlaceProgress {
            place,
            level,
            target: None,
            received: 0,
            approved: 0,
            has_issues: 0,
            rejected: 0,
        })
    }
    for q in &quotas {
        let values = in_column_order(survey, &q.location);
        for depth in (top + 1)..=values.len() {
            let r = row(&mut rows, columns, values[..depth].to_vec());
            r.target = Some(r.target.unwrap_or(0) + q.target);
        }
    }
    for c in &counts {
        *review_states.entry(c.review_state.clone()).or_insert(0) += c.interviews;
        let values = in_column_order(survey, &c.location);
        for depth in (top + 1)..=values.len() {
            let r = row(&mut rows, columns, values[..depth].to_vec());
            r.received += c.interviews;
            match c.review_state.as_str() {
                "approved" => r.approved += c.interviews,
                "has_issues" => r.has_issues += c.interviews,
                "rejected" => r.rejected += c.interviews,
                _ => {}
            }
        }
    }
    let days = state
        .store
        .interviews_by_enumerator_day(id, version, short_seconds, 500)
        .await?;
    let summary = state
        .store
        .quality_summary(id, version, short_seconds)
        .await?;
    let flagged = state
        .store
        .flagged_interviews(id, version, short_seconds, 200)
        .await?;
    let sample = state.store.current_sample(id, version).await?;
    let mut assigned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in state.store.assignments(id, version, None).await? {
        assigned.entry(a.place).or_default().push(a.enumerator);
    }
    let mut assignments: Vec<VillageAssignment> = state
        .store
        .sample_places(id, version)
        .await?
        .into_iter()
        .map(|p| VillageAssignment {
            enumerators: assigned.remove(&p.place).unwrap_or_default(),
            place: p.place,
            planned: p.planned,
        })
        .collect();
    assignments.sort_by_cached_key(|a| {
        a.place
            .split(" / ")
            .map(locale::sort_key)
            .collect::<Vec<_>>()
    });
    // Places in the Vietnamese alphabet's order, each district followed by its communes and villages.
    let mut progress: Vec<PlaceProgress> = rows.into_values().collect();
    progress.sort_by_cached_key(|p| {
        p.place
            .iter()
            .map(|v| locale::sort_key(v))
            .collect::<Vec<_>>()
    });
    let left_out = state
        .store
        .publications(id, version)
        .await?
        .into_iter()
        .next()
        .map(|p| p.publication.left_out)
        .unwrap_or_default()
        .into_iter()
        .map(|l| LeftOutRow {
            id: l.id,
            code: l.code,
            reason: l.reason,
        })
        .collect();
    Ok(Fieldwork {
        sample_version: sample.map(|s| s.sample_version),
        assignments,
        left_out,
        survey_id: id.clone(),
        version: version.clone(),
        settings: SettingsView {
            score_include: settings.include.name().to_owned(),
            short_interview_minutes: settings.short_minutes,
            dashboard_min_respondents: settings.min_respondents,
            assignments_required: settings.assignments_required,
        },
        review_states,
        progress,
        enumerator_days: days
            .into_iter()
            .map(|d| EnumeratorDayRow {
                enumerator: d.enumerator,
                day: d.day,
                interviews: d.interviews,
                flagged: d.flagged,
            })
            .collect(),
        quality: QualityView {
            interviews: summary.interviews,
            short: summary.short,
            straightlining: summary.straightlining,
            duplicated: summary.duplicated,
            flagged: flagged
                .into_iter()
                .map(|f| FlagRow {
                    id: f.id,
                    enumerator: f.enumerator,
                    place: in_column_order(survey, &f.location),
                    received_at: f.received_at.to_rfc3339(),
                    review_state: f.review_state,
                    minutes: f.duration_seconds.map(|s| (s / 6.0).round() / 10.0),
                    short: f.short,
                    straightlining: f.straightlining,
                    same_answers: f.same_answers,
                })
                .collect(),
        },
    })
}

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
fn level_name(column: &str, lang: Lang) -> &str {
    match column {
        "province" => lang.t("tỉnh", "province"),
        "district" => lang.t("huyện", "district"),
        "commune" => lang.t("xã", "commune"),
        "village" => lang.t("thôn", "village"),
        other => other,
    }
}

fn pct(part: i64, whole: Option<i64>) -> Markup {
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

/// A straight-lining flag in words: how many rating-scale answers took one place on their scales,
/// which place, and the first of them in the page's language. A stored value not in papi's form is
/// shown as it is.
fn straightlining_words(survey: &Survey, stored: &str, lang: Lang) -> String {
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
fn flags_in_words(survey: &Survey, r: &FlagRow, short_minutes: f64, lang: Lang) -> String {
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

fn short_words(seconds: f64, threshold_minutes: f64, lang: Lang) -> String {
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

fn same_answers_words(others: i64, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("Trùng câu trả lời với {others} phiếu khác"),
        Lang::En => format!("The same answers as {others} other interview(s)"),
    }
}

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

fn answer_text(
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

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    /// received, approved, has_issues or rejected.
    pub state: String,
    /// Required when the state is has_issues or rejected.
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/v1/interviews/{id}/review`: a supervisor's decision on an interview, with a comment.
#[utoipa::path(
    post,
    path = "/api/v1/interviews/{id}/review",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The interview id (UUID)")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "The decision, as recorded"),
        (status = 400, description = "Malformed body", body = crate::openapi::Error),
        (status = 413, description = "The body is larger than this request allows", body = crate::openapi::Error),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = crate::openapi::Error),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only supervisors and admins review", body = crate::openapi::Error),
        (status = 404, description = "No such interview", body = crate::openapi::Error),
        (status = 422, description = "Unknown state, or a comment missing or too long", body = crate::openapi::Error),
    )
)]
pub async fn review(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    actor: Actor,
    body: Result<JsonBody<ReviewRequest>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.may(Action::Review)?;
    let JsonBody(req) = body?;
    let uuid = Uuid::parse_str(&id)
        .map_err(|_| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    if !REVIEW_STATES.contains(&req.state.as_str()) {
        return Err(ApiError::unprocessable(
            "review.state",
            format!("state: phải là một trong {}", REVIEW_STATES.join(", ")),
            format!("state: must be one of {}", REVIEW_STATES.join(", ")),
        ));
    }
    let comment = papi_survey::nfc(req.comment.trim());
    if comment.contains('\0') || comment.chars().count() > 2000 {
        return Err(ApiError::unprocessable(
            "review.comment",
            "comment: tối đa 2000 ký tự, không có ký tự NUL",
            "comment: at most 2,000 characters, no NUL",
        ));
    }
    if matches!(req.state.as_str(), "has_issues" | "rejected") && comment.is_empty() {
        return Err(ApiError::unprocessable(
            "review.comment_required",
            "comment: cần ghi rõ vấn đề khi đánh dấu có vấn đề hoặc loại phiếu",
            "comment: say what is wrong when marking an interview has_issues or rejected",
        ));
    }
    let r = state
        .store
        .review_interview(uuid, &req.state, &comment, &actor.name)
        .await?
        .ok_or_else(|| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    Ok(Json(serde_json::json!({
        "id": r.interview_id, "from": r.from_state, "state": r.to_state, "comment": r.comment,
        "reviewer": r.reviewer, "reviewed_at": r.reviewed_at,
    })))
}

/// `GET /api/v1/interviews/{id}/reviews`: an interview's review history.
#[utoipa::path(
    get,
    path = "/api/v1/interviews/{id}/reviews",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The interview id (UUID)")),
    responses(
        (status = 200, description = "Review decisions, oldest first"),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only supervisors and admins", body = crate::openapi::Error),
        (status = 404, description = "No such interview", body = crate::openapi::Error),
    )
)]
pub async fn reviews(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    actor: Actor,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.may(Action::Review)?;
    let uuid = Uuid::parse_str(&id)
        .map_err(|_| ApiError::not_found("phiếu phỏng vấn này", "this interview"))?;
    if state.store.interview_survey(uuid).await?.is_none() {
        return Err(ApiError::not_found("phiếu phỏng vấn này", "this interview"));
    }
    let history = state.store.reviews(uuid).await?;
    Ok(Json(serde_json::json!({
        "id": uuid,
        "reviews": history.iter().map(|r| serde_json::json!({
            "from": r.from_state, "state": r.to_state, "comment": r.comment,
            "reviewer": r.reviewer, "reviewed_at": r.reviewed_at,
        })).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/surveys/{survey_id}/{version}/fieldwork`: the fieldwork page's figures.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/{version}/fieldwork",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    responses(
        (status = 200, description = "Progress, per-enumerator days, review states and quality flags", body = Fieldwork),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only supervisors and admins", body = crate::openapi::Error),
        (status = 404, description = "No such survey version", body = crate::openapi::Error),
    )
)]
pub async fn api(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
) -> Result<Json<Fieldwork>, ApiError> {
    actor.may(Action::ViewFieldwork)?;
    let survey = survey_or_404(&state, &id, &version).await?;
    Ok(Json(gather(&state, &survey).await?))
}

/// `PUT /api/v1/surveys/{survey_id}/{version}/settings`: change settings (supervisor or admin; the
/// settings that protect respondents, admin only).
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}/{version}/settings",
    tag = "fieldwork",
    security(("bearer" = [])),
    params(("id" = String, Path), ("version" = String, Path)),
    request_body(content = serde_json::Value, description = "Settings to change: score_include (approved | approved_or_unreviewed), short_interview_minutes (number), dashboard_min_respondents (integer ≥ 10; admins only), assignments_required (true | false); values as strings or JSON values"),
    responses(
        (status = 200, description = "All settings after the change", body = SettingsView),
        (status = 400, description = "Malformed body", body = crate::openapi::Error),
        (status = 413, description = "The body is larger than this request allows", body = crate::openapi::Error),
        (status = 415, description = "The body is not sent as JSON (Content-Type: application/json)", body = crate::openapi::Error),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only supervisors and admins, and only admins for dashboard_min_respondents (nothing is changed)", body = crate::openapi::Error),
        (status = 404, description = "No such survey version", body = crate::openapi::Error),
        (status = 422, description = "An unknown setting or a value that breaks its rule (nothing is changed)", body = crate::openapi::Error),
    )
)]
pub async fn set_settings(
    State(state): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
    actor: Actor,
    body: Result<JsonBody<serde_json::Map<String, serde_json::Value>>, ApiError>,
) -> Result<Json<SettingsView>, ApiError> {
    actor.may(Action::ChangeFieldworkSettings)?;
    let JsonBody(map) = body?;
    let survey = survey_or_404(&state, &id, &version).await?;
    // Check them all before changing any.
    let mut changes = Vec::new();
    for (key, value) in &map {
        if !actor.can(Action::change_setting(key)) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "auth.forbidden",
                format!(
                    "Vai trò {} không được phép thay đổi cài đặt {key}.",
                    crate::pages::role_name(actor.role, Lang::Vi)
                ),
                format!("The {} role may not change the setting {key}.", actor.role),
            ));
        }
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => String::from("(not a string, number or boolean)"),
        };
        papi_recompute::check_setting(key, &value).map_err(|e| {
            ApiError::unprocessable(
                "settings.invalid",
                format!("Cài đặt không hợp lệ: {e}"),
                e.to_string(),
            )
        })?;
        changes.push((key.clone(), value));
    }
    state
        .store
        .set_settings(&survey.id, &survey.version, &changes, &actor.name)
        .await?;
    let s = papi_recompute::settings(&state.store, &survey)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SettingsView {
        score_include: s.include.name().to_owned(),
        short_interview_minutes: s.short_minutes,
        dashboard_min_respondents: s.min_respondents,
        assignments_required: s.assignments_required,
    }))
}
