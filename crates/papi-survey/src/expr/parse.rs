//! Expressions parsed: the text tokenised, then read by a recursive-descent parser into a tree whose
//! references are resolved to question positions and whose functions are checked against the table.

use std::fmt;

use super::{BinaryOp, Expr, Function, FUNCTIONS};

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

    fn resolve(name: &str) -> Result<usize, String> {
        match name {
            "a" => Ok(0),
            "b" => Ok(1),
            "m" => Ok(2),
            _ => Err(format!("unknown question '{name}'")),
        }
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
