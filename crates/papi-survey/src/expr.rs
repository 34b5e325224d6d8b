//! XLSForm expressions (`relevant`, `constraint`, `calculation`, `choice_filter`): the part of XPath
//! 1.0 and of ODK's functions that survey forms use.
//!
//! Parsing turns the text into a tree whose references are already resolved to question positions, so
//! evaluating a rule for each of a million interviews does no string look-ups. The web form evaluates
//! the same functions the same way (`web/expr.js`).

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, Utc};

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

fn call(f: Function, args: &[Expr], answers: &dyn Answers, current: &Value) -> Value {
    let arg = |i: usize| args[i].eval(answers, current);
    // Aggregates read every repetition of the question they name.
    let many = |i: usize| -> Vec<Value> {
        match &args[i] {
            Expr::Answer(p) => answers.repeated(*p),
            other => vec![other.eval(answers, current)],
        }
    };
    use Function as F;
    match f {
        F::Selected => {
            let list = arg(0).text();
            let choice = arg(1).text();
            Value::Bool(list.split_whitespace().any(|c| c == choice.trim()))
        }
        F::SelectedAt => {
            let list = arg(0).text();
            let n = arg(1).number();
            let item = (n >= 0.0)
                .then(|| list.split_whitespace().nth(n as usize))
                .flatten();
            Value::Text(item.unwrap_or("").to_owned())
        }
        F::CountSelected => Value::Number(arg(0).text().split_whitespace().count() as f64),
        F::StringLength => Value::Number(arg(0).text().chars().count() as f64),
        F::Not => Value::Bool(!arg(0).truthy()),
        F::True => Value::Bool(true),
        F::False => Value::Bool(false),
        F::If => {
            if arg(0).truthy() {
                arg(1)
            } else {
                arg(2)
            }
        }
        F::Coalesce => {
            let a = arg(0);
            if a.text().is_empty() {
                arg(1)
            } else {
                a
            }
        }
        F::Concat => Value::Text((0..args.len()).map(|i| arg(i).text()).collect()),
        F::Contains => Value::Bool(arg(0).text().contains(&arg(1).text())),
        F::StartsWith => Value::Bool(arg(0).text().starts_with(&arg(1).text())),
        F::EndsWith => Value::Bool(arg(0).text().ends_with(&arg(1).text())),
        F::Substr => {
            // ODK's substr: zero-based start, end exclusive.
            let s: Vec<char> = arg(0).text().chars().collect();
            let start = (arg(1).number().max(0.0) as usize).min(s.len());
            let end = if args.len() > 2 {
                (arg(2).number().max(0.0) as usize).min(s.len())
            } else {
                s.len()
            };
            Value::Text(s[start..end.max(start)].iter().collect())
        }
        F::NormalizeSpace => Value::Text(
            arg(0)
                .text()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        F::Int => Value::Number(arg(0).number().trunc()),
        F::Round => {
            let x = arg(0).number();
            let digits = if args.len() > 1 { arg(1).number() } else { 0.0 };
            let scale = 10f64.powi(digits as i32);
            Value::Number((x * scale).round() / scale)
        }
        F::Number => Value::Number(arg(0).number()),
        F::String => Value::Text(arg(0).text()),
        F::Boolean => Value::Bool(arg(0).truthy()),
        F::BooleanFromString => Value::Bool(matches!(arg(0).text().trim(), "true" | "1")),
        F::Abs => Value::Number(arg(0).number().abs()),
        F::Floor => Value::Number(arg(0).number().floor()),
        F::Ceiling => Value::Number(arg(0).number().ceil()),
        F::Pow => Value::Number(arg(0).number().powf(arg(1).number())),
        F::Sqrt => Value::Number(arg(0).number().sqrt()),
        F::Min | F::Max => {
            let values: Vec<f64> = if args.len() == 1 {
                many(0).iter().map(Value::number).collect()
            } else {
                (0..args.len()).map(|i| arg(i).number()).collect()
            };
            if values.is_empty() || values.iter().any(|x| x.is_nan()) {
                return Value::Number(f64::NAN);
            }
            let pick = if f == F::Min { f64::min } else { f64::max };
            Value::Number(values.into_iter().reduce(pick).unwrap_or(f64::NAN))
        }
        F::Sum => Value::Number(many(0).iter().map(Value::number).sum()),
        F::Count => Value::Number(many(0).len() as f64),
        F::Today => Value::Text(Utc::now().date_naive().format("%Y-%m-%d").to_string()),
        F::Now => Value::Text(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        F::Date => {
            let v = arg(0);
            let days = v.number();
            match v {
                Value::Text(t) if NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").is_ok() => {
                    Value::Text(t.trim().to_owned())
                }
                _ if days.is_finite() => {
                    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
                    match epoch.checked_add_signed(chrono::Duration::days(days.floor() as i64)) {
                        Some(d) => Value::Text(d.format("%Y-%m-%d").to_string()),
                        None => Value::Text(String::new()),
                    }
                }
                _ => Value::Text(String::new()),
            }
        }
        // The device's own value is kept; on the server these read as their argument or nothing.
        F::Once => arg(0),
        F::Uuid | F::Random => Value::Text(String::new()),
        F::Position => Value::Number(answers.repetition() as f64),
        F::IndexedRepeat => {
            let n = arg(2).number();
            let values = many(0);
            (n >= 1.0)
                .then(|| values.get(n as usize - 1).cloned())
                .flatten()
                .unwrap_or(Value::Text(String::new()))
        }
        F::DecimalDateTime => Value::Number(arg(0).number()),
        F::Area => Value::Number(area(&points(&arg(0).text()))),
        F::Distance => Value::Number(distance(&points(&arg(0).text()))),
        F::FormatDate => Value::Text(format_date(&arg(0), &arg(1).text())),
    }
}

/// The Earth's radius in metres (WGS 84's semi-major axis), as ODK's geometry functions take it.
const EARTH_RADIUS: f64 = 6_378_137.0;

/// The (latitude, longitude) points of a geopoint, geotrace or geoshape answer.
fn points(text: &str) -> Vec<(f64, f64)> {
    text.split(';')
        .filter_map(|p| {
            let mut xs = p.split_whitespace().map(str::parse::<f64>);
            match (xs.next(), xs.next()) {
                (Some(Ok(lat)), Some(Ok(lon))) => Some((lat, lon)),
                _ => None,
            }
        })
        .collect()
}

/// A closed shape's area on the sphere, in square metres (the spherical excess of its edges).
fn area(points: &[(f64, f64)]) -> f64 {
    if points.len() < 3 {
        return 0.0;
    }
    let mut sum = 0.0;
    for (i, &(lat1, lon1)) in points.iter().enumerate() {
        let (lat2, lon2) = points[(i + 1) % points.len()];
        sum +=
            (lon2 - lon1).to_radians() * (2.0 + lat1.to_radians().sin() + lat2.to_radians().sin());
    }
    (sum * EARTH_RADIUS * EARTH_RADIUS / 2.0).abs()
}

/// A trace's length along great circles, in metres.
fn distance(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| {
            let ((lat1, lon1), (lat2, lon2)) = (w[0], w[1]);
            let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
            let a = ((p2 - p1) / 2.0).sin().powi(2)
                + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS * a.sqrt().min(1.0).asin()
        })
        .sum()
}

/// ODK's `format-date`: `%Y` `%y` `%m` `%n` `%d` `%e` `%H` `%h` `%M` `%S` `%b` `%a`, of a date or a
/// date and time (days since 1970-01-01, as XPath reads them).
fn format_date(value: &Value, format: &str) -> String {
    let days = value.number();
    if !days.is_finite() {
        return String::new();
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)
        .expect("a valid date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let Some(t) = epoch.checked_add_signed(chrono::Duration::milliseconds(
        (days * 86_400_000.0).round() as i64,
    )) else {
        return String::new();
    };
    use chrono::{Datelike, Timelike};
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&t.year().to_string()),
            Some('y') => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", t.month())),
            Some('n') => out.push_str(&t.month().to_string()),
            Some('d') => out.push_str(&format!("{:02}", t.day())),
            Some('e') => out.push_str(&t.day().to_string()),
            Some('H') => out.push_str(&format!("{:02}", t.hour())),
            Some('h') => out.push_str(&t.hour().to_string()),
            Some('M') => out.push_str(&format!("{:02}", t.minute())),
            Some('S') => out.push_str(&format!("{:02}", t.second())),
            Some('b') => out.push_str(MONTHS[t.month0() as usize]),
            Some('a') => out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    use BinaryOp::*;
    match op {
        Or => Value::Bool(l.truthy() || r.truthy()),
        And => Value::Bool(l.truthy() && r.truthy()),
        Eq | Ne => {
            let equal = match (l, r) {
                (Value::Bool(_), _) | (_, Value::Bool(_)) => l.truthy() == r.truthy(),
                (Value::Number(_), _) | (_, Value::Number(_)) => l.number() == r.number(),
                (Value::Text(a), Value::Text(b)) => a == b,
            };
            Value::Bool(if op == Eq { equal } else { !equal })
        }
        Lt => Value::Bool(l.number() < r.number()),
        Le => Value::Bool(l.number() <= r.number()),
        Gt => Value::Bool(l.number() > r.number()),
        Ge => Value::Bool(l.number() >= r.number()),
        Add => Value::Number(l.number() + r.number()),
        Sub => Value::Number(l.number() - r.number()),
        Mul => Value::Number(l.number() * r.number()),
        Div => Value::Number(l.number() / r.number()),
        Mod => Value::Number(l.number() % r.number()),
    }
}

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Name(String),
    Reference(String),
    Dot,
    DotDot,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1
            }
            '=' => {
                tokens.push(Token::Op("="));
                i += 1
            }
            '+' | '-' | '*' => {
                tokens.push(Token::Op(match c {
                    '+' => "+",
                    '-' => "-",
                    _ => "*",
                }));
                i += 1
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::Op("!="));
                i += 2
            }
            '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                tokens.push(Token::Op(match (c, eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                }));
                i += if eq { 2 } else { 1 };
            }
            '\'' | '"' => {
                let end = chars[i + 1..].iter().position(|&d| d == c).ok_or_else(|| {
                    ParseError(format!("unterminated string starting at {}", i + 1))
                })?;
                tokens.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err(ParseError(format!("expected '{{' after '$' at {}", i + 1)));
                }
                let end = chars[i + 2..]
                    .iter()
                    .position(|&d| d == '}')
                    .ok_or_else(|| ParseError(format!("unterminated ${{...}} at {}", i + 1)))?;
                let name: String = chars[i + 2..i + 2 + end].iter().collect();
                tokens.push(Token::Reference(name.trim().to_owned()));
                i += end + 3;
            }
            '.' if chars.get(i + 1) == Some(&'.') => {
                tokens.push(Token::DotDot);
                i += 2
            }
            '.' if !chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                tokens.push(Token::Dot);
                i += 1
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse()
                    .map_err(|_| ParseError(format!("'{text}' is not a number")))?;
                tokens.push(Token::Number(n));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let mut name: String = chars[start..i].iter().collect();
                // Hyphenated XPath function names (elsewhere '-' is subtraction), and ODK's
                // `jr:choice-name`.
                let names = FUNCTIONS.iter().map(|(f, ..)| *f).chain(["jr:choice-name"]);
                for f in names.filter(|f| f.contains('-')) {
                    let end = start + f.chars().count();
                    let candidate: String = chars[start..chars.len().min(end)].iter().collect();
                    let whole = chars
                        .get(end)
                        .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'));
                    if candidate == *f && whole {
                        name = candidate;
                        i = end;
                    }
                }
                tokens.push(Token::Name(name));
            }
            other => {
                return Err(ParseError(format!(
                    "unexpected character '{other}' at {}",
                    i + 1
                )))
            }
        }
    }
    Ok(tokens)
}

/// Parses `src`; `resolve` turns a question id into its position, or says why it cannot.
pub fn parse(
    src: &str,
    resolve: &dyn Fn(&str) -> Result<usize, String>,
) -> Result<Expr, ParseError> {
    parse_with(src, resolve, None)
}

/// Parses a `choice_filter`: `${name}` are answers, bare names are the choice list's `columns`
/// (`name`, `label` and the sheet's further columns).
pub fn parse_choice_filter(
    src: &str,
    resolve: &dyn Fn(&str) -> Result<usize, String>,
    columns: &[String],
) -> Result<Expr, ParseError> {
    parse_with(src, resolve, Some(columns))
}

fn parse_with(
    src: &str,
    resolve: &dyn Fn(&str) -> Result<usize, String>,
    columns: Option<&[String]>,
) -> Result<Expr, ParseError> {
    let tokens = tokenize(src)?;
    if tokens.is_empty() {
        return Err(ParseError("the expression is empty".into()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        resolve,
        columns,
    };
    let expr = parser.or()?;
    if parser.pos < parser.tokens.len() {
        return Err(ParseError(format!(
            "unexpected {} after a complete expression",
            describe(&parser.tokens[parser.pos])
        )));
    }
    Ok(expr)
}

fn describe(t: &Token) -> String {
    match t {
        Token::Number(n) => format!("number {n}"),
        Token::Text(s) => format!("string '{s}'"),
        Token::Name(n) => format!("'{n}'"),
        Token::Reference(n) => format!("${{{n}}}"),
        Token::Dot => "'.'".into(),
        Token::DotDot => "'..'".into(),
        Token::LParen => "'('".into(),
        Token::RParen => "')'".into(),
        Token::Comma => "','".into(),
        Token::Op(o) => format!("'{o}'"),
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    resolve: &'a dyn Fn(&str) -> Result<usize, String>,
    /// In a choice filter, bare names are the choice list's columns.
    columns: Option<&'a [String]>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| ParseError("the expression ends too early".into()))?;
        self.pos += 1;
        Ok(t)
    }

    /// An operator word (`and`, `or`, `div`, `mod`) where an operator may stand: `(a) and (b)` is
    /// the operator, not a call of a function named `and`.
    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Name(n)) if n == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        if let Some(Token::Op(o)) = self.peek() {
            if let Some(found) = ops.iter().find(|x| *x == o) {
                self.pos += 1;
                return Some(found);
            }
        }
        None
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Binary(BinaryOp::Or, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.equality()?;
        while self.keyword("and") {
            left = Expr::Binary(BinaryOp::And, Box::new(left), Box::new(self.equality()?));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.relational()?;
        while let Some(o) = self.op(&["=", "!="]) {
            let op = if o == "=" { BinaryOp::Eq } else { BinaryOp::Ne };
            left = Expr::Binary(op, Box::new(left), Box::new(self.relational()?));
        }
        Ok(left)
    }

    fn relational(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.additive()?;
        while let Some(o) = self.op(&["<", "<=", ">", ">="]) {
            let op = match o {
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::Le,
                ">" => BinaryOp::Gt,
                _ => BinaryOp::Ge,
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.additive()?));
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.multiplicative()?;
        while let Some(o) = self.op(&["+", "-"]) {
            let op = if o == "+" {
                BinaryOp::Add
            } else {
                BinaryOp::Sub
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.multiplicative()?));
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.op(&["*"]).is_some() {
                BinaryOp::Mul
            } else if self.keyword("div") {
                BinaryOp::Div
            } else if self.keyword("mod") {
                BinaryOp::Mod
            } else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.op(&["-"]).is_some() {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.next()? {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::Text(s) => Ok(Expr::Text(s)),
            Token::Dot => Ok(Expr::Current),
            Token::DotDot => Ok(Expr::Parent),
            Token::Reference(name) => self.reference(&name),
            Token::LParen => {
                let e = self.or()?;
                match self.next()? {
                    Token::RParen => Ok(e),
                    t => Err(ParseError(format!(
                        "expected ')' but found {}",
                        describe(&t)
                    ))),
                }
            }
            Token::Name(name) if matches!(self.peek(), Some(Token::LParen)) => {
                self.pos += 1;
                let mut args = Vec::new();
                if !matches!(self.peek(), Some(Token::RParen)) {
                    loop {
                        args.push(self.or()?);
                        match self.next()? {
                            Token::Comma => continue,
                            Token::RParen => break,
                            t => {
                                return Err(ParseError(format!(
                                    "expected ',' or ')' in {name}(...) but found {}",
                                    describe(&t)
                                )))
                            }
                        }
                    }
                } else {
                    self.pos += 1;
                }
                match name.as_str() {
                    "regex" => regex_call(args),
                    "jr:choice-name" => self.choice_name(args),
                    _ => function(&name, args),
                }
            }
            Token::Name(name) => match self.columns {
                Some(columns) if columns.contains(&name) => Ok(Expr::Column(name)),
                Some(columns) => Err(ParseError(format!(
                    "'{name}' is not a column of the choice list (its columns: {})",
                    columns.join(", ")
                ))),
                None => self.reference(&name),
            },
            t => Err(ParseError(format!("unexpected {}", describe(&t)))),
        }
    }

    fn reference(&self, name: &str) -> Result<Expr, ParseError> {
        (self.resolve)(name).map(Expr::Answer).map_err(ParseError)
    }

    /// `jr:choice-name(value, '${question}')`: the question is named inside a quoted text.
    fn choice_name(&self, mut args: Vec<Expr>) -> Result<Expr, ParseError> {
        let question = match args.as_slice() {
            [_, Expr::Text(t)] => t
                .trim()
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .map(str::trim)
                .map(str::to_owned),
            _ => None,
        };
        let Some(question) = question else {
            return Err(ParseError(
                "jr:choice-name() takes a value and a quoted '${question}'".into(),
            ));
        };
        let position = (self.resolve)(&question).map_err(ParseError)?;
        args.pop();
        Ok(Expr::ChoiceName(Box::new(args.remove(0)), position))
    }
}

fn function(name: &str, mut args: Vec<Expr>) -> Result<Expr, ParseError> {
    let Some(&(_, f, least, most)) = FUNCTIONS.iter().find(|(n, ..)| *n == name) else {
        return Err(ParseError(format!("unknown function {name}()")));
    };
    if args.len() < least || args.len() > most {
        let n = if least == most {
            format!("{least}")
        } else if most == usize::MAX {
            format!("at least {least}")
        } else {
            format!("{least} to {most}")
        };
        return Err(ParseError(format!(
            "{name}() takes {n} argument(s), not {}",
            args.len()
        )));
    }
    Ok(match f {
        Function::Not => Expr::Not(Box::new(args.remove(0))),
        Function::True | Function::False => Expr::Bool(f == Function::True),
        _ => Expr::Call(f, args),
    })
}

/// `regex(text, 'pattern')`: the pattern must be a literal, compiled once when the definition loads.
fn regex_call(mut args: Vec<Expr>) -> Result<Expr, ParseError> {
    if args.len() != 2 {
        return Err(ParseError(format!(
            "regex() takes 2 argument(s), not {}",
            args.len()
        )));
    }
    let Expr::Text(pattern) = args.pop().expect("two arguments") else {
        return Err(ParseError(
            "regex() needs its pattern as a quoted text".into(),
        ));
    };
    let re = regex::Regex::new(&pattern)
        .map_err(|e| ParseError(format!("regex pattern '{pattern}': {e}")))?;
    Ok(Expr::Regex(Box::new(args.remove(0)), Box::new(re)))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<Value>);
    impl Answers for Fixed {
        fn answer(&self, i: usize) -> Value {
            self.0[i].clone()
        }
    }

    fn resolve(name: &str) -> Result<usize, String> {
        match name {
            "a" => Ok(0),
            "b" => Ok(1),
            "m" => Ok(2),
            _ => Err(format!("unknown question '{name}'")),
        }
    }

    fn eval(src: &str, answers: &[Value], current: Value) -> Value {
        parse(src, &resolve)
            .unwrap()
            .eval(&Fixed(answers.to_vec()), &current)
    }

    #[test]
    fn xlsform_expressions_evaluate_as_in_odk() {
        let answers = [
            Value::Text("yes".into()),
            Value::Number(3.0),
            Value::Text("x y".into()),
        ];
        let t = |s: &str| eval(s, &answers, Value::Number(4.0)).truthy();
        assert!(t("${a} = 'yes'"));
        assert!(t("a = \"yes\" and b > 2"));
        assert!(!t("${a} != 'yes' or ${b} >= 4"));
        assert!(t(". >= 1 and . <= 5"));
        assert!(t("selected(${m}, 'y') and not(selected(${m}, 'z'))"));
        assert!(t("count-selected(${m}) = 2"));
        assert!(t("${b} * 2 - 1 = 5 and 7 mod 4 = 3 and 6 div 4 = 1.5"));
        assert!(t("string-length(${a}) = 3"));
        assert!(t("-${b} < 0"));
        assert!(t("true() and not(false())"));
    }

    #[test]
    fn an_unanswered_question_is_empty_and_fails_numeric_tests() {
        let answers = vec![Value::Text(String::new()); 3];
        let t = |s: &str| eval(s, &answers, Value::Text(String::new())).truthy();
        assert!(t("${a} = ''"));
        assert!(!t("${b} > 0"));
        assert!(!t("${b} = 0"));
        assert!(!t("${b} < 0"));
    }

    #[test]
    fn areas_distances_and_dates_come_out_as_odk_gives_them() {
        let none: Vec<Value> = Vec::new();
        let n = |s: &str| eval(s, &none, Value::Text(String::new())).number();
        // A square of 0.01° at the equator: about 1,113 m a side.
        let square = "area('0 0;0 0.01;0.01 0.01;0.01 0;0 0')";
        assert!((n(square) - 1_239_000.0).abs() < 2_000.0, "{}", n(square));
        assert!((n("distance('0 0;0.01 0')") - 1_113.2).abs() < 0.1);
        let t = |s: &str| eval(s, &none, Value::Text(String::new())).text();
        assert_eq!(
            t("format-date('2026-03-05', '%d/%m/%Y %e %n %b %a')"),
            "05/03/2026 5 3 Mar Thu"
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |s: &str| parse(s, &resolve).unwrap_err().0;
        assert!(err("${zz} = 1").contains("unknown question 'zz'"));
        assert!(err("${a} = 'yes").contains("unterminated string"));
        assert!(err("(${a} = 'yes'").contains("ends too early"));
        assert!(err("foo(1)").contains("unknown function foo()"));
        assert!(err("selected(${a})").contains("takes 2"));
        assert!(err("${a} = 1 1").contains("unexpected number"));
        assert!(err("").contains("empty"));
        assert!(err("${a} # 1").contains("unexpected character '#'"));
    }
}
