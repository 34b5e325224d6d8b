//! Quality signals a supervisor looks at, computed from one interview alone so they can be stored when
//! it arrives: how long it took, whether a rating scale was answered the same way throughout
//! (straight-lining), and a hash of the answers alone, which finds the same answer set sent under
//! different interview ids.

use sha2::{Digest, Sha256};

use crate::interview::{Answer, Interview};
use crate::model::{QuestionType, Survey};

/// A choice list is a rating scale worth checking when it has at least this many choices…
const SCALE_MIN_CHOICES: usize = 3;
/// …and the interview answered at least this many questions with it.
const STRAIGHTLINE_MIN_ANSWERS: usize = 5;

/// SHA-256 of the answers alone: not the id, the place, the times or who sent it.
pub fn answers_hash(survey: &Survey, iv: &Interview) -> String {
    let json = iv.answers_json(survey);
    hex::encode(Sha256::digest(json.to_string().as_bytes()))
}

/// Seconds from start to finish, when the device recorded both (and finish is not before start).
pub fn duration_seconds(iv: &Interview) -> Option<f64> {
    let (start, finish) = (iv.started_at?, iv.finished_at?);
    let seconds = (finish - start).num_milliseconds() as f64 / 1000.0;
    (seconds >= 0.0).then_some(seconds)
}

/// The first rating scale (a choice list of three or more choices) that the interview answered at
/// least five times, always with the same choice: "list (n answers: value)". None when there is none.
pub fn straightlining(survey: &Survey, iv: &Interview) -> Option<String> {
    // Per list, in the order lists first appear: (answers seen, the one value, all equal so far).
    let mut seen: Vec<(&str, usize, &str, bool)> = Vec::new();
    for (q, a) in survey.questions.iter().zip(&iv.answers) {
        let (Some(list), Some(Answer::Choice(value))) = (q.choices.as_deref(), a) else {
            continue;
        };
        if q.kind != QuestionType::SelectOne
            || survey.choice_lists.get(list).map_or(0, Vec::len) < SCALE_MIN_CHOICES
        {
            continue;
        }
        match seen.iter_mut().find(|(l, ..)| *l == list) {
            Some(entry) => {
                entry.1 += 1;
                entry.3 &= entry.2 == value;
            }
            None => seen.push((list, 1, value, true)),
        }
    }
    seen.into_iter()
        .find(|&(_, n, _, same)| same && n >= STRAIGHTLINE_MIN_ANSWERS)
        .map(|(list, n, value, _)| format!("{list} ({n}× {value})"))
}
