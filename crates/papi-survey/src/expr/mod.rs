//! XLSForm expressions (`relevant`, `constraint`, `calculation`, `choice_filter`): the part of XPath
//! 1.0 and of ODK's functions that survey forms use.
//!
//! Parsing turns the text into a tree whose references are already resolved to question positions, so
//! evaluating a rule for each of a million interviews does no string look-ups. The web form evaluates
//! the same functions the same way (`web/expr.js`).
//!
//! This file holds the tree, the table of functions, values and how answers are looked up;
//! `parse.rs` turns text into a tree, and `eval.rs` holds what the functions and operators compute.

use chrono::{NaiveDate, NaiveDateTime};

mod eval;
mod parse;

use eval::{binary, call};
pub use parse::{parse, parse_choice_filter, ParseError};

/// A parsed expression. References hold the position of the question in the definition.
#[derive(Debug, Clone)]
pub enum Expr {
    Number(f64),
    Text(String),
    Bool(bool),
    /// The answer of the question at this position.
    Answer(usize),
    /// `.`: the answer being checked by a constraint.
    Current,
    /// A column of the choice being filtered (`choice_filter`'s bare names).
    Column(String),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
    /// `regex(text, 'pattern')` with its pattern compiled once.
    Regex(Box<Expr>, Box<regex::Regex>),
    /// `jr:choice-name(value, '${question}')`: the label of a choice of that question.
    ChoiceName(Box<Expr>, usize),
    /// `..`: the repetition being checked (only as `position(..)`).
    Parent,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

/// The functions papi evaluates, by their XPath name and number of arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Selected,
    SelectedAt,
    CountSelected,
    StringLength,
    Not,
    True,
    False,
    If,
    Coalesce,
    Concat,
    Contains,
    StartsWith,
    EndsWith,
    Substr,
    NormalizeSpace,
    Int,
    Round,
    Number,
    String,
    Boolean,
    BooleanFromString,
    Abs,
    Floor,
    Ceiling,
    Pow,
    Sqrt,
    Min,
    Max,
    Sum,
    Count,
    Today,
    Now,
    Date,
    /// Values only the device knows; papi keeps the one the device computed.
    Once,
    Uuid,
    Random,
    Position,
    IndexedRepeat,
    DecimalDateTime,
    Area,
    Distance,
    FormatDate,
}

/// (name, function, least and most arguments; `usize::MAX` for any number).
const FUNCTIONS: [(&str, Function, usize, usize); 42] = [
    ("selected", Function::Selected, 2, 2),
    ("selected-at", Function::SelectedAt, 2, 2),
    ("count-selected", Function::CountSelected, 1, 1),
    ("string-length", Function::StringLength, 1, 1),
    ("not", Function::Not, 1, 1),
    ("true", Function::True, 0, 0),
    ("false", Function::False, 0, 0),
    ("if", Function::If, 3, 3),
    ("coalesce", Function::Coalesce, 2, 2),
    ("concat", Function::Concat, 1, usize::MAX),
    ("contains", Function::Contains, 2, 2),
    ("starts-with", Function::StartsWith, 2, 2),
    ("ends-with", Function::EndsWith, 2, 2),
    ("substr", Function::Substr, 2, 3),
    ("normalize-space", Function::NormalizeSpace, 1, 1),
    ("int", Function::Int, 1, 1),
    ("round", Function::Round, 1, 2),
    ("number", Function::Number, 1, 1),
    ("string", Function::String, 1, 1),
    ("boolean", Function::Boolean, 1, 1),
    ("boolean-from-string", Function::BooleanFromString, 1, 1),
    ("abs", Function::Abs, 1, 1),
    ("floor", Function::Floor, 1, 1),
    ("ceiling", Function::Ceiling, 1, 1),
    ("pow", Function::Pow, 2, 2),
    ("sqrt", Function::Sqrt, 1, 1),
    ("min", Function::Min, 1, usize::MAX),
    ("max", Function::Max, 1, usize::MAX),
    ("sum", Function::Sum, 1, 1),
    ("count", Function::Count, 1, 1),
    ("today", Function::Today, 0, 0),
    ("now", Function::Now, 0, 0),
    ("date", Function::Date, 1, 1),
    ("once", Function::Once, 1, 1),
    ("uuid", Function::Uuid, 0, 1),
    ("random", Function::Random, 0, 0),
    ("position", Function::Position, 1, 1),
    ("indexed-repeat", Function::IndexedRepeat, 3, 3),
    ("decimal-date-time", Function::DecimalDateTime, 1, 1),
    ("area", Function::Area, 1, 1),
    ("distance", Function::Distance, 1, 1),
    ("format-date", Function::FormatDate, 2, 2),
];

/// The names of the functions papi evaluates, for messages and for the web form's agreement test.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS
        .iter()
        .map(|(n, ..)| *n)
        .chain(["regex", "jr:choice-name"])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A value during evaluation. An unanswered question is the empty text, as in XLSForm.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Text(s) => !s.is_empty(),
        }
    }

    pub fn number(&self) -> f64 {
        match self {
            Value::Number(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Text(s) => text_number(s),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(n) => format_number(*n),
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// A text as XPath reads it as a number; a date or a date and time (as ODK stores them) counts days
/// since 1970-01-01, so that `today() - ${born}` is a number of days.
fn text_number(s: &str) -> f64 {
    let s = s.trim();
    if let Ok(x) = s.parse::<f64>() {
        return x;
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return (d - epoch).num_days() as f64;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return (t.naive_utc() - epoch.and_hms_opt(0, 0, 0).expect("midnight")).num_milliseconds()
            as f64
            / 86_400_000.0;
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return (t - epoch.and_hms_opt(0, 0, 0).expect("midnight")).num_milliseconds() as f64
            / 86_400_000.0;
    }
    f64::NAN
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Where an expression finds the answers it refers to.
pub trait Answers {
    /// The answer of the question at `position`, or `Value::Text("")` when there is none.
    fn answer(&self, position: usize) -> Value;
    /// Every repetition's answer to a question inside a repeat (a repeat itself: one value per
    /// repetition), for `count()`, `sum()`, `min()` and `max()`.
    fn repeated(&self, _position: usize) -> Vec<Value> {
        Vec::new()
    }
    /// A column of the choice a `choice_filter` is deciding on.
    fn column(&self, _name: &str) -> Value {
        Value::Text(String::new())
    }
    /// The label of choice `value` of the question at `position`.
    fn choice_label(&self, _position: usize, _value: &str) -> Value {
        Value::Text(String::new())
    }
    /// The 1-based number of the repetition being checked; 0 outside a repeat.
    fn repetition(&self) -> usize {
        0
    }
}

impl Expr {
    /// Evaluates the expression; `current` is the value of `.`.
    pub fn eval(&self, answers: &dyn Answers, current: &Value) -> Value {
        match self {
            Expr::Number(n) => Value::Number(*n),
            Expr::Text(s) => Value::Text(s.clone()),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Answer(i) => answers.answer(*i),
            Expr::Current => current.clone(),
            Expr::Column(name) => answers.column(name),
            Expr::Negate(e) => Value::Number(-e.eval(answers, current).number()),
            Expr::Not(e) => Value::Bool(!e.eval(answers, current).truthy()),
            Expr::Binary(op, l, r) => {
                let l = l.eval(answers, current);
                // `and` and `or` short-circuit, as in XPath.
                match op {
                    BinaryOp::And if !l.truthy() => return Value::Bool(false),
                    BinaryOp::Or if l.truthy() => return Value::Bool(true),
                    _ => {}
                }
                let r = r.eval(answers, current);
                binary(*op, &l, &r)
            }
            Expr::Regex(e, re) => Value::Bool(re.is_match(&e.eval(answers, current).text())),
            Expr::ChoiceName(e, q) => {
                answers.choice_label(*q, e.eval(answers, current).text().trim())
            }
            Expr::Parent => Value::Text(String::new()),
            Expr::Call(f, args) => call(*f, args, answers, current),
        }
    }

    fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Negate(e) | Expr::Not(e) | Expr::Regex(e, _) | Expr::ChoiceName(e, _) => vec![e],
            Expr::Binary(_, l, r) => vec![l, r],
            Expr::Call(_, args) => args.iter().collect(),
            Expr::Number(_)
            | Expr::Text(_)
            | Expr::Bool(_)
            | Expr::Current
            | Expr::Answer(_)
            | Expr::Column(_)
            | Expr::Parent => Vec::new(),
        }
    }

    /// The question positions the expression reads.
    pub fn references(&self, out: &mut Vec<usize>) {
        if let Expr::Answer(i) = self {
            out.push(*i);
        }
        for c in self.children() {
            c.references(out);
        }
    }

    pub fn uses_current(&self) -> bool {
        matches!(self, Expr::Current) || self.children().iter().any(|c| c.uses_current())
    }

    /// Whether the value depends on the device (`once()`, `uuid()`, `random()`): the server cannot
    /// compute it again and keeps what the device sent.
    pub fn uses_device_values(&self) -> bool {
        matches!(
            self,
            Expr::Call(Function::Once | Function::Uuid | Function::Random, _)
        ) || self.children().iter().any(|c| c.uses_device_values())
    }
}
