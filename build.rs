//! Marks the integration tests whose outside tool (PostgreSQL, R, a browser, ...) is missing as
//! ignored, with the reason, so that `cargo test` says what it did not check instead of "ok".
//!
//! The tools are listed once, in tests/tools.rs. In CI (`CI` set) nothing is ignored: a test whose
//! tool is missing fails there. Tools are looked for when the tests are built; after installing one,
//! `touch tests/tools.rs` has them looked for again.

use std::fmt::Write as _;

include!("tests/tools.rs");

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/tools.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=DATABASE_URL");

    let in_ci = std::env::var_os("CI").is_some();
    let missing = |tool: &Tool| !in_ci && !tool.present();
    let postgres = tool("postgres");
    let postgres_missing = missing(postgres);

    // `ignore_without! { KEY; ITEMS }` and `ignore_without! { postgres KEY; ITEMS }`: the items, marked
    // ignored with the reason when the tool (or PostgreSQL, or both) is missing here.
    let mut arms = String::new();
    let mut arm = |pattern: &str, reason: Option<String>| {
        let ignore = reason.map_or(String::new(), |r| format!("#[ignore = {r:?}]"));
        writeln!(
            arms,
            "    ({pattern}; $($item:tt)*) => {{ {ignore} $($item)* }};"
        )
        .unwrap();
    };
    for tool in TOOLS {
        let tool_missing = missing(tool);
        arm(tool.key, tool_missing.then(|| tool.ignore_reason()));
        if tool.key != postgres.key {
            let reason = if tool_missing {
                Some(tool.ignore_reason())
            } else {
                postgres_missing.then(|| postgres.ignore_reason())
            };
            arm(&format!("postgres {}", tool.key), reason);
        }
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("ignore_without.rs");
    let text = format!("macro_rules! ignore_without {{\n{arms}}}\n");
    std::fs::write(out, text).unwrap();
}
