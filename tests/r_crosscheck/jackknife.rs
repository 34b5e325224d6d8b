//! `papi score --variance jackknife` against R's replicate design, `as.svrepdesign(type = "JKn")`
//! (tests/r/jackknife.R): every estimate, replicate standard error, t interval with df = `degf` of the
//! replicate design, normal interval and design effect, overall and for domains (`svyby` on the
//! replicate design), on the generated data of the linearization cross-check (strata, clusters, unequal
//! weights, missing answers, a stratum with a single PSU); designs without strata (R's JK1) or clusters;
//! and every replicate raked again to the margins (`rake()` on the replicate design).

use super::*;

/// `papi score --variance jackknife` with `extra` arguments.
fn jackknife(def: &Path, data: &Path, by: Option<&str>, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["--variance", "jackknife"];
    args.extend_from_slice(extra);
    papi_score(def, data, by, &args)
}

/// R's estimates on the JKn replicate design.
fn run_jackknife_r(
    dir: &Path,
    by: Option<&str>,
    layout: Layout,
    margins: Option<(&Path, &Path)>,
) -> Vec<RRow> {
    run_r_script(
        "jackknife.R",
        &dir.join("scores.csv"),
        &dir.join("combos.csv"),
        &dir.join("r-jackknife.csv"),
        by,
        layout,
        margins,
    )
}

/// Writes the interviews and R's inputs for them.
fn prepare(dir: &Path, seed: u64, districts: &[(&str, usize)]) -> std::path::PathBuf {
    let data = dir.join("interviews.csv");
    generate_in(&data, seed, districts);
    let survey = Survey::load(fixture("small.toml")).unwrap();
    r_inputs(
        &survey,
        &data,
        &dir.join("scores.csv"),
        &dir.join("combos.csv"),
        None,
    );
    data
}

needs! { r_survey:
fn jackknife_estimates_intervals_df_and_design_effects_equal_rs_jkn_replicate_design() {
    let dir = tempdir();
    let data = prepare(dir.path(), 2019, &DISTRICTS);
    let def = fixture("small.toml");
    let mut gaps = Gaps::default();
    for by in [None, Some("district"), Some("sex")] {
        let (report, err) = jackknife(&def, &data, by, &[]);
        let design = &report["design"];
        assert_eq!(design["variance"], "jackknife");
        assert_eq!(design["replicates"]["type"], "JKn");
        // One replicate per commune; R's degf: 18 communes − 6 districts + 1 lonely stratum (its
        // replicate is a dimension of its own).
        assert_eq!(design["replicates"]["replicates"], 18);
        assert_eq!(design["df"], 13);
        assert!(
            err.contains("single PSU (Vĩnh Thạnh)") && err.contains("H/(H − 1)"),
            "the lonely PSU is reported with the jackknife's rule: {err}"
        );
        let (normal, _) = jackknife(&def, &data, by, &["--interval", "normal"]);
        let r = run_jackknife_r(dir.path(), by, Layout::StrataAndClusters, None);
        let g = compare(&ours(&report, by), Some(&ours(&normal, by)), &r);
        assert!(g.estimates > 0 && g.deff_compared > 0);
        eprintln!("R jackknife cross-check, by {by:?}: {}", g.summary());
        // The jackknife is not linearization: the same data give other standard errors.
        let (linearized, _) = papi_score(&def, &data, by, &[]);
        assert_ne!(
            linearized["groups"][0]["total"]["se"],
            report["groups"][0]["total"]["se"]
        );
        gaps.merge(g);
    }
    eprintln!("R jackknife cross-check: {}", gaps.summary());
    // Ten estimates in each of nine groups: the whole sample, six districts, two sexes.
    assert_eq!(gaps.estimates, 10 * 9);
    assert_eq!(gaps.normal_compared, gaps.estimates);
}
}

needs! { r_survey:
fn jackknife_without_strata_or_clusters_equals_rs() {
    let dir = tempdir();
    let data = prepare(dir.path(), 7, &DISTRICTS);
    let respondents = csv::Reader::from_path(&data).unwrap().records().count() as i64;
    let mut gaps = Gaps::default();
    // Without clusters every respondent is a PSU and has a replicate; without strata the sample is
    // one stratum, R's JK1.
    for (layout, replicates) in [
        (Layout::StrataOnly, respondents),
        (Layout::ClustersOnly, 18),
        (Layout::Neither, respondents),
    ] {
        let def = layout.definition(dir.path());
        for by in [None, Some("district")] {
            let (report, _) = jackknife(&def, &data, by, &[]);
            assert_eq!(
                report["design"]["replicates"]["replicates"], replicates,
                "{layout:?}"
            );
            let r = run_jackknife_r(dir.path(), by, layout, None);
            gaps.merge(compare(&ours(&report, by), None, &r));
        }
    }
    eprintln!(
        "R jackknife cross-check of designs without strata or clusters: {}",
        gaps.summary()
    );
    assert_eq!(gaps.estimates, 3 * 7 * 10);
}
}

needs! { r_survey:
fn raked_jackknife_equals_rs_rake_of_the_replicate_design() {
    let dir = tempdir();
    // Every district has two communes or more: a replicate that drops a lonely district's only
    // commune leaves its margin cell empty, and R's rake() fails there (as papi refuses, below).
    let mut districts = DISTRICTS;
    districts[5].1 = 2;
    let data = prepare(dir.path(), 53, &districts);
    let files = Margins::write(dir.path(), &POPULATIONS);
    let def = fixture("small.toml");
    let margins = ["--margins", files.toml.to_str().unwrap()];
    let mut gaps = Gaps::default();
    for by in [None, Some("district"), Some("sex")] {
        let (report, _) = jackknife(&def, &data, by, &margins);
        let replicates = &report["design"]["replicates"];
        assert_eq!(replicates["replicates"], 19);
        assert!(replicates["raking_sweeps"].as_u64().unwrap() > 0);
        let (normal, _) = jackknife(
            &def,
            &data,
            by,
            &[&margins[..], &["--interval", "normal"]].concat(),
        );
        let r = run_jackknife_r(
            dir.path(),
            by,
            Layout::StrataAndClusters,
            Some((&files.sex, &files.district)),
        );
        let g = compare(&ours(&report, by), Some(&ours(&normal, by)), &r);
        eprintln!("R raked jackknife cross-check, by {by:?}: {}", g.summary());
        gaps.merge(g);
        // Raked replicates are no longer dependent within a stratum: R's degf is replicates − 1 here,
        // not PSUs − strata (compare() checked each estimate's df against R's).
        assert_eq!(report["design"]["df"], 18);
    }
    eprintln!("R raked jackknife cross-check: {}", gaps.summary());
    assert_eq!(gaps.estimates, 10 * 9);
    assert!(gaps.deff_compared > 0);

    // With the lonely district, its replicate has no one left in that district's margin cell.
    let lonely = prepare(dir.path(), 53, &DISTRICTS);
    let out = run(&[
        "score",
        "--survey",
        def.to_str().unwrap(),
        "--responses",
        lonely.to_str().unwrap(),
        "--variance",
        "jackknife",
        "--margins",
        files.toml.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("without PSU 'Vĩnh Thạnh · xã 1' of stratum 'Vĩnh Thạnh'")
            && err.contains("district = Vĩnh Thạnh")
            && err.contains("--variance linearization"),
        "{err}"
    );
}
}
