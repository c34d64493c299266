//! Type conversions and undefined handling: `default`/`d`, `mandatory`, `ternary`, `bool`, `int`,
//! `float`, `string`, `type_debug`, with Python's parsing rules (`'0x1F' | int` is 0, `' 42 '`
//! is 42, `'4.7' | int` is 4, `'yes' | bool` is True).

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::{add, fail, text};
use crate::template::python;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "default", |_, v, a| default(v, Rest(a)));
    add(env, "d", |_, v, a| default(v, Rest(a)));
    add(env, "mandatory", |_, v, a| mandatory(v, Rest(a)));
    add(env, "ternary", |_, v, a| ternary(v, Rest(a)));
    add(env, "bool", |_, v, a| {
        bind("bool", &[], a)?;
        to_bool(v)
    });
    add(env, "int", |_, v, a| to_int(v, Rest(a)));
    add(env, "float", |_, v, a| to_float(v, Rest(a)));
    add(env, "round", |_, v, a| round(v, Rest(a)));
    add(env, "string", |_, v, a| {
        bind("string", &[], a)?;
        to_string(v)
    });
    add(env, "type_debug", |_, v, a| {
        bind("type_debug", &[], a)?;
        type_debug(v)
    });
}

/// `default(value, default_value='', boolean=False)`: only an undefined value is replaced,
/// unless `boolean` is true, when any false value is.
fn default(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("default", &["default_value", "boolean"], args.0)?;
    let fallback = a.get("default_value").cloned().unwrap_or_else(|| Value::from(""));
    if value.is_undefined() || (a.flag("boolean", false) && !value.is_true()) {
        return Ok(fallback);
    }
    Ok(value)
}

fn mandatory(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("mandatory", &["msg"], args.0)?;
    if value.is_undefined() {
        return Err(match a.get("msg").filter(|m| !m.is_none()) {
            Some(msg) => fail(text(msg)),
            None => fail("Mandatory variable not defined."),
        });
    }
    Ok(value)
}

fn ternary(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("ternary", &["true_val", "false_val", "none_val"], args.0)?;
    let none_val = a.get("none_val").filter(|v| !v.is_none());
    if value.is_none() {
        if let Some(v) = none_val {
            return Ok(v.clone());
        }
    }
    if value.is_true() {
        Ok(a.required("true_val")?.clone())
    } else {
        Ok(a.required("false_val")?.clone())
    }
}

/// Ansible's `bool`: `yes`/`on`/`true`/`1` (any case) are True, `no`/`off`/`false`/`0` False;
/// anything else is True only if it equals 1.
fn to_bool(value: Value) -> Result<Value, Error> {
    let truth = match value.kind() {
        ValueKind::Bool => value.is_true(),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default().to_lowercase();
            matches!(s.as_str(), "yes" | "on" | "true" | "1")
        }
        ValueKind::Number => f64::try_from(value.clone()).map(|f| f == 1.0).unwrap_or(false),
        _ => false,
    };
    Ok(Value::from(truth))
}

/// Jinja's `int(value, default=0, base=10)`.
fn to_int(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("int", &["default", "base"], args.0)?;
    let default = a.get("default").cloned().unwrap_or_else(|| Value::from(0));
    let base = a.int("base", 10)?;
    let converted = match value.kind() {
        ValueKind::Bool => Some(i128::from(value.is_true())),
        ValueKind::Number if value.is_integer() => i128::try_from(value.clone()).ok(),
        ValueKind::Number => f64::try_from(value.clone()).ok().and_then(float_to_int),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            parse_int(s, base as u32).or_else(|| parse_float(s).and_then(float_to_int))
        }
        _ => None,
    };
    Ok(match converted {
        Some(n) => int_value(n),
        None => default,
    })
}

/// Jinja's `float(value, default=0.0)`.
fn to_float(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("float", &["default"], args.0)?;
    let default = a.get("default").cloned().unwrap_or_else(|| Value::from(0.0));
    let converted = match value.kind() {
        ValueKind::Bool => Some(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => f64::try_from(value.clone()).ok(),
        ValueKind::String => parse_float(value.as_str().unwrap_or_default()),
        _ => None,
    };
    Ok(converted.map(Value::from).unwrap_or(default))
}

/// Jinja's `round(value, precision=0, method='common')`: Python's `round` (ties to even on the
/// exact binary value), or `floor`/`ceil` scaled by `10**precision`.
fn round(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("round", &["precision", "method"], args.0)?;
    let precision = a.int("precision", 0)?;
    let method = a.string("method", "common");
    if !matches!(method.as_str(), "common" | "floor" | "ceil") {
        return Err(fail("method must be common, ceil or floor"));
    }
    if value.kind() != ValueKind::Number && value.kind() != ValueKind::Bool {
        return Err(fail(format!(
            "type {} doesn't define __round__ method",
            python::type_name(&value)
        )));
    }
    let f = f64::try_from(value.clone()).unwrap_or(if value.is_true() { 1.0 } else { 0.0 });
    let scale = 10f64.powi(precision as i32);
    match method.as_str() {
        "floor" => Ok(Value::from((f * scale).floor() / scale)),
        "ceil" => Ok(Value::from((f * scale).ceil() / scale)),
        _ if value.is_integer() && precision >= 0 => Ok(value),
        _ => Ok(Value::from(py_round(f, precision))),
    }
}

/// Python's `round(float, ndigits)`.
pub(crate) fn py_round(f: f64, ndigits: i64) -> f64 {
    if !f.is_finite() {
        return f;
    }
    if ndigits <= 0 {
        let scale = 10f64.powi((-ndigits) as i32);
        return (f / scale).round_ties_even() * scale;
    }
    format!("{:.*}", ndigits as usize, f).parse().unwrap_or(f)
}

fn to_string(value: Value) -> Result<Value, Error> {
    Ok(Value::from(text(&value)))
}

fn type_debug(value: Value) -> Result<Value, Error> {
    Ok(Value::from(python::type_name(&value)))
}

pub(crate) fn int_value(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(small) => Value::from(small),
        Err(_) => Value::from(n),
    }
}

fn float_to_int(f: f64) -> Option<i128> {
    if f.is_finite() {
        Some(f.trunc() as i128)
    } else {
        None
    }
}

/// Python's `int(s, base)`: surrounding whitespace, a sign, `_` between digits, and the base's
/// prefix (`0x` for 16, any for base 0) are accepted.
pub(crate) fn parse_int(s: &str, base: u32) -> Option<i128> {
    let s = s.trim();
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (base, body) = match (base, lower.get(..2)) {
        (16 | 0, Some("0x")) => (16, &digits[2..]),
        (8 | 0, Some("0o")) => (8, &digits[2..]),
        (2 | 0, Some("0b")) => (2, &digits[2..]),
        (0, _) => {
            if digits.len() > 1 && digits.starts_with('0') && digits.trim_start_matches(['0', '_']).is_empty()
            {
                (10, digits)
            } else if digits.len() > 1 && digits.starts_with('0') {
                return None;
            } else {
                (10, digits)
            }
        }
        (b, _) if (2..=36).contains(&b) => (b, digits),
        _ => return None,
    };
    let body = body
        .strip_prefix('_')
        .filter(|_| digits.len() != body.len())
        .unwrap_or(body);
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let n = i128::from_str_radix(&clean, base).ok()?;
    if clean.starts_with(['+', '-']) {
        return None;
    }
    Some(if negative { -n } else { n })
}

/// Python's `float(s)`: decimal and scientific forms, `_` between digits, `inf`, `nan`.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return lower.parse::<f64>().ok().or_else(|| {
            let sign = if lower.starts_with('-') { -1.0 } else { 1.0 };
            Some(if unsigned == "nan" {
                f64::NAN
            } else {
                sign * f64::INFINITY
            })
        });
    }
    if s.is_empty() || s.contains("__") || s.starts_with('_') || s.ends_with('_') {
        return None;
    }
    let valid = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'));
    if !valid {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_python() {
        assert_eq!(parse_int(" 42 ", 10), Some(42));
        assert_eq!(parse_int("0x1F", 10), None);
        assert_eq!(parse_int("0x1F", 16), Some(31));
        assert_eq!(parse_int("1F", 16), Some(31));
        assert_eq!(parse_int("-7", 10), Some(-7));
        assert_eq!(parse_int("1_000", 10), Some(1000));
        assert_eq!(parse_int("4.5", 10), None);
        assert_eq!(parse_int("0o17", 0), Some(15));
    }

    #[test]
    fn round_like_python() {
        assert_eq!(py_round(2.5, 0), 2.0);
        assert_eq!(py_round(3.5, 0), 4.0);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(1.23456, 3), 1.235);
    }

    #[test]
    fn floats_parse_like_python() {
        assert_eq!(parse_float("4.5"), Some(4.5));
        assert_eq!(parse_float(" 1e3 "), Some(1000.0));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
    }
}
