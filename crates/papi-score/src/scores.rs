//! One indicator's score y per row (NaN for a missing answer), never held as a column of its own: a
//! choice column's codes are mapped through a table with one score per distinct answer, made once, and
//! a number is put on the indicator's range as it is read.

use papi_survey::{QuestionType, Scoring, Survey};
use papi_table::{Codes, Column};

use crate::ScoreError;

/// How to read indicator k's score of any row.
pub(crate) enum Scores<'a> {
    /// A score per code of a text column.
    Coded { codes: &'a Codes, score: Vec<f64> },
    /// (x − lo) / (hi − lo), clipped to [0, 1], reversed on request.
    Range {
        values: &'a [f64],
        lo: f64,
        hi: f64,
        reverse: bool,
    },
}

#[inline]
fn on_range(x: f64, lo: f64, hi: f64, reverse: bool) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    let s = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    if reverse {
        1.0 - s
    } else {
        s
    }
}

impl Scores<'_> {
    /// The score of row `i`.
    #[inline]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            Scores::Coded { codes, score } => score[codes.get(i) as usize],
            Scores::Range {
                values,
                lo,
                hi,
                reverse,
            } => on_range(values[i], *lo, *hi, *reverse),
        }
    }

    /// Calls `f(i, y_i)` for every row, in order (one loop per kind of column, no branch per row).
    #[inline]
    pub fn each(&self, mut f: impl FnMut(usize, f64)) {
        match self {
            Scores::Coded {
                codes: Codes::Narrow(c),
                score,
            } => {
                for (i, &x) in c.iter().enumerate() {
                    f(i, score[x as usize]);
                }
            }
            Scores::Coded {
                codes: Codes::Wide(c),
                score,
            } => {
                for (i, &x) in c.iter().enumerate() {
                    f(i, score[x as usize]);
                }
            }
            Scores::Range {
                values,
                lo,
                hi,
                reverse,
            } => {
                for (i, &x) in values.iter().enumerate() {
                    f(i, on_range(x, *lo, *hi, *reverse));
                }
            }
        }
    }
}

/// The scores of indicator `k` read from `column`, its question's; every distinct answer is checked
/// against the question's choices, and the first row holding a value that is not one is named.
pub(crate) fn scores<'a>(
    survey: &Survey,
    k: usize,
    column: &'a Column,
) -> Result<Scores<'a>, ScoreError> {
    let ind = &survey.indicators[k];
    let q = &survey.questions[ind.question];
    let choices = survey.choices_of(q);
    let is_choice = |v: &str| choices.iter().any(|c| c.value == v);
    let text = match column {
        Column::Text(t) => t,
        Column::Number(n) => {
            return match &ind.scoring {
                Scoring::Range { lo, hi, reverse } => Ok(Scores::Range {
                    values: &n.values,
                    lo: *lo,
                    hi: *hi,
                    reverse: *reverse,
                }),
                _ => Err(ScoreError::Data(format!(
                    "column '{}' holds numbers, but indicator {} scores choices",
                    q.id, ind.id
                ))),
            };
        }
    };
    // Per distinct value: its score, or the value that is not a choice.
    let mut score = Vec::with_capacity(text.values().len());
    let mut refused: Vec<(u32, String)> = Vec::new();
    for (code, value) in text.values().iter().enumerate() {
        let Some(v) = value.as_deref() else {
            score.push(f64::NAN);
            continue;
        };
        let s = match &ind.scoring {
            Scoring::Values(values) => {
                let listed = |v: &str| values.iter().find(|(k, _)| k == v).map(|(_, s)| *s);
                match listed(v) {
                    Some(s) => s,
                    None if v.is_empty() || is_choice(v) => f64::NAN,
                    // A calculation's value the indicator does not list is not scored.
                    None if q.kind == QuestionType::Calculate => f64::NAN,
                    None => {
                        let t = v.trim();
                        match listed(t) {
                            Some(s) => s,
                            None if is_choice(t) || t.is_empty() => f64::NAN,
                            None => {
                                refused.push((code as u32, v.to_owned()));
                                f64::NAN
                            }
                        }
                    }
                }
            }
            Scoring::Range { lo, hi, reverse } => {
                on_range(v.trim().parse().unwrap_or(f64::NAN), *lo, *hi, *reverse)
            }
            Scoring::AnyOf(any) => {
                let mut empty = true;
                let mut hit = false;
                for c in v.split_whitespace() {
                    empty = false;
                    if any.iter().any(|a| a == c) {
                        hit = true;
                    } else if !is_choice(c) {
                        refused.push((code as u32, c.to_owned()));
                        break;
                    }
                }
                if empty {
                    f64::NAN
                } else if hit {
                    1.0
                } else {
                    0.0
                }
            }
        };
        score.push(s);
    }
    if !refused.is_empty() {
        // The first row (in file order) that holds a refused value.
        let row = text
            .codes()
            .iter()
            .position(|c| refused.iter().any(|(r, _)| *r == c))
            .unwrap_or(0);
        let code = text.codes().get(row);
        let value = &refused.iter().find(|(r, _)| *r == code).expect("refused").1;
        return Err(ScoreError::InvalidValue {
            column: q.id.clone(),
            row: row + 1,
            message: format!(
                "'{value}' is not a choice of question {} (list '{}')",
                q.id,
                q.choices.as_deref().unwrap_or("")
            ),
        });
    }
    Ok(Scores::Coded {
        codes: text.codes(),
        score,
    })
}
