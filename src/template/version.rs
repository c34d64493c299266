//! The `version` test (`ansible_distribution_version is version('12', '>=')`): Python's
//! `LooseVersion` (the default) and `StrictVersion` comparisons, as Ansible does them.

use std::cmp::Ordering;

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use super::filters::bind_args;
use super::python;

fn fail(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Num(u128),
    Text(String),
}

/// `LooseVersion`: runs of digits become numbers, runs of lower-case letters and anything else
/// in between stay text, dots separate.
fn loose(v: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut kind = 0u8; // 0 none, 1 digits, 2 lower letters, 3 other
    let flush = |current: &mut String, kind: u8, parts: &mut Vec<Part>| {
        if current.is_empty() {
            return;
        }
        if kind == 1 {
            parts.push(Part::Num(current.parse().unwrap_or(u128::MAX)));
        } else {
            parts.push(Part::Text(current.clone()));
        }
        current.clear();
    };
    for c in v.chars() {
        let k = if c.is_ascii_digit() {
            1
        } else if c.is_ascii_lowercase() {
            2
        } else if c == '.' {
            flush(&mut current, kind, &mut parts);
            kind = 0;
            continue;
        } else {
            3
        };
        if k != kind {
            flush(&mut current, kind, &mut parts);
        }
        kind = k;
        current.push(c);
    }
    flush(&mut current, kind, &mut parts);
    parts
}

fn cmp_loose(a: &[Part], b: &[Part]) -> Result<Ordering, Error> {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Part::Num(p), Part::Num(q)) => p.cmp(q),
            (Part::Text(p), Part::Text(q)) => p.cmp(q),
            _ => {
                return Err(fail(
                    "Version comparison failed: '<' not supported between instances of 'str' and 'int'",
                ));
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// A parsed `StrictVersion`: the numbers, then the pre-release letter and number.
type Strict = ((u64, u64, u64), Option<(char, u64)>);

/// `StrictVersion`: `N.N[.N][(a|b)N]`.
fn strict(v: &str) -> Result<Strict, Error> {
    let bad = || fail(format!("Version comparison failed: invalid version number '{v}'"));
    let (main, pre) = match v.find(['a', 'b']) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let nums: Vec<&str> = main.split('.').collect();
    if !(2..=3).contains(&nums.len())
        || nums
            .iter()
            .any(|n| n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad());
    }
    let n = |i: usize| nums.get(i).map(|s| s.parse::<u64>().unwrap_or(0)).unwrap_or(0);
    let pre = match pre {
        Some(p) => {
            let letter = p.chars().next().ok_or_else(bad)?;
            let num = &p[1..];
            if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            Some((letter, num.parse().unwrap_or(0)))
        }
        None => None,
    };
    Ok(((n(0), n(1), n(2)), pre))
}

fn cmp_strict(a: &str, b: &str) -> Result<Ordering, Error> {
    let (va, pa) = strict(a)?;
    let (vb, pb) = strict(b)?;
    Ok(va.cmp(&vb).then(match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

/// `value is version(version, operator='eq', strict=None, version_type=None)`.
pub(crate) fn version_test(value: Value, args: Vec<Value>) -> Result<bool, Error> {
    let a = bind_args(
        "version",
        &["version", "operator", "strict", "version_type"],
        args,
    )?;
    let value = python::python_str(&value);
    let other = a.string("version", "");
    if value.is_empty() {
        return Err(fail("Input version value cannot be empty"));
    }
    if other.is_empty() {
        return Err(fail("Version parameter to compare against cannot be empty"));
    }
    let op = a.string("operator", "eq");
    let version_type = if a.flag("strict", false) {
        "strict".to_string()
    } else {
        a.string("version_type", "loose")
    };
    let ordering = match version_type.as_str() {
        "loose" => cmp_loose(&loose(&value), &loose(&other))?,
        "strict" => cmp_strict(&value, &other)?,
        other_type => {
            return Err(fail(format!(
                "Invalid version type ({other_type}). playhook supports 'loose' and 'strict'"
            )));
        }
    };
    Ok(match op.as_str() {
        "==" | "=" | "eq" => ordering == Ordering::Equal,
        "<" | "lt" => ordering == Ordering::Less,
        "<=" | "le" => ordering != Ordering::Greater,
        ">" | "gt" => ordering == Ordering::Greater,
        ">=" | "ge" => ordering != Ordering::Less,
        "!=" | "<>" | "ne" => ordering != Ordering::Equal,
        other_op => {
            return Err(fail(format!(
                "Invalid operator type ({other_op}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', \
                 '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &str, op: &str, b: &str) -> bool {
        version_test(Value::from(a), vec![Value::from(b), Value::from(op)]).expect("compares")
    }

    #[test]
    fn loose_versions() {
        assert!(v("12", ">=", "11"));
        assert!(v("1.10", ">", "1.9"));
        assert!(v("2.19.14", "<", "2.20"));
        assert!(v("1.0", "<", "1.0.1"));
        assert!(v("1.2", "==", "1.2"));
        assert!(!v("1.2", "!=", "1.2"));
    }
}
