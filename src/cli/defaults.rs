//! The shipped data, built into the binary: the PAPI 2019 definition, Bình Định's sampling frame and
//! geography, Plan 53/KH-UBND and the official PAPI table. A command reads a data file from disk when
//! it is there; when it is not and the path is a shipped default (as given, relative to the
//! repository), the built-in copy stands in, so that `papi serve --demo` or `papi score` run from any
//! directory. A path that is not a shipped default must exist.

use std::path::Path;

use anyhow::Context;

/// Shipped files by their path in the repository, with their text.
const SHIPPED: &[(&str, &str)] = &[
    (
        "survey-defs/papi-2019.toml",
        include_str!("../../survey-defs/papi-2019.toml"),
    ),
    (
        "survey-defs/frames/binh-dinh.toml",
        include_str!("../../survey-defs/frames/binh-dinh.toml"),
    ),
    (
        "survey-defs/frames/example-two-tier.toml",
        include_str!("../../survey-defs/frames/example-two-tier.toml"),
    ),
    (
        "survey-defs/geography/binh-dinh.toml",
        include_str!("../../survey-defs/geography/binh-dinh.toml"),
    ),
    (
        "survey-defs/plans/binh-dinh-53-kh-ubnd-2019.toml",
        include_str!("../../survey-defs/plans/binh-dinh-53-kh-ubnd-2019.toml"),
    ),
];

/// The folder of the shipped action plans.
pub const PLANS_DIR: &str = "survey-defs/plans";

/// The built-in copy of a shipped file, by the path it is shipped under.
fn shipped(path: &Path) -> Option<&'static str> {
    let wanted = path.to_str()?.trim_start_matches("./");
    SHIPPED
        .iter()
        .find(|(p, _)| *p == wanted)
        .map(|(_, text)| *text)
}

/// A data file's text: from disk when it exists, else the built-in copy of a shipped default.
pub fn read(path: &Path) -> anyhow::Result<String> {
    if !path.exists() {
        if let Some(text) = shipped(path) {
            return Ok(text.to_owned());
        }
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Whether a path would be read from disk: it exists, or it is not a shipped default.
pub fn on_disk(path: &Path) -> bool {
    path.exists() || shipped(path).is_none()
}

/// The shipped plans in `dir` when the folder is not on disk and is the shipped default: (file, text).
pub fn shipped_plans(dir: &Path) -> Vec<(String, &'static str)> {
    if dir.exists() || dir.to_str().map(|d| d.trim_end_matches('/')) != Some(PLANS_DIR) {
        return Vec::new();
    }
    SHIPPED
        .iter()
        .filter(|(p, _)| p.starts_with(PLANS_DIR) && p.ends_with(".toml"))
        .map(|(p, text)| (p.to_string(), *text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_defaults_stand_in_only_when_the_file_is_missing() {
        let missing = Path::new("survey-defs/frames/binh-dinh.toml");
        assert!(shipped(missing).is_some());
        assert!(shipped(Path::new("./survey-defs/papi-2019.toml")).is_some());
        assert!(shipped(Path::new("elsewhere/papi-2019.toml")).is_none());
        assert!(
            on_disk(Path::new("/nonexistent/papi-2019.toml")),
            "not a shipped default"
        );
    }
}
