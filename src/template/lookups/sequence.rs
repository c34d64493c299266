//! `sequence`: numbers as formatted strings, from `start=1 end=10 stride=2 format=%02d`,
//! `count=5`, or the short form `[start-]end[/stride][:format]`, as Ansible's lookup.

use minijinja::{Error, Value};

use super::{Ctx, fail, string_terms};

#[derive(Debug)]
struct Spec {
    start: i64,
    end: Option<i64>,
    count: Option<i64>,
    stride: i64,
    format: String,
}

pub(crate) fn sequence(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut terms = string_terms(&terms)?;
    if terms.is_empty() {
        terms.push(String::new());
    }
    let mut out = Vec::new();
    for term in terms {
        let mut spec = Spec {
            start: 1,
            end: None,
            count: None,
            stride: 1,
            format: "%d".to_string(),
        };
        for key in ["start", "end", "count", "stride", "format"] {
            if let Some(v) = ctx.kwarg(key)? {
                set(&mut spec, key, &v.to_string())?;
            }
        }
        if !short_form(&mut spec, term.trim())? {
            for (key, value) in crate::repo::kv::parse_kv(&term, false) {
                if !["start", "end", "count", "stride", "format"].contains(&key.as_str()) {
                    return Err(fail(format!(
                        "unrecognized arguments to with_sequence: ['{key}']"
                    )));
                }
                set(&mut spec, &key, &value)?;
            }
        }
        for n in numbers(&mut spec)? {
            out.push(Value::from(format_number(&spec.format, n)?));
        }
    }
    Ok(out)
}

fn int(text: &str) -> Result<i64, Error> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16)
    } else if let Some(oct) = t.strip_prefix("0o") {
        i64::from_str_radix(oct, 8)
    } else {
        t.parse::<i64>()
    };
    parsed
        .map(|n| if neg { -n } else { n })
        .map_err(|_| fail(format!("can't parse arg {text}=\"{text}\" as integer")))
}

fn set(spec: &mut Spec, key: &str, value: &str) -> Result<(), Error> {
    match key {
        "start" => spec.start = int(value)?,
        "end" => spec.end = Some(int(value)?),
        "count" => spec.count = Some(int(value)?),
        "stride" => spec.stride = int(value)?,
        _ => spec.format = value.to_string(),
    }
    Ok(())
}

/// The short form `[start-]end[/stride][:format]`; false when the term is not one.
fn short_form(spec: &mut Spec, term: &str) -> Result<bool, Error> {
    let num = r"(0?x?[0-9a-f]+)";
    let re = fancy_regex::Regex::new(&format!(r"(?i)^({num}-)?{num}(/{num})?(:(.+))?$"))
        .map_err(|e| fail(e.to_string()))?;
    let Ok(Some(caps)) = re.captures(term) else {
        return Ok(false);
    };
    if let Some(start) = caps.get(2) {
        spec.start = int(start.as_str())?;
    }
    if let Some(end) = caps.get(3) {
        spec.end = Some(int(end.as_str())?);
    }
    if let Some(stride) = caps.get(5) {
        spec.stride = int(stride.as_str())?;
    }
    if let Some(format) = caps.get(7) {
        spec.format = format.as_str().to_string();
    }
    Ok(true)
}

fn numbers(spec: &mut Spec) -> Result<Vec<i64>, Error> {
    let end = match (spec.count, spec.end) {
        (None, None) => return Err(fail("must specify count or end in with_sequence")),
        (Some(_), Some(_)) => return Err(fail("can't specify both count and end in with_sequence")),
        (Some(0), None) => return Ok(Vec::new()),
        (Some(count), None) => spec.start + count * spec.stride - 1,
        (None, Some(end)) => end,
    };
    if spec.stride > 0 && end < spec.start {
        return Err(fail("to count backwards make stride negative"));
    }
    if spec.stride < 0 && end > spec.start {
        return Err(fail("to count forward don't make stride negative"));
    }
    if spec.stride == 0 {
        return Ok(Vec::new());
    }
    if spec.format.matches('%').count() != 1 {
        return Err(fail(format!("bad formatting string: {}", spec.format)));
    }
    let mut out = Vec::new();
    let mut n = spec.start;
    while (spec.stride > 0 && n <= end) || (spec.stride < 0 && n >= end) {
        out.push(n);
        n += spec.stride;
    }
    Ok(out)
}

/// Python's `format % n` for one conversion: flags `-0+ `, a width, and `d i u x X o s`.
fn format_number(format: &str, n: i64) -> Result<String, Error> {
    let bad = || fail(format!("problem formatting {n:?} with {format:?}"));
    let (before, rest) = format.split_once('%').ok_or_else(bad)?;
    let flags_end = rest.find(|c: char| !"-0+ #".contains(c)).ok_or_else(bad)?;
    let flags = &rest[..flags_end];
    let rest = &rest[flags_end..];
    let width_end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let width: usize = rest[..width_end].parse().unwrap_or(0);
    let mut chars = rest[width_end..].chars();
    let conv = chars.next().ok_or_else(bad)?;
    let after: String = chars.collect();
    let mut body = match conv {
        'd' | 'i' | 'u' | 's' => n.abs().to_string(),
        'x' => format!("{:x}", n.abs()),
        'X' => format!("{:X}", n.abs()),
        'o' => format!("{:o}", n.abs()),
        _ => return Err(bad()),
    };
    let sign = if n < 0 {
        "-"
    } else if flags.contains('+') {
        "+"
    } else if flags.contains(' ') {
        " "
    } else {
        ""
    };
    let len = sign.len() + body.len();
    if flags.contains('-') {
        body = format!("{sign}{body}{}", " ".repeat(width.saturating_sub(len)));
    } else if flags.contains('0') && conv != 's' {
        body = format!("{sign}{}{body}", "0".repeat(width.saturating_sub(len)));
    } else {
        body = format!("{}{sign}{body}", " ".repeat(width.saturating_sub(len)));
    }
    Ok(format!("{before}{body}{after}"))
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn formats_like_python() {
        assert_eq!(format_number("%d", 5).ok().as_deref(), Some("5"));
        assert_eq!(format_number("host%02d", 5).ok().as_deref(), Some("host05"));
        assert_eq!(format_number("%x", 255).ok().as_deref(), Some("ff"));
        assert_eq!(format_number("%-4d|", 7).ok().as_deref(), Some("7   |"));
    }
}
