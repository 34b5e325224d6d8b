//! Repeated sampling from one simulated population whose true scores are known: the design-based
//! 95% intervals papi reports must cover the truth about 95% of the time. The population is Bình
//! Định's frame with every village 20 times smaller (about 53,000 adults), built once from a
//! population seed; each sample is drawn from the frame with the design (every district a stratum,
//! communes and then villages by PPS) and takes 8 adults in each of its villages.

use std::collections::BTreeMap;

use crate::common::*;
use papi_sample::{draw, DrawOptions, Frame};
use papi_score::{score, Options};
use papi_simulate::population::Population;
use papi_simulate::{Geography, Profile};
use papi_survey::Survey;

/// Villages are this many times smaller than the frame's.
const DIVISOR: f64 = 20.0;
/// Adults interviewed in each sampled village.
const PER_VILLAGE: usize = 8;

#[derive(Clone)]
struct World {
    survey: Survey,
    frame: Frame,
    geography: Geography,
    profile: Profile,
}

fn world() -> World {
    let survey = shipped_survey();
    let frame = Frame::load(&repo().join("survey-defs/frames/binh-dinh.toml"))
        .unwrap()
        .scaled(DIVISOR, PER_VILLAGE as f64);
    let geography = Geography::load(repo().join("survey-defs/geography/binh-dinh.toml")).unwrap();
    let profile = Profile::resolve("baseline", &survey, None).unwrap();
    World {
        survey,
        frame,
        geography,
        profile,
    }
}

/// Scores interviews (overall, or by district).
fn scored(
    survey: &Survey,
    interviews: &[papi_survey::Interview],
    by: &[&str],
) -> papi_score::Report {
    let df = papi_table::table_from_interviews(survey, interviews).unwrap();
    let options = Options {
        by: by.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    score(survey, &df, &options).unwrap()
}

/// A group's domain values, as one key ("" for the whole sample).
fn group_key(g: &papi_score::Group) -> String {
    g.by.values()
        .map(|v| v.as_str().unwrap_or("").to_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn totals(report: &papi_score::Report) -> BTreeMap<String, f64> {
    report
        .groups
        .iter()
        .filter_map(|g| {
            let key = group_key(g);
            Some((key, g.total.estimate?))
        })
        .collect()
}

/// The population of the test, built so that its true dimension scores are the profile's (as `papi
/// simulate --population-seed` builds it), and its truth.
fn population(w: &World) -> (Population<'_>, papi_score::Report) {
    let everyone = |p: &Population<'_>| -> Result<Vec<f64>, papi_simulate::SimulateError> {
        let people: Vec<_> = p.people().collect();
        Ok(dimensions(&scored(&w.survey, &people, &[])))
    };
    let population = Population::calibrated(
        &w.survey,
        &w.frame,
        &w.geography,
        &w.profile,
        2019,
        everyone,
    )
    .unwrap();
    let people: Vec<_> = population.people().collect();
    let truth = scored(&w.survey, &people, &[]);
    (population, truth)
}

fn dimensions(report: &papi_score::Report) -> Vec<f64> {
    report.groups[0]
        .dimensions
        .iter()
        .map(|d| d.value.estimate.unwrap())
        .collect()
}

fn sample_options(seed: u64, communes: usize) -> DrawOptions {
    DrawOptions {
        seed,
        psus_per_stratum: Some(communes),
        interviews: Some(PER_VILLAGE),
        ..DrawOptions::default()
    }
}

/// Shares of intervals covering the truth: (t with the design's df, normal).
#[derive(Default)]
struct Tally {
    t: usize,
    normal: usize,
    n: usize,
}

impl Tally {
    fn add(&mut self, estimate: &papi_score::Estimate, truth: f64) {
        let (Some(lo), Some(hi), Some(e), Some(se)) = (
            estimate.ci_low,
            estimate.ci_high,
            estimate.estimate,
            estimate.se,
        ) else {
            return;
        };
        self.n += 1;
        self.t += usize::from(lo <= truth && truth <= hi);
        self.normal += usize::from((e - truth).abs() <= 1.959964 * se);
    }
    fn t(&self) -> f64 {
        self.t as f64 / self.n as f64
    }
    fn normal(&self) -> f64 {
        self.normal as f64 / self.n as f64
    }
}

#[test]
fn the_populations_true_scores_are_its_profile() {
    let w = world();
    let (population, truth) = population(&w);
    assert!(population.len() > 50_000, "{} adults", population.len());
    for (got, want) in dimensions(&truth).iter().zip(&w.profile.dimensions) {
        assert!(
            (got - want).abs() < 0.01,
            "a dimension of the population is {got:.4}, its profile says {want:.4}"
        );
    }
    // Everyone answered: the truth has no sampling error to speak of.
    let total = truth.groups[0].total.estimate.unwrap();
    assert!(
        (total - w.profile.dimensions.iter().sum::<f64>()).abs() < 0.05,
        "{total}"
    );
}

/// A province of 11 districts with 40 communes each (5 villages a commune, 20 to 60 adults a
/// village, no seats): five communes a district is a small share of each district, as the
/// with-replacement variance of SCORING.md §3.5 assumes.
fn wide_frame() -> Frame {
    let mut rng = Rng(7);
    let mut toml = String::from(
        "[frame]\nid = \"wide\"\nprovince = \"Tỉnh Rộng\"\nlevels = [\"district\", \"commune\", \"village\"]\n\
         size_measure = \"adults\"\nillustrative = true\nsource = \"generated for the coverage test\"\n\n\
         [design]\nstrata = \"district\"\ninterviews = 8\n\n\
         [[design.stages]]\nlevel = \"commune\"\ndraw = 5\nmethod = \"pps\"\n\n\
         [[design.stages]]\nlevel = \"village\"\ndraw = 2\nmethod = \"pps\"\n",
    );
    for d in 1..=11 {
        toml.push_str(&format!("\n[[units]]\nname = \"Huyện {d:02}\"\n"));
        for c in 1..=40 {
            toml.push_str(&format!(
                "\n[[units.units]]\nname = \"Xã {c:02}\"\nunits = [\n"
            ));
            for v in 1..=5 {
                let size = 20 + (rng.next() * 41.0) as u32;
                toml.push_str(&format!("  {{ name = \"Thôn {v}\", size = {size} }},\n"));
            }
            toml.push_str("]\n");
        }
    }
    Frame::from_toml(&toml, "wide.toml").unwrap()
}

/// `samples` samples of `communes` communes a district from the population of `frame`: how often the
/// total's intervals cover its truth, and (for the first `domain_samples`) each district's.
fn coverage_of(
    w: &World,
    frame: &Frame,
    communes: usize,
    samples: u64,
    domain_samples: u64,
) -> (Tally, Tally, f64) {
    let w = World {
        frame: frame.clone(),
        ..w.clone()
    };
    let (population, truth) = population(&w);
    let true_total = truth.groups[0].total.estimate.unwrap();
    let people: Vec<_> = population.people().collect();
    let true_districts = totals(&scored(&w.survey, &people, &["district"]));
    drop(people);
    let mut total = Tally::default();
    let mut districts = Tally::default();
    for seed in 0..samples {
        let sample = draw(&w.frame, &sample_options(seed, communes)).unwrap();
        let interviews = population.interviews(&sample, seed).unwrap();
        total.add(
            &scored(&w.survey, &interviews, &[]).groups[0].total,
            true_total,
        );
        if seed < domain_samples {
            for g in scored(&w.survey, &interviews, &["district"]).groups {
                let key = group_key(&g);
                districts.add(&g.total, true_districts[&key]);
            }
        }
    }
    (total, districts, true_total)
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

#[test]
fn t_intervals_cover_the_populations_true_total_95_times_in_100() {
    let w = world();
    // 1,000 samples of five communes a district from the wide province (55 PSUs in 11 strata: 44
    // degrees of freedom), and 300 of them by district.
    let (wide, wide_districts, truth) = coverage_of(&w, &wide_frame(), 5, 1000, 300);
    // Bình Định's own frame: the demo's two communes a district (11 degrees of freedom), and five.
    let (two, _, bd_truth) = coverage_of(&w, &w.frame, 2, 1000, 0);
    let (five, _, _) = coverage_of(&w, &w.frame, 5, 1000, 0);
    eprintln!(
        "coverage of the true total: wide province ({truth:.3}), five communes a district: t {} (normal {}) of {}; \
         its districts: t {} (normal {}) of {}; Bình Định ({bd_truth:.3}), two communes a district: t {} (normal {}); \
         five communes a district: t {} (normal {})",
        percent(wide.t()), percent(wide.normal()), wide.n,
        percent(wide_districts.t()), percent(wide_districts.normal()), wide_districts.n,
        percent(two.t()), percent(two.normal()),
        percent(five.t()), percent(five.normal()),
    );
    assert_eq!(wide.n, 1000);
    assert!(
        (0.92..=0.98).contains(&wide.t()),
        "the total's t interval covered {}",
        percent(wide.t())
    );
    assert!(
        (0.92..=0.98).contains(&two.t()),
        "two communes a district: {}",
        percent(two.t())
    );
    // Five of Bình Định's 8 to 21 communes a district is a third of them or more: the with-replacement
    // variance is then conservative (no finite population correction), never short.
    assert!(
        five.t() >= 0.95,
        "five communes a district: {}",
        percent(five.t())
    );
    // District domains carry the whole design's degrees of freedom, as R's svyby does, though each
    // rests on its own five PSUs: they cover a little less.
    assert!(
        wide_districts.t() >= 0.88,
        "district domains: {}",
        percent(wide_districts.t())
    );
}
