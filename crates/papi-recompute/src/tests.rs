//! The rules of the settings, and the identity of a set of interviews.

use super::*;

#[test]
fn every_setting_is_checked_against_its_rule() {
    for (key, good, bad) in [
        (SCORE_INCLUDE, "approved", "everything"),
        (SCORE_INCLUDE, "approved_or_unreviewed", "Approved"),
        (SHORT_MINUTES, "12.5", "-1"),
        (SHORT_MINUTES, "0", "NaN"),
        (MIN_RESPONDENTS, "10", "9"),
        (MIN_RESPONDENTS, "30", "thirty"),
        (ASSIGNMENTS_REQUIRED, "false", "yes"),
    ] {
        assert!(check_setting(key, good).is_ok(), "{key} = {good}");
        let e = check_setting(key, bad).unwrap_err();
        assert_eq!(e.code(), "recompute.setting");
        let text = e.to_string();
        assert!(text.contains(key) && text.contains(bad), "{text}");
    }
    let e = check_setting("score_everything", "true").unwrap_err();
    assert!(e.to_string().contains("a known setting"), "{e}");
}

#[test]
fn review_selections_round_trip_through_their_names() {
    for include in [Include::Approved, Include::ApprovedOrUnreviewed] {
        assert_eq!(Include::parse(include.name()), Some(include));
        assert!(include.states().contains(&"approved".to_owned()));
    }
    assert_eq!(Include::Approved.states(), vec!["approved"]);
    assert_eq!(Include::parse("received"), None);
}

fn keys(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_set_of_interviews_is_known_by_its_ids_contents_and_sample_not_their_order() {
    let one = set_identity(&mut keys(&[("a", "h1"), ("b", "h2"), ("c", "h3")]), None);
    let shuffled = set_identity(&mut keys(&[("c", "h3"), ("a", "h1"), ("b", "h2")]), None);
    assert_eq!(
        one, shuffled,
        "the order interviews are read in does not matter"
    );
    assert_eq!(one.len(), 64);
    let edited = set_identity(&mut keys(&[("a", "h1"), ("b", "h2*"), ("c", "h3")]), None);
    assert_ne!(one, edited, "a changed interview changes the set");
    let fewer = set_identity(&mut keys(&[("a", "h1"), ("b", "h2")]), None);
    assert_ne!(one, fewer);
    let weighted = set_identity(
        &mut keys(&[("a", "h1"), ("b", "h2"), ("c", "h3")]),
        Some("s1"),
    );
    assert_ne!(
        one, weighted,
        "weights from a sample are part of what is scored"
    );
    let other_sample = set_identity(
        &mut keys(&[("a", "h1"), ("b", "h2"), ("c", "h3")]),
        Some("s2"),
    );
    assert_ne!(weighted, other_sample);
}
