//! Type conversions and undefined handling: `default`/`d`, `mandatory`, `ternary`, `bool`, `int`,
//! `float`, `string`, `type_debug`, with Python's parsing rules (`'0x1F' | int` is 0, `' 42 '`
//! is 42, `'4.7' | int` is 4, `'yes' | bool` is True).

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::{fail, text};
use crate::template::python;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", to_string);
    env.add_filter("type_debug", type_debug);
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
    fn floats_parse_like_python() {
        assert_eq!(parse_float("4.5"), Some(4.5));
        assert_eq!(parse_float(" 1e3 "), Some(1000.0));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
    }
}
