//! The leadership dashboard: the latest published score run of a survey against the 2018 baseline and
//! the national quartiles, the province's official history with the project's own waves, the strata
//! side by side (small groups suppressed), and the plan's tasks for each dimension. Leaders see
//! aggregates only: everything here comes from published score runs, never from interviews.

mod api;
mod build;
mod charts;
mod dimension;
mod model;
mod overview;
mod runs;
mod words;

pub use api::*;
pub use build::*;
pub use charts::*;
pub use dimension::*;
pub use model::*;
pub use overview::*;
pub use runs::*;
use words::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    fn est(estimate: f64, ci_low: f64, ci_high: f64) -> Est {
        Est {
            estimate: Some(estimate),
            ci_low: Some(ci_low),
            ci_high: Some(ci_high),
            ..Est::default()
        }
    }

    #[test]
    fn a_flagged_estimate_is_marked_wherever_its_interval_is_shown() {
        let scored: papi_score::Estimate = serde_json::from_str(
            r#"{"estimate": 0.4, "se": 0.1, "ci_low": 0.1, "ci_high": 0.7, "df": 3,
                "deff": null, "n_effective": null, "flags": ["few_psus"]}"#,
        )
        .unwrap();
        let run = Est::from(&scored);
        assert!(run.flagged);
        assert_eq!(run.df, Some(3.0));
        assert_eq!(interval(&run, Lang::En), "0.10 – 0.70†");
        assert_eq!(interval(&run, Lang::Vi), "0,10 – 0,70†");
        let plain = Est::from(&papi_score::Estimate {
            flags: papi_score::Flags::default(),
            ..scored
        });
        assert_eq!(interval(&plain, Lang::En), "0.10 – 0.70");
    }

    #[test]
    fn the_change_from_the_previous_wave_carries_both_waves_errors() {
        let wave = |estimate: f64, se: f64, df: f64, flagged: bool| Est {
            estimate: Some(estimate),
            se: Some(se),
            df: Some(df),
            flagged,
            ..Est::default()
        };
        let c = wave_change(
            "total",
            &wave(41.0, 0.3, 11.0, false),
            &wave(42.2, 0.4, 44.0, true),
        );
        assert!((c.estimate.unwrap() - 1.2).abs() < 1e-12);
        assert!((c.se.unwrap() - 0.5).abs() < 1e-12);
        assert!(c.df.unwrap() > 11.0 && c.df.unwrap() < 55.0);
        assert!(c.ci_low.unwrap() > 0.0, "{c:?}");
        assert!(c.flagged, "a flagged wave flags the change");
        // A wave without a standard error (a suppressed one) gives no interval.
        let bare = Est {
            estimate: Some(41.0),
            ..Est::default()
        };
        let c = wave_change("total", &bare, &wave(42.2, 0.4, 44.0, false));
        assert_eq!((c.se, c.ci_low), (None, None));
    }

    #[test]
    fn the_change_is_said_in_words_with_whether_it_is_more_than_noise() {
        assert_eq!(
            change_sentence(&est(0.02, -1.28, 1.32), Some(2018), Lang::Vi),
            "Tăng 0,02 điểm so với 2018, chưa khác biệt có ý nghĩa thống kê."
        );
        assert_eq!(
            change_sentence(&est(-1.5, -2.6, -0.4), Some(2018), Lang::En),
            "Down 1.50 points on 2018, a statistically significant difference (at 95%)."
        );
        let meaning = interval_sentence(&est(0.02, -1.28, 1.32), Lang::Vi).unwrap();
        assert!(
            meaning.contains("−1,28 đến 1,32") && meaning.contains("chưa thể nói"),
            "{meaning}"
        );
        let meaning = interval_sentence(&est(-1.5, -2.6, -0.4), Lang::En).unwrap();
        assert!(
            meaning.contains("−2.60 to −0.40") && meaning.contains("leaves out zero"),
            "{meaning}"
        );
        let no_interval = Est {
            estimate: Some(0.3),
            ..Est::default()
        };
        assert!(change_sentence(&no_interval, None, Lang::Vi).contains("chưa đủ dữ liệu"));
        assert!(interval_sentence(&no_interval, Lang::Vi).is_none());
    }
}
