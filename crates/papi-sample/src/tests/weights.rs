//! Design weights: with PPS at every stage and full response they add up to the frame's population,
//! and the non-response adjustment keeps the total.

use std::collections::HashMap;

use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn weights_add_up_to_the_population_with_pps_at_every_stage() {
    for design in [STRATIFIED_PPS, UNSTRATIFIED_PPS] {
        let frame = nested_frame(6, 5, 6, design);
        let population: f64 = frame.units.iter().filter_map(|u| u.effective_size()).sum();
        for seed in 0..20 {
            let sample = drawn(&frame, seed);
            let full: HashMap<Vec<String>, usize> = sample
                .places
                .iter()
                .map(|p| (p.path.clone(), p.planned))
                .collect();
            let weights = sample.weights(&full);
            let total: f64 = sample
                .places
                .iter()
                .map(|p| weights[&p.path] * p.planned as f64)
                .sum();
            assert!(
                close(total, population),
                "seed {seed}: {total} vs {population}"
            );
            let base: f64 = sample
                .places
                .iter()
                .map(|p| p.base_weight * p.planned as f64)
                .sum();
            assert!(close(base, population));
        }
    }
}

#[test]
fn weights_add_up_to_each_stratums_population() {
    let frame = nested_frame(5, 4, 5, STRATIFIED_PPS);
    let sample = drawn(&frame, 77);
    for stratum in &frame.units {
        let total: f64 = sample
            .places
            .iter()
            .filter(|p| p.stratum == stratum.name)
            .map(|p| p.base_weight * p.planned as f64)
            .sum();
        assert!(close(total, stratum.effective_size().unwrap()));
    }
}

#[test]
fn non_response_raises_the_weights_of_those_who_answered() {
    let frame = nested_frame(4, 5, 6, STRATIFIED_PPS);
    let population: f64 = frame.units.iter().filter_map(|u| u.effective_size()).sum();
    let sample = drawn(&frame, 8);
    // Every place loses 0 to 5 of its 16 interviews; one place answers none at all.
    let counted: HashMap<Vec<String>, usize> = sample
        .places
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path.clone(), if i == 0 { 0 } else { p.planned - i % 6 }))
        .collect();
    let weights = sample.weights(&counted);
    assert_eq!(
        weights.len(),
        sample.places.len() - 1,
        "a place with no interview has no weight"
    );
    let lost = sample.places[0].base_weight * sample.places[0].planned as f64;
    let adjusted: f64 = weights
        .iter()
        .map(|(path, w)| w * counted[path] as f64)
        .sum();
    assert!(close(adjusted, population - lost));
    let unadjusted: f64 = sample
        .places
        .iter()
        .map(|p| p.base_weight * counted[&p.path] as f64)
        .sum();
    let lowest_rate = 10.0 / 16.0;
    assert!(unadjusted < adjusted && unadjusted >= lowest_rate * adjusted);
}
