//! The enumerator's web form in a real browser (headless Chromium, driven by Selenium from
//! `tests/browser/offline_form.py`): the place picked from cascading selects over the enumerator's
//! assigned villages (on a phone's 390×844 and a desktop), the notice for an enumerator with none,
//! offline filling, an offline reload, exactly-once sending. Set `PAPI_SCREENSHOTS` to a directory to
//! keep screenshots of the place pickers. Then the pages and the form under their Content-Security-Policy
//! (`tests/browser/csp.py`): no violation in the console, every form and button still working from the
//! pages' script, and a definition's labels that hold markup shown as text, never run.
//!
//! Then the form on a phone (`tests/browser/form_screens.py`): signed in with a password on the form
//! itself, the PAPI questionnaire one group a screen, the jump to the first error, every question
//! answered by touch-sized taps, the interview sent and gone from the device, the device's token
//! revoked on sign-out; no overflow and axe-core clean on every screen.
//!
//! Then the analysts' page (`tests/browser/analysis.py`): on a phone and a desktop, an analyst
//! recomputes and publishes, exports and downloads the file, and sees the publications and score runs.
//!
//! Then every server-rendered page on a phone (`tests/browser/phone.py`): at 390 and 360 px wide, for
//! each role, nothing wider than the screen, no text under 12 px, and no serious or critical
//! accessibility violation found by axe-core (installed from npm when the test runs); sign-in errors
//! on the sign-in page, and each role landing on its own page.
//!
//! Needs Debian's chromium and chromium-driver, Python's selenium, and npm for axe-core (tests/tools.rs).

use std::process::Command;

use crate::common::*;

/// Runs `tests/browser/SCRIPT.py` against the papi binary and `db` (with `extra` arguments), and
/// returns what it printed; `failed` names it when it fails.
fn run_script(script: &str, db: &TestDb, extra: &[std::path::PathBuf], failed: &str) -> String {
    let out = Command::new("python3")
        .arg(repo().join(format!("tests/browser/{script}.py")))
        .arg(env!("CARGO_BIN_EXE_papi"))
        .arg(&db.url)
        .args(extra)
        .current_dir(repo())
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{failed}:\n{text}");
    text
}

on_both_databases! { needs browser;
    fn the_form_works_offline_and_sends_each_interview_once(db: &TestDb) {
        let text = run_script("offline_form", db, &[fixture("small.toml")], "the browser test failed");
        eprintln!("{} {}", db.kind, text.trim());
        let survey = papi_survey::Survey::load(fixture("small.toml")).unwrap();
        assert_eq!(db.count(&survey), 3);
    }
}

on_both_databases! { needs browser;
    fn leaders_supervisors_and_enumerators_see_what_their_role_allows(db: &TestDb) {
        let text = run_script("dashboard", db, &[], "the dashboard browser test failed");
        assert!(text.contains("dashboard pages checked in Chromium: dashboard, dimension, english, print, leader refused fieldwork, supervisor, enumerator refused"), "{text}");
        eprintln!("{} {}", db.kind, text.trim());
    }
}

on_both_databases! { needs browser;
    fn every_page_fits_a_phone_reads_at_12_px_and_passes_axe_for_every_role(db: &TestDb) {
        let text = run_script("phone", db, &[], "the phone browser test failed");
        assert!(text.contains("pages checked on a phone in Chromium: sign-in errors, leader lands on /dashboard/papi/2019.1, supervisor lands on /fieldwork/papi/2019.1, analyst lands on /analysis/papi/2019.1, admin lands on /fieldwork/papi/2019.1, enumerator lands on /form/"), "{text}");
        eprintln!("{} {}", db.kind, text.trim());
    }
}

on_both_databases! { needs browser;
    fn an_analyst_recomputes_exports_and_downloads_from_the_page_on_a_phone_and_a_desktop(db: &TestDb) {
        let text = run_script("analysis", db, &[], "the analysis page's browser test failed");
        assert!(text.contains("the analysis page checked in Chromium: 390px vi: recomputed, exported csv and downloaded; 1366px en: recomputed, exported parquet and downloaded; 403 for leader, supervisor and enumerator; the administrator's navigation"), "{text}");
        eprintln!("{} {}", db.kind, text.trim());
    }
}

on_both_databases! { needs browser;
    fn pages_and_form_run_under_their_policy_and_show_a_definitions_markup_as_text(db: &TestDb) {
        let text = run_script("csp", db, &[fixture("small.toml")], "the Content-Security-Policy browser test failed");
        assert!(text.contains("pages checked in Chromium under the Content-Security-Policy: the sign-in page, the dashboard, the printable dashboard, sign-out, a dimension page, the fieldwork page, the fieldwork page's assignments, an interview's page, the form's sign-in, the enumerator's form, the policy's own refusal"), "{text}");
        eprintln!("{} {}", db.kind, text.trim());
    }
}

on_both_databases! { needs browser;
    fn the_form_signs_in_shows_a_group_a_screen_and_is_filled_by_touch_on_a_phone(db: &TestDb) {
        let text = run_script("form_screens", db, &[], "the form's browser test failed");
        assert!(text.contains("the form checked on a phone in Chromium: sign-in with a password, nine screens with their progress, finish jumps to the first error, filled by touch and sent, English, a revoked token asks for a sign-in, sign-out revokes the device token, the site's sign-in reaches the form"), "{text}");
        eprintln!("{} {}", db.kind, text.trim());
    }
}
