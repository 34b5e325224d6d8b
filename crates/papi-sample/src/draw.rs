//! The draw: stage by stage, within each stratum and then within each selected parent, the way PAPI
//! draws its districts, communes and villages, recording every unit considered and its inclusion
//! probability.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::check::{check_plan, Lines};
use crate::error::{FrameError, Problems};
use crate::frame::{Frame, Unit};
use crate::plan::{Method, Plan};
use crate::probability::{inclusion_probabilities, simple_random, systematic};
use crate::sample::{DrawnUnit, Place, Sample};

/// What a draw may change of the frame's own plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawOptions {
    /// The same seed, frame and plan give the same sample, byte for byte.
    pub seed: u64,
    /// Overrides the first stage's draw (the PSUs drawn in each stratum).
    pub psus_per_stratum: Option<usize>,
    /// Level → draw, overriding the plan's (applied after `psus_per_stratum`).
    pub draws: BTreeMap<String, usize>,
    /// Overrides the planned interviews in each selected unit of the finest level.
    pub interviews: Option<usize>,
}

impl Default for DrawOptions {
    fn default() -> DrawOptions {
        DrawOptions {
            seed: 1,
            psus_per_stratum: None,
            draws: BTreeMap::new(),
            interviews: None,
        }
    }
}

/// Draws a sample from `frame` under its plan with `options`' overrides, or says every reason why not.
pub fn draw(frame: &Frame, options: &DrawOptions) -> Result<Sample, FrameError> {
    let plan = resolve_plan(frame, options)?;
    let mut problems = Problems::new(&frame.file, &frame.source_text);
    check_plan(frame, &plan, &Lines::default(), &mut problems);
    problems.finish()?;
    let mut drawer = Drawer {
        frame,
        plan: &plan,
        seed: options.seed,
        units: Vec::new(),
        places: Vec::new(),
    };
    match &plan.strata {
        Some(level) => {
            for stratum in &frame.units {
                drawer.units.push(DrawnUnit {
                    level: level.clone(),
                    path: vec![stratum.name.clone()],
                    stratum: stratum.name.clone(),
                    size: stratum.effective_size(),
                    certainty: stratum.certainty,
                    inclusion_probability: 1.0,
                    selected: true,
                });
                drawer.stage(0, &[stratum], &stratum.name, &[]);
            }
        }
        None => drawer.stage(0, &[], &frame.province, &[]),
    }
    let (units, places) = (drawer.units, drawer.places);
    Ok(Sample {
        frame_id: frame.id.clone(),
        frame_hash: frame.hash.clone(),
        province: frame.province.clone(),
        levels: frame.levels.clone(),
        size_measure: frame.size_measure.clone(),
        illustrative: frame.illustrative,
        seed: options.seed,
        plan,
        units,
        places,
    })
}

/// The frame's plan with the options' overrides applied.
fn resolve_plan(frame: &Frame, options: &DrawOptions) -> Result<Plan, FrameError> {
    let mut problems = Problems::new(&frame.file, &frame.source_text);
    let Some(mut plan) = frame.design.clone() else {
        problems.at_line(
            0,
            &[],
            "frame.design",
            "the frame has no [design]: write its strata, stages and interviews in the frame"
                .to_owned(),
        );
        return Err(problems.into_error());
    };
    if let (Some(n), Some(first)) = (options.psus_per_stratum, plan.stages.first_mut()) {
        first.draw = n;
    }
    for (level, &n) in &options.draws {
        match plan.stages.iter_mut().find(|s| &s.level == level) {
            Some(stage) => stage.draw = n,
            None => problems.at_line(
                0,
                &[],
                "frame.stage",
                format!(
                    "no stage draws level '{level}': the stages are {:?}",
                    plan.stages.iter().map(|s| &s.level).collect::<Vec<_>>()
                ),
            ),
        }
    }
    if let Some(n) = options.interviews {
        plan.interviews = n;
    }
    problems.finish()?;
    Ok(plan)
}

struct Drawer<'a> {
    frame: &'a Frame,
    plan: &'a Plan,
    seed: u64,
    units: Vec<DrawnUnit>,
    places: Vec<Place>,
}

impl<'a> Drawer<'a> {
    /// Draws stage `index` among the units of the last unit of `chain` (the province's units when
    /// `chain` is empty), then the next stages within each unit selected.
    fn stage(&mut self, index: usize, chain: &[&'a Unit], stratum: &str, probabilities: &[f64]) {
        let stage = &self.plan.stages[index];
        let children: &'a [Unit] = match chain.last() {
            Some(parent) => &parent.units,
            None => &self.frame.units,
        };
        let path: Vec<String> = chain.iter().map(|u| u.name.clone()).collect();
        let mut rng = stream(self.seed, &stage.level, &path);
        let drawn = select(children, stage.draw, stage.method, &mut rng);
        for (unit, (pi, selected)) in children.iter().zip(drawn) {
            let mut unit_path = path.clone();
            unit_path.push(unit.name.clone());
            self.units.push(DrawnUnit {
                level: stage.level.clone(),
                path: unit_path.clone(),
                stratum: stratum.to_owned(),
                size: unit.effective_size(),
                certainty: unit.certainty,
                inclusion_probability: pi,
                selected,
            });
            if !selected {
                continue;
            }
            let mut chain = chain.to_vec();
            chain.push(unit);
            let mut probabilities = probabilities.to_vec();
            probabilities.push(pi);
            if index + 1 < self.plan.stages.len() {
                self.stage(index + 1, &chain, stratum, &probabilities);
            } else {
                self.place(&chain, unit_path, stratum, probabilities);
            }
        }
    }

    fn place(
        &mut self,
        chain: &[&Unit],
        path: Vec<String>,
        stratum: &str,
        stage_probabilities: Vec<f64>,
    ) {
        let inclusion_probability: f64 = stage_probabilities.iter().product();
        let (size, size_estimated) =
            place_size(self.frame, chain).expect("the plan check ensures every place has a size");
        let planned = self.plan.interviews;
        let psu = chain[self.plan.first_stage_depth()].name.clone();
        self.places.push(Place {
            path,
            stratum: stratum.to_owned(),
            psu,
            stage_probabilities,
            inclusion_probability,
            size,
            size_estimated,
            planned,
            // 1 / (π_units · π_respondent), with π_respondent = interviews / size.
            base_weight: size / (inclusion_probability * planned as f64),
        });
    }
}

/// A random stream of its own for each stage within each parent, so that changing one stage's draw
/// leaves the other stages' streams as they were.
fn stream(seed: u64, level: &str, parent: &[String]) -> ChaCha8Rng {
    let mut hasher = Sha256::new();
    hasher.update(b"papi-sample/stream/1\x1f");
    hasher.update(seed.to_le_bytes());
    hasher.update(b"\x1f");
    hasher.update(level.as_bytes());
    for name in parent {
        hasher.update(b"\x1f");
        hasher.update(name.as_bytes());
    }
    ChaCha8Rng::from_seed(hasher.finalize().into())
}

/// Each unit's inclusion probability (given its parent) and whether it is selected: units marked
/// certainty first, then the rest of the draw among the others by PPS or SRS.
fn select(units: &[Unit], n: usize, method: Method, rng: &mut ChaCha8Rng) -> Vec<(f64, bool)> {
    if n >= units.len() {
        return vec![(1.0, true); units.len()];
    }
    let others: Vec<usize> = (0..units.len()).filter(|&i| !units[i].certainty).collect();
    let left = n - (units.len() - others.len());
    let (pik, chosen) = match method {
        Method::Pps => {
            let sizes: Vec<f64> = others
                .iter()
                .map(|&i| {
                    units[i]
                        .effective_size()
                        .expect("the plan check ensures PPS sizes")
                })
                .collect();
            let pik = inclusion_probabilities(&sizes, left as f64);
            let chosen = systematic(&pik, rng);
            (pik, chosen)
        }
        Method::Srs => {
            let pi = left as f64 / others.len() as f64;
            (
                vec![pi; others.len()],
                simple_random(others.len(), left, rng),
            )
        }
    };
    let mut out = vec![(1.0, true); units.len()];
    for (k, &i) in others.iter().enumerate() {
        out[i] = (pik[k], chosen[k]);
    }
    out
}

/// A place's size: its own (or its units'), else estimated as its parent's size over the number of
/// the parent's units, going up as far as a size is known (the province's being the sum of its units').
fn place_size(frame: &Frame, chain: &[&Unit]) -> Option<(f64, bool)> {
    let (place, parents) = chain.split_last()?;
    if let Some(size) = place.effective_size() {
        return Some((size, false));
    }
    let mut share = 1.0;
    for parent in parents.iter().rev() {
        share *= parent.units.len() as f64;
        if let Some(size) = parent.effective_size() {
            return Some((size / share, true));
        }
    }
    share *= frame.units.len() as f64;
    let province: Option<f64> = frame.units.iter().map(Unit::effective_size).sum();
    province.map(|size| (size / share, true))
}
