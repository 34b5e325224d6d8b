//! Drawing: exact counts per parent, the same bytes from the same seed, certainty, PAPI's own design,
//! and selection frequencies that match the inclusion probabilities.

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::{inclusion_probabilities, Method};

/// Selected units per parent path at each level.
fn selected_per_parent(sample: &Sample, level: &str) -> BTreeMap<Vec<String>, usize> {
    let mut counts = BTreeMap::new();
    for u in sample.units.iter().filter(|u| u.level == level) {
        let parent = u.path[..u.path.len() - 1].to_vec();
        *counts.entry(parent).or_insert(0) += usize::from(u.selected);
    }
    counts
}

#[test]
fn each_parent_gets_exactly_its_draw() {
    let frame = nested_frame(5, 6, 7, STRATIFIED_PPS);
    for seed in 0..50 {
        let sample = drawn(&frame, seed);
        let communes = selected_per_parent(&sample, "commune");
        assert_eq!(communes.len(), 5);
        assert!(
            communes.values().all(|&n| n == 2),
            "seed {seed}: {communes:?}"
        );
        let villages = selected_per_parent(&sample, "village");
        assert_eq!(
            villages.len(),
            10,
            "villages are considered only in selected communes"
        );
        assert!(
            villages.values().all(|&n| n == 2),
            "seed {seed}: {villages:?}"
        );
        assert_eq!(sample.places.len(), 5 * 2 * 2);
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let frame = nested_frame(4, 5, 6, STRATIFIED_PPS);
    let a = drawn(&frame, 42);
    let b = drawn(&frame, 42);
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(a.hash(), b.hash());
    let others: Vec<String> = (0..5).map(|s| drawn(&frame, s).hash()).collect();
    assert!(
        others.iter().any(|h| h != &a.hash()),
        "another seed draws another sample"
    );
}

#[test]
fn overriding_one_stage_leaves_the_others_draws_alone() {
    let frame = nested_frame(4, 6, 8, STRATIFIED_PPS);
    let base = drawn(&frame, 9);
    let more = draw(
        &frame,
        &DrawOptions {
            seed: 9,
            draws: BTreeMap::from([("village".to_owned(), 3)]),
            ..DrawOptions::default()
        },
    )
    .unwrap();
    let communes = |s: &Sample| -> Vec<Vec<String>> {
        s.units
            .iter()
            .filter(|u| u.level == "commune" && u.selected)
            .map(|u| u.path.clone())
            .collect()
    };
    assert_eq!(communes(&base), communes(&more));
    assert_eq!(more.plan.stages[1].draw, 3);
    assert_eq!(more.places.len(), 4 * 2 * 3);
}

#[test]
fn an_override_of_a_level_without_a_stage_is_refused() {
    let frame = nested_frame(2, 4, 4, STRATIFIED_PPS);
    let text = refused(
        draw(
            &frame,
            &DrawOptions {
                draws: BTreeMap::from([("hamlet".to_owned(), 1)]),
                ..DrawOptions::default()
            },
        ),
        "frame.stage",
    );
    assert!(text.contains("no stage draws level 'hamlet'"), "{text}");
    let text = refused(
        draw(
            &frame,
            &DrawOptions {
                psus_per_stratum: Some(5),
                ..DrawOptions::default()
            },
        ),
        "frame.draw_too_large",
    );
    assert!(
        text.contains("draws 5 commune(s) in district 'Huyện 0', which has only 4"),
        "{text}"
    );
}

#[test]
fn units_marked_certainty_are_always_taken() {
    let frame = shipped("binh-dinh.toml");
    for seed in 0..20 {
        let sample = drawn(&frame, seed);
        for u in sample
            .units
            .iter()
            .filter(|u| u.certainty && u.level != "district")
        {
            assert!(u.selected && u.inclusion_probability == 1.0, "{u:?}");
        }
        let seats = sample
            .places
            .iter()
            .filter(|p| p.path[1].ends_with(" 01") && p.path[2].ends_with(" 1"))
            .count();
        assert_eq!(seats, 11, "each district's seat commune's seat village");
    }
}

/// PAPI's own design: no strata; 3 districts by PPS with the capital certain; 2 communes in each, the
/// seat certain; 2 villages in each, the seat certain; 20 interviews in each village.
#[test]
fn papis_design_takes_the_capital_and_three_districts() {
    let design = UNSTRATIFIED_PPS.replace(
        "draw = 2\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"commune\"",
        "draw = 3\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"commune\"",
    );
    let mut frame = nested_frame(6, 5, 5, &design);
    frame.units[3].certainty = true;
    for district in &mut frame.units {
        district.units[0].certainty = true;
        for commune in &mut district.units {
            commune.units[0].certainty = true;
        }
    }
    for seed in 0..40 {
        let sample = drawn(&frame, seed);
        let districts: Vec<&str> = sample
            .units
            .iter()
            .filter(|u| u.level == "district" && u.selected)
            .map(|u| u.path[0].as_str())
            .collect();
        assert_eq!(districts.len(), 3);
        assert!(districts.contains(&"Huyện 3"), "seed {seed}: {districts:?}");
        assert_eq!(sample.places.len(), 12);
        assert_eq!(sample.places.iter().map(|p| p.planned).sum::<usize>(), 240);
        assert!(sample.places.iter().all(|p| p.stratum == "Tỉnh Thử"));
    }
}

#[test]
fn selection_frequencies_match_the_inclusion_probabilities() {
    let csv = "stratum,psu,size\nA,a1,50\nA,a2,5\nA,a3,12\nA,a4,30\nA,a5,3\nA,a6,80\nA,a7,20\nB,b1,1\nB,b2,2\nB,b3,3\nB,b4,4\n";
    let frame = Frame::from_csv(csv, "freq.csv").unwrap();
    let seeds = 400;
    let mut hits: HashMap<String, usize> = HashMap::new();
    let mut pi: HashMap<String, f64> = HashMap::new();
    for seed in 0..seeds {
        let sample = draw(
            &frame,
            &DrawOptions {
                seed,
                psus_per_stratum: Some(3),
                ..DrawOptions::default()
            },
        )
        .unwrap();
        for row in sample.psu_rows() {
            *hits.entry(row.psu.clone()).or_default() += usize::from(row.selected);
            pi.insert(row.psu, row.inclusion_probability);
        }
    }
    assert_eq!(pi["a6"], 1.0, "80 of 200 with 3 draws is certain by size");
    for (psu, &p) in &pi {
        let frequency = hits[psu] as f64 / seeds as f64;
        let sd = (p * (1.0 - p) / seeds as f64).sqrt();
        assert!(
            (frequency - p).abs() <= 4.0 * sd + 0.01,
            "{psu}: selected {frequency}, π {p}"
        );
    }
}

#[test]
fn srs_gives_equal_probabilities_and_estimates_unknown_sizes() {
    let frame = shipped("example-two-tier.toml");
    let sample = drawn(&frame, 5);
    assert_eq!(sample.places.len(), 12);
    for place in &sample.places {
        assert!(place.size_estimated);
        let commune = frame
            .units
            .iter()
            .find(|c| c.name == place.path[0])
            .unwrap();
        let villages = commune.units.len() as f64;
        assert_eq!(place.stage_probabilities[1], 2.0 / villages);
        assert_eq!(place.size, commune.size.unwrap() / villages);
        assert_eq!(place.planned, 20);
    }
    let communes: Vec<f64> = frame.units.iter().map(|c| c.size.unwrap()).collect();
    let expected = inclusion_probabilities(&communes, 6.0);
    let got: Vec<f64> = sample
        .units
        .iter()
        .filter(|u| u.level == "commune")
        .map(|u| u.inclusion_probability)
        .collect();
    assert_eq!(got, expected);
    assert_eq!(expected[0], 1.0, "the largest ward is certain by size");
    assert_eq!(sample.plan.stages[1].method, Method::Srs);
}

#[test]
fn the_shipped_frame_draws_the_demo_design() {
    let sample = drawn(&shipped("binh-dinh.toml"), 1);
    assert_eq!(sample.psu_rows().iter().filter(|r| r.selected).count(), 22);
    assert_eq!(sample.psu_rows().len(), 159);
    assert_eq!(sample.places.len(), 44);
    assert_eq!(sample.places.iter().map(|p| p.planned).sum::<usize>(), 704);
    assert!(sample.illustrative);
}

#[test]
fn a_sample_reads_back_from_its_json_and_finds_places_by_nfc_path() {
    let sample = drawn(&shipped("binh-dinh.toml"), 3);
    let back = Sample::from_json(&sample.to_json()).unwrap();
    assert_eq!(back, sample);
    assert_eq!(back.hash(), sample.hash());
    let place = &sample.places[0];
    let decomposed: Vec<String> = place
        .path
        .iter()
        .map(|n| unicode_normalization::UnicodeNormalization::nfd(n.as_str()).collect())
        .collect();
    assert_eq!(sample.place(&decomposed), Some(place));
    let e = Sample::from_json("{\"frame_id\": 3}").unwrap_err();
    assert_eq!(e.code(), "sample.json");
}

#[test]
fn a_csv_frame_needs_its_draw_count() {
    let frame = Frame::from_csv("stratum,psu,size\nA,a1,1\nA,a2,2\n", "f.csv").unwrap();
    let text = refused(draw(&frame, &DrawOptions::default()), "frame.stage");
    assert!(text.contains("stage 'psu' has draw = 0"), "{text}");
}
