//! A finite population with a known truth: every adult of every village of a frame, each with their
//! answers, from one population seed. Samples drawn from the frame with the design take some of each
//! sampled village's people, so that repeated samples from one population can be checked against its
//! true scores (what a confidence interval claims to cover).
//!
//! The population is never held whole: each person is drawn from a random stream of their own (see
//! `Simulation::person`), so a sample asks for just the people it takes, and the truth streams over
//! everyone once. A village's effect (its district's and its commune's) belongs to the population,
//! so samples carry between-PSU error as real ones do.

use std::collections::HashMap;

use papi_sample::{Frame, Place, Plan, Sample, Unit};
use papi_survey::{Interview, Survey};
use rand::seq::index::sample as choose;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{Config, Geography, Profile, SimulateError, Simulation};

/// Everyone of a frame's villages, as a census: each village a place with probability 1 whose planned
/// interviews are its people (its size, rounded).
pub fn census(frame: &Frame) -> Result<Sample, SimulateError> {
    let plan = frame.design.clone().unwrap_or(Plan {
        strata: None,
        stages: Vec::new(),
        interviews: 1,
    });
    let psu_depth = plan.first_stage_depth();
    let mut places = Vec::new();
    fn walk(
        units: &[Unit],
        path: &mut Vec<String>,
        psu_depth: usize,
        levels: usize,
        places: &mut Vec<Place>,
    ) -> Result<(), SimulateError> {
        for unit in units {
            path.push(unit.name.clone());
            if unit.units.is_empty() {
                let size = unit.effective_size().ok_or_else(|| {
                    SimulateError::Design(format!(
                        "{}: a population needs the size of every village",
                        path.join(" / ")
                    ))
                })?;
                let people = size.round().max(1.0);
                places.push(Place {
                    path: path.clone(),
                    stratum: path[0].clone(),
                    psu: path[psu_depth.min(path.len() - 1)].clone(),
                    stage_probabilities: vec![1.0; levels],
                    inclusion_probability: 1.0,
                    size: people,
                    size_estimated: false,
                    planned: people as usize,
                    base_weight: 1.0,
                });
            } else {
                walk(&unit.units, path, psu_depth, levels, places)?;
            }
            path.pop();
        }
        Ok(())
    }
    walk(
        &frame.units,
        &mut Vec::new(),
        psu_depth,
        frame.levels.len(),
        &mut places,
    )?;
    Ok(Sample {
        frame_id: frame.id.clone(),
        frame_hash: frame.hash.clone(),
        province: frame.province.clone(),
        levels: frame.levels.clone(),
        size_measure: frame.size_measure.clone(),
        illustrative: frame.illustrative,
        seed: 0,
        plan,
        units: Vec::new(),
        places,
    })
}

/// A finite population: the frame's villages and their people.
pub struct Population<'a> {
    simulation: Simulation<'a>,
    /// Each village's position among the simulation's villages, by its names.
    villages: HashMap<Vec<String>, usize>,
    /// Each village's choice probabilities for select_multiple questions (computed once).
    inclusion: Vec<Vec<Vec<(String, f64)>>>,
}

impl<'a> Population<'a> {
    /// The population of `frame` whose answers follow `profile`, from `seed`.
    pub fn new(
        survey: &'a Survey,
        frame: &Frame,
        geography: &Geography,
        profile: &Profile,
        seed: u64,
    ) -> Result<Population<'a>, SimulateError> {
        let everyone = census(frame)?;
        let config = Config {
            seed,
            ..Config::default()
        };
        let simulation = Simulation::new(survey, &everyone, geography, profile, &config)?;
        let villages = simulation
            .villages
            .iter()
            .enumerate()
            .map(|(i, v)| (v.path.clone(), i))
            .collect();
        let inclusion = simulation
            .villages
            .iter()
            .map(|v| simulation.inclusion(v))
            .collect();
        Ok(Population {
            simulation,
            villages,
            inclusion,
        })
    }

    /// The population of `frame` whose true dimension scores are `profile`'s: built once, measured
    /// with `dimensions` (the scores of everyone, one per dimension), and built again from the
    /// profile corrected by the gap. The simulation's answers are not exactly linear in their
    /// targets (probabilities are clipped; "don't know" and skip logic take people out of some
    /// indicators), so without this the truth lands a few hundredths off the profile.
    pub fn calibrated<E>(
        survey: &'a Survey,
        frame: &Frame,
        geography: &Geography,
        profile: &Profile,
        seed: u64,
        dimensions: impl Fn(&Population<'_>) -> Result<Vec<f64>, E>,
    ) -> Result<Population<'a>, E>
    where
        E: From<SimulateError>,
    {
        let first = Population::new(survey, frame, geography, profile, seed)?;
        let achieved = dimensions(&first)?;
        Ok(Population::new(
            survey,
            frame,
            geography,
            &profile.corrected(&achieved),
            seed,
        )?)
    }

    /// How many people live in the population.
    pub fn len(&self) -> usize {
        self.simulation.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everyone, village by village, each with weight 1: scored, they give the population's true
    /// scores.
    pub fn people(&self) -> impl Iterator<Item = Interview> + '_ {
        self.simulation
            .villages
            .iter()
            .enumerate()
            .flat_map(move |(vi, village)| {
                (0..village.interviews).map(move |k| {
                    let mut person = self.simulation.person(vi, village, &self.inclusion[vi], k);
                    person.weight = Some(1.0);
                    person
                })
            })
    }

    /// The interviews of a sample drawn from the population's frame: in each of its villages, its
    /// planned number of people taken at random without replacement (all of them in a village with
    /// fewer), weighted as papi weights real interviews (base weight × planned / interviewed).
    pub fn interviews(&self, sample: &Sample, seed: u64) -> Result<Vec<Interview>, SimulateError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0050_4f50_0000);
        let mut out = Vec::new();
        for place in &sample.places {
            let vi = *self.villages.get(&place.path).ok_or_else(|| {
                SimulateError::Design(format!(
                    "{}: the sample's village is not in the population's frame",
                    place.path.join(" / ")
                ))
            })?;
            let village = &self.simulation.villages[vi];
            let n = place.planned.min(village.interviews);
            if n == 0 {
                continue;
            }
            let weight = place.base_weight * place.planned as f64 / n as f64;
            for k in choose(&mut rng, village.interviews, n).into_iter() {
                let mut person = self.simulation.person(vi, village, &self.inclusion[vi], k);
                person.weight = Some(weight);
                out.push(person);
            }
        }
        Ok(out)
    }
}

impl Profile {
    /// This profile moved by how far a population built from it landed from it (`achieved`, one
    /// score per dimension): building again from the result lands closer (the simulation's answers
    /// are not exactly linear in their targets: probabilities are clipped, and "don't know" and skip
    /// logic take respondents out of some indicators).
    pub fn corrected(&self, achieved: &[f64]) -> Profile {
        Profile {
            name: self.name.clone(),
            dimensions: self
                .dimensions
                .iter()
                .zip(achieved)
                .map(|(want, got)| (want + (want - got)).clamp(1.0, 10.0))
                .collect(),
        }
    }
}
