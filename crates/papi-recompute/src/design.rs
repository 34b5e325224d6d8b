//! The survey's design on the server, from frame to weights: a sample drawn from a frame is checked
//! against the survey's location columns and registered; interviews take their design weights from
//! it (the base weight of their village, adjusted for the interviews counted there), never from a
//! client. The CLI and the service both come through here.

use std::collections::HashMap;

use papi_sample::{DrawOptions, Frame, Sample};
use papi_store::{place_key, LeftOut, NewSample, SamplePlace, Store, StoreError};
use papi_survey::{Interview, Survey};

use crate::RecomputeError;

/// Why a frame or a sample does not fit a survey; each has a stable code.
#[derive(Debug, thiserror::Error)]
pub enum DesignError {
    #[error(transparent)]
    Frame(#[from] papi_sample::FrameError),
    #[error(
        "the frame's levels ({frame}) must be the survey's location columns below the first ({survey})"
    )]
    Levels { frame: String, survey: String },
    #[error("the survey's design has no location columns: it cannot take a sample")]
    NoLocation,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the registered sample cannot be read: {0}")]
    Corrupt(String),
}

impl DesignError {
    pub fn code(&self) -> &'static str {
        match self {
            DesignError::Frame(e) => e.code(),
            DesignError::Levels { .. } => "sample.levels",
            DesignError::NoLocation => "sample.no_location",
            DesignError::Store(e) => e.code(),
            DesignError::Corrupt(_) => "sample.corrupt",
        }
    }
}

/// The location of a sampled place in the survey's columns: the province, then one name per level.
pub fn place_location(survey: &Survey, sample: &Sample, path: &[String]) -> Vec<(String, String)> {
    sample.location(&survey.design.location, path)
}

/// Checks that a frame can serve a survey: its levels are the survey's location columns below the
/// first (the province).
pub fn check_frame(survey: &Survey, frame: &Frame) -> Result<(), DesignError> {
    let columns = &survey.design.location;
    if columns.is_empty() {
        return Err(DesignError::NoLocation);
    }
    if frame.levels.as_slice() != &columns[1..] {
        return Err(DesignError::Levels {
            frame: frame.levels.join(", "),
            survey: columns[1..].join(", "),
        });
    }
    Ok(())
}

/// Draws a sample for a survey and prepares it for the store.
pub fn draw_for_survey(
    survey: &Survey,
    frame: &Frame,
    options: &DrawOptions,
) -> Result<(Sample, NewSample), DesignError> {
    check_frame(survey, frame)?;
    let sample = papi_sample::draw(frame, options)?;
    let places = sample
        .places
        .iter()
        .map(|p| {
            SamplePlace::new(
                place_location(survey, &sample, &p.path),
                p.planned as i64,
                p.inclusion_probability,
                p.base_weight,
            )
        })
        .collect();
    let parameters = serde_json::json!({
        "seed": options.seed,
        "psus_per_stratum": options.psus_per_stratum,
        "draws": options.draws,
        "interviews": options.interviews,
        "plan": sample.plan,
    });
    let new = NewSample {
        frame: frame.source_text.clone(),
        frame_hash: frame.hash.clone(),
        parameters,
        sample: sample.to_json(),
        sample_hash: sample.hash(),
        places,
    };
    Ok((sample, new))
}

/// Draws a sample from `frame` for `survey` and registers it as the survey version's current sample.
/// Returns the sample and its version number.
pub async fn register_sample(
    store: &Store,
    survey: &Survey,
    frame: &Frame,
    options: &DrawOptions,
    by: &str,
) -> Result<(Sample, i64), DesignError> {
    let (sample, new) = draw_for_survey(survey, frame, options)?;
    let version = store
        .register_sample(&survey.id, &survey.version, &new, by)
        .await?;
    Ok((sample, version))
}

/// The survey version's registered sample, if any.
pub async fn current_sample(store: &Store, survey: &Survey) -> Result<Option<Sample>, DesignError> {
    match store.current_sample(&survey.id, &survey.version).await? {
        None => Ok(None),
        Some(r) => Sample::from_json(&r.sample)
            .map(Some)
            .map_err(|e| DesignError::Corrupt(e.to_string())),
    }
}

/// Design weights by place key, from a sample and the interviews counted in each place.
pub struct DesignWeights {
    by_place: HashMap<String, f64>,
}

impl DesignWeights {
    /// Weights for the places where `counted` (place key → interviews) has interviews: each village's
    /// base weight times planned over counted (the non-response adjustment, per village).
    pub fn new(
        survey: &Survey,
        sample: &Sample,
        counted: &HashMap<String, usize>,
    ) -> DesignWeights {
        let mut by_path = HashMap::new();
        let mut key_of_path = HashMap::new();
        for p in &sample.places {
            let key = place_key(&place_location(survey, sample, &p.path));
            if let Some(&n) = counted.get(&key) {
                by_path.insert(p.path.clone(), n);
                key_of_path.insert(p.path.clone(), key);
            }
        }
        let by_place = sample
            .weights(&by_path)
            .into_iter()
            .filter_map(|(path, w)| key_of_path.remove(&path).map(|k| (k, w)))
            .collect();
        DesignWeights { by_place }
    }

    /// The weight of an interview's place; None when the place is not a village of the sample.
    pub fn weight(&self, interview: &Interview) -> Option<f64> {
        self.by_place.get(&place_key(&interview.location)).copied()
    }

    pub fn by_place(&self) -> &HashMap<String, f64> {
        &self.by_place
    }
}

/// The place keys of a sample's villages.
pub fn sample_places(survey: &Survey, sample: &Sample) -> std::collections::HashSet<String> {
    sample
        .places
        .iter()
        .map(|p| place_key(&place_location(survey, sample, &p.path)))
        .collect()
}

/// Why an interview is left out of a score run, when it is.
pub fn left_out(interview: &Interview, code: &str, reason: String) -> LeftOut {
    LeftOut {
        id: interview.id.to_string(),
        code: code.to_owned(),
        reason,
    }
}

/// The weights an export carries: those a score run would use now, for the interviews it takes (by
/// the survey's `score_include` setting). None when the survey has no registered sample, in which
/// case exported interviews keep the weights they were stored with.
pub async fn export_weights(
    store: &Store,
    survey: &Survey,
) -> Result<Option<HashMap<String, f64>>, RecomputeError> {
    let Some(sample) = current_sample(store, survey).await? else {
        return Ok(None);
    };
    let states = crate::settings(store, survey).await?.include.states();
    let mut counted: HashMap<String, usize> = HashMap::new();
    for c in store
        .interviews_by_place(&survey.id, &survey.version)
        .await?
        .into_iter()
        .filter(|c| states.contains(&c.review_state))
    {
        // PostgreSQL's JSONB does not keep the columns' order: the key follows the survey's.
        let ordered = survey.location_in_column_order(&c.location);
        *counted.entry(place_key(&ordered)).or_default() += c.interviews as usize;
    }
    Ok(Some(DesignWeights::new(survey, &sample, &counted).by_place))
}
