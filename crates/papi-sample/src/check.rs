//! The rules a plan must keep against its frame, checked before anything is drawn: when the frame is
//! loaded (its own `[design]`, with lines) and again when drawing (after the overrides).

use std::collections::HashMap;

use crate::error::Problems;
use crate::frame::{Frame, Unit};
use crate::plan::{Method, Plan};

/// Where the parts of a frame file are, for problems found after parsing (empty when drawing).
#[derive(Default)]
pub(crate) struct Lines {
    pub units: HashMap<Vec<String>, usize>,
    pub design: usize,
    pub stages: Vec<usize>,
}

impl Lines {
    fn unit(&self, path: &[String]) -> usize {
        self.units.get(path).copied().unwrap_or(0)
    }

    fn stage(&self, index: usize) -> usize {
        self.stages.get(index).copied().unwrap_or(self.design)
    }
}

/// Records every way `plan` cannot be drawn from `frame`.
pub(crate) fn check_plan(frame: &Frame, plan: &Plan, lines: &Lines, problems: &mut Problems) {
    let levels = &frame.levels;
    if let Some(strata) = &plan.strata {
        if levels.first() != Some(strata) {
            problems.at_line(
                lines.design,
                &[],
                "frame.strata",
                format!(
                    "[design] strata = '{strata}': the strata are the units of the first level ('{}'); omit strata to make the province one stratum",
                    levels.first().map_or("", String::as_str)
                ),
            );
            return;
        }
    }
    let drawn = &levels[plan.first_stage_depth()..];
    if drawn.is_empty() {
        problems.at_line(
            lines.design,
            &[],
            "frame.stage",
            "[design] strata takes the only level, which leaves no stage to draw".to_owned(),
        );
        return;
    }
    let stage_levels: Vec<&str> = plan.stages.iter().map(|s| s.level.as_str()).collect();
    if stage_levels != drawn.iter().map(String::as_str).collect::<Vec<_>>() {
        problems.at_line(
            lines.design,
            &[],
            "frame.stage",
            format!("[design] stages draw {stage_levels:?}: there is one stage per level below the strata, in order, which here is {drawn:?}"),
        );
        return;
    }
    let mut sound = true;
    for (i, stage) in plan.stages.iter().enumerate() {
        if stage.draw == 0 {
            sound = false;
            problems.at_line(
                lines.stage(i),
                &[],
                "frame.stage",
                format!("stage '{}' has draw = 0: each stage draws at least one unit in each stratum or parent", stage.level),
            );
        }
    }
    if plan.interviews == 0 {
        sound = false;
        problems.at_line(
            lines.design,
            &[],
            "frame.interviews",
            "[design] interviews = 0: each selected unit of the finest level plans at least one interview".to_owned(),
        );
    }
    if !sound {
        return;
    }
    for (i, stage) in plan.stages.iter().enumerate() {
        let depth = plan.first_stage_depth() + i;
        for (path, children) in parents(frame, depth) {
            let parent = if path.is_empty() {
                format!("the province {}", frame.province)
            } else {
                format!("{} '{}'", levels[depth - 1], path.join(" / "))
            };
            let line = if path.is_empty() {
                lines.stage(i)
            } else {
                lines.unit(&path)
            };
            let available = children.len();
            let certain = children.iter().filter(|u| u.certainty).count();
            if stage.draw > available {
                problems.at_line(
                    line,
                    &path,
                    "frame.draw_too_large",
                    format!(
                        "stage '{}' draws {} {}(s) in {parent}, which has only {available}",
                        stage.level, stage.draw, stage.level
                    ),
                );
            } else if certain > stage.draw {
                problems.at_line(
                    line,
                    &path,
                    "frame.certainty",
                    format!(
                        "{parent} has {certain} {}(s) marked certainty, more than the {} that stage '{}' draws",
                        stage.level, stage.draw, stage.level
                    ),
                );
            } else if stage.method == Method::Pps && stage.draw < available {
                for child in children.iter().filter(|u| !u.certainty) {
                    if child.effective_size().is_none() {
                        let mut child_path = path.clone();
                        child_path.push(child.name.clone());
                        problems.at_line(
                            lines.unit(&child_path),
                            &child_path,
                            "frame.missing_size",
                            format!(
                                "{} '{}' has no size (nor have all its units), and stage '{}' draws by PPS: give its size",
                                stage.level, child.name, stage.level
                            ),
                        );
                    }
                }
            }
        }
    }
    let province_sized = frame.units.iter().all(|u| u.effective_size().is_some());
    check_place_sizes(
        frame,
        &frame.units,
        &mut Vec::new(),
        province_sized,
        lines,
        problems,
    );
}

/// Every unit at `depth - 1` with its path and its units; the province's units at depth 0.
fn parents(frame: &Frame, depth: usize) -> Vec<(Vec<String>, &[Unit])> {
    fn walk<'a>(
        units: &'a [Unit],
        path: &mut Vec<String>,
        remaining: usize,
        out: &mut Vec<(Vec<String>, &'a [Unit])>,
    ) {
        for unit in units {
            path.push(unit.name.clone());
            if remaining == 0 {
                out.push((path.clone(), &unit.units));
            } else {
                walk(&unit.units, path, remaining - 1, out);
            }
            path.pop();
        }
    }
    if depth == 0 {
        return vec![(Vec::new(), &frame.units)];
    }
    let mut out = Vec::new();
    walk(&frame.units, &mut Vec::new(), depth - 1, &mut out);
    out
}

/// The respondent stage needs each finest unit's size, or a size above it to estimate it from.
fn check_place_sizes(
    frame: &Frame,
    units: &[Unit],
    path: &mut Vec<String>,
    sized_above: bool,
    lines: &Lines,
    problems: &mut Problems,
) {
    for unit in units {
        path.push(unit.name.clone());
        let sized = sized_above || unit.effective_size().is_some();
        if unit.units.is_empty() {
            if !sized {
                problems.at_line(
                    lines.unit(path),
                    path,
                    "frame.missing_size",
                    format!(
                        "{} '{}' has no size, nor has any unit above it: the respondent stage needs its size, or one to estimate it from",
                        frame.levels[path.len() - 1],
                        unit.name
                    ),
                );
            }
        } else {
            check_place_sizes(frame, &unit.units, path, sized, lines, problems);
        }
        path.pop();
    }
}
