//! Raking: iterative proportional fitting of the weights to population margins (census counts), as
//! R's `rake()` does, until every margin matches to 1e-9 relative.

use std::collections::HashMap;
use std::path::Path;

use papi_table::Table;
use serde::Deserialize;

use crate::ScoreError;

/// Population margins, read from a TOML file:
///
/// ```toml
/// [[margins]]
/// columns = ["district", "sex"]
/// cells = [
///   { district = "Quy Nhơn", sex = "male", population = 142000 },
///   # ... one cell per combination
/// ]
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margins {
    pub margins: Vec<Margin>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margin {
    pub columns: Vec<String>,
    pub cells: Vec<toml::Table>,
}

/// How far raking went, and the margin cell of every row (for the variance of raked estimates).
#[derive(Debug, Clone, PartialEq)]
pub struct RakeReport {
    pub sweeps: usize,
    /// Largest relative gap between a weighted sample margin and its population total.
    pub max_relative_gap: f64,
    /// For each margin: the cell of each row, and the number of rows in each cell.
    pub cells: Vec<(Vec<usize>, Vec<usize>)>,
    /// For each margin: the population total of each cell (what a jackknife replicate is raked to).
    pub populations: Vec<Vec<f64>>,
    /// For each margin: each cell as a reader knows it, `sex = male × district = Tây Sơn`.
    pub labels: Vec<Vec<String>>,
}

const TOLERANCE: f64 = 1e-9;
const MAX_SWEEPS: usize = 10_000;

impl Margins {
    pub fn load(path: &Path) -> Result<Margins, ScoreError> {
        let bad = |message: String| ScoreError::Margins {
            file: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        Margins::from_toml(&text, &path.display().to_string())
    }

    /// Margins from their TOML text (a file's, or as stored with a survey); `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Margins, ScoreError> {
        let bad = |message: String| ScoreError::Margins {
            file: file.to_owned(),
            message,
        };
        let m: Margins = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if m.margins.is_empty() {
            return Err(bad("no [[margins]]".into()));
        }
        Ok(m)
    }

    /// The columns raking reads.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.margins {
            for c in &m.columns {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// Rakes `weights` (one per row of `df`) to the margins.
    pub fn rake(&self, df: &Table, weights: &mut [f64]) -> Result<RakeReport, ScoreError> {
        let mut plans = Vec::new();
        let mut labels = Vec::new();
        for (m, margin) in self.margins.iter().enumerate() {
            let err = |message: String| ScoreError::Margins {
                file: format!("margin {}", m + 1),
                message,
            };
            if margin.columns.is_empty() {
                return Err(err("columns is empty".into()));
            }
            let mut key_of_cell: HashMap<Vec<String>, usize> = HashMap::new();
            let mut population = Vec::new();
            for cell in &margin.cells {
                let mut key = Vec::new();
                for c in &margin.columns {
                    let v = cell
                        .get(c)
                        .ok_or_else(|| err(format!("a cell has no value for '{c}'")))?;
                    key.push(papi_survey::nfc(&match v {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }));
                }
                let pop = cell
                    .get("population")
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                    .ok_or_else(|| err(format!("cell {key:?} needs a numeric population")))?;
                if !(pop.is_finite() && pop > 0.0) {
                    return Err(err(format!("cell {key:?}: population must be positive")));
                }
                if cell.len() != margin.columns.len() + 1 {
                    return Err(err(format!(
                        "cell {key:?} has keys other than {:?} and population",
                        margin.columns
                    )));
                }
                if key_of_cell.insert(key.clone(), population.len()).is_some() {
                    return Err(err(format!("cell {key:?} is given twice")));
                }
                population.push(pop);
            }
            // Each row's cell through the codes of its columns: a key per combination, not per row.
            let per_column: Vec<(Vec<u32>, Vec<Option<String>>)> = margin
                .columns
                .iter()
                .map(|c| {
                    df.column(c)
                        .map(|col| col.first_appearance_codes())
                        .ok_or_else(|| ScoreError::MissingColumn(c.clone()))
                })
                .collect::<Result<_, _>>()?;
            let mut cell_of_codes: HashMap<Vec<u32>, Option<usize>> = HashMap::new();
            let mut cell_of_row = Vec::with_capacity(df.height());
            let mut seen = vec![false; population.len()];
            let mut codes = Vec::with_capacity(per_column.len());
            for i in 0..df.height() {
                codes.clear();
                codes.extend(per_column.iter().map(|(c, _)| c[i]));
                let cell = match cell_of_codes.get(&codes) {
                    Some(&cell) => cell,
                    None => {
                        let key: Vec<String> = per_column
                            .iter()
                            .map(|(c, v)| v[c[i] as usize].clone().unwrap_or_default())
                            .collect();
                        let cell = key_of_cell.get(&key).copied();
                        cell_of_codes.insert(codes.clone(), cell);
                        cell
                    }
                };
                match cell {
                    Some(c) => {
                        seen[c] = true;
                        cell_of_row.push(c);
                    }
                    None => {
                        let key: Vec<String> = per_column
                            .iter()
                            .map(|(c, v)| v[c[i] as usize].clone().unwrap_or_default())
                            .collect();
                        return Err(ScoreError::InvalidValue {
                            column: margin.columns.join(" × "),
                            row: i + 1,
                            message: format!("{key:?} has no population total in the margins"),
                        });
                    }
                }
            }
            if let Some(c) = seen.iter().position(|s| !s) {
                let key = key_of_cell
                    .iter()
                    .find(|(_, &v)| v == c)
                    .map(|(k, _)| k.clone())
                    .unwrap_or_default();
                return Err(err(format!(
                    "no respondent falls in cell {key:?}: it cannot be raked to"
                )));
            }
            let mut label = vec![String::new(); population.len()];
            for (key, &c) in &key_of_cell {
                label[c] = margin
                    .columns
                    .iter()
                    .zip(key)
                    .map(|(col, v)| format!("{col} = {v}"))
                    .collect::<Vec<_>>()
                    .join(" × ");
            }
            labels.push(label);
            plans.push((cell_of_row, population));
        }
        let mut sweeps = 0;
        loop {
            let gap = plans
                .iter()
                .map(|(cells, pop)| gap(cells, pop, weights))
                .fold(0.0, f64::max);
            if gap < TOLERANCE {
                let (cells, populations) = plans
                    .into_iter()
                    .map(|(cells, pop)| {
                        let mut count = vec![0usize; pop.len()];
                        for &c in &cells {
                            count[c] += 1;
                        }
                        ((cells, count), pop)
                    })
                    .unzip();
                return Ok(RakeReport {
                    sweeps,
                    max_relative_gap: gap,
                    cells,
                    populations,
                    labels,
                });
            }
            if sweeps == MAX_SWEEPS {
                return Err(ScoreError::Margins {
                    file: "margins".into(),
                    message: format!("raking did not converge in {MAX_SWEEPS} sweeps (gap {gap:e}); are the margins consistent?"),
                });
            }
            for (cells, pop) in &plans {
                let totals = totals(cells, pop.len(), weights);
                let factor: Vec<f64> = pop.iter().zip(&totals).map(|(p, t)| p / t).collect();
                for (w, &c) in weights.iter_mut().zip(cells) {
                    *w *= factor[c];
                }
            }
            sweeps += 1;
        }
    }
}

fn totals(cells: &[usize], n: usize, weights: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; n];
    for (&c, &w) in cells.iter().zip(weights) {
        t[c] += w;
    }
    t
}

fn gap(cells: &[usize], pop: &[f64], weights: &[f64]) -> f64 {
    totals(cells, pop.len(), weights)
        .iter()
        .zip(pop)
        .map(|(t, p)| ((t - p) / p).abs())
        .fold(0.0, f64::max)
}

/// How many times R's `svyrecvar` projects influence values on the raking margins.
const CALIBRATION_PASSES: usize = 10;

/// Adjusts row-level influence values `x` for raking, as R's `svyrecvar` does for a raked design:
/// ten passes of x ← x − w · (mean of x / w within each margin cell), so that the variance accounts for
/// the weights having been calibrated to the margins.
pub fn calibrate_influence(x: &mut [f64], weights: &[f64], report: &RakeReport) {
    for _ in 0..CALIBRATION_PASSES {
        for (cells, count) in &report.cells {
            let mut mean = vec![0.0; count.len()];
            for ((&xi, &w), &c) in x.iter().zip(weights).zip(cells) {
                mean[c] += xi / w;
            }
            for (m, &n) in mean.iter_mut().zip(count) {
                *m /= n as f64;
            }
            for ((xi, &w), &c) in x.iter_mut().zip(weights).zip(cells) {
                *xi -= w * mean[c];
            }
        }
    }
}
