//! A frame given as a CSV of PSUs (`stratum,psu,size`, one row per PSU): two levels, the strata all
//! taken, and one PPS stage whose draw count is given when drawing.

use std::collections::HashMap;

use crate::error::{FrameError, Problems};
use crate::frame::{check_size, sha256_hex, Frame, Unit, CSV_DEFAULT_INTERVIEWS};
use crate::name;
use crate::plan::{Method, Plan, Stage};

const COLUMNS: [&str; 3] = ["stratum", "psu", "size"];

impl Frame {
    /// Checks a frame given as CSV text (`stratum,psu,size`, in any column order); `file` names it in
    /// problems, and its stem is the frame's id and province.
    pub fn from_csv(text: &str, file: &str) -> Result<Frame, FrameError> {
        let mut problems = Problems::new(file, text);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                problems.at_line(
                    1,
                    &[],
                    "frame.parse",
                    format!("the CSV header cannot be read: {e}"),
                );
                return Err(problems.into_error());
            }
        };
        let names: Vec<&str> = header.iter().collect();
        let position = |column: &str| names.iter().position(|&n| n == column);
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !COLUMNS.contains(n))
            .collect();
        let missing: Vec<&str> = COLUMNS
            .iter()
            .copied()
            .filter(|c| position(c).is_none())
            .collect();
        let repeated = COLUMNS
            .iter()
            .any(|c| names.iter().filter(|&&n| n == *c).count() > 1);
        if !unknown.is_empty() || !missing.is_empty() || repeated {
            problems.at_line(
                1,
                &[],
                "frame.csv_columns",
                format!(
                    "the header is {names:?}: a CSV frame has exactly the columns stratum, psu, size{}{}",
                    if missing.is_empty() { String::new() } else { format!(" (missing: {})", missing.join(", ")) },
                    if unknown.is_empty() { String::new() } else { format!(" (not allowed: {})", unknown.join(", ")) },
                ),
            );
            return Err(problems.into_error());
        }
        let [stratum_at, psu_at, size_at] = COLUMNS.map(|c| position(c).expect("checked above"));
        let mut strata: Vec<Unit> = Vec::new();
        let mut stratum_index: HashMap<String, usize> = HashMap::new();
        let mut first_line: HashMap<(String, String), usize> = HashMap::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    problems.at_line(
                        line,
                        &[],
                        "frame.parse",
                        format!("the row cannot be read: {e}"),
                    );
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line() as usize);
            let stratum = name::normalise(&record[stratum_at]);
            let psu = name::normalise(&record[psu_at]);
            let path = vec![stratum.clone(), psu.clone()];
            for (column, value) in [("stratum", &stratum), ("psu", &psu)] {
                if let Some(why) = name::refusal(value) {
                    problems.at_line(line, &path, "frame.name", format!("{column}: {why}"));
                }
            }
            let size = match record[size_at].parse::<f64>() {
                Ok(size) => Some(size),
                Err(_) => {
                    problems.at_line(
                        line,
                        &path,
                        "frame.size",
                        format!(
                            "size '{}' is not a number: a PSU's size is a positive number",
                            &record[size_at]
                        ),
                    );
                    None
                }
            };
            check_size(&mut problems, line, &path, "psu", size);
            if let Some(first) = first_line.insert((stratum.clone(), psu.clone()), line) {
                problems.at_line(
                    line,
                    &path,
                    "frame.duplicate_unit",
                    format!("PSU '{psu}' of stratum '{stratum}' is listed twice (first on line {first}): PSU names are unique within a stratum"),
                );
                continue;
            }
            let index = *stratum_index.entry(stratum.clone()).or_insert_with(|| {
                strata.push(Unit {
                    name: stratum.clone(),
                    code: None,
                    size: None,
                    certainty: false,
                    units: Vec::new(),
                });
                strata.len() - 1
            });
            strata[index].units.push(Unit {
                name: psu,
                code: None,
                size,
                certainty: false,
                units: Vec::new(),
            });
        }
        if strata.is_empty() && problems.found.is_empty() {
            problems.at_line(
                1,
                &[],
                "frame.levels",
                "the frame has no PSUs: one row per PSU follows the header".to_owned(),
            );
        }
        problems.finish()?;
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file)
            .to_owned();
        Ok(Frame {
            id: stem.clone(),
            province: name::normalise(&stem),
            levels: vec!["stratum".to_owned(), "psu".to_owned()],
            size_measure: "size".to_owned(),
            illustrative: false,
            source: format!("CSV of PSUs: {file}"),
            design: Some(Plan {
                strata: Some("stratum".to_owned()),
                stages: vec![Stage {
                    level: "psu".to_owned(),
                    // Given when drawing (psus_per_stratum).
                    draw: 0,
                    method: Method::Pps,
                }],
                interviews: CSV_DEFAULT_INTERVIEWS,
            }),
            units: strata,
            hash: sha256_hex(text),
            source_text: text.to_owned(),
            file: file.to_owned(),
        })
    }
}
