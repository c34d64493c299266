//! Serialization: `to_json` / `to_nice_json` byte-for-byte as Python's `json.dumps` writes them
//! (`", "` and `": "` separators, ASCII escapes), `from_json`, `to_yaml` / `to_nice_yaml` as
//! PyYAML's dumper writes them, and `from_yaml` with YAML 1.1 scalars.

use std::path::Path;

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::yaml_dump;
use super::{add, fail, text};
use crate::template::python;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "to_json", |_, v, a| to_json(v, Rest(a)));
    add(env, "to_nice_json", |_, v, a| to_nice_json(v, Rest(a)));
    add(env, "tojson", |_, v, a| tojson(v, Rest(a)));
    add(env, "from_json", |_, v, a| {
        kwargs_of(a)?;
        from_json(v)
    });
    add(env, "to_yaml", |_, v, a| to_yaml(v, Rest(a)));
    add(env, "to_nice_yaml", |_, v, a| to_nice_yaml(v, Rest(a)));
    add(env, "from_yaml_all", |_, v, a| {
        bind("from_yaml_all", &[], a)?;
        from_yaml_all(v)
    });
    add(env, "from_yaml", |_, v, a| {
        bind("from_yaml", &[], a)?;
        from_yaml(v)
    });
}

/// Options of Python's `json.dumps` that templates use.
pub(crate) struct JsonStyle {
    pub indent: Option<usize>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
    pub item_sep: String,
    pub key_sep: String,
}

fn kwargs_of(args: Vec<Value>) -> Result<Kwargs, Error> {
    match args.into_iter().last() {
        Some(v) if v.is_kwargs() => Kwargs::try_from(v),
        Some(_) => Err(fail("this filter only takes keyword arguments")),
        None => Ok(Kwargs::from_iter(std::iter::empty::<(String, Value)>())),
    }
}

fn json_style(
    kwargs: &Kwargs,
    indent: Option<usize>,
    sort_keys: bool,
    nice: bool,
) -> Result<JsonStyle, Error> {
    let indent = if kwargs.has("indent") {
        let v = kwargs.get::<Value>("indent")?;
        if v.is_none() {
            None
        } else {
            Some(v.as_i64().unwrap_or(0).max(0) as usize)
        }
    } else {
        indent
    };
    let sort_keys = if kwargs.has("sort_keys") {
        kwargs.get::<Value>("sort_keys")?.is_true()
    } else {
        sort_keys
    };
    let ensure_ascii = if kwargs.has("ensure_ascii") {
        kwargs.get::<Value>("ensure_ascii")?.is_true()
    } else {
        true
    };
    let mut item_sep = if indent.is_some() || nice {
        ",".to_string()
    } else {
        ", ".to_string()
    };
    let mut key_sep = ": ".to_string();
    if kwargs.has("separators") {
        let seps = kwargs.get::<Value>("separators")?;
        if !nice {
            item_sep = text(&seps.get_item_by_index(0)?);
            key_sep = text(&seps.get_item_by_index(1)?);
        }
    }
    kwargs.assert_all_used()?;
    Ok(JsonStyle {
        indent,
        sort_keys,
        ensure_ascii,
        item_sep,
        key_sep,
    })
}

fn to_json(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let kwargs = kwargs_of(args.0)?;
    let style = json_style(&kwargs, None, false, false)?;
    Ok(Value::from(dump_json(&value, &style)?))
}

fn to_nice_json(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let kwargs = kwargs_of(args.0)?;
    let style = json_style(&kwargs, Some(4), true, true)?;
    Ok(Value::from(dump_json(&value, &style)?))
}

/// Jinja's `tojson(indent=None)`: sorted keys, and `<`, `>`, `&`, `'` escaped for HTML.
fn tojson(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("tojson", &["indent"], args.0)?;
    let indent = a
        .get("indent")
        .filter(|v| !v.is_none())
        .map(|v| v.as_i64().unwrap_or(0).max(0) as usize);
    let style = JsonStyle {
        indent,
        sort_keys: true,
        ensure_ascii: true,
        item_sep: if indent.is_some() { ",".into() } else { ", ".into() },
        key_sep: ": ".into(),
    };
    let json = dump_json(&value, &style)?
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\'', "\\u0027");
    Ok(Value::from(json))
}

/// Python's `json.dumps(value, ...)`.
pub(crate) fn dump_json(value: &Value, style: &JsonStyle) -> Result<String, Error> {
    let mut out = String::new();
    write_json(&mut out, value, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, style: &JsonStyle, level: usize) {
    if let Some(indent) = style.indent {
        out.push('\n');
        out.push_str(&" ".repeat(indent * level));
    }
}

fn write_json(out: &mut String, value: &Value, style: &JsonStyle, level: usize) -> Result<(), Error> {
    match value.kind() {
        ValueKind::None => out.push_str("null"),
        ValueKind::Undefined => return Err(fail("cannot serialize an undefined value to JSON")),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&json_number(value)),
        ValueKind::String => json_string(out, value.as_str().unwrap_or_default(), style.ensure_ascii),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_sep);
                }
                newline(out, style, level + 1);
                write_json(out, item, style, level + 1)?;
            }
            newline(out, style, level);
            out.push(']');
        }
        ValueKind::Map => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for key in value.try_iter()? {
                let v = value.get_item(&key)?;
                entries.push((json_key(&key)?, v));
            }
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_sep);
                }
                newline(out, style, level + 1);
                json_string(out, k, style.ensure_ascii);
                out.push_str(&style.key_sep);
                write_json(out, v, style, level + 1)?;
            }
            newline(out, style, level);
            out.push('}');
        }
        _ => {
            return Err(fail(format!(
                "Object of type {} is not JSON serializable",
                python::type_name(value)
            )));
        }
    }
    Ok(())
}

fn json_number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        python::float_repr(f)
    }
}

fn json_key(key: &Value) -> Result<String, Error> {
    Ok(match key.kind() {
        ValueKind::String => key.as_str().unwrap_or_default().to_string(),
        ValueKind::Bool => (if key.is_true() { "true" } else { "false" }).to_string(),
        ValueKind::None => "null".to_string(),
        ValueKind::Number => json_number(key),
        _ => {
            return Err(fail(format!(
                "keys must be str, int, float, bool or None, not {}",
                python::type_name(key)
            )));
        }
    })
}

fn json_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
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

fn from_json(value: Value) -> Result<Value, Error> {
    let s = text(&value);
    let parsed: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| fail(format!("from_json: invalid JSON: {e}")))?;
    Ok(Value::from(minijinja::value::Serde(&parsed)))
}

fn to_yaml(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let kwargs = kwargs_of(args.0)?;
    let indent = if kwargs.has("indent") {
        kwargs.get::<i64>("indent")? as usize
    } else {
        2
    };
    let flow = if kwargs.has("default_flow_style") {
        let v = kwargs.get::<Value>("default_flow_style")?;
        if v.is_none() { None } else { Some(v.is_true()) }
    } else {
        None
    };
    let width = if kwargs.has("width") {
        kwargs.get::<i64>("width")? as usize
    } else {
        80
    };
    kwargs.assert_all_used()?;
    Ok(Value::from(yaml_dump::dump(&value, indent, flow, width)?))
}

fn to_nice_yaml(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let kwargs = kwargs_of(args.0)?;
    let indent = if kwargs.has("indent") {
        kwargs.get::<i64>("indent")? as usize
    } else {
        4
    };
    let width = if kwargs.has("width") {
        kwargs.get::<i64>("width")? as usize
    } else {
        80
    };
    kwargs.assert_all_used()?;
    Ok(Value::from(yaml_dump::dump(&value, indent, Some(false), width)?))
}

fn from_yaml(value: Value) -> Result<Value, Error> {
    if value.is_none() {
        return Ok(value);
    }
    let s = text(&value);
    let node = crate::yaml::load_str(&s, Path::new("<from_yaml>"))
        .map_err(|e| fail(format!("from_yaml: invalid YAML: {e}")))?;
    Ok(node.map(|n| n.to_value()).unwrap_or(Value::from(())))
}

fn from_yaml_all(value: Value) -> Result<Value, Error> {
    if value.is_none() {
        return Ok(value);
    }
    let docs = crate::yaml::load_all_str(&text(&value), Path::new("<from_yaml_all>"))
        .map_err(|e| fail(format!("from_yaml_all: invalid YAML: {e}")))?;
    Ok(Value::from(
        docs.into_iter()
            .map(|d| d.map(|n| n.to_value()).unwrap_or(Value::from(())))
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(indent: Option<usize>, sort_keys: bool) -> JsonStyle {
        JsonStyle {
            indent,
            sort_keys,
            ensure_ascii: true,
            item_sep: if indent.is_some() { ",".into() } else { ", ".into() },
            key_sep: ": ".into(),
        }
    }

    #[test]
    fn json_like_python() {
        let v = Value::from(minijinja::value::Serde(
            serde_json::json!({"b": [1, 2.0, null, true], "a": "é\n"}),
        ));
        assert_eq!(
            dump_json(&v, &style(None, false)).expect("dumps"),
            r#"{"b": [1, 2.0, null, true], "a": "\u00e9\n"}"#
        );
        assert_eq!(
            dump_json(&v, &style(Some(4), true)).expect("dumps"),
            "{\n    \"a\": \"\\u00e9\\n\",\n    \"b\": [\n        1,\n        2.0,\n        null,\n        true\n    ]\n}"
        );
    }
}
