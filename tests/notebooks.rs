//! The Jupyter notebooks of `notebooks/`, run as an analyst would: simulated fieldwork stored in a
//! database, exported with `papi export` (Parquet, and CSV with a byte-order mark), and each notebook
//! executed with `jupyter nbconvert --execute` on the export. Each notebook asserts that its own
//! computation of the estimates agrees with `papi score` to 1e-9, so a failing cell fails the test.
//!
//! CI installs jupyter (nbconvert, ipykernel), polars and matplotlib; there a missing one fails this
//! test.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn execute(notebook: &str, export: &Path, out: &Path) -> String {
    let result = Command::new("jupyter")
        .args(["nbconvert", "--to", "notebook", "--execute"])
        .args(["--ExecutePreprocessor.timeout=300", "--output-dir"])
        .arg(out)
        .arg(repo().join("notebooks").join(notebook))
        .env("PAPI_EXPORT", export)
        .env("PAPI_BIN", env!("CARGO_BIN_EXE_papi"))
        .env("PAPI_OUT_DIR", out)
        .env("PAPI_SURVEY", repo().join("survey-defs/papi-2019.toml"))
        .env_remove("PAPI_SCORE_JSON")
        .output()
        .expect("jupyter runs");
    assert!(
        result.status.success(),
        "{notebook} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read_to_string(out.join(notebook)).expect("the executed notebook")
}

needs! { jupyter:
fn the_notebooks_reproduce_papi_score_from_an_export() {
    let db = TestDb::sqlite();
    let dir = tempdir();
    ok(&[
        "simulate",
        "--seed",
        "81",
        "--count",
        "900",
        "--database",
        &db.url,
    ]);
    let parquet = dir.path().join("papi.parquet");
    let csv = dir.path().join("papi.csv");
    for (file, extra) in [(&parquet, None), (&csv, Some("--bom"))] {
        let mut args = vec![
            "export",
            "--database",
            &db.url,
            "--output",
            file.to_str().unwrap(),
        ];
        args.extend(extra);
        ok(&args);
    }

    let dims = execute("dimensions.ipynb", &parquet, dir.path());
    assert!(
        dims.contains("estimates agree with papi score to 1e-9"),
        "{dims}"
    );
    assert!(dir.path().join("dimensions.png").metadata().unwrap().len() > 10_000);

    let districts = execute("districts.ipynb", &csv, dir.path());
    assert!(
        districts.contains("estimates agree with papi score --by district to 1e-9"),
        "{districts}"
    );
    assert!(dir.path().join("by-district.png").metadata().unwrap().len() > 10_000);
}
}
