//! Values printed the way Python prints them, so `playhook inventory` output is byte-equal to
//! `ansible-inventory`'s: `json.dumps(sort_keys=True, indent=4)` and `str()`.

use minijinja::Value;
use minijinja::value::ValueKind;

/// `json.dumps(value, sort_keys=True, indent=4)` (ASCII-only output, Python float repr).
pub fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, 0, &mut out);
    out
}

fn write_json(value: &Value, level: usize, out: &mut String) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&number(value, true)),
        ValueKind::String => json_string(value.as_str().unwrap_or_default(), out),
        ValueKind::Map => {
            let mut entries = map_entries(value);
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(level + 1, out);
                json_string(k, out);
                out.push_str(": ");
                write_json(v, level + 1, out);
            }
            out.push('\n');
            indent(level, out);
            out.push('}');
        }
        _ => {
            let items: Vec<Value> = value.try_iter().map(|it| it.collect()).unwrap_or_default();
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(level + 1, out);
                write_json(v, level + 1, out);
            }
            out.push('\n');
            indent(level, out);
            out.push(']');
        }
    }
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

/// The entries of a mapping value, keys as Python would turn them into JSON keys.
pub fn map_entries(value: &Value) -> Vec<(String, Value)> {
    let Ok(keys) = value.try_iter() else {
        return Vec::new();
    };
    keys.map(|k| {
        let v = value.get_item(&k).unwrap_or_default();
        let key = match k.kind() {
            ValueKind::String => k.as_str().unwrap_or_default().to_string(),
            ValueKind::Bool => if k.is_true() { "true" } else { "false" }.to_string(),
            ValueKind::None => "null".to_string(),
            ValueKind::Number => number(&k, true),
            _ => k.to_string(),
        };
        (key, v)
    })
    .collect()
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An integer as is, a float as Python's `repr` (`1.0`, `1e+16`), JSON spelling of
/// non-finite floats when `json`.
fn number(value: &Value, json: bool) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) => float_repr(f, json),
        Err(_) => value.to_string(),
    }
}

/// Python's `repr(float)`.
pub fn float_repr(f: f64, json: bool) -> String {
    if f.is_nan() {
        return if json { "NaN" } else { "nan" }.into();
    }
    if f.is_infinite() {
        let s = if json { "Infinity" } else { "inf" };
        return if f < 0.0 { format!("-{s}") } else { s.into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let fixed = format!("{f}");
        if fixed.contains('.') {
            fixed
        } else {
            format!("{fixed}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python's `str(value)`: strings bare, containers with `repr` inside.
pub fn python_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        _ => python_repr(value),
    }
}

/// Python's `repr(value)`.
pub fn python_repr(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => "None".into(),
        ValueKind::Bool => if value.is_true() { "True" } else { "False" }.into(),
        ValueKind::Number => number(value, false),
        ValueKind::String => repr_str(value.as_str().unwrap_or_default()),
        ValueKind::Map => {
            let Ok(keys) = value.try_iter() else {
                return "{}".into();
            };
            let parts: Vec<String> = keys
                .map(|k| {
                    let v = value.get_item(&k).unwrap_or_default();
                    format!("{}: {}", python_repr(&k), python_repr(&v))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        _ => {
            let items: Vec<String> = value
                .try_iter()
                .map(|it| it.map(|v| python_repr(&v)).collect())
                .unwrap_or_default();
            format!("[{}]", items.join(", "))
        }
    }
}

fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float_repr(1.0, true), "1.0");
        assert_eq!(float_repr(0.1, true), "0.1");
        assert_eq!(float_repr(1e16, true), "1e+16");
        assert_eq!(float_repr(1.5e-7, true), "1.5e-07");
        assert_eq!(float_repr(123456.789, true), "123456.789");
        assert_eq!(float_repr(0.0001, true), "0.0001");
    }

    #[test]
    fn json_and_repr_match_python() {
        let v = Value::from_pairs(vec![
            (
                Value::from("b"),
                Value::from(vec![Value::from(1), Value::from("é")]),
            ),
            (Value::from("a"), Value::from_pairs(Vec::<(Value, Value)>::new())),
        ]);
        assert_eq!(
            json_dumps(&v),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        \"\\u00e9\"\n    ]\n}"
        );
        assert_eq!(python_repr(&v), "{'b': [1, 'é'], 'a': {}}");
        assert_eq!(python_str(&Value::from("it's")), "it's");
        assert_eq!(python_repr(&Value::from("it's")), "\"it's\"");
    }
}
