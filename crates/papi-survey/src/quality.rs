//! Quality signals a supervisor looks at, computed from one interview alone so they can be stored when
//! it arrives: how long it took, whether a rating scale was answered the same way throughout
//! (straight-lining), and a hash of the answers alone, which finds the same answer set sent under
//! different interview ids.

use sha2::{Digest, Sha256};

use crate::interview::{Answer, Interview};
use crate::model::{QuestionType, Scoring, Survey};

/// A choice list is a rating scale when indicators score at least this many of its choices…
const SCALE_MIN_CHOICES: usize = 3;
/// …and an interview is straight-lined when it gave at least this many rating-scale answers, all at
/// the same place on their scales (the first choice everywhere, say). Fewer would flag honest
/// respondents: five "fair"s on one five-question scale are common.
const STRAIGHTLINE_MIN_ANSWERS: usize = 8;

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

/// Rating scales answered the same way throughout: how many rating-scale answers the interview gave,
/// all at the same place on their scales, and the scale answered most with its choice, which tells
/// the place. Stored as `list (n× value)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Straightlining {
    pub list: String,
    pub answers: usize,
    pub value: String,
}

impl std::fmt::Display for Straightlining {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}× {})", self.list, self.answers, self.value)
    }
}

impl Straightlining {
    /// Reads the stored form back; None for text not in it.
    pub fn parse(stored: &str) -> Option<Straightlining> {
        let (list, rest) = stored.split_once(" (")?;
        let (answers, value) = rest.strip_suffix(')')?.split_once("× ")?;
        Some(Straightlining {
            list: list.to_owned(),
            answers: answers.parse().ok()?,
            value: value.to_owned(),
        })
    }

    /// The place on the scale every answer took: 0 for each scale's first substantive choice.
    pub fn position(&self, survey: &Survey) -> Option<usize> {
        rating_scale(survey, &self.list)?
            .iter()
            .position(|v| *v == self.value)
    }
}

/// A choice list's rating scale: the choices indicators score, in the list's order, when they are
/// three or more. "Don't know" and other answers no indicator scores carry no opinion, so a
/// yes/no/don't-know list is no scale; a list no indicator scores (an ethnic group, an occupation) is
/// no scale either.
pub fn rating_scale<'s>(survey: &'s Survey, list: &str) -> Option<Vec<&'s str>> {
    let mut scored: Vec<&str> = Vec::new();
    for ind in &survey.indicators {
        if survey.questions[ind.question].choices.as_deref() != Some(list) {
            continue;
        }
        if let Scoring::Values(values) = &ind.scoring {
            scored.extend(values.iter().map(|(v, _)| v.as_str()));
        }
    }
    let scale: Vec<&str> = survey
        .choice_lists
        .get(list)?
        .iter()
        .map(|c| c.value.as_str())
        .filter(|v| scored.contains(v))
        .collect();
    (scale.len() >= SCALE_MIN_CHOICES).then_some(scale)
}

/// Whether the interview gave at least eight rating-scale answers (select_one questions on a
/// [`rating_scale`]), all at the same place on their scales. None when not.
pub fn straightlining(survey: &Survey, iv: &Interview) -> Option<Straightlining> {
    // Per list, in the order lists first appear: its scale, how many answers it got and the last.
    let mut lists: Vec<(&str, Option<Vec<&str>>, usize, &str)> = Vec::new();
    let mut place: Option<usize> = None;
    for (q, a) in survey.questions.iter().zip(&iv.answers) {
        let (Some(list), Some(Answer::Choice(value))) = (q.choices.as_deref(), a) else {
            continue;
        };
        if q.kind != QuestionType::SelectOne {
            continue;
        }
        let i = match lists.iter().position(|(l, ..)| *l == list) {
            Some(i) => i,
            None => {
                lists.push((list, rating_scale(survey, list), 0, ""));
                lists.len() - 1
            }
        };
        let entry = &mut lists[i];
        let Some(position) = entry
            .1
            .as_ref()
            .and_then(|s| s.iter().position(|c| c == value))
        else {
            continue;
        };
        if *place.get_or_insert(position) != position {
            return None;
        }
        entry.2 += 1;
        entry.3 = value;
    }
    let answers: usize = lists.iter().map(|l| l.2).sum();
    // Named by the scale answered most, whose words best say what was given throughout.
    let (list, _, _, value) = lists.into_iter().max_by_key(|l| l.2)?;
    (answers >= STRAIGHTLINE_MIN_ANSWERS).then(|| Straightlining {
        list: list.to_owned(),
        answers,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interview::Answers;

    fn papi() -> Survey {
        let text = include_str!("../../../survey-defs/papi-2019.toml");
        Survey::from_toml(text, "papi-2019.toml").unwrap()
    }

    /// An interview of `survey` with `value` given to the first `n` questions of choice list `list`.
    fn answering(survey: &Survey, list: &str, values: &[&str]) -> Interview {
        let mut answers: Answers = vec![None; survey.questions.len()];
        let mut next = values.iter();
        for (q, a) in survey.questions.iter().zip(answers.iter_mut()) {
            if q.kind == QuestionType::SelectOne && q.choices.as_deref() == Some(list) {
                match next.next() {
                    Some(v) => *a = Some(Answer::Choice((*v).to_owned())),
                    None => break,
                }
            }
        }
        Interview::bare(survey, answers)
    }

    /// An interview answering the first `n` rating-scale questions at `position` on their scales, the
    /// `odd`-th of them (if any) one place further.
    fn rated(survey: &Survey, n: usize, position: usize, odd: Option<usize>) -> Interview {
        let mut answers: Answers = vec![None; survey.questions.len()];
        let mut given = 0;
        for (q, a) in survey.questions.iter().zip(answers.iter_mut()) {
            let Some(scale) = q.choices.as_deref().and_then(|l| rating_scale(survey, l)) else {
                continue;
            };
            if q.kind != QuestionType::SelectOne || given == n {
                continue;
            }
            let at = if odd == Some(given) {
                position + 1
            } else {
                position
            };
            *a = Some(Answer::Choice(scale[at].to_owned()));
            given += 1;
        }
        assert_eq!(given, n, "the definition has {n} rating-scale questions");
        Interview::bare(survey, answers)
    }

    #[test]
    fn only_scales_of_three_scored_choices_are_checked() {
        let survey = papi();
        // "Don't know" is scored by no indicator: yes/no/don't know has two opinions, not a scale.
        assert_eq!(rating_scale(&survey, "yes_no_dk"), None);
        assert_eq!(
            rating_scale(&survey, "quality"),
            Some(vec!["good", "fair", "poor"])
        );
        // A list no indicator scores is not a scale, however long.
        assert_eq!(rating_scale(&survey, "ethnicity"), None);
        assert_eq!(
            straightlining(&survey, &answering(&survey, "yes_no_dk", &["yes"; 40])),
            None
        );
        // Eight rating-scale answers at one place on their scales are flagged, across lists.
        let flagged = straightlining(&survey, &rated(&survey, 12, 0, None)).unwrap();
        assert_eq!(flagged.answers, 12);
        assert_eq!(flagged.position(&survey), Some(0));
        assert_eq!(Straightlining::parse(&flagged.to_string()), Some(flagged));
        assert!(straightlining(&survey, &rated(&survey, 8, 1, None)).is_some());
        // Seven are too few (five "fair"s on one scale are an honest respondent's too), and one
        // answer elsewhere on its scale clears the interview.
        assert_eq!(straightlining(&survey, &rated(&survey, 7, 0, None)), None);
        assert_eq!(
            straightlining(&survey, &rated(&survey, 12, 0, Some(9))),
            None
        );
        // "Don't know" is no place on a scale.
        assert_eq!(
            straightlining(&survey, &answering(&survey, "quality", &["dk"; 8])),
            None
        );
        assert_eq!(Straightlining::parse("not stored by papi"), None);
    }
}
