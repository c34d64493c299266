//! Python's printf-style formatting, `"%s-%05.2f" % (a, b)` and `"%(x)s" % d`: templates never
//! name `__pyformat`, the engine rewrites `"fmt" % args` into it (see `check.rs`).

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::fail;
use crate::template::python::{python_repr, python_str, type_name};

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("__pyformat", |fmt: String, args: Rest<Value>| {
        format(&fmt, args.0)
    });
}

/// One conversion's flags, width and precision.
#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

/// `fmt % args`: `args` are a tuple's items, or the one value on the right.
pub fn format(fmt: &str, args: Vec<Value>) -> Result<String, Error> {
    let mapping = match args.as_slice() {
        [one] if one.kind() == ValueKind::Map => Some(one.clone()),
        _ => None,
    };
    let mut next = args.into_iter();
    let mut used_mapping = false;
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut depth = 1;
            let mut name = String::new();
            for c in chars.by_ref() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                name.push(c);
            }
            key = Some(name);
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                _ => break,
            }
            chars.next();
        }
        let take_number = |chars: &mut std::iter::Peekable<std::str::Chars>,
                           next: &mut std::vec::IntoIter<Value>|
         -> Result<Option<usize>, Error> {
            if chars.peek() == Some(&'*') {
                chars.next();
                let v = next.next().ok_or_else(not_enough)?;
                return v
                    .as_i64()
                    .map(|n| Some(n.max(0) as usize))
                    .ok_or_else(|| fail("TypeError: * wants int"));
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            Ok(digits.parse().ok())
        };
        spec.width = take_number(&mut chars, &mut next)?.unwrap_or(0);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(take_number(&mut chars, &mut next)?.unwrap_or(0));
        }
        while matches!(chars.peek(), Some('h' | 'l' | 'L')) {
            chars.next();
        }
        let Some(conv) = chars.next() else {
            return Err(fail("ValueError: incomplete format"));
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = match (&key, &mapping) {
            (Some(k), Some(m)) => {
                used_mapping = true;
                let v = m.get_item(&Value::from(k.as_str()))?;
                if v.is_undefined() {
                    return Err(fail(format!("KeyError: '{k}'")));
                }
                v
            }
            (Some(_), None) => return Err(fail("TypeError: format requires a mapping")),
            (None, _) => next.next().ok_or_else(not_enough)?,
        };
        let body = convert(conv, &arg, &spec)?;
        out.push_str(&pad(body, &spec, conv));
    }
    if !used_mapping && mapping.is_none() && next.next().is_some() {
        return Err(fail(
            "TypeError: not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

fn not_enough() -> Error {
    fail("TypeError: not enough arguments for format string")
}

fn number_of(conv: char, arg: &Value) -> Result<f64, Error> {
    if arg.kind() == ValueKind::Number || arg.kind() == ValueKind::Bool {
        if let Ok(f) = f64::try_from(arg.clone()) {
            return Ok(f);
        }
        if arg.is_true() && arg.kind() == ValueKind::Bool {
            return Ok(1.0);
        }
        return Ok(0.0);
    }
    Err(fail(format!(
        "TypeError: %{conv} format: a real number is required, not {}",
        type_name(arg)
    )))
}

fn integer_of(conv: char, arg: &Value) -> Result<i128, Error> {
    if let Some(i) = arg.as_i64() {
        return Ok(i.into());
    }
    if let Ok(i) = i128::try_from(arg.clone()) {
        return Ok(i);
    }
    if arg.kind() == ValueKind::Bool {
        return Ok(arg.is_true().into());
    }
    if matches!(conv, 'd' | 'i' | 'u') {
        return Ok(number_of(conv, arg)?.trunc() as i128);
    }
    Err(fail(format!(
        "TypeError: %{conv} format: an integer is required, not {}",
        type_name(arg)
    )))
}

fn sign(negative: bool, spec: &Spec) -> &'static str {
    match (negative, spec.plus, spec.space) {
        (true, _, _) => "-",
        (false, true, _) => "+",
        (false, false, true) => " ",
        _ => "",
    }
}

/// The converted text, with its sign first (padding goes after the sign).
fn convert(conv: char, arg: &Value, spec: &Spec) -> Result<String, Error> {
    let cut = |s: String| match spec.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s,
    };
    Ok(match conv {
        's' => cut(python_str(arg)),
        'r' | 'a' => cut(python_repr(arg)),
        'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
            let n = integer_of(conv, arg)?;
            let digits = match conv {
                'x' => format!("{:x}", n.unsigned_abs()),
                'X' => format!("{:X}", n.unsigned_abs()),
                'o' => format!("{:o}", n.unsigned_abs()),
                _ => n.unsigned_abs().to_string(),
            };
            let digits = match spec.precision {
                Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
                _ => digits,
            };
            let prefix = match (spec.alt, conv) {
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                (true, 'o') => "0o",
                _ => "",
            };
            format!("{}{prefix}{digits}", sign(n < 0, spec))
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let f = number_of(conv, arg)?;
            let body = float(conv, f.abs(), spec);
            format!("{}{body}", sign(f.is_sign_negative() && !f.is_nan(), spec))
        }
        'c' => match arg.as_str() {
            Some(s) if s.chars().count() == 1 => s.to_string(),
            _ => {
                let n = integer_of(conv, arg)?;
                u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .ok_or_else(|| fail("OverflowError: %c arg not in range(0x110000)"))?
            }
        },
        other => {
            return Err(fail(format!(
                "ValueError: unsupported format character '{other}'"
            )));
        }
    })
}

fn float(conv: char, f: f64, spec: &Spec) -> String {
    if f.is_nan() || f.is_infinite() {
        let s = if f.is_nan() { "nan" } else { "inf" };
        return if conv.is_ascii_uppercase() {
            s.to_uppercase()
        } else {
            s.to_string()
        };
    }
    let p = spec.precision.unwrap_or(6);
    let s = match conv.to_ascii_lowercase() {
        'f' => {
            let s = format!("{f:.p$}");
            if spec.alt && p == 0 { format!("{s}.") } else { s }
        }
        'e' => exponent(f, p, spec.alt),
        _ => {
            let p = p.max(1);
            let probe = format!("{f:.*e}", p - 1);
            let exp: i32 = probe.rsplit('e').next().and_then(|e| e.parse().ok()).unwrap_or(0);
            let s = if -4 <= exp && exp < p as i32 {
                format!("{f:.*}", (p as i32 - 1 - exp).max(0) as usize)
            } else {
                exponent(f, p - 1, spec.alt)
            };
            if spec.alt { s } else { strip_zeros(&s) }
        }
    };
    if conv.is_ascii_uppercase() {
        s.to_uppercase()
    } else {
        s
    }
}

/// `1.5e+02` as C writes it: a sign and at least two exponent digits.
fn exponent(f: f64, p: usize, alt: bool) -> String {
    let s = format!("{f:.p$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let dot = if alt && p == 0 { "." } else { "" };
    format!(
        "{mantissa}{dot}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// `%g` drops trailing zeros of the fraction (and a bare dot).
fn strip_zeros(s: &str) -> String {
    let (mantissa, exp) = match s.find('e') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{exp}")
}

fn pad(body: String, spec: &Spec, conv: char) -> String {
    let len = body.chars().count();
    if len >= spec.width {
        return body;
    }
    let fill = spec.width - len;
    if spec.left {
        return format!("{body}{}", " ".repeat(fill));
    }
    let numeric = !matches!(conv, 's' | 'r' | 'a' | 'c');
    if spec.zero && numeric {
        let sign_len = body.find(|c: char| !matches!(c, '-' | '+' | ' ')).unwrap_or(0);
        let prefix_len = if body[sign_len..].starts_with("0x")
            || body[sign_len..].starts_with("0X")
            || body[sign_len..].starts_with("0o")
        {
            sign_len + 2
        } else {
            sign_len
        };
        return format!(
            "{}{}{}",
            &body[..prefix_len],
            "0".repeat(fill),
            &body[prefix_len..]
        );
    }
    format!("{}{body}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: Vec<Value>) -> String {
        format(fmt, args).expect("formats")
    }

    #[test]
    fn like_python() {
        assert_eq!(f("%s-%d", vec![Value::from("a"), Value::from(5)]), "a-5");
        assert_eq!(
            f(
                "%05.2f|%-6s|%+d|%x|%#o",
                vec![
                    Value::from(3.14659),
                    Value::from("ab"),
                    Value::from(3),
                    Value::from(255),
                    Value::from(8)
                ]
            ),
            "03.15|ab    |+3|ff|0o10"
        );
        assert_eq!(
            f(
                "%e %g %g %g",
                vec![
                    Value::from(12345.678),
                    Value::from(0.0001),
                    Value::from(1e20),
                    Value::from(100.0)
                ]
            ),
            "1.234568e+04 0.0001 1e+20 100"
        );
        assert_eq!(f("%5.1f%%", vec![Value::from(99.55)]), " 99.5%");
        assert_eq!(
            f("%s", vec![Value::from(vec![Value::from(1), Value::from("a")])]),
            "[1, 'a']"
        );
        assert!(format("%s %s", vec![Value::from(1)]).is_err());
        assert!(format("%s", vec![Value::from(1), Value::from(2)]).is_err());
        assert!(format("%d", vec![Value::from("x")]).is_err());
        let engine = crate::template::Engine::default();
        let err = engine
            .render_str("a\n{{ '%d' % 'x' }}", &Value::from(()))
            .expect_err("a string is no number");
        assert_eq!(
            err.to_string(),
            "line 2: TypeError: %d format: a real number is required, not str"
        );
    }
}
