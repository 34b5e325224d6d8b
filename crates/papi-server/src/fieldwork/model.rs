//! What the fieldwork page shows, as the API returns it, and how it is gathered from the store:
//! progress per place against its quota, interviews per enumerator per day, quality flags, the
//! villages' assignments, the interviews a recompute left out, and the survey's settings.

use std::collections::BTreeMap;
use std::sync::Arc;

use papi_store::REVIEW_STATES;
use papi_survey::Survey;
use serde::Serialize;

use crate::error::ApiError;
use crate::locale;
use crate::AppState;

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

pub(crate) async fn survey_or_404(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Arc<Survey>, ApiError> {
    state
        .survey(id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("phiên bản khảo sát này", "this survey version"))
}

/// A place's values in the definition's column order (PostgreSQL's JSONB keeps its own).
pub(crate) fn in_column_order(survey: &Survey, location: &[(String, String)]) -> Vec<String> {
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
