//! The questions of a definition, checked in order (skip logic may look only backwards): types and
//! their settings, choice lists, groups and repeats, expressions parsed and resolved, `${name}` in
//! texts, ranges and defaults.

use std::collections::{BTreeMap, HashMap, HashSet};

use toml::Spanned;

use super::{valid_id, Checker, RawQuestion};
use crate::expr::{self, Expr};
use crate::model::*;
use crate::text::{nfc, Label};

/// The questions of a definition, checked in order, and their positions by id.
pub(super) fn questions(
    c: &mut Checker,
    raw: Vec<Spanned<RawQuestion>>,
    design: &Design,
    choice_lists: &BTreeMap<String, Vec<Choice>>,
    languages: &[String],
) -> (Vec<Question>, HashMap<String, usize>) {
    let all_ids: HashSet<String> = raw.iter().map(|q| q.get_ref().id.clone()).collect();
    let mut questions: Vec<Question> = Vec::new();
    let mut question_index: HashMap<String, usize> = HashMap::new();
    for q in raw {
        let at = q.span().start;
        let q = q.into_inner();
        let position = questions.len();
        if !valid_id(&q.id) {
            c.report(
                at,
                &q.id,
                "question.invalid_id",
                format!("question id '{}' must match [a-z][a-z0-9_]*", q.id),
            );
        }
        if question_index.contains_key(&q.id) {
            c.report(
                at,
                &q.id,
                "question.duplicate_id",
                format!("question id '{}' is used twice", q.id),
            );
        }
        if design.location.contains(&q.id)
            || design.weight.as_deref() == Some(q.id.as_str())
            || q.id == "id"
        {
            c.report(
                at,
                &q.id,
                "question.reserved_id",
                format!("question id '{}' is a design column or 'id'", q.id),
            );
        }
        let kind = match QuestionType::parse(&q.kind) {
            Some(k) => k,
            None => {
                c.report(
                    at,
                    &q.id,
                    "question.unknown_type",
                    format!(
                        "type '{}' is not one of {}",
                        q.kind,
                        QuestionType::names().collect::<Vec<_>>().join(", ")
                    ),
                );
                QuestionType::Text
            }
        };
        match (&q.choices, kind.is_select()) {
            (None, true) => c.report(
                at,
                &q.id,
                "question.missing_choices",
                format!("a {} question needs a choice list", q.kind),
            ),
            (Some(list), true) if !choice_lists.contains_key(list) => c.report(
                at,
                &q.id,
                "question.unknown_choices",
                format!("choice list '{list}' does not exist"),
            ),
            (Some(_), false) => c.report(
                at,
                &q.id,
                "question.unexpected_choices",
                format!("a {} question takes no choice list", q.kind),
            ),
            _ => {}
        }
        // Which settings belong to which types.
        let only = |c: &mut Checker, given: bool, allowed: bool, setting: &str, types: &str| {
            if given && !allowed {
                c.report(
                    at,
                    &q.id,
                    "question.setting_not_for_type",
                    format!("{setting} applies to {types} questions, not to {}", q.kind),
                );
            }
        };
        only(
            c,
            q.calculation.is_some(),
            kind == QuestionType::Calculate,
            "calculation",
            "calculate",
        );
        only(
            c,
            q.choice_filter.is_some(),
            kind.is_select(),
            "choice_filter",
            "select_one and select_multiple",
        );
        only(
            c,
            q.repeat_count.is_some(),
            kind == QuestionType::Repeat,
            "repeat_count",
            "repeat",
        );
        if kind == QuestionType::Calculate && q.calculation.is_none() {
            c.report(
                at,
                &q.id,
                "question.missing_calculation",
                format!("calculate question '{}' needs a calculation", q.id),
            );
        }
        if kind == QuestionType::Note && q.required {
            c.report(
                at,
                &q.id,
                "question.required_note",
                format!("note '{}' takes no answer, so it cannot be required", q.id),
            );
        }

        // The repeat a question belongs to: an earlier repeat, with nothing else in between.
        let repeat = q.repeat.as_ref().and_then(|r| {
            let found = question_index.get(r).copied();
            match found {
                Some(p) if questions[p].kind == QuestionType::Repeat => {
                    let contiguous = questions[p + 1..].iter().all(|x| x.repeat == Some(p));
                    if !contiguous {
                        c.report(at, &q.id, "question.repeat_not_contiguous", format!(
                            "question '{}' is in repeat '{r}', but questions outside it come between: a repeat's questions follow it"
                            , q.id));
                    }
                    Some(p)
                }
                _ => {
                    c.report(
                        at,
                        &q.id,
                        "question.unknown_repeat",
                        format!("repeat '{r}' is not an earlier question of type repeat"),
                    );
                    None
                }
            }
        });
        if kind == QuestionType::Repeat && repeat.is_some() {
            c.report(
                at,
                &q.id,
                "question.nested_repeat",
                format!(
                    "repeat '{}' is inside another repeat: papi keeps one level of repeats",
                    q.id
                ),
            );
        }

        // A question may go by its hint alone, as in XLSForm.
        let labelled = !(kind == QuestionType::Calculate
            || kind == QuestionType::Repeat
            || kind.is_metadata()
            || (q.label.0.is_empty() && q.hint.is_some()));
        let mut label = q.label;
        label.normalise();
        if labelled || !label.0.is_empty() {
            c.label(
                at,
                &q.id,
                &format!("question '{}'", q.id),
                &label,
                languages,
            );
        }
        let mut texts = vec![label.clone()];
        let mut optional_label = |c: &mut Checker, what: &str, l: Option<Label>| {
            l.map(|mut h| {
                h.normalise();
                c.label(
                    at,
                    &q.id,
                    &format!("the {what} of question '{}'", q.id),
                    &h,
                    languages,
                );
                texts.push(h.clone());
                h
            })
        };
        let hint = optional_label(c, "hint", q.hint);
        let constraint_message = optional_label(c, "constraint message", q.constraint_message);
        let required_message = optional_label(c, "required message", q.required_message);
        let guidance_hint = optional_label(c, "guidance hint", q.guidance_hint);
        // `${name}` in a text is shown as that answer: the name must be a question.
        for text in &texts {
            for t in text.0.values() {
                for name in label_references(t) {
                    if !all_ids.contains(name) {
                        c.report(
                            at,
                            &q.id,
                            "label.unknown_reference",
                            format!(
                                "'${{{name}}}' in the text of question '{}' is not a question",
                                q.id
                            ),
                        );
                    }
                }
            }
        }

        let earlier = |name: &str| -> Result<usize, String> {
            match question_index.get(name) {
                Some(&i) => Ok(i),
                None if name == q.id => Err(format!(
                    "question '{name}' cannot refer to itself (use '.')"
                )),
                None => Err(format!("'{name}' is not an earlier question")),
            }
        };
        let expression = |c: &mut Checker,
                          column: &str,
                          code: &'static str,
                          src: &Option<String>| {
            let src = src.as_deref()?;
            let parsed = match column {
                "choice_filter" => {
                    let mut columns = vec!["name".to_owned(), "label".to_owned()];
                    if let Some(list) = q.choices.as_ref().and_then(|l| choice_lists.get(l)) {
                        for ch in list {
                            for k in ch.columns.keys() {
                                if !columns.contains(k) {
                                    columns.push(k.clone());
                                }
                            }
                        }
                    }
                    expr::parse_choice_filter(&nfc(src), &earlier, &columns)
                }
                _ => expr::parse(&nfc(src), &earlier),
            };
            let checked = parsed.map_err(|e| e.to_string()).and_then(|e| {
                if column != "constraint" && e.uses_current() {
                    return Err(format!("{column} cannot use '.', the question's own answer"));
                }
                if column != "calculation" && e.uses_device_values() {
                    return Err("once(), uuid() and random() give values only the device knows: use them in a calculation".to_owned());
                }
                repeat_references(&e, &questions, repeat, false)?;
                Ok(e)
            });
            match checked {
                Ok(e) => Some(e),
                Err(e) => {
                    // `required` given as an expression is kept as `required_if`.
                    let shown = if column == "required_if" {
                        "required"
                    } else {
                        column
                    };
                    c.report(at, &q.id, code, format!("{shown} \"{src}\": {e}"));
                    None
                }
            }
        };
        let relevant = expression(c, "relevant", "question.invalid_relevant", &q.relevant);
        let required_if = expression(
            c,
            "required_if",
            "question.invalid_required",
            &q.required_if,
        );
        let constraint = expression(
            c,
            "constraint",
            "question.invalid_constraint",
            &q.constraint,
        );
        let calculation = expression(
            c,
            "calculation",
            "question.invalid_calculation",
            &q.calculation,
        );
        let choice_filter = expression(
            c,
            "choice_filter",
            "question.invalid_choice_filter",
            &q.choice_filter,
        );
        let repeat_count = expression(
            c,
            "repeat_count",
            "question.invalid_repeat_count",
            &q.repeat_count,
        );

        let question = Question {
            id: q.id,
            kind,
            choices: q.choices,
            label,
            hint,
            group: q.group,
            repeat,
            required: q.required,
            required_if_source: q.required_if,
            required_if,
            required_message,
            relevant_source: q.relevant,
            relevant,
            constraint_source: q.constraint,
            constraint,
            constraint_message,
            calculation_source: q.calculation,
            calculation,
            choice_filter_source: q.choice_filter,
            choice_filter,
            repeat_count_source: q.repeat_count,
            repeat_count,
            default: q.default.map(|d| nfc(&d)),
            appearance: q.appearance,
            read_only: q.read_only,
            guidance_hint,
            parameters: q.parameters,
            image: q.image,
        };
        check_parameters(c, at, &question);
        check_default(c, at, &question, choice_lists);
        question_index
            .entry(question.id.clone())
            .or_insert(position);
        questions.push(question);
    }
    (questions, question_index)
}

/// The names of `${name}` in a text.
pub(crate) fn label_references(text: &str) -> impl Iterator<Item = &str> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.trim()))
}

/// An answer inside a repeat is read from the same repetition, or across all of them by `count()`,
/// `sum()`, `min()` or `max()`: anything else has no single value.
fn repeat_references(
    e: &Expr,
    questions: &[Question],
    repeat: Option<usize>,
    aggregated: bool,
) -> Result<(), String> {
    use crate::expr::Function as F;
    match e {
        Expr::Answer(p) => {
            let q = &questions[*p];
            let inside = q.repeat.or((q.kind == QuestionType::Repeat).then_some(*p));
            match inside {
                Some(r) if Some(r) != repeat && !aggregated && q.kind != QuestionType::Repeat => {
                    Err(format!(
                        "'{}' is inside repeat '{}': read it with count(), sum(), min() or max()",
                        q.id, questions[r].id
                    ))
                }
                _ => Ok(()),
            }
        }
        Expr::Call(F::Sum | F::Count | F::Min | F::Max, args) if args.len() == 1 => {
            repeat_references(&args[0], questions, repeat, true)
        }
        Expr::Call(_, args) => args
            .iter()
            .try_for_each(|a| repeat_references(a, questions, repeat, false)),
        Expr::Negate(x) | Expr::Not(x) | Expr::Regex(x, _) => {
            repeat_references(x, questions, repeat, false)
        }
        Expr::Binary(_, l, r) => {
            repeat_references(l, questions, repeat, false)?;
            repeat_references(r, questions, repeat, false)
        }
        _ => Ok(()),
    }
}

/// `parameters` of a range: start, end and step, numbers with start < end and step > 0.
fn check_parameters(c: &mut Checker, at: usize, q: &Question) {
    let Some(p) = &q.parameters else { return };
    if q.kind != QuestionType::Range {
        return;
    }
    for part in p.split_whitespace() {
        let ok = part.split_once('=').is_some_and(|(k, v)| {
            matches!(k.trim(), "start" | "end" | "step")
                && v.trim().parse::<f64>().is_ok_and(f64::is_finite)
        });
        if !ok {
            c.report(at, &q.id, "question.invalid_parameters", format!(
                "parameters '{p}' of range question '{}': each must be start=, end= or step= a number", q.id));
            return;
        }
    }
    let (start, end, step) = q.range_scale();
    if start == end || step <= 0.0 || step > (end - start).abs() {
        c.report(at, &q.id, "question.invalid_parameters", format!(
            "range question '{}': start {start} and end {end} must differ, and step {step} be above 0 and at most their distance", q.id));
    }
}

/// A `default` must be an answer the question could take.
fn check_default(
    c: &mut Checker,
    at: usize,
    q: &Question,
    choice_lists: &BTreeMap<String, Vec<Choice>>,
) {
    let Some(d) = &q.default else { return };
    let choices = q.choices.as_ref().and_then(|l| choice_lists.get(l));
    let is_choice = |v: &str| choices.is_some_and(|l| l.iter().any(|ch| ch.value == v));
    let ok = match q.kind.answer_kind() {
        AnswerKind::Choice => is_choice(d),
        AnswerKind::Choices => d.split_whitespace().all(is_choice),
        AnswerKind::Integer => d.trim().parse::<i64>().is_ok(),
        AnswerKind::Decimal => d.trim().parse::<f64>().is_ok_and(f64::is_finite),
        AnswerKind::Date => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").is_ok(),
        AnswerKind::Text => true,
        AnswerKind::Calculated | AnswerKind::Nothing | AnswerKind::Repeat => false,
    };
    if !ok {
        c.report(
            at,
            &q.id,
            "question.invalid_default",
            format!(
                "default '{d}' is not an answer {} question '{}' can take",
                q.kind.name(),
                q.id
            ),
        );
    }
}
