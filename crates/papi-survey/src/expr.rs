//! XLSForm expressions (`relevant`, `constraint`): a small subset of XPath 1.0.
//!
//! Parsing turns the text into a tree whose references are already resolved to question positions, so
//! evaluating a rule for each of a million interviews does no string look-ups.

use std::fmt;

/// A parsed expression. References hold the position of the question in the definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Text(String),
    Bool(bool),
    /// The answer of the question at this position.
    Answer(usize),
    /// `.`: the answer being checked by a constraint.
    Current,
    Negate(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Selected(Box<Expr>, Box<Expr>),
    CountSelected(Box<Expr>),
    StringLength(Box<Expr>),
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

    fn number(&self) -> f64 {
        match self {
            Value::Number(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Text(s) => s.trim().parse().unwrap_or(f64::NAN),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(n) => format_number(*n),
            Value::Bool(b) => b.to_string(),
        }
    }
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
            Expr::Selected(list, choice) => {
                let list = list.eval(answers, current).text();
                let choice = choice.eval(answers, current).text();
                Value::Bool(list.split_whitespace().any(|c| c == choice.trim()))
            }
            Expr::CountSelected(list) => {
                let list = list.eval(answers, current).text();
                Value::Number(list.split_whitespace().count() as f64)
            }
            Expr::StringLength(e) => {
                Value::Number(e.eval(answers, current).text().chars().count() as f64)
            }
        }
    }

    /// The question positions the expression reads.
    pub fn references(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Answer(i) => out.push(*i),
            Expr::Negate(e) | Expr::Not(e) | Expr::CountSelected(e) | Expr::StringLength(e) => {
                e.references(out)
            }
            Expr::Binary(_, l, r) | Expr::Selected(l, r) => {
                l.references(out);
                r.references(out);
            }
            Expr::Number(_) | Expr::Text(_) | Expr::Bool(_) | Expr::Current => {}
        }
    }

    pub fn uses_current(&self) -> bool {
        match self {
            Expr::Current => true,
            Expr::Negate(e) | Expr::Not(e) | Expr::CountSelected(e) | Expr::StringLength(e) => {
                e.uses_current()
            }
            Expr::Binary(_, l, r) | Expr::Selected(l, r) => l.uses_current() || r.uses_current(),
            Expr::Answer(_) | Expr::Number(_) | Expr::Text(_) | Expr::Bool(_) => false,
        }
    }
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
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

const FUNCTIONS_WITH_HYPHEN: [&str; 2] = ["count-selected", "string-length"];

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
                // Hyphenated XPath function names; elsewhere '-' is subtraction.
                for f in FUNCTIONS_WITH_HYPHEN {
                    let candidate: String = chars[start..chars.len().min(start + f.len())]
                        .iter()
                        .collect();
                    if candidate == f {
                        name = candidate;
                        i = start + f.len();
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
    let tokens = tokenize(src)?;
    if tokens.is_empty() {
        return Err(ParseError("the expression is empty".into()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        resolve,
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

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Name(n)) if n == word)
            && !matches!(self.tokens.get(self.pos + 1), Some(Token::LParen))
        {
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
                function(&name, args)
            }
            Token::Name(name) => self.reference(&name),
            t => Err(ParseError(format!("unexpected {}", describe(&t)))),
        }
    }

    fn reference(&self, name: &str) -> Result<Expr, ParseError> {
        (self.resolve)(name).map(Expr::Answer).map_err(ParseError)
    }
}

fn function(name: &str, mut args: Vec<Expr>) -> Result<Expr, ParseError> {
    let arity = |n: usize, args: &Vec<Expr>| {
        if args.len() == n {
            Ok(())
        } else {
            Err(ParseError(format!(
                "{name}() takes {n} argument(s), not {}",
                args.len()
            )))
        }
    };
    match name {
        "selected" => {
            arity(2, &args)?;
            let choice = args.pop().expect("two arguments");
            let list = args.pop().expect("two arguments");
            Ok(Expr::Selected(Box::new(list), Box::new(choice)))
        }
        "count-selected" => {
            arity(1, &args)?;
            Ok(Expr::CountSelected(Box::new(args.remove(0))))
        }
        "string-length" => {
            arity(1, &args)?;
            Ok(Expr::StringLength(Box::new(args.remove(0))))
        }
        "not" => {
            arity(1, &args)?;
            Ok(Expr::Not(Box::new(args.remove(0))))
        }
        "true" | "false" => {
            arity(0, &args)?;
            Ok(Expr::Bool(name == "true"))
        }
        other => Err(ParseError(format!("unknown function {other}()"))),
    }
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
