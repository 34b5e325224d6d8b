//! A sampling frame: a province, its location levels below it (coarse to fine), and nested units with
//! a measure of size. Frames are data, read from TOML (any nesting) or from a CSV of PSUs.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::check::{check_plan, Lines};
use crate::error::{FrameError, Problem, Problems};
use crate::name;
use crate::plan::{Method, Plan, Stage};

/// A sampling frame, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub id: String,
    pub province: String,
    /// Location levels below the province, coarse to fine (e.g. district, commune, village).
    pub levels: Vec<String>,
    /// What the sizes count: "adults" or "households".
    pub size_measure: String,
    /// True when the sizes (or names) are not official figures.
    pub illustrative: bool,
    /// Where the figures come from, in free text.
    pub source: String,
    /// The default draw plan, which options given when drawing may override.
    pub design: Option<Plan>,
    /// The units of the first level, each holding its units one level finer.
    pub units: Vec<Unit>,
    /// SHA-256 (hex) of the source text: which frame a sample was drawn from.
    pub hash: String,
    pub source_text: String,
    /// The file the frame was read from, as it was named when loaded: problems name it.
    pub file: String,
}

/// One unit of a level: a district, a commune, a village, a PSU.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// Trimmed, NFC.
    pub name: String,
    /// The official (GSO) code, when known.
    pub code: Option<String>,
    /// The measure of size, when given.
    pub size: Option<f64>,
    /// Taken with certainty by design (PAPI takes a district's seat commune, a commune's seat village).
    pub certainty: bool,
    /// The units one level finer; empty at the finest level.
    pub units: Vec<Unit>,
}

impl Unit {
    /// The unit's size: its own, or else the sum of its units' when every one of them has a size.
    pub fn effective_size(&self) -> Option<f64> {
        if self.size.is_some() {
            return self.size;
        }
        if self.units.is_empty() {
            return None;
        }
        self.units.iter().map(Unit::effective_size).sum()
    }
}

/// Interviews planned in each PSU of a CSV frame unless the draw says otherwise: PAPI's 20 a village.
pub(crate) const CSV_DEFAULT_INTERVIEWS: usize = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameFile {
    frame: Spanned<RawHeader>,
    design: Option<Spanned<RawDesign>>,
    #[serde(default)]
    units: Vec<Spanned<RawUnit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    province: String,
    levels: Vec<String>,
    size_measure: String,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesign {
    strata: Option<String>,
    interviews: usize,
    stages: Vec<Spanned<RawStage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    level: String,
    draw: usize,
    method: Method,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    name: String,
    code: Option<String>,
    size: Option<f64>,
    #[serde(default)]
    certainty: bool,
    #[serde(default)]
    units: Vec<Spanned<RawUnit>>,
}

impl Frame {
    /// Reads a frame file: TOML or CSV of PSUs, by its extension.
    pub fn load(path: &Path) -> Result<Frame, FrameError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FrameError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => Frame::from_toml(&text, &file),
            Some(e) if e.eq_ignore_ascii_case("csv") => Frame::from_csv(&text, &file),
            _ => Err(FrameError::Invalid {
                problems: vec![Problem {
                    file,
                    line: 0,
                    unit: String::new(),
                    code: "frame.format",
                    message: "a sampling frame is a .toml file or a .csv file of PSUs".to_owned(),
                }],
            }),
        }
    }

    /// Checks a frame given as TOML text; `file` names it in problems.
    pub fn from_toml(text: &str, file: &str) -> Result<Frame, FrameError> {
        let mut problems = Problems::new(file, text);
        let raw: RawFrameFile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let line = problems.line(e.span().map_or(0, |s| s.start));
                problems.at_line(line, &[], "frame.parse", e.message().trim().to_owned());
                return Err(problems.into_error());
            }
        };
        let header_line = problems.line(raw.frame.span().start);
        let header = raw.frame.into_inner();
        let levels = check_levels(&mut problems, header_line, &header.levels);
        for (field, value) in [
            ("id", &header.id),
            ("province", &header.province),
            ("size_measure", &header.size_measure),
        ] {
            if value.trim().is_empty() {
                problems.at_line(
                    header_line,
                    &[],
                    "frame.field",
                    format!(
                        "[frame] {field} is empty: a frame names its id, province and size measure"
                    ),
                );
            }
        }
        let mut lines = Lines::default();
        let units = if levels.is_empty() {
            Vec::new()
        } else {
            convert_units(&mut problems, &mut lines, &levels, &[], raw.units)
        };
        if units.is_empty() && !levels.is_empty() {
            problems.at_line(
                header_line,
                &[],
                "frame.levels",
                format!("the frame has no units: [[units]] lists the {}s", levels[0]),
            );
        }
        let design = raw.design.map(|d| {
            lines.design = problems.line(d.span().start);
            let d = d.into_inner();
            let stages = d
                .stages
                .into_iter()
                .map(|s| {
                    lines.stages.push(problems.line(s.span().start));
                    let s = s.into_inner();
                    Stage {
                        level: s.level.trim().to_owned(),
                        draw: s.draw,
                        method: s.method,
                    }
                })
                .collect();
            Plan {
                strata: d.strata.map(|s| s.trim().to_owned()),
                stages,
                interviews: d.interviews,
            }
        });
        let frame = Frame {
            id: header.id.trim().to_owned(),
            province: name::normalise(&header.province),
            levels,
            size_measure: header.size_measure.trim().to_owned(),
            illustrative: header.illustrative,
            source: header.source.trim().to_owned(),
            design,
            units,
            hash: sha256_hex(text),
            source_text: text.to_owned(),
            file: file.to_owned(),
        };
        // The plan is checked against units only once the units themselves are sound.
        if problems.found.is_empty() {
            if let Some(plan) = &frame.design {
                check_plan(&frame, plan, &lines, &mut problems);
            }
        }
        problems.finish()?;
        Ok(frame)
    }

    /// The unit at a path of names from the first level down, if there is one.
    pub fn unit(&self, path: &[String]) -> Option<&Unit> {
        let (first, rest) = path.split_first()?;
        let mut unit = self.units.iter().find(|u| &u.name == first)?;
        for name in rest {
            unit = unit.units.iter().find(|u| &u.name == name)?;
        }
        Some(unit)
    }
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn check_levels(problems: &mut Problems, line: usize, raw: &[String]) -> Vec<String> {
    let levels: Vec<String> = raw.iter().map(|l| l.trim().to_owned()).collect();
    if levels.is_empty() {
        problems.at_line(
            line,
            &[],
            "frame.levels",
            "[frame] levels is empty: list the location levels below the province, coarse to fine"
                .to_owned(),
        );
    }
    let mut seen = HashSet::new();
    for level in &levels {
        if !valid_level(level) {
            problems.at_line(
                line,
                &[],
                "frame.levels",
                format!("[frame] levels: '{level}' is not a level name (lower-case letters, digits and _, starting with a letter)"),
            );
        } else if !seen.insert(level.as_str()) {
            problems.at_line(
                line,
                &[],
                "frame.levels",
                format!("[frame] levels: '{level}' is listed twice"),
            );
        }
    }
    levels
}

/// Level names become column names (`pi_commune`), so they keep to a plain identifier.
fn valid_level(level: &str) -> bool {
    let mut chars = level.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Converts the units at one depth (the depth is `parent.len()`), checking names, sizes and nesting.
fn convert_units(
    problems: &mut Problems,
    lines: &mut Lines,
    levels: &[String],
    parent: &[String],
    raw: Vec<Spanned<RawUnit>>,
) -> Vec<Unit> {
    let depth = parent.len();
    let level = &levels[depth];
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut units = Vec::with_capacity(raw.len());
    for spanned in raw {
        let line = problems.line(spanned.span().start);
        let raw = spanned.into_inner();
        let name = name::normalise(&raw.name);
        let mut path = parent.to_vec();
        path.push(name.clone());
        if let Some(why) = name::refusal(&name) {
            problems.at_line(line, &path, "frame.name", format!("{level} name: {why}"));
        }
        if let Some(first) = seen.insert(name.clone(), line) {
            let first = if first == line {
                String::new()
            } else {
                format!(" (the first on line {first})")
            };
            problems.at_line(
                line,
                &path,
                "frame.duplicate_unit",
                format!("two {level}s are named '{name}' under the same parent{first}: sibling names are unique"),
            );
        } else {
            lines.units.insert(path.clone(), line);
        }
        check_size(problems, line, &path, level, raw.size);
        let finest = depth + 1 == levels.len();
        let children = if finest {
            if !raw.units.is_empty() {
                problems.at_line(
                    line,
                    &path,
                    "frame.levels",
                    format!("'{name}' is a {level}, the finest level, but has units below it: the frame's levels are {levels:?}"),
                );
            }
            Vec::new()
        } else {
            if raw.units.is_empty() {
                problems.at_line(
                    line,
                    &path,
                    "frame.levels",
                    format!(
                        "{level} '{name}' has no {} below it: every unit nests down to the finest level ({})",
                        levels[depth + 1],
                        levels[levels.len() - 1]
                    ),
                );
            }
            convert_units(problems, lines, levels, &path, raw.units)
        };
        units.push(Unit {
            name,
            code: raw
                .code
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            size: raw.size,
            certainty: raw.certainty,
            units: children,
        });
    }
    units
}

pub(crate) fn check_size(
    problems: &mut Problems,
    line: usize,
    path: &[String],
    level: &str,
    size: Option<f64>,
) {
    if let Some(size) = size {
        if !size.is_finite() || size <= 0.0 {
            problems.at_line(
                line,
                path,
                "frame.size",
                format!(
                    "the size of {level} '{}' is {size}: a size is a positive, finite number",
                    path.last().map_or("", String::as_str)
                ),
            );
        }
    }
}
