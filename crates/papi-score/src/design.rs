//! The sample design of a table of interviews: weights, strata, primary sampling units (PSUs), and the
//! domains (`--by` groups) an analysis asks for.

use std::collections::HashMap;

use papi_survey::Survey;
use papi_table::{Column, Table};

use crate::ScoreError;

/// The design, resolved to integer codes per row.
#[derive(Debug, Clone)]
pub struct Design {
    pub rows: usize,
    pub weights: Vec<f64>,
    /// PSU of each row (a PSU is a cluster within its stratum).
    pub psu: Vec<u32>,
    /// Stratum of each PSU.
    pub psu_stratum: Vec<u32>,
    /// PSUs per stratum.
    pub stratum_psus: Vec<u32>,
    pub strata_names: Vec<String>,
    /// The cluster value of each PSU, to name it (empty without a cluster column: each respondent is
    /// its own PSU, named by its row).
    pub psu_names: Vec<String>,
    /// Group (domain) of each row; one group when nothing is asked for.
    pub group: Vec<u32>,
    /// The `by` values of each group, in order of first appearance.
    pub groups: Vec<Vec<(String, Option<String>)>>,
    /// Cell (a distinct group × PSU pair) of each row: the unit of accumulation.
    pub cell: Vec<u32>,
    pub cell_group: Vec<u32>,
    pub cell_psu: Vec<u32>,
}

/// Codes of a column: (code per row, values in order of first appearance).
fn codes(col: &Column) -> (Vec<u32>, Vec<Option<String>>) {
    col.first_appearance_codes()
}

/// A column's values as numbers, one per row: text is parsed, and no value (or text that is not a
/// number) is `None`.
fn column_numbers(col: &Column) -> Box<dyn Iterator<Item = Option<f64>> + '_> {
    match col {
        Column::Number(n) => Box::new(n.values.iter().map(|&x| (!x.is_nan()).then_some(x))),
        Column::Text(t) => {
            let parsed: Vec<Option<f64>> = t
                .values()
                .iter()
                .map(|v| v.as_deref().and_then(|v| v.trim().parse().ok()))
                .collect();
            Box::new(t.codes().iter().map(move |c| parsed[c as usize]))
        }
    }
}

impl Design {
    /// Resolves the design of `survey` on `df`, with domains by the columns `by`.
    pub fn new(survey: &Survey, df: &Table, by: &[String]) -> Result<Design, ScoreError> {
        Design::resolve(survey, df, by, true)
    }

    /// The design with every respondent weighted alike: the weight column is not read.
    pub fn unweighted(survey: &Survey, df: &Table, by: &[String]) -> Result<Design, ScoreError> {
        Design::resolve(survey, df, by, false)
    }

    fn resolve(
        survey: &Survey,
        df: &Table,
        by: &[String],
        weighted: bool,
    ) -> Result<Design, ScoreError> {
        let rows = df.height();
        let column = |name: &str| {
            df.column(name)
                .ok_or_else(|| ScoreError::MissingColumn(name.to_owned()))
        };
        let weights = match survey.design.weight.as_ref().filter(|_| weighted) {
            Some(w) => {
                let ca = column_numbers(column(w)?);
                let mut out = Vec::with_capacity(rows);
                for (i, v) in ca.enumerate() {
                    match v {
                        Some(x) if x.is_finite() && x > 0.0 => out.push(x),
                        other => {
                            return Err(ScoreError::InvalidValue {
                                column: w.clone(),
                                row: i + 1,
                                message: format!(
                                    "a design weight must be a positive number, not {}",
                                    other
                                        .map(|x| x.to_string())
                                        .unwrap_or_else(|| "empty".into())
                                ),
                            })
                        }
                    }
                }
                out
            }
            None => vec![1.0; rows],
        };
        let (stratum_of_row, strata_values) = match &survey.design.strata {
            Some(s) => {
                let (c, v) = codes(column(s)?);
                if let Some(row) = v
                    .iter()
                    .position(Option::is_none)
                    .map(|code| c.iter().position(|&x| x == code as u32).unwrap_or(0))
                {
                    return Err(ScoreError::InvalidValue {
                        column: s.clone(),
                        row: row + 1,
                        message: "the stratum is empty".into(),
                    });
                }
                (c, v)
            }
            None => (vec![0; rows], vec![Some(String::new())]),
        };
        // PSUs: clusters nested in strata; without a cluster column each respondent is a PSU.
        let mut psu = Vec::with_capacity(rows);
        let mut psu_stratum = Vec::new();
        let mut psu_names = Vec::new();
        match &survey.design.cluster {
            Some(k) => {
                let (cluster, values) = codes(column(k)?);
                if let Some(code) = values.iter().position(Option::is_none) {
                    let row = cluster.iter().position(|&x| x == code as u32).unwrap_or(0);
                    return Err(ScoreError::InvalidValue {
                        column: k.clone(),
                        row: row + 1,
                        message: "the cluster is empty".into(),
                    });
                }
                let mut index: HashMap<(u32, u32), u32> = HashMap::new();
                for (h, c) in stratum_of_row.iter().zip(&cluster) {
                    let next = index.len() as u32;
                    let id = *index.entry((*h, *c)).or_insert_with(|| {
                        psu_stratum.push(*h);
                        psu_names.push(values[*c as usize].clone().unwrap_or_default());
                        next
                    });
                    psu.push(id);
                }
            }
            None => {
                for (i, h) in stratum_of_row.iter().enumerate() {
                    psu.push(i as u32);
                    psu_stratum.push(*h);
                }
            }
        }
        let mut stratum_psus = vec![0u32; strata_values.len()];
        for h in &psu_stratum {
            stratum_psus[*h as usize] += 1;
        }
        // Domains: the distinct combinations of the `by` columns, in order of first appearance.
        let (group, groups) = if by.is_empty() {
            (vec![0; rows], vec![Vec::new()])
        } else {
            let mut per_column = Vec::new();
            for b in by {
                per_column.push(codes(column(b)?));
            }
            let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
            let mut groups = Vec::new();
            let mut group = Vec::with_capacity(rows);
            let mut key = Vec::with_capacity(by.len());
            for i in 0..rows {
                key.clear();
                key.extend(per_column.iter().map(|(c, _)| c[i]));
                let next = index.len() as u32;
                let g = match index.get(&key) {
                    Some(g) => *g,
                    None => {
                        index.insert(key.clone(), next);
                        groups.push(
                            by.iter()
                                .zip(&per_column)
                                .map(|(name, (c, v))| (name.clone(), v[c[i] as usize].clone()))
                                .collect(),
                        );
                        next
                    }
                };
                group.push(g);
            }
            (group, groups)
        };
        let mut cell_index: HashMap<(u32, u32), u32> = HashMap::new();
        let (mut cell, mut cell_group, mut cell_psu) =
            (Vec::with_capacity(rows), Vec::new(), Vec::new());
        for (g, p) in group.iter().zip(&psu) {
            let next = cell_index.len() as u32;
            let c = *cell_index.entry((*g, *p)).or_insert_with(|| {
                cell_group.push(*g);
                cell_psu.push(*p);
                next
            });
            cell.push(c);
        }
        Ok(Design {
            rows,
            weights,
            psu,
            psu_stratum,
            stratum_psus,
            strata_names: strata_values
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
            psu_names,
            group,
            groups,
            cell,
            cell_group,
            cell_psu,
        })
    }

    /// Degrees of freedom of the design: PSUs − strata, as R's `degf`. Without clusters every
    /// respondent is a PSU (n − strata); without strata the whole sample is one stratum (PSUs − 1).
    /// Domains keep the whole design's, as `confint(svyby(...), df = degf(design))`.
    pub fn degrees_of_freedom(&self) -> i64 {
        self.psu_stratum.len() as i64 - self.stratum_psus.len() as i64
    }

    /// PSU `p` as a reader knows it: its cluster (and stratum), or the row of a respondent who is a PSU.
    pub fn psu_label(&self, p: u32) -> String {
        let stratum = &self.strata_names[self.psu_stratum[p as usize] as usize];
        let name = match self.psu_names.get(p as usize) {
            Some(cluster) => format!("'{cluster}'"),
            None => format!("the respondent in row {}", p + 1),
        };
        if stratum.is_empty() {
            name
        } else {
            format!("{name} of stratum '{stratum}'")
        }
    }

    /// Strata with a single PSU (their variance is handled as R's `survey.lonely.psu = "adjust"`).
    pub fn lonely_strata(&self) -> Vec<&str> {
        self.stratum_psus
            .iter()
            .enumerate()
            .filter(|(_, &n)| n == 1)
            .map(|(h, _)| self.strata_names[h].as_str())
            .collect()
    }

    /// The variance of an estimate from its influence totals per PSU (`psus` and `z` aligned; PSUs
    /// not listed count as zeros): V = Σ_h n_h/(n_h − 1) Σ_c (z_hc − z̄_h)², as R's `svyrecvar`; a
    /// stratum with one PSU adds z_hc², centred at the population mean of an influence, zero
    /// (`survey.lonely.psu = "adjust"`).
    pub fn variance(&self, psus: &[u32], z: &[f64]) -> f64 {
        let strata = self.stratum_psus.len();
        let mut sum = vec![0.0f64; strata];
        let mut present = vec![0u32; strata];
        for (&p, &zc) in psus.iter().zip(z) {
            let h = self.psu_stratum[p as usize] as usize;
            sum[h] += zc;
            present[h] += 1;
        }
        let mut ss = vec![0.0f64; strata];
        for (&p, &zc) in psus.iter().zip(z) {
            let h = self.psu_stratum[p as usize] as usize;
            let mean = if self.stratum_psus[h] > 1 {
                sum[h] / self.stratum_psus[h] as f64
            } else {
                0.0
            };
            ss[h] += (zc - mean) * (zc - mean);
        }
        let mut v = 0.0;
        for h in 0..strata {
            let n_h = self.stratum_psus[h];
            if present[h] == 0 {
                continue;
            }
            if n_h > 1 {
                let mean = sum[h] / n_h as f64;
                // PSUs of the stratum that are not listed are zeros.
                let zeros = (n_h - present[h]) as f64;
                v += n_h as f64 / (n_h as f64 - 1.0) * (ss[h] + zeros * mean * mean);
            } else {
                v += ss[h];
            }
        }
        v
    }
}
