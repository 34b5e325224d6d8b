//! Simulated PAPI fieldwork for one province: interviews in the villages of a sample drawn by
//! papi-sample (so their places are the sample's and their weights the ones papi computes), whose
//! answers are drawn so that the expected dimension scores follow a named profile, with realistic skip
//! patterns, "don't know"s, and district and commune effects (so that the design matters for standard
//! errors).
//!
//! It is how the demo, the tests and the benchmarks get data at any size. The same seed gives the same
//! interviews, byte for byte. This crate knows nothing of HTTP or SQL: it yields [`Interview`]s, and
//! [`write`] turns them into CSV, Parquet or JSON lines.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use papi_sample::Sample;
use papi_survey::{Answer, Interview, QuestionType, ReferenceTable, Scoring, Survey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

pub mod population;
pub mod write;

/// Why a simulation cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("geography file {file}: {message}")]
    Geography { file: String, message: String },
    #[error("profile '{profile}': {message}")]
    Profile { profile: String, message: String },
    #[error("sample design: {0}")]
    Design(String),
    #[error("writing {format}: {message}")]
    Write {
        format: &'static str,
        message: String,
    },
}

/// How the province's adults answer the questions that describe them (sex, ethnicity...): the
/// simulation draws those questions from these shares. Places and sizes are the sampling frame's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geography {
    pub province: String,
    /// Question id → choice value → share.
    #[serde(default)]
    pub answers: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Geography {
    pub fn load(path: impl AsRef<Path>) -> Result<Geography, SimulateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SimulateError::Geography {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Geography::from_toml(&text, &path.display().to_string())
    }

    /// Reads a geography from its TOML text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Geography, SimulateError> {
        let err = |message: String| SimulateError::Geography {
            file: file.to_owned(),
            message,
        };
        let mut g: Geography = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        g.province = papi_survey::nfc(&g.province);
        for (q, shares) in &g.answers {
            if shares.values().any(|s| !(s.is_finite() && *s >= 0.0))
                || shares.values().sum::<f64>() <= 0.0
            {
                return Err(err(format!(
                    "answers.{q}: shares must be non-negative and not all zero"
                )));
            }
        }
        Ok(g)
    }
}

/// Target dimension scores (1–10), one per dimension of the survey, in its order.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub dimensions: Vec<f64>,
}

impl Profile {
    /// Resolves a profile name: `baseline` (the definition's baseline), `PROVINCE:YEAR` from the
    /// official table (`binh-dinh:2018`, `Bình Định:2019`), or `flat:X` (every dimension X).
    pub fn resolve(
        name: &str,
        survey: &Survey,
        reference: Option<&ReferenceTable>,
    ) -> Result<Profile, SimulateError> {
        let err = |message: String| SimulateError::Profile {
            profile: name.to_owned(),
            message,
        };
        let dimensions = if name == "baseline" {
            survey
                .baseline
                .as_ref()
                .ok_or_else(|| err("the survey definition has no [baseline]".into()))?
                .dimensions
                .clone()
        } else if let Some(x) = name.strip_prefix("flat:") {
            let x: f64 = x
                .parse()
                .map_err(|_| err(format!("'{x}' is not a number")))?;
            if !(1.0..=10.0).contains(&x) {
                return Err(err("a dimension score lies in [1, 10]".into()));
            }
            vec![x; survey.dimensions.len()]
        } else if let Some((province, year)) = name.rsplit_once(':') {
            let year: i32 = year
                .parse()
                .map_err(|_| err(format!("'{year}' is not a year")))?;
            let table =
                reference.ok_or_else(|| err("no reference table to look it up in".into()))?;
            let row = table
                .find(province, year)
                .ok_or_else(|| err(format!("no official scores for '{province}' in {year}")))?;
            survey
                .dimensions
                .iter()
                .map(|d| {
                    row.dimension(&d.id).ok_or_else(|| {
                        err(format!(
                            "the official table has no score for dimension '{}' in {year}",
                            d.id
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        } else {
            return Err(err(
                "use 'baseline', 'PROVINCE:YEAR' (e.g. binh-dinh:2018) or 'flat:X'".into(),
            ));
        };
        Ok(Profile {
            name: name.to_owned(),
            dimensions,
        })
    }
}

/// What a simulation adds to its sample: the seed of the answers, and how many interviews.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// Total interviews, spread evenly over the sample's villages in place of their planned numbers
    /// (the weights then carry the adjustment, as they do for non-response); `None`: as planned.
    pub count: Option<usize>,
    /// First day of fieldwork.
    pub fieldwork_start: NaiveDate,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            count: None,
            fieldwork_start: NaiveDate::from_ymd_opt(2019, 7, 1).expect("a valid date"),
        }
    }
}

/// One sampled village (the finest location level), with what its interviews share.
#[derive(Debug, Clone)]
pub(crate) struct Village {
    /// The place's names, first level down (as the sample has them).
    path: Vec<String>,
    location: Vec<(String, String)>,
    /// Effect of the first-level unit (district) and of the PSU (commune) on every indicator's
    /// probability.
    shift: f64,
    /// Design weight of each of its interviews: the sample's base weight adjusted from planned to
    /// simulated interviews, as papi computes it for real interviews.
    weight: f64,
    interviews: usize,
    day: i64,
    enumerator: String,
}

/// The plan of a simulation, ready to yield interviews.
pub struct Simulation<'a> {
    survey: &'a Survey,
    pub(crate) villages: Vec<Village>,
    /// Target mean score of each indicator, in [0, 1].
    targets: Vec<f64>,
    /// For each question, the indicators that read it.
    indicators_of: Vec<Vec<usize>>,
    fieldwork_start: NaiveDate,
    /// For each question, the shares of its choices from the geography, if it lists them.
    shares: Vec<Option<Vec<(String, f64)>>>,
    seed: u64,
}

/// The name a simulated enumerator of a village goes by: one team of enumerators per first-level
/// unit (district), each working the villages of a few communes.
fn enumerator_name(first_level_index: usize, psu_index: usize) -> String {
    format!("enum-{:02}-{}", first_level_index + 1, psu_index % 3 + 1)
}

/// For each place of `sample`, in its order, the positions of its first-level unit (district) and of
/// its PSU among those of the sample, by first appearance; and how many of each there are.
fn unit_positions(sample: &Sample) -> (Vec<(usize, usize)>, usize, usize) {
    let mut firsts: Vec<&str> = Vec::new();
    let mut psus: Vec<(&str, &str)> = Vec::new();
    let positions = sample
        .places
        .iter()
        .map(|place| {
            let first = place.path[0].as_str();
            let f = firsts.iter().position(|d| *d == first).unwrap_or_else(|| {
                firsts.push(first);
                firsts.len() - 1
            });
            let psu = (first, place.psu.as_str());
            let c = psus.iter().position(|p| *p == psu).unwrap_or_else(|| {
                psus.push(psu);
                psus.len() - 1
            });
            (f, c)
        })
        .collect();
    (positions, firsts.len(), psus.len())
}

/// The simulated enumerator who works each village of `sample`, in its order: the names its
/// simulated interviews carry, so that the demo can assign each village to its enumerator.
pub fn village_enumerators(sample: &Sample) -> Vec<String> {
    unit_positions(sample)
        .0
        .into_iter()
        .map(|(f, c)| enumerator_name(f, c))
        .collect()
}

impl<'a> Simulation<'a> {
    /// Plans interviews in the villages of `sample`, each spelled in the survey's location columns
    /// (papi-sample's `Sample::location`).
    pub fn new(
        survey: &'a Survey,
        sample: &Sample,
        geography: &Geography,
        profile: &Profile,
        config: &Config,
    ) -> Result<Simulation<'a>, SimulateError> {
        if profile.dimensions.len() != survey.dimensions.len() {
            return Err(SimulateError::Design(
                "the profile does not cover every dimension".into(),
            ));
        }
        if sample.places.is_empty() {
            return Err(SimulateError::Design("the sample has no villages".into()));
        }
        let columns = &survey.design.location;
        if columns.len() != sample.levels.len() + 1 {
            return Err(SimulateError::Design(format!(
                "the sample's levels ({}) are not the survey's location columns below the first ({})",
                sample.levels.join(", "),
                columns.iter().skip(1).cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        let planned: Vec<usize> = match config.count {
            Some(0) => return Err(SimulateError::Design("--count must be at least 1".into())),
            Some(count) => {
                let n = sample.places.len();
                (0..n)
                    .map(|i| count / n + usize::from(i < count % n))
                    .collect()
            }
            None => sample.places.iter().map(|p| p.planned).collect(),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x005e_ed0f_da7a);
        // District (first level) and commune (PSU) effects, centred so that they move districts apart
        // without moving the province's expected scores off the profile.
        let (positions, n_firsts, n_psus) = unit_positions(sample);
        let first_effect = centred(
            (0..n_firsts)
                .map(|_| rng.random_range(-0.08..0.08))
                .collect(),
        );
        let psu_effect = centred((0..n_psus).map(|_| rng.random_range(-0.06..0.06)).collect());
        let mut villages = Vec::new();
        for ((place, n), (f, c)) in sample.places.iter().zip(planned).zip(positions) {
            if n == 0 {
                continue;
            }
            let location = sample.location(columns, &place.path);
            let team = villages.len() / 4;
            villages.push(Village {
                path: place.path.clone(),
                location,
                shift: first_effect[f] + psu_effect[c],
                weight: place.base_weight * place.planned as f64 / n as f64,
                interviews: n,
                day: (team % 45) as i64,
                enumerator: enumerator_name(f, c),
            });
        }

        // Indicator targets: the profile's dimension score D gives each sub-dimension mean (D − 1) / 9;
        // indicators spread around it, centred so the sub-dimension mean stays on target.
        let mut targets = vec![0.0; survey.indicators.len()];
        for (d, dim) in survey.dimensions.iter().enumerate() {
            let m = (profile.dimensions[d] - 1.0) / 9.0;
            for sub in &dim.subdimensions {
                let spread: Vec<f64> = sub
                    .indicators
                    .iter()
                    .map(|_| rng.random_range(-0.12..0.12))
                    .collect();
                let mean = spread.iter().sum::<f64>() / spread.len().max(1) as f64;
                for (k, s) in sub.indicators.iter().zip(&spread) {
                    targets[*k] = (m + s - mean).clamp(0.02, 0.98);
                }
            }
        }
        let mut indicators_of = vec![Vec::new(); survey.questions.len()];
        for (i, ind) in survey.indicators.iter().enumerate() {
            indicators_of[ind.question].push(i);
        }
        let mut shares = vec![None; survey.questions.len()];
        for (q, given) in &geography.answers {
            let position = survey.question_position(q).ok_or_else(|| {
                SimulateError::Design(format!("the geography gives answer shares for '{q}', which is not a question of the survey"))
            })?;
            let choices = survey.choices_of(&survey.questions[position]);
            for value in given.keys() {
                if !choices.iter().any(|c| &c.value == value) {
                    return Err(SimulateError::Design(format!(
                        "answers.{q}: '{value}' is not a choice of question '{q}'"
                    )));
                }
            }
            shares[position] = Some(given.iter().map(|(k, v)| (k.clone(), *v)).collect());
        }
        Ok(Simulation {
            shares,
            survey,
            villages,
            targets,
            indicators_of,
            fieldwork_start: config.fieldwork_start,
            seed: config.seed,
        })
    }

    /// How many interviews the simulation yields.
    pub fn len(&self) -> usize {
        self.villages.iter().map(|v| v.interviews).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The interviews, in village order. Each village draws from its own random stream, so the
    /// result does not depend on how the interviews are consumed.
    pub fn interviews(&self) -> impl Iterator<Item = Interview> + '_ {
        // Villages are drawn in parallel, a block at a time, and yielded in order: the same bytes
        // whatever the number of threads, with memory bounded by one block.
        let indexed: Vec<(usize, &Village)> = self.villages.iter().enumerate().collect();
        let blocks: Vec<Vec<(usize, &Village)>> = indexed.chunks(512).map(<[_]>::to_vec).collect();
        blocks.into_iter().flat_map(move |block| {
            block
                .par_iter()
                .map(|&(vi, village)| self.village_interviews(vi, village))
                .collect::<Vec<_>>()
                .into_iter()
                .flatten()
        })
    }

    fn village_interviews(&self, vi: usize, village: &Village) -> Vec<Interview> {
        let inclusion = self.inclusion(village);
        (0..village.interviews)
            .map(|k| self.person(vi, village, &inclusion, k))
            .collect()
    }

    /// The `k`-th person of village `vi`: each person draws from a random stream of their own, so
    /// that any one of a village's people can be drawn without the others (a sample from a
    /// population asks for a few of each village's people).
    pub(crate) fn person(
        &self,
        vi: usize,
        village: &Village,
        inclusion: &[Vec<(String, f64)>],
        k: usize,
    ) -> Interview {
        let stream = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (vi as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
            ^ (k as u64).wrapping_mul(0xA24B_AED4_963E_E407);
        let mut rng = ChaCha8Rng::seed_from_u64(stream);
        self.interview(village, inclusion, k, &mut rng)
    }

    /// For each select_multiple question that indicators read, the probability that a respondent of
    /// this village ticks each scored choice, chosen so that every indicator's expected score is its
    /// target: with choices ticked independently, P(any of A) = 1 − Π(1 − π_c), which is linear in
    /// x_c = −ln(1 − π_c); a projected Kaczmarz sweep solves Σ_{c∈A} x_c = −ln(1 − p_A) with x ≥ 0.
    pub(crate) fn inclusion(&self, village: &Village) -> Vec<Vec<(String, f64)>> {
        let survey = self.survey;
        self.indicators_of
            .iter()
            .map(|inds| {
                let sets: Vec<(&[String], f64)> = inds
                    .iter()
                    .filter_map(|&i| match &survey.indicators[i].scoring {
                        Scoring::AnyOf(any) if !any.is_empty() => {
                            let p = (self.targets[i] + village.shift).clamp(0.01, 0.99);
                            Some((any.as_slice(), -(1.0 - p).ln()))
                        }
                        _ => None,
                    })
                    .collect();
                let mut choices: Vec<String> = Vec::new();
                for (any, _) in &sets {
                    for c in *any {
                        if !choices.contains(c) {
                            choices.push(c.clone());
                        }
                    }
                }
                let mut x = vec![0.0f64; choices.len()];
                for _sweep in 0..100 {
                    for (any, t) in &sets {
                        let idx: Vec<usize> = any
                            .iter()
                            .map(|c| choices.iter().position(|k| k == c).expect("collected"))
                            .collect();
                        let r = (t - idx.iter().map(|&j| x[j]).sum::<f64>()) / idx.len() as f64;
                        for j in idx {
                            x[j] = (x[j] + r).max(0.0);
                        }
                    }
                }
                // A floor keeps every choice in use (targets of nested sets can contradict each other),
                // so that questions asked only after a choice still get answers.
                choices
                    .into_iter()
                    .zip(x)
                    .map(|(c, x)| (c, (1.0 - (-x).exp()).max(0.03)))
                    .collect()
            })
            .collect()
    }

    fn interview(
        &self,
        village: &Village,
        inclusion: &[Vec<(String, f64)>],
        k: usize,
        rng: &mut ChaCha8Rng,
    ) -> Interview {
        let survey = self.survey;
        let mut answers: Vec<Option<Answer>> = vec![None; survey.questions.len()];
        for (q, question) in survey.questions.iter().enumerate() {
            // Repetitions are not simulated: a PAPI questionnaire asks each question once.
            if question.repeat.is_some() || !survey.is_relevant(q, &answers) {
                continue;
            }
            let targets: Vec<(&Scoring, f64)> = self.indicators_of[q]
                .iter()
                .map(|&i| {
                    (
                        &survey.indicators[i].scoring,
                        (self.targets[i] + village.shift).clamp(0.01, 0.99),
                    )
                })
                .collect();
            for _attempt in 0..20 {
                let a = if targets.is_empty() {
                    draw_unscored(survey, q, self.shares[q].as_deref(), rng)
                } else {
                    draw_scored(survey, q, &targets, &inclusion[q], rng)
                };
                match a {
                    None if question.required => continue,
                    None => break,
                    Some(a) if survey.satisfies_constraint(q, &answers, &a) => {
                        answers[q] = Some(a);
                        break;
                    }
                    Some(_) => continue,
                }
            }
        }
        if survey.questions.iter().any(|q| q.calculation.is_some()) {
            // Calculations are the server's: computed as they are for a real interview.
            let _ = survey.check_rules(&mut answers);
        }
        let start = Utc
            .from_local_datetime(&chrono::NaiveDateTime::new(
                self.fieldwork_start + Duration::days(village.day),
                chrono::NaiveTime::from_hms_opt(0, 30, 0).expect("valid"),
            ))
            .single()
            .expect("UTC has no gaps")
            + Duration::minutes(55 * (k as i64 % 8) + rng.random_range(0..20));
        let minutes = rng.random_range(32..75);
        Interview {
            id: uuid_from(rng),
            survey_id: survey.id.clone(),
            survey_version: survey.version.clone(),
            location: village.location.clone(),
            weight: Some(village.weight),
            enumerator: Some(village.enumerator.clone()),
            started_at: Some(start),
            finished_at: Some(start + Duration::minutes(minutes)),
            answers,
        }
    }
}

/// The values less their mean.
fn centred(mut values: Vec<f64>) -> Vec<f64> {
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    values.iter_mut().for_each(|v| *v -= mean);
    values
}

fn uuid_from(rng: &mut ChaCha8Rng) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Probability that a respondent answers "don't know" (a choice the indicator does not score).
const DONT_KNOW: f64 = 0.05;

/// Draws an answer whose indicator scores have the expectations given. A select_multiple question may
/// feed several indicators (one per set of choices); other questions follow their first indicator.
fn draw_scored(
    survey: &Survey,
    q: usize,
    targets: &[(&Scoring, f64)],
    inclusion: &[(String, f64)],
    rng: &mut ChaCha8Rng,
) -> Option<Answer> {
    let question = &survey.questions[q];
    let choices = survey.choices_of(question);
    let (scoring, p) = targets[0];
    match scoring {
        Scoring::Values(values) => {
            let unscored: Vec<&str> = choices
                .iter()
                .map(|c| c.value.as_str())
                .filter(|c| !values.iter().any(|(k, _)| k == c))
                .collect();
            if !unscored.is_empty() && rng.random_bool(DONT_KNOW) {
                return Some(Answer::Choice(
                    unscored[rng.random_range(0..unscored.len())].to_owned(),
                ));
            }
            // Two adjacent scored choices bracketing p, mixed so the expected score is exactly p.
            let mut scored: Vec<(&str, f64)> =
                values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            scored.sort_by(|a, b| a.1.total_cmp(&b.1));
            let p = p.clamp(scored[0].1, scored[scored.len() - 1].1);
            let hi = scored
                .iter()
                .position(|(_, v)| *v >= p)
                .unwrap_or(scored.len() - 1);
            let lo = hi.saturating_sub(1);
            let (lo, hi) = (scored[lo], scored[hi]);
            let up = if hi.1 > lo.1 {
                (p - lo.1) / (hi.1 - lo.1)
            } else {
                1.0
            };
            Some(Answer::Choice(
                if rng.random_bool(up.clamp(0.0, 1.0)) {
                    hi.0
                } else {
                    lo.0
                }
                .to_owned(),
            ))
        }
        Scoring::Range { lo, hi, reverse } => {
            let s = if *reverse { 1.0 - p } else { p };
            let centre = lo + s * (hi - lo);
            let half = (centre - lo).min(hi - centre);
            let x = centre + rng.random_range(-1.0..=1.0) * half;
            Some(match question.kind {
                // Stochastic rounding keeps the expectation.
                QuestionType::Integer => {
                    let f = x.floor();
                    Answer::Integer(f as i64 + i64::from(rng.random_bool((x - f).clamp(0.0, 1.0))))
                }
                _ => Answer::Decimal((x * 100.0).round() / 100.0),
            })
        }
        Scoring::AnyOf(_) => {
            // Scored choices are ticked independently (see `Simulation::inclusion`); a respondent who
            // ticks none picks one choice that no indicator scores, such as "none of these".
            let mut picked: Vec<String> = inclusion
                .iter()
                .filter(|(_, pi)| rng.random_bool(pi.clamp(0.0, 1.0)))
                .map(|(c, _)| c.clone())
                .collect();
            if picked.is_empty() {
                let others: Vec<&str> = choices
                    .iter()
                    .map(|c| c.value.as_str())
                    .filter(|c| !inclusion.iter().any(|(k, _)| k == c))
                    .collect();
                match others.len() {
                    0 => picked.push(inclusion[rng.random_range(0..inclusion.len())].0.clone()),
                    n => picked.push(others[rng.random_range(0..n)].to_owned()),
                }
            }
            Some(Answer::Choices(picked))
        }
    }
}

/// Draws an answer to a question no indicator reads (screening and demographic questions).
fn draw_unscored(
    survey: &Survey,
    q: usize,
    shares: Option<&[(String, f64)]>,
    rng: &mut ChaCha8Rng,
) -> Option<Answer> {
    let question = &survey.questions[q];
    let choices = survey.choices_of(question);
    if let (Some(shares), QuestionType::SelectOne) = (shares, question.kind) {
        let total: f64 = shares.iter().map(|(_, s)| s).sum();
        let mut u = rng.random_range(0.0..total);
        for (value, share) in shares {
            if u < *share {
                return Some(Answer::Choice(value.clone()));
            }
            u -= share;
        }
        return shares.last().map(|(v, _)| Answer::Choice(v.clone()));
    }
    match question.kind {
        // Earlier choices are likelier (lists usually start with the common answer), a half each time.
        QuestionType::SelectOne => {
            let mut i = 0;
            while i + 1 < choices.len() && rng.random_bool(0.5) {
                i += 1;
            }
            Some(Answer::Choice(choices[i].value.clone()))
        }
        QuestionType::SelectMultiple => {
            let n = rng.random_range(1..=2.min(choices.len()));
            let mut picked: Vec<String> = Vec::new();
            while picked.len() < n {
                let c = choices[rng.random_range(0..choices.len())].value.clone();
                if !picked.contains(&c) {
                    picked.push(c);
                }
            }
            Some(Answer::Choices(picked))
        }
        QuestionType::Integer | QuestionType::Decimal => {
            let (lo, hi) = numeric_bounds(question.constraint_source.as_deref());
            let x = rng.random_range(lo..=hi);
            Some(if question.kind == QuestionType::Integer {
                Answer::Integer(x.round() as i64)
            } else {
                Answer::Decimal((x * 10.0).round() / 10.0)
            })
        }
        QuestionType::Text => question
            .required
            .then(|| Answer::Text("Không có ý kiến thêm".into())),
        QuestionType::Date | QuestionType::Today => Some(Answer::Date(
            NaiveDate::from_ymd_opt(2019, 1, 1).expect("valid")
                + Duration::days(rng.random_range(0..180)),
        )),
        QuestionType::Range => {
            let (start, end, step) = question.range_scale();
            let steps = ((end - start) / step).abs().floor() as u32;
            Some(Answer::Decimal(
                start + step * f64::from(rng.random_range(0..=steps)) * (end - start).signum(),
            ))
        }
        // Answers the device gives (a place, a time, a photo): drawn only where the form requires one.
        kind => question.required.then(|| {
            Answer::Text(
                match kind {
                    QuestionType::Time => "08:30:00.000+07:00",
                    QuestionType::DateTime => "2019-07-01T08:30:00.000+07:00",
                    QuestionType::Geopoint => "13.7765 109.2237 10 5",
                    QuestionType::Geotrace => "13.7765 109.2237 10 5;13.7770 109.2240 10 5",
                    QuestionType::Geoshape => {
                        "13.7765 109.2237 0 5;13.7770 109.2240 0 5;13.7760 109.2245 0 5;13.7765 109.2237 0 5"
                    }
                    QuestionType::Acknowledge => "OK",
                    QuestionType::Image => "photo.jpg",
                    QuestionType::Audio => "recording.m4a",
                    QuestionType::Video => "video.mp4",
                    QuestionType::File | QuestionType::Audit => "file.csv",
                    _ => "simulated",
                }
                .to_owned(),
            )
        })
        .filter(|_| {
            !matches!(
                kind,
                QuestionType::Note | QuestionType::Calculate | QuestionType::Repeat
            )
        }),
    }
}

/// The smallest and largest numbers a constraint mentions: where to draw an unscored number from.
fn numeric_bounds(constraint: Option<&str>) -> (f64, f64) {
    let numbers: Vec<f64> = constraint
        .unwrap_or("")
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|t| t.parse().ok())
        .collect();
    match (
        numbers.iter().cloned().reduce(f64::min),
        numbers.iter().cloned().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) if hi > lo => (lo, hi),
        _ => (0.0, 10.0),
    }
}
