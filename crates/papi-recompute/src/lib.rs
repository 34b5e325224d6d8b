//! Recomputing scores from the database: read the interviews a score run may take (by their review
//! state, a per-survey setting), score them, record immutable score runs, and publish them for the
//! leadership dashboard. The CLI (`papi score --database`, `papi recompute`) and the service's
//! recompute job both come through here, so they cannot disagree.

use std::collections::HashMap;

use chrono::Datelike;
use papi_score::{Options, Report};
use papi_store::{
    place_key, LeftOut, NewPublication, NewScoreRun, Publication, ScoreRun, Store, StoreError,
};
use papi_survey::{ReferenceTable, Survey};
use papi_table::Table;
use sha2::{Digest, Sha256};

pub mod design;
#[cfg(test)]
mod tests;
pub use design::{DesignError, DesignWeights};

/// The survey setting that says which reviewed interviews a score run takes.
pub const SCORE_INCLUDE: &str = "score_include";
/// The survey setting: interviews shorter than this many minutes are flagged.
pub const SHORT_MINUTES: &str = "short_interview_minutes";
/// The survey setting: the dashboard hides a group with fewer respondents than this.
pub const MIN_RESPONDENTS: &str = "dashboard_min_respondents";
/// The survey setting: must an enumerator's interview come from a village assigned to them?
pub const ASSIGNMENTS_REQUIRED: &str = "assignments_required";

/// Defaults of the settings above, when a survey has not set them.
pub const DEFAULT_SHORT_MINUTES: f64 = 15.0;
pub const DEFAULT_MIN_RESPONDENTS: u64 = 30;
/// The smallest `dashboard_min_respondents` allowed: a score of fewer respondents than this can
/// single one of them out, whoever asks for it.
pub const MIN_RESPONDENTS_FLOOR: u64 = 10;

/// Which interviews enter a score run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    /// Approved interviews only.
    Approved,
    /// Approved interviews and those not yet reviewed (the default: fieldwork need not wait).
    ApprovedOrUnreviewed,
}

impl Include {
    pub fn parse(s: &str) -> Option<Include> {
        match s {
            "approved" => Some(Include::Approved),
            "approved_or_unreviewed" => Some(Include::ApprovedOrUnreviewed),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Include::Approved => "approved",
            Include::ApprovedOrUnreviewed => "approved_or_unreviewed",
        }
    }

    /// The review states this selection takes.
    pub fn states(self) -> Vec<String> {
        match self {
            Include::Approved => vec!["approved".into()],
            Include::ApprovedOrUnreviewed => vec!["approved".into(), "received".into()],
        }
    }
}

/// A survey version's settings, with their defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub include: Include,
    pub short_minutes: f64,
    pub min_respondents: u64,
    /// True (the default): an enumerator's interviews must come from villages assigned to them.
    pub assignments_required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RecomputeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the interview table: {0}")]
    Table(#[from] papi_table::TableError),
    #[error(transparent)]
    Score(#[from] papi_score::ScoreError),
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error("there are no interviews to score (review states taken: {0})")]
    NoInterviews(String),
    #[error("setting {key} = {value:?} is not valid: {rule}")]
    Setting {
        key: String,
        value: String,
        rule: &'static str,
    },
    #[error("the official table has no complete totals to compare with")]
    NoReferenceYear,
}

impl RecomputeError {
    pub fn code(&self) -> &'static str {
        match self {
            RecomputeError::Store(e) => e.code(),
            RecomputeError::Table(_) => "recompute.table",
            RecomputeError::Score(e) => e.code(),
            RecomputeError::Design(e) => e.code(),
            RecomputeError::NoInterviews(_) => "recompute.no_interviews",
            RecomputeError::Setting { .. } => "recompute.setting",
            RecomputeError::NoReferenceYear => "recompute.no_reference_year",
        }
    }
}

/// Checks one setting's value; the error names the setting and its rule.
pub fn check_setting(key: &str, value: &str) -> Result<(), RecomputeError> {
    let bad = |rule| RecomputeError::Setting {
        key: key.to_owned(),
        value: value.to_owned(),
        rule,
    };
    match key {
        SCORE_INCLUDE => Include::parse(value)
            .map(|_| ())
            .ok_or_else(|| bad("one of approved, approved_or_unreviewed")),
        SHORT_MINUTES => match value.parse::<f64>() {
            Ok(m) if m.is_finite() && m >= 0.0 => Ok(()),
            _ => Err(bad("a number of minutes, 0 or more")),
        },
        MIN_RESPONDENTS => match value.parse::<u64>() {
            Ok(n) if n >= MIN_RESPONDENTS_FLOOR => Ok(()),
            _ => Err(bad(
                "a whole number, 10 or more (a smaller group could single out a respondent)",
            )),
        },
        ASSIGNMENTS_REQUIRED => match value {
            "true" | "false" => Ok(()),
            _ => Err(bad("true or false")),
        },
        _ => Err(bad(
            "a known setting: score_include, short_interview_minutes, dashboard_min_respondents, assignments_required",
        )),
    }
}

/// Reads a survey version's settings from the store.
pub async fn settings(store: &Store, survey: &Survey) -> Result<Settings, RecomputeError> {
    let mut s = Settings {
        include: Include::ApprovedOrUnreviewed,
        short_minutes: DEFAULT_SHORT_MINUTES,
        min_respondents: DEFAULT_MIN_RESPONDENTS,
        assignments_required: true,
    };
    for (key, value) in store.settings(&survey.id, &survey.version).await? {
        // A threshold stored before the floor existed is read as the floor, never below it: the
        // dashboard and recomputes keep working, and small cells stay suppressed.
        if key == MIN_RESPONDENTS {
            if let Ok(n) = value.parse::<u64>() {
                s.min_respondents = n.max(MIN_RESPONDENTS_FLOOR);
                continue;
            }
        }
        check_setting(&key, &value)?;
        match key.as_str() {
            SCORE_INCLUDE => s.include = Include::parse(&value).expect("checked"),
            SHORT_MINUTES => s.short_minutes = value.parse().expect("checked"),
            MIN_RESPONDENTS => s.min_respondents = value.parse().expect("checked"),
            ASSIGNMENTS_REQUIRED => s.assignments_required = value == "true",
            _ => {}
        }
    }
    Ok(s)
}

/// The interviews a score run takes, as a frame, with the identity of the set.
pub struct ScoredSet {
    pub frame: Table,
    /// SHA-256 over the ids and content hashes, in id order.
    pub data_hash: String,
    pub interviews: usize,
    /// The latest year an interview was finished (or received) in.
    pub latest_year: Option<i32>,
    pub include: Include,
    /// Interviews that could not be scored, each with its reason; the rest were scored.
    pub left_out: Vec<LeftOut>,
    /// Whether the weights came from the registered sample (true) or were read as stored (false: a
    /// survey with no registered sample, such as one loaded from files before samples existed).
    pub sample_weights: bool,
}

/// Where a recompute is: the phase and how far through it.
pub trait Progress: Send + Sync {
    fn reading(&self, _done: u64, _total: u64) {}
    fn phase(&self, _what: &str) {}
}

/// A progress report that goes nowhere.
pub struct Quiet;
impl Progress for Quiet {}

/// The identity of a set of interviews: SHA-256 over (id, content hash) in id order, and the hash of
/// the sample its weights came from. The weights are part of what was scored: a new sample changes
/// the set's identity.
fn set_identity(keys: &mut [(String, String)], sample: Option<&str>) -> String {
    keys.sort();
    let mut h = Sha256::new();
    for (id, content) in keys.iter() {
        h.update(id.as_bytes());
        h.update(b":");
        h.update(content.as_bytes());
        h.update(b"\n");
    }
    if let Some(sample) = sample {
        h.update(b"sample:");
        h.update(sample.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Reads the interviews a score run takes, page by page, into one table.
///
/// With a registered sample, every interview's weight is computed from it (its village's base weight,
/// adjusted by planned over counted interviews in the village); an interview whose place is not a
/// village of the sample is left out with its reason. Without one, the stored weights are read, and
/// an interview without a usable weight is left out. One interview never stops a recompute.
pub async fn read_interviews(
    store: &Store,
    survey: &Survey,
    progress: &dyn Progress,
) -> Result<ScoredSet, RecomputeError> {
    let include = settings(store, survey).await?.include;
    let states = include.states();
    let sample = design::current_sample(store, survey).await?;
    let places = sample.as_ref().map(|s| design::sample_places(survey, s));
    let total = store.count_interviews(&survey.id, &survey.version).await? as u64;
    let mut builder = papi_table::TableBuilder::new(survey);
    let mut keys: Vec<(String, String)> = Vec::new();
    // Each scored row's place, to give it its weight once every village's count is known.
    let mut row_places: Vec<String> = Vec::new();
    let mut counted: HashMap<String, usize> = HashMap::new();
    let mut left_out = Vec::new();
    let mut latest_year: Option<i32> = None;
    let mut after = 0;
    let mut seen = 0u64;
    loop {
        let page = store
            .interviews_page_in_states(survey, &states, after, 10_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for s in &page {
            let iv = &s.interview;
            match &places {
                Some(places) => {
                    let place = place_key(&iv.location);
                    if !places.contains(&place) {
                        left_out.push(design::left_out(
                            iv,
                            "location.not_in_sample",
                            format!("{place} is not a village of the registered sample"),
                        ));
                        continue;
                    }
                    *counted.entry(place.clone()).or_default() += 1;
                    row_places.push(place);
                }
                None => match iv.weight {
                    Some(w) if w.is_finite() && w > 0.0 => {}
                    Some(w) => {
                        left_out.push(design::left_out(
                            iv,
                            "weight.invalid",
                            format!("its stored design weight {w} is not a positive number, and the survey has no registered sample to compute one"),
                        ));
                        continue;
                    }
                    None => {
                        left_out.push(design::left_out(
                            iv,
                            "weight.missing",
                            "it has no design weight, and the survey has no registered sample to compute one".into(),
                        ));
                        continue;
                    }
                },
            }
            builder.push(iv);
            keys.push((iv.id.to_string(), s.content_hash.clone()));
            let year = iv.finished_at.unwrap_or(s.received_at).year();
            latest_year = Some(latest_year.map_or(year, |y| y.max(year)));
        }
        seen += page.len() as u64;
        progress.reading(seen, total.max(seen));
    }
    if keys.is_empty() {
        return Err(RecomputeError::NoInterviews(states.join(", ")));
    }
    if let Some(sample) = &sample {
        let weights = DesignWeights::new(survey, sample, &counted);
        builder.set_weights(
            row_places
                .iter()
                .map(|p| weights.by_place().get(p).copied())
                .collect(),
        );
    }
    let data_hash = set_identity(&mut keys, sample.as_ref().map(|s| s.hash()).as_deref());
    Ok(ScoredSet {
        frame: builder.finish()?,
        data_hash,
        interviews: keys.len(),
        latest_year,
        include,
        left_out,
        sample_weights: sample.is_some(),
    })
}

/// Scores a read set and records the run.
pub async fn record_run(
    store: &Store,
    survey: &Survey,
    set: &ScoredSet,
    options: &Options,
    mut parameters: serde_json::Value,
    recorded_by: &str,
) -> Result<(Report, ScoreRun), RecomputeError> {
    let report = papi_score::score(survey, &set.frame, options)?;
    if let serde_json::Value::Object(map) = &mut parameters {
        map.insert("by".into(), serde_json::json!(options.by));
        map.insert("min_respondents".into(), options.min_respondents.into());
        map.insert(
            "year".into(),
            serde_json::json!(options.reference.as_ref().map(|r| r.1)),
        );
        map.insert(
            "review_states".into(),
            serde_json::json!(set.include.states()),
        );
        map.insert("left_out".into(), set.left_out.len().into());
        map.insert(
            "weights".into(),
            if set.sample_weights {
                "registered sample"
            } else {
                "as stored"
            }
            .into(),
        );
    }
    let run = NewScoreRun {
        survey_id: survey.id.clone(),
        survey_version: survey.version.clone(),
        definition_hash: survey.hash.clone(),
        data_hash: set.data_hash.clone(),
        interviews: set.interviews as i64,
        parameters,
        recorded_by: recorded_by.to_owned(),
        result: serde_json::to_string_pretty(&report).expect("a report always serialises"),
    };
    let recorded = store.record_score_run(&run).await?;
    Ok((report, recorded))
}

/// The census margins registered with the survey version, which publications rake the design
/// weights to; `None` when none are registered.
pub async fn registered_margins(
    store: &Store,
    survey: &Survey,
) -> Result<Option<papi_score::Margins>, RecomputeError> {
    match store.current_margins(&survey.id, &survey.version).await? {
        None => Ok(None),
        Some(text) => Ok(Some(papi_score::Margins::from_toml(
            &text,
            &format!(
                "the margins registered with {} {}",
                survey.id, survey.version
            ),
        )?)),
    }
}

/// The latest year of the official table with complete totals.
pub fn latest_reference_year(table: &ReferenceTable) -> Option<i32> {
    table
        .rows
        .iter()
        .filter(|r| r.total.is_some())
        .map(|r| r.year)
        .max()
}

/// What a publication put in front of the leadership.
pub struct Published {
    pub publication: Publication,
    pub overall: Report,
    pub interviews: usize,
    /// How many interviews were left out (their reasons are in the publication).
    pub left_out: usize,
}

/// Recomputes a survey's scores from the database and publishes them: the province as a whole, and
/// (when the design has strata) each stratum, compared with the latest year of the official table.
pub async fn recompute_and_publish(
    store: &Store,
    survey: &Survey,
    table: &ReferenceTable,
    wave_year: Option<i32>,
    published_by: &str,
    progress: &dyn Progress,
) -> Result<Published, RecomputeError> {
    let year = latest_reference_year(table).ok_or(RecomputeError::NoReferenceYear)?;
    progress.phase("reading");
    let set = read_interviews(store, survey, progress).await?;
    progress.phase("scoring");
    let margins = registered_margins(store, survey).await?;
    let options = Options {
        by: Vec::new(),
        margins: margins.clone(),
        min_respondents: 1,
        reference: Some((table.clone(), year)),
        ..Options::default()
    };
    let parameters = serde_json::json!({
        "purpose": "publication",
        "margins": margins.as_ref().map(|m| m.margins.iter().map(|x| x.columns.clone()).collect::<Vec<_>>()),
    });
    let (overall, overall_run) = record_run(
        store,
        survey,
        &set,
        &options,
        parameters.clone(),
        published_by,
    )
    .await?;
    let strata_run = match &survey.design.strata {
        Some(strata) => {
            progress.phase("scoring strata");
            let options = Options {
                by: vec![strata.clone()],
                ..options
            };
            Some(
                record_run(store, survey, &set, &options, parameters, published_by)
                    .await?
                    .1,
            )
        }
        None => None,
    };
    progress.phase("publishing");
    let wave_year = wave_year
        .or(set.latest_year)
        .unwrap_or_else(|| chrono::Utc::now().year());
    let publication = store
        .publish(&NewPublication {
            survey_id: survey.id.clone(),
            survey_version: survey.version.clone(),
            overall_run: overall_run.id,
            strata_run: strata_run.map(|r| r.id),
            wave_year,
            published_by: published_by.to_owned(),
            left_out: set.left_out.clone(),
        })
        .await?;
    Ok(Published {
        publication,
        overall,
        interviews: set.interviews,
        left_out: set.left_out.len(),
    })
}
