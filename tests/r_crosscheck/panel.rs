//! `papi compare A.csv B.csv`: two waves' interviews that share communes, compared on one stacked
//! design, against R (tests/r/panel.R): every change of an indicator, sub-dimension, dimension and the
//! total, its standard error (with the covariance the shared communes carry) and df, by linearization
//! (svyby + svycontrast) and by the jackknife (withReplicates on the JKn design).

use super::*;

/// Wave B revisits most of wave A's communes and adds some: 16 of A's 18 communes are in B.
const WAVE_B: [(&str, usize); 6] = [
    ("Tây Sơn", 5),
    ("An Lão", 3),
    ("Phù Cát", 3),
    ("Vân Canh", 2),
    ("Hoài Ân", 4),
    ("Vĩnh Thạnh", 2),
];

/// R's changes by (level, id): (change, se, df).
fn run_panel_r(dir: &Path, variance: &str) -> BTreeMap<(String, String), (f64, f64, i64)> {
    let out = dir.join(format!("r-panel-{variance}.csv"));
    let o = Command::new("Rscript")
        .arg(repo().join("tests/r/panel.R"))
        .args([
            dir.join("scores-a.csv"),
            dir.join("scores-b.csv"),
            dir.join("combos.csv"),
            out.clone(),
        ])
        .arg(variance)
        .output()
        .expect("Rscript runs");
    assert!(
        o.status.success(),
        "R failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                (r[0].to_owned(), r[1].to_owned()),
                (
                    r[2].parse().unwrap(),
                    r[3].parse().unwrap(),
                    r[4].parse().unwrap(),
                ),
            )
        })
        .collect()
}

/// papi's changes of the whole sample by (level, id).
fn papi_changes(c: &Value) -> BTreeMap<(String, String), &Value> {
    let g = &c["groups"][0];
    let mut out = BTreeMap::new();
    out.insert(("total".to_owned(), "total".to_owned()), &g["total"]);
    for (level, key) in [
        ("dimension", "dimensions"),
        ("subdimension", "subdimensions"),
        ("indicator", "indicators"),
    ] {
        for x in g[key].as_array().unwrap() {
            out.insert((level.to_owned(), x["id"].as_str().unwrap().to_owned()), x);
        }
    }
    out
}

needs! { r_survey:
fn waves_sharing_communes_are_compared_with_their_covariance_as_r_does() {
    let dir = tempdir();
    let survey = Survey::load(fixture("small.toml")).unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    generate_in(&a, 11, &DISTRICTS);
    generate_in(&b, 12, &WAVE_B);
    let combos = dir.path().join("combos.csv");
    r_inputs(&survey, &a, &dir.path().join("scores-a.csv"), &combos, None);
    r_inputs(&survey, &b, &dir.path().join("scores-b.csv"), &combos, None);
    let def = fixture("small.toml");
    let compare_files = |x: &Path, y: &Path, extra: &[&str]| -> Value {
        let mut args = vec![
            "compare",
            x.to_str().unwrap(),
            y.to_str().unwrap(),
            "--survey",
            def.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        serde_json::from_slice(&ok(&args).stdout).unwrap()
    };
    let mut worst = (0.0f64, 0.0f64);
    for variance in ["linearization", "jackknife"] {
        let c = compare_files(&a, &b, &["--variance", variance]);
        assert!(
            c["method"]
                .as_str()
                .unwrap()
                .starts_with("waves sharing PSUs"),
            "{}",
            c["method"]
        );
        assert_eq!(
            c["psus"],
            serde_json::json!({"a": 18, "b": 19, "shared": 16})
        );
        let ours = papi_changes(&c);
        let r = run_panel_r(dir.path(), variance);
        assert_eq!(r.len(), ours.len(), "every change is compared");
        for (key, (change, se, df)) in &r {
            let o = ours
                .get(key)
                .unwrap_or_else(|| panic!("papi has no {key:?}"));
            let f = |k: &str| o[k].as_f64().unwrap_or_else(|| panic!("{key:?} {k}: {o}"));
            assert!(
                (f("change") - change).abs() < 1e-9,
                "{variance} {key:?}: change papi {} vs R {change}",
                f("change")
            );
            assert!(
                close(f("se"), *se),
                "{variance} {key:?}: se papi {} vs R {se}",
                f("se")
            );
            // 21 communes in the stacked design (18 + 19 − 16 shared), 6 districts; R's degf of the
            // JKn design is the same here.
            assert_eq!(f("df") as i64, *df, "{variance} {key:?}: df");
            worst.0 = worst.0.max((f("change") - change).abs());
            worst.1 = worst.1.max(relative(f("se"), *se));
        }
    }
    eprintln!(
        "R cross-check of waves sharing PSUs: largest change difference {:.1e}, largest relative SE difference {:.1e}",
        worst.0, worst.1
    );

    // A wave compared with itself: every PSU shared, so the change and its SE are 0, where the
    // independent-samples formula would report √2 times the wave's SE.
    let same = compare_files(&a, &a, &[]);
    let total = &same["groups"][0]["total"];
    assert_eq!(total["change"], 0.0);
    assert!(total["se"].as_f64().unwrap() < 1e-12, "{total}");

    // Waves without a commune in common are independent samples: the reports' method.
    let elsewhere = dir.path().join("elsewhere.csv");
    let renamed: String = std::fs::read_to_string(&b)
        .unwrap()
        .replace(" · xã ", " · thôn ");
    write(&elsewhere, &renamed);
    let independent = compare_files(&a, &elsewhere, &[]);
    assert!(independent["method"]
        .as_str()
        .unwrap()
        .starts_with("independent samples"));
    assert_eq!(independent["psus"]["shared"], 0);
}
}
