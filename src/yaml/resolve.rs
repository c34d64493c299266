//! PyYAML's YAML 1.1 implicit resolver for plain (unquoted) scalars.
//!
//! Ansible loads YAML with PyYAML, so `become: yes` is a boolean and `mode: 0644` is the integer
//! 420. Matching that is what lets a repository run unchanged.

use minijinja::Value;

/// A scalar as Python's `str()` gives it (`True`, `None`, `42`): what Ansible sees where a
/// YAML key or a module argument that is not a string becomes text.
pub fn python_str(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    match v.kind() {
        minijinja::value::ValueKind::Bool => {
            if v.is_true() {
                "True".into()
            } else {
                "False".into()
            }
        }
        minijinja::value::ValueKind::None | minijinja::value::ValueKind::Undefined => "None".into(),
        _ => v.to_string(),
    }
}

/// The value of a plain scalar, as PyYAML's SafeLoader resolves it.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::from(()),
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::from(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::from(false);
        }
        _ => {}
    }
    if let Some(i) = resolve_int(s) {
        return Value::from(i);
    }
    if let Some(f) = resolve_float(s) {
        return Value::from(f);
    }
    Value::from(s)
}

fn resolve_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let magnitude = if let Some(bin) = clean.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if let Some(hex) = clean.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if clean.len() > 1 && clean.starts_with('0') {
        if !clean.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        i64::from_str_radix(&clean, 8).ok()?
    } else if clean.contains(':') {
        // Sexagesimal (base 60), e.g. 1:30 == 90.
        let mut total: i64 = 0;
        for (i, part) in clean.split(':').enumerate() {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            if i > 0 && part.parse::<i64>().ok()? >= 60 {
                return None;
            }
            total = total.checked_mul(60)?.checked_add(part.parse::<i64>().ok()?)?;
        }
        if clean.starts_with('0') {
            return None;
        }
        total
    } else {
        if !clean.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        clean.parse::<i64>().ok()?
    };
    Some(if neg { -magnitude } else { magnitude })
}

fn resolve_float(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    // PyYAML: [-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?  (a dot is required)
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let dot = mantissa.find('.')?;
    let (int_part, frac) = (&mantissa[..dot], &mantissa[dot + 1..]);
    if int_part.starts_with('_') || !int_part.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['-', '+'])?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    if int_part.is_empty() && frac.is_empty() {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_scalars_resolve_like_pyyaml() {
        assert_eq!(resolve_plain("yes"), Value::from(true));
        assert_eq!(resolve_plain("Off"), Value::from(false));
        assert_eq!(resolve_plain("0644"), Value::from(420));
        assert_eq!(resolve_plain("0x1F"), Value::from(31));
        assert_eq!(resolve_plain("1_000"), Value::from(1000));
        assert_eq!(resolve_plain("1:30"), Value::from(90));
        assert_eq!(resolve_plain("1.5"), Value::from(1.5));
        assert_eq!(resolve_plain("1e3"), Value::from("1e3"));
        assert_eq!(resolve_plain("1.0e+3"), Value::from(1000.0));
        assert_eq!(resolve_plain("~"), Value::from(()));
        assert_eq!(resolve_plain("0899"), Value::from("0899"));
        assert_eq!(resolve_plain("y"), Value::from("y"));
        assert_eq!(resolve_plain("web01"), Value::from("web01"));
        assert_eq!(resolve_plain("-7"), Value::from(-7));
    }
}
