//! Inclusion probabilities and the two ways a stage selects units: systematic PPS after a random start,
//! and simple random sampling without replacement. Both follow R's `sampling` package, which
//! `tests/r/inclusion.R` checks against.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Inclusion probabilities proportional to `sizes` for a sample of `n`, exactly as R's
/// `sampling::inclusionprobabilities(a, n)`: π = n·a/Σa; units whose π reaches 1 are taken with
/// π = 1 and the others' π recomputed with what is left of n, until no other π reaches 1. Negative
/// sizes count as zero, and zero sizes get π = 0 (R warns about both); all zeros give all zeros.
pub fn inclusion_probabilities(sizes: &[f64], n: f64) -> Vec<f64> {
    let a: Vec<f64> = sizes
        .iter()
        .map(|&x| if x < 0.0 { 0.0 } else { x })
        .collect();
    if a.iter().all(|&x| x == 0.0) {
        return a;
    }
    let total = sum(&a);
    let mut pik1: Vec<f64> = a.iter().map(|&x| n * x / total).collect();
    let positive: Vec<usize> = (0..pik1.len()).filter(|&i| pik1[i] > 0.0).collect();
    let mut pik: Vec<f64> = positive.iter().map(|&i| pik1[i]).collect();
    let mut certain: Vec<bool> = pik.iter().map(|&p| p >= 1.0).collect();
    let mut l = certain.iter().filter(|&&c| c).count();
    if l > 0 {
        let mut l1 = 0;
        while l != l1 {
            let rest: Vec<f64> = (0..pik.len())
                .filter(|&i| !certain[i])
                .map(|i| pik[i])
                .collect();
            let rest_total = sum(&rest);
            let scale = n - l as f64;
            for (i, p) in pik.iter_mut().enumerate() {
                // R: x = x / sum(x); pik[!list] = (n - l) * x, in this order.
                *p = if certain[i] {
                    1.0
                } else {
                    scale * (*p / rest_total)
                };
            }
            l1 = l;
            certain = pik.iter().map(|&p| p >= 1.0).collect();
            l = certain.iter().filter(|&&c| c).count();
        }
        for (&i, &p) in positive.iter().zip(&pik) {
            pik1[i] = p;
        }
    }
    pik1
}

/// A compensated sum: R sums in extended precision, and plain f64 addition drifts from it in the
/// last bits over long vectors.
fn sum(xs: &[f64]) -> f64 {
    let mut total = 0.0f64;
    let mut carry = 0.0f64;
    for &x in xs {
        let t = total + x;
        carry += if total.abs() >= x.abs() {
            (total - t) + x
        } else {
            (x - t) + total
        };
        total = t;
    }
    total + carry
}

/// Systematic selection after a random start, as R's `sampling::UPsystematic`: π cumulated in frame
/// order, a start u uniform in [0, 1), unit k selected when u + j (j an integer) falls in its stretch
/// of the cumulated π. Units with π = 1 are always selected, units with π = 0 never.
///
/// Selects exactly round(Σπ) units: rounding in the cumulated sum could otherwise leave the last
/// point beyond the end, so a point that falls past the end goes to the last unit not yet selected.
pub(crate) fn systematic(pik: &[f64], rng: &mut ChaCha8Rng) -> Vec<bool> {
    let mut selected: Vec<bool> = pik.iter().map(|&p| p >= 1.0).collect();
    let drawn: Vec<usize> = (0..pik.len())
        .filter(|&i| pik[i] > 0.0 && pik[i] < 1.0)
        .collect();
    let points = sum(&drawn.iter().map(|&i| pik[i]).collect::<Vec<_>>()).round() as usize;
    if points == 0 {
        return selected;
    }
    let start: f64 = rng.random();
    let mut next = 0usize;
    let mut cumulated = 0.0;
    for &i in &drawn {
        cumulated += pik[i];
        if next < points && start + next as f64 <= cumulated {
            // Each stretch is shorter than 1, so it holds at most one point.
            selected[i] = true;
            next += 1;
        }
    }
    for &i in drawn.iter().rev() {
        if next >= points {
            break;
        }
        if !selected[i] {
            selected[i] = true;
            next += 1;
        }
    }
    selected
}

/// A simple random sample of `n` of `count` units, without replacement.
pub(crate) fn simple_random(count: usize, n: usize, rng: &mut ChaCha8Rng) -> Vec<bool> {
    let mut selected = vec![false; count];
    for i in rand::seq::index::sample(rng, count, n.min(count)) {
        selected[i] = true;
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} != {b:?}");
        }
    }

    #[test]
    fn proportional_to_size_when_no_unit_reaches_one() {
        close(
            &inclusion_probabilities(&[1.0, 2.0, 3.0, 4.0], 2.0),
            &[0.2, 0.4, 0.6, 0.8],
        );
    }

    #[test]
    fn a_large_unit_is_taken_with_certainty_and_the_rest_recomputed() {
        // 2·10/16 ≥ 1: the large unit is certain; one draw is left for sizes 1, 2, 3.
        close(
            &inclusion_probabilities(&[10.0, 1.0, 2.0, 3.0], 2.0),
            &[1.0, 1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0],
        );
    }

    #[test]
    fn certainty_cascades_over_several_rounds() {
        // n = 3: 100 is certain at once; then 2·(50/56.5) ≥ 1 makes 50 certain; then 1·(x/6.5).
        let pi = inclusion_probabilities(&[100.0, 50.0, 4.0, 2.0, 0.5], 3.0);
        close(&pi, &[1.0, 1.0, 4.0 / 6.5, 2.0 / 6.5, 0.5 / 6.5]);
        assert!((pi.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn zero_and_negative_sizes_get_zero_as_in_r() {
        close(
            &inclusion_probabilities(&[0.0, 1.0, -5.0, 3.0], 1.0),
            &[0.0, 0.25, 0.0, 0.75],
        );
        close(&inclusion_probabilities(&[0.0, 0.0], 1.0), &[0.0, 0.0]);
        // More draws than units of positive size: those are certain, the zero stays at zero.
        close(
            &inclusion_probabilities(&[0.0, 1.0, 2.0], 3.0),
            &[0.0, 1.0, 1.0],
        );
    }

    #[test]
    fn systematic_selects_exactly_the_sum_of_the_probabilities() {
        let pik = inclusion_probabilities(&[7.0, 1.0, 1.0, 3.0, 9.0, 2.0, 2.0, 5.0], 3.0);
        for seed in 0..500 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = systematic(&pik, &mut rng);
            assert_eq!(s.iter().filter(|&&x| x).count(), 3, "seed {seed}");
        }
        // Tenths do not add up exactly in binary: the count still comes out right.
        let tenths = vec![0.1; 30];
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = systematic(&tenths, &mut rng);
            assert_eq!(s.iter().filter(|&&x| x).count(), 3, "seed {seed}");
        }
    }

    #[test]
    fn simple_random_takes_n() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s = simple_random(10, 4, &mut rng);
        assert_eq!(s.iter().filter(|&&x| x).count(), 4);
    }
}
