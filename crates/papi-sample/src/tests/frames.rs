//! Loading frames: the shipped ones load, and a broken frame is refused with every problem named.

use super::*;
use crate::Method;

const HEADER: &str = "[frame]\nid = \"t\"\nprovince = \"Tỉnh Thử\"\nlevels = [\"commune\", \"village\"]\nsize_measure = \"adults\"\n";

const DESIGN: &str = "[design]\ninterviews = 10\n[[design.stages]]\nlevel = \"commune\"\ndraw = 1\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 1\nmethod = \"pps\"\n";

fn toml(body: &str) -> Result<Frame, crate::FrameError> {
    Frame::from_toml(&format!("{HEADER}{DESIGN}{body}"), "t.toml")
}

#[test]
fn the_shipped_frames_load() {
    let binh_dinh = shipped("binh-dinh.toml");
    assert_eq!(binh_dinh.province, "Bình Định");
    assert_eq!(binh_dinh.units.len(), 11);
    assert_eq!(
        binh_dinh.units.iter().map(|d| d.units.len()).sum::<usize>(),
        159
    );
    assert!(binh_dinh.illustrative);
    let adults: f64 = binh_dinh
        .units
        .iter()
        .filter_map(|d| d.effective_size())
        .sum();
    assert_eq!(adults, 0.7 * 1_501_000.0);
    assert_eq!(binh_dinh.units[0].code.as_deref(), Some("540"));
    assert_eq!(binh_dinh.hash.len(), 64);
    let two_tier = shipped("example-two-tier.toml");
    assert_eq!(two_tier.levels, ["commune", "village"]);
    assert_eq!(
        two_tier.design.as_ref().unwrap().stages[1].method,
        Method::Srs
    );
}

#[test]
fn names_are_trimmed_and_nfc() {
    // "Tây" with a combining circumflex and a trailing space.
    let f = toml("[[units]]\nname = \" Ta\u{0302}y Sơn \"\nsize = 10\nunits = [{ name = \"Thôn 1\", size = 10 }]\n").unwrap();
    assert_eq!(f.units[0].name, "Tây Sơn");
}

#[test]
fn a_size_is_the_sum_of_the_units_sizes_when_not_given() {
    let f = toml("[[units]]\nname = \"A\"\nunits = [{ name = \"1\", size = 10 }, { name = \"2\", size = 5.5 }]\n").unwrap();
    assert_eq!(f.units[0].effective_size(), Some(15.5));
}

#[test]
fn duplicate_siblings_are_refused_with_the_line_and_the_unit() {
    let text = refused(
        toml("[[units]]\nname = \"A\"\nunits = [{ name = \"Thôn 1\", size = 1 }, { name = \"Thôn 1\", size = 2 }]\n"),
        "frame.duplicate_unit",
    );
    assert!(text.contains("t.toml:"), "{text}");
    assert!(text.contains("[A / Thôn 1]"), "{text}");
    assert!(text.contains("two villages are named 'Thôn 1'"), "{text}");
}

#[test]
fn nesting_must_follow_the_levels() {
    let shallow = refused(toml("[[units]]\nname = \"A\"\nsize = 3\n"), "frame.levels");
    assert!(
        shallow.contains("commune 'A' has no village below it"),
        "{shallow}"
    );
    let deep = refused(
        toml("[[units]]\nname = \"A\"\nunits = [{ name = \"V\", size = 1, units = [{ name = \"X\" }] }]\n"),
        "frame.levels",
    );
    assert!(deep.contains("the finest level"), "{deep}");
}

#[test]
fn sizes_are_positive_and_finite() {
    for size in ["0", "-3", "nan", "inf"] {
        let text = refused(
            toml(&format!(
                "[[units]]\nname = \"A\"\nunits = [{{ name = \"V\", size = {size} }}]\n"
            )),
            "frame.size",
        );
        assert!(
            text.contains("[A / V]") && text.contains("positive, finite"),
            "{text}"
        );
    }
}

#[test]
fn a_pps_stage_needs_sizes_and_names_the_unit() {
    let text = refused(
        toml("[[units]]\nname = \"A\"\nunits = [{ name = \"V1\", size = 4 }, { name = \"V2\" }]\n[[units]]\nname = \"B\"\nsize = 5\nunits = [{ name = \"W\" }]\n"),
        "frame.missing_size",
    );
    assert!(text.contains("[A / V2]"), "{text}");
    assert!(text.contains("draws by PPS"), "{text}");
}

#[test]
fn a_draw_larger_than_the_units_available_names_the_parent() {
    let design = DESIGN.replace(
        "draw = 1\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 1",
        "draw = 1\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 3",
    );
    let text = refused(
        Frame::from_toml(&format!("{HEADER}{design}[[units]]\nname = \"A\"\nunits = [{{ name = \"V1\", size = 4 }}, {{ name = \"V2\", size = 1 }}]\n"), "t.toml"),
        "frame.draw_too_large",
    );
    assert!(text.contains("t.toml:16: [A]"), "{text}");
    assert!(
        text.contains("draws 3 village(s) in commune 'A', which has only 2"),
        "{text}"
    );
}

#[test]
fn more_certain_units_than_the_draw_is_refused() {
    let text = refused(
        toml("[[units]]\nname = \"A\"\nunits = [{ name = \"V1\", size = 4, certainty = true }, { name = \"V2\", size = 1, certainty = true }, { name = \"V3\", size = 1 }]\n"),
        "frame.certainty",
    );
    assert!(
        text.contains("2 village(s) marked certainty, more than the 1"),
        "{text}"
    );
}

#[test]
fn unknown_keys_are_refused_with_their_name() {
    let text = refused(
        toml("[[units]]\nname = \"A\"\npopulation = 3\nunits = [{ name = \"V\", size = 1 }]\n"),
        "frame.parse",
    );
    assert!(text.contains("population"), "{text}");
    assert!(text.contains("t.toml:"), "{text}");
}

#[test]
fn stages_must_match_the_levels() {
    let design = "[design]\ninterviews = 10\n[[design.stages]]\nlevel = \"village\"\ndraw = 1\nmethod = \"pps\"\n";
    let text = refused(
        Frame::from_toml(
            &format!(
                "{HEADER}{design}[[units]]\nname = \"A\"\nunits = [{{ name = \"V\", size = 1 }}]\n"
            ),
            "t.toml",
        ),
        "frame.stage",
    );
    assert!(text.contains("[\"commune\", \"village\"]"), "{text}");
    let strata = "[design]\nstrata = \"village\"\ninterviews = 10\n[[design.stages]]\nlevel = \"village\"\ndraw = 1\nmethod = \"pps\"\n";
    let text = refused(
        Frame::from_toml(
            &format!(
                "{HEADER}{strata}[[units]]\nname = \"A\"\nunits = [{{ name = \"V\", size = 1 }}]\n"
            ),
            "t.toml",
        ),
        "frame.strata",
    );
    assert!(text.contains("strata = 'village'"), "{text}");
}

#[test]
fn names_longer_than_the_limit_are_refused() {
    let long = "x".repeat(crate::MAX_NAME_CHARS + 1);
    let text = refused(
        toml(&format!(
            "[[units]]\nname = \"{long}\"\nunits = [{{ name = \"V\", size = 1 }}]\n"
        )),
        "frame.name",
    );
    assert!(text.contains("201 characters"), "{text}");
}

#[test]
fn every_problem_is_listed_one_per_line() {
    let e = toml("[[units]]\nname = \"A\"\nunits = [{ name = \"V\", size = 0 }, { name = \"V\", size = 1 }]\n[[units]]\nname = \"B\"\nsize = 2\n").unwrap_err();
    let problems = e.problems();
    assert_eq!(problems.len(), 3, "{e}");
    assert_eq!(e.to_string().lines().count(), 4, "{e}");
    assert!(e.to_string().starts_with("3 problems:"), "{e}");
}

#[test]
fn a_csv_frame_is_strata_and_psus() {
    let f = Frame::from_csv(
        "stratum,psu,size\nA,a1,10\nA,a2,20\nB,b1,5\n",
        "dir/hà-nội.csv",
    )
    .unwrap();
    assert_eq!(f.levels, ["stratum", "psu"]);
    assert_eq!(f.province, "hà-nội");
    assert!(!f.illustrative);
    assert_eq!(f.units.len(), 2);
    assert_eq!(f.units[0].effective_size(), Some(30.0));
    let plan = f.design.unwrap();
    assert_eq!(plan.strata.as_deref(), Some("stratum"));
    assert_eq!(plan.stages[0].level, "psu");
}

#[test]
fn a_csv_frame_is_refused_with_its_columns_and_rows_named() {
    let text = refused(
        Frame::from_csv("stratum,psu,size,district\nA,a,1,x\n", "f.csv"),
        "frame.csv_columns",
    );
    assert!(text.contains("not allowed: district"), "{text}");
    let text = refused(
        Frame::from_csv("stratum,size\nA,1\n", "f.csv"),
        "frame.csv_columns",
    );
    assert!(text.contains("missing: psu"), "{text}");
    let text = refused(
        Frame::from_csv("stratum,psu,size\nA,a,1\nA,a,2\n", "f.csv"),
        "frame.duplicate_unit",
    );
    assert!(text.contains("f.csv:3: [A / a]"), "{text}");
    let text = refused(
        Frame::from_csv("stratum,psu,size\nA,a,many\n", "f.csv"),
        "frame.size",
    );
    assert!(text.contains("f.csv:2: [A / a] size 'many'"), "{text}");
}
