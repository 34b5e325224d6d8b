//! The definition's rules applied to typed answers, in question order: choices and choice filters,
//! required answers, skip logic, constraints, the repetitions of a repeat (each checked as a small
//! interview), and calculations, whose values are the server's whatever the client sent.

use super::{shown, Answer, Answers, Repetition};
use crate::error::FieldError;
use crate::expr::{self, Value};
use crate::model::{Choice, QuestionType, Survey};

/// What an expression sees: the answers so far, and the choice a filter is deciding on.
struct Slots<'a> {
    survey: &'a Survey,
    answers: &'a [Option<Answer>],
    choice: Option<&'a Choice>,
    /// The repetition being checked, 1-based; 0 outside a repeat.
    repetition: usize,
}

impl<'a> Slots<'a> {
    fn new(survey: &'a Survey, answers: &'a [Option<Answer>]) -> Slots<'a> {
        Slots {
            survey,
            answers,
            choice: None,
            repetition: 0,
        }
    }
}

impl expr::Answers for Slots<'_> {
    fn answer(&self, position: usize) -> Value {
        self.answers
            .get(position)
            .and_then(Option::as_ref)
            .map(Answer::value)
            .unwrap_or(Value::Text(String::new()))
    }

    fn repeated(&self, position: usize) -> Vec<Value> {
        let q = &self.survey.questions[position];
        let repeat = if q.kind == QuestionType::Repeat {
            Some(position)
        } else {
            q.repeat
        };
        let Some(Some(Answer::Repeat(reps))) = repeat.and_then(|r| self.answers.get(r)) else {
            return Vec::new();
        };
        if q.kind == QuestionType::Repeat {
            return reps.iter().map(|_| Value::Number(1.0)).collect();
        }
        reps.iter()
            .filter_map(|r| r.iter().find(|(k, _)| *k == q.id).map(|(_, a)| a.value()))
            .collect()
    }

    fn choice_label(&self, position: usize, value: &str) -> Value {
        let q = &self.survey.questions[position];
        Value::Text(
            self.survey
                .choices_of(q)
                .iter()
                .find(|c| c.value == value)
                .map(|c| c.label.get(self.survey.default_language()).to_owned())
                .unwrap_or_default(),
        )
    }

    fn repetition(&self) -> usize {
        self.repetition
    }

    fn column(&self, name: &str) -> Value {
        let Some(choice) = self.choice else {
            return Value::Text(String::new());
        };
        match name {
            "name" => Value::Text(choice.value.clone()),
            "label" => Value::Text(choice.label.get(self.survey.default_language()).to_owned()),
            other => Value::Text(choice.columns.get(other).cloned().unwrap_or_default()),
        }
    }
}

impl Survey {
    /// Checks typed answers against choices, required, relevance and constraints, in question order,
    /// and puts the server's value of every calculation in its slot.
    pub fn check_rules(&self, answers: &mut Answers) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // What later skip logic sees: answers of hidden or broken questions count as unanswered.
        let mut visible: Answers = vec![None; self.questions.len()];
        for i in 0..self.questions.len() {
            let q = &self.questions[i];
            if q.repeat.is_some() {
                continue;
            }
            let given = answers.get_mut(i).and_then(Option::take);
            let shown_as = q.id.clone();
            let kept = match given {
                Some(Answer::Repeat(reps)) if self.is_relevant(i, &visible) => {
                    let reps = self.check_repetitions(i, reps, &visible, &mut errors);
                    Some(Answer::Repeat(reps))
                }
                given => self.check_one(i, given, &visible, &shown_as, 0, &mut errors),
            };
            if let Some(a) = &kept {
                visible[i] = Some(a.clone());
            }
            if let Some(slot) = answers.get_mut(i) {
                *slot = kept;
            }
        }
        errors
    }

    /// Checks each repetition of the repeat at `position` as its own small interview, its questions
    /// seeing the answers before the repeat and the earlier answers of the same repetition.
    fn check_repetitions(
        &self,
        position: usize,
        reps: Vec<Repetition>,
        visible: &Answers,
        errors: &mut Vec<FieldError>,
    ) -> Vec<Repetition> {
        let q = &self.questions[position];
        if let Some(count) = &q.repeat_count {
            let want = count
                .eval(&Slots::new(self, visible), &Value::Text(String::new()))
                .number();
            if want.is_finite() && want != reps.len() as f64 {
                errors.push(FieldError::answer(
                    &q.id,
                    "answer.repeat_count",
                    format!(
                        "Nhóm lặp {} cần {want} lần lặp, nhận được {}.",
                        q.id,
                        reps.len()
                    ),
                    format!(
                        "Repeat {} needs {want} repetitions, got {}.",
                        q.id,
                        reps.len()
                    ),
                ));
            }
        }
        let children: Vec<usize> = self.repeat_children(position).collect();
        let mut out = Vec::with_capacity(reps.len());
        for (n, rep) in reps.into_iter().enumerate() {
            let mut scope = visible.clone();
            let mut given: Answers = vec![None; self.questions.len()];
            for (k, a) in rep {
                if let Some(p) = self.question_position(&k) {
                    given[p] = Some(a);
                }
            }
            let mut kept: Repetition = Vec::new();
            for &j in &children {
                let field = format!("{}[{}].{}", q.id, n + 1, self.questions[j].id);
                let a = self.check_one(j, given[j].take(), &scope, &field, n + 1, errors);
                if let Some(a) = a {
                    scope[j] = Some(a.clone());
                    kept.push((self.questions[j].id.clone(), a));
                }
            }
            out.push(kept);
        }
        out
    }

    /// Checks one answer given what is visible before it; returns what later questions see (and what
    /// is kept: a calculation's value, or nothing for a hidden calculation). `field` names the answer
    /// in errors (`q` or `repeat[2].q`).
    fn check_one(
        &self,
        i: usize,
        answer: Option<Answer>,
        visible: &Answers,
        field: &str,
        repetition: usize,
        errors: &mut Vec<FieldError>,
    ) -> Option<Answer> {
        let q = &self.questions[i];
        let slots = || Slots {
            repetition,
            ..Slots::new(self, visible)
        };
        let blank = Value::Text(String::new());
        let relevant = q
            .relevant
            .as_ref()
            .is_none_or(|e| e.eval(&slots(), &blank).truthy());
        let id = &q.id;
        let at = |e: FieldError| FieldError {
            field: format!("answers.{field}"),
            ..e
        };
        if q.kind == QuestionType::Calculate {
            if !relevant {
                return None;
            }
            let calc = q.calculation.as_ref()?;
            if calc.uses_device_values() {
                return answer;
            }
            return match calc.eval(&slots(), &blank) {
                Value::Number(x) if x.is_finite() => Some(Answer::Decimal(x)),
                Value::Number(_) => None,
                Value::Bool(b) => Some(Answer::Text(b.to_string())),
                Value::Text(t) if t.is_empty() => None,
                Value::Text(t) => Some(Answer::Text(t)),
            };
        }
        match (&answer, relevant) {
            (Some(_), false) => {
                errors.push(at(FieldError::answer(
                    id,
                    "answer.not_relevant",
                    format!(
                        "Câu {id} bị ẩn theo điều kiện \"{}\" nên không được có câu trả lời.",
                        q.relevant_source.as_deref().unwrap_or("")
                    ),
                    format!(
                        "Question {id} is hidden by its skip logic \"{}\" and must have no answer.",
                        q.relevant_source.as_deref().unwrap_or("")
                    ),
                )));
                return None;
            }
            (None, true)
                if q.required
                    || q.required_if
                        .as_ref()
                        .is_some_and(|e| e.eval(&slots(), &blank).truthy()) =>
            {
                let (vi, en) = match &q.required_message {
                    Some(m) => (m.get("vi").to_owned(), m.get("en").to_owned()),
                    None => (String::new(), String::new()),
                };
                errors.push(at(FieldError::answer(
                    id,
                    "answer.required",
                    format!("Câu {id} là bắt buộc. {vi}").trim_end().to_owned(),
                    format!("Question {id} is required. {en}")
                        .trim_end()
                        .to_owned(),
                )));
                return None;
            }
            (None, _) => return None,
            (Some(_), true) => {}
        }
        let answer = answer.expect("matched Some above");
        let before = errors.len();
        let choices = self.choices_of(q);
        let offered = |v: &str| -> Option<&Choice> {
            let choice = choices.iter().find(|c| c.value == v)?;
            match &q.choice_filter {
                None => Some(choice),
                Some(filter) => {
                    let with_choice = Slots {
                        choice: Some(choice),
                        ..slots()
                    };
                    filter.eval(&with_choice, &blank).truthy().then_some(choice)
                }
            }
        };
        let not_a_choice = |v: &str| {
            let filtered = q.choice_filter.is_some() && choices.iter().any(|c| c.value == v);
            let (vi_more, en_more) = if filtered {
                (
                    format!(
                        " (bị lọc bởi \"{}\")",
                        q.choice_filter_source.as_deref().unwrap_or("")
                    ),
                    format!(
                        " (its choice filter \"{}\" leaves it out, given the answers before)",
                        q.choice_filter_source.as_deref().unwrap_or("")
                    ),
                )
            } else {
                (String::new(), String::new())
            };
            at(FieldError::answer(
                id,
                "answer.not_a_choice",
                format!(
                    "'{}' không phải là lựa chọn của câu {id}{vi_more}.",
                    shown(v)
                ),
                format!(
                    "'{}' is not a choice of question {id} (list '{}'){en_more}.",
                    shown(v),
                    q.choices.as_deref().unwrap_or("")
                ),
            ))
        };
        match &answer {
            Answer::Choice(v) if offered(v).is_none() => errors.push(not_a_choice(v)),
            Answer::Choices(vs) => {
                for (k, v) in vs.iter().enumerate() {
                    if offered(v).is_none() {
                        errors.push(not_a_choice(v));
                    } else if vs[..k].contains(v) {
                        errors.push(at(FieldError::answer(
                            id,
                            "answer.duplicate_choice",
                            format!("'{v}' được chọn hai lần ở câu {id}."),
                            format!("'{v}' is selected twice in question {id}."),
                        )));
                    }
                }
                if q.required && vs.is_empty() {
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.required",
                        format!("Câu {id} là bắt buộc: chọn ít nhất một."),
                        format!("Question {id} is required: select at least one."),
                    )));
                }
            }
            Answer::Decimal(x) if q.kind == QuestionType::Range => {
                let (start, end, step) = q.range_scale();
                let (lo, hi) = (start.min(end), start.max(end));
                let steps = (x - start) / step;
                if *x < lo || *x > hi || (steps - steps.round()).abs() > 1e-9 {
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.out_of_range",
                        format!("{x} không nằm trên thang của câu {id} (từ {start} đến {end}, bước {step})."),
                        format!("{x} is not on the scale of question {id} (from {start} to {end}, step {step})."),
                    )));
                }
            }
            _ => {}
        }
        if errors.len() == before {
            if let Some(rule) = &q.constraint {
                if !rule.eval(&slots(), &answer.value()).truthy() {
                    let src = q.constraint_source.as_deref().unwrap_or("");
                    let (vi, en) = match &q.constraint_message {
                        Some(m) => (m.get("vi").to_owned(), m.get("en").to_owned()),
                        None => (String::new(), String::new()),
                    };
                    errors.push(at(FieldError::answer(
                        id,
                        "answer.constraint",
                        format!(
                            "Câu trả lời '{}' của câu {id} không thỏa điều kiện \"{src}\". {vi}",
                            shown(&answer.to_cell())
                        )
                        .trim_end()
                        .to_owned(),
                        format!(
                            "Answer '{}' to question {id} breaks the constraint \"{src}\". {en}",
                            shown(&answer.to_cell())
                        )
                        .trim_end()
                        .to_owned(),
                    )));
                }
            }
        }
        (errors.len() == before).then_some(answer)
    }

    /// Whether question `position` is shown, given the answers to the questions before it.
    pub fn is_relevant(&self, position: usize, answers: &[Option<Answer>]) -> bool {
        self.questions[position].relevant.as_ref().is_none_or(|e| {
            e.eval(&Slots::new(self, answers), &Value::Text(String::new()))
                .truthy()
        })
    }

    /// Whether an answer satisfies its question's constraint (true when it has none).
    pub fn satisfies_constraint(
        &self,
        position: usize,
        answers: &[Option<Answer>],
        answer: &Answer,
    ) -> bool {
        self.questions[position]
            .constraint
            .as_ref()
            .is_none_or(|e| e.eval(&Slots::new(self, answers), &answer.value()).truthy())
    }
}
