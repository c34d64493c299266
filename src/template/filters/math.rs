//! ansible-core's `mathstuff` filters: `log`, `pow`, `root`, `human_readable`,
//! `human_to_bytes`, and the itertools pair `permutations` / `combinations`.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::lists::items;
use super::{add, fail, text};

/// Ansible's `SIZE_RANGES`, largest first.
const SIZES: &[(char, f64)] = &[
    ('Y', 1208925819614629174706176.0),
    ('Z', 1180591620717411303424.0),
    ('E', 1152921504606846976.0),
    ('P', 1125899906842624.0),
    ('T', 1099511627776.0),
    ('G', 1073741824.0),
    ('M', 1048576.0),
    ('K', 1024.0),
    ('B', 1.0),
];

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "log", |_, v, a| {
        let a = bind("log", &["base"], a)?;
        let x = number("log", &v)?;
        let r = match a.get("base") {
            None => x.ln(),
            Some(b) => {
                let b = number("log", b)?;
                if b == 10.0 { x.log10() } else { x.ln() / b.ln() }
            }
        };
        finite("log", r)
    });
    add(env, "pow", |_, v, a| {
        let a = bind("pow", &["y"], a)?;
        finite("pow", number("pow", &v)?.powf(number("pow", a.required("y")?)?))
    });
    add(env, "root", |_, v, a| {
        let a = bind("root", &["base"], a)?;
        let x = number("root", &v)?;
        let r = match a.get("base") {
            None => x.sqrt(),
            Some(b) => {
                let b = number("root", b)?;
                if b == 2.0 { x.sqrt() } else { x.powf(1.0 / b) }
            }
        };
        finite("root", r)
    });
    add(env, "human_readable", |_, v, a| {
        let a = bind("human_readable", &["isbits", "unit"], a)?;
        let size = f64::try_from(v.clone())
            .ok()
            .filter(|_| matches!(v.kind(), ValueKind::Number | ValueKind::Bool))
            .ok_or_else(|| {
                fail(format!(
                    "human_readable() failed on bad input: {} is not a number",
                    text(&v)
                ))
            })?;
        let unit = a.get("unit").filter(|u| !u.is_none()).map(text);
        Ok(Value::from(human_readable(
            size,
            a.flag("isbits", false),
            unit.as_deref(),
        )))
    });
    add(env, "human_to_bytes", |_, v, a| {
        let a = bind("human_to_bytes", &["default_unit", "isbits"], a)?;
        let unit = a.get("default_unit").filter(|u| !u.is_none()).map(text);
        human_to_bytes(&text(&v), unit.as_deref(), a.flag("isbits", false))
            .map(Value::from)
            .map_err(|why| fail(format!("human_to_bytes() can't interpret the input: {why}")))
    });
    add(env, "permutations", |_, v, a| {
        let a = bind("permutations", &["r"], a)?;
        let pool = items(&v)?;
        let r = match a.get("r").filter(|r| !r.is_none()) {
            Some(r) => count("permutations", r)?,
            None => pool.len(),
        };
        let mut out = Vec::new();
        permute(&pool, r, &mut Vec::new(), &mut vec![false; pool.len()], &mut out);
        Ok(Value::from(out))
    });
    add(env, "combinations", |_, v, a| {
        let a = bind("combinations", &["r"], a)?;
        let pool = items(&v)?;
        let r = count("combinations", a.required("r")?)?;
        let mut out = Vec::new();
        combine(&pool, r, 0, &mut Vec::new(), &mut out);
        Ok(Value::from(out))
    });
}

fn number(filter: &str, v: &Value) -> Result<f64, Error> {
    match v.kind() {
        ValueKind::Number | ValueKind::Bool => f64::try_from(v.clone()).map_err(|e| fail(e.to_string())),
        _ => Err(fail(format!(
            "{filter}() can only be used on numbers, not {}",
            crate::template::python::type_name(v)
        ))),
    }
}

fn finite(filter: &str, r: f64) -> Result<Value, Error> {
    if r.is_nan() {
        return Err(fail(format!("{filter}(): math domain error")));
    }
    Ok(Value::from(r))
}

fn count(filter: &str, v: &Value) -> Result<usize, Error> {
    v.as_i64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| fail(format!("{filter}(): r must be a non-negative integer")))
}

fn permute(pool: &[Value], r: usize, cur: &mut Vec<Value>, used: &mut [bool], out: &mut Vec<Value>) {
    if cur.len() == r {
        out.push(Value::from(cur.clone()));
        return;
    }
    for i in 0..pool.len() {
        if !used[i] {
            used[i] = true;
            cur.push(pool[i].clone());
            permute(pool, r, cur, used, out);
            cur.pop();
            used[i] = false;
        }
    }
}

fn combine(pool: &[Value], r: usize, from: usize, cur: &mut Vec<Value>, out: &mut Vec<Value>) {
    if cur.len() == r {
        out.push(Value::from(cur.clone()));
        return;
    }
    for i in from..pool.len() {
        cur.push(pool[i].clone());
        combine(pool, r, i + 1, cur, out);
        cur.pop();
    }
}

/// `formatters.bytes_to_human`.
fn human_readable(size: f64, isbits: bool, unit: Option<&str>) -> String {
    let base = if isbits { "bits" } else { "Bytes" };
    let wanted = unit
        .and_then(|u| u.chars().next())
        .map(|c| c.to_ascii_uppercase());
    let (suffix, limit) = SIZES
        .iter()
        .find(|(s, limit)| match wanted {
            None => size >= *limit,
            Some(w) => w == *s,
        })
        .copied()
        .unwrap_or(('B', 1.0));
    let suffix = if limit == 1.0 {
        base.to_string()
    } else {
        format!("{suffix}{}", &base[..1])
    };
    format!("{:.2} {suffix}", size / limit)
}

/// `formatters.human_to_bytes`.
fn human_to_bytes(input: &str, default_unit: Option<&str>, isbits: bool) -> Result<i128, String> {
    let trimmed = input.trim_end();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (num, rest) = trimmed.split_at(split);
    let unit_text = rest.trim_start();
    let valid_num = !num.is_empty() && num.matches('.').count() <= 1 && !num.ends_with('.');
    if !valid_num || !unit_text.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "human_to_bytes() can't interpret following string: {input}"
        ));
    }
    let num: f64 = num
        .parse()
        .map_err(|_| format!("human_to_bytes() can't interpret following number: {num}"))?;
    let unit = if unit_text.is_empty() {
        default_unit
    } else {
        Some(unit_text)
    };
    let Some(unit) = unit else {
        return Ok(num.round_ties_even() as i128);
    };
    let key = unit.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('B');
    let Some((_, limit)) = SIZES.iter().find(|(s, _)| *s == key) else {
        return Err(format!(
            "human_to_bytes() failed to convert {input} (unit = {unit}). The suffix must be one of Y, Z, E, P, T, G, M, K, B"
        ));
    };
    if unit.len() > 1 {
        let class = if isbits { 'b' } else { 'B' };
        let names = [
            ('B', "byte", "bit"),
            ('K', "kilobyte", "kilobit"),
            ('M', "megabyte", "megabit"),
            ('G', "gigabyte", "gigabit"),
            ('T', "terabyte", "terabit"),
            ('P', "petabyte", "petabit"),
            ('E', "exabyte", "exabit"),
            ('Z', "zetabyte", "zetabit"),
            ('Y', "yottabyte", "yottabit"),
        ];
        let (_, bytes_name, bits_name) = names
            .iter()
            .find(|(k, _, _)| *k == key)
            .copied()
            .unwrap_or(names[0]);
        let long = if isbits { bits_name } else { bytes_name };
        let short = if key == 'B' {
            class.to_string()
        } else {
            format!("{key}{class}")
        };
        if unit.to_lowercase() != long && unit != short {
            let expect = if key == 'B' {
                format!("expect {class} or {}", if isbits { "bit" } else { "byte" })
            } else {
                format!("expect {key}{class} or {key}")
            };
            return Err(format!(
                "human_to_bytes() failed to convert {input}. Value is not a valid string ({expect})"
            ));
        }
    }
    Ok((num * limit).round_ties_even() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_ansible() {
        assert_eq!(human_readable(123456789.0, false, None), "117.74 MB");
        assert_eq!(human_readable(0.0, false, None), "0.00 Bytes");
        assert_eq!(human_to_bytes("1.5 MB", None, false), Ok(1572864));
        assert_eq!(human_to_bytes("2Gb", None, true), Ok(2147483648));
        assert!(human_to_bytes("1 KiB", None, false).is_err());
        assert!(human_to_bytes("x", None, false).is_err());
    }
}
