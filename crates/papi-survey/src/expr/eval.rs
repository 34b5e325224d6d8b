//! What the functions and operators of expressions compute, as ODK computes them: numbers, text,
//! selections, dates formatted, and areas and distances on the Earth.

use chrono::{NaiveDate, Utc};

use super::{Answers, BinaryOp, Expr, Function, Value};

pub(super) fn call(f: Function, args: &[Expr], answers: &dyn Answers, current: &Value) -> Value {
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

pub(super) fn binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

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
}
