//! `comment`: wraps text in comment markers (`{{ ansible_managed | comment }}`), with Ansible's
//! styles (`plain`, `erlang`, `c`, `cblock`, `xml`) and its overridable parts.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};

use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "comment", |_, v, a| comment(v, a));
}

const PARTS: &[&str] = &[
    "newline",
    "beginning",
    "prefix",
    "prefix_count",
    "decoration",
    "postfix",
    "postfix_count",
    "end",
];

fn comment(value: Value, mut args: Vec<Value>) -> Result<Value, Error> {
    let kwargs = match args.last() {
        Some(last) if last.is_kwargs() => Some(Kwargs::try_from(args.pop().unwrap_or_default())?),
        _ => None,
    };
    let style = match args.as_slice() {
        [] => match &kwargs {
            Some(k) if k.has("style") => text(&k.get::<Value>("style")?),
            _ => "plain".to_string(),
        },
        [style] => text(style),
        _ => return Err(fail("comment() takes the style as its only positional argument")),
    };
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => {
            return Err(fail(format!(
                "Invalid style '{other}'. Available styles: plain, erlang, c, cblock, xml"
            )));
        }
    };
    let given = |key: &str| -> Result<Option<Value>, Error> {
        match &kwargs {
            Some(k) if k.has(key) => Ok(Some(k.get::<Value>(key)?)),
            _ => Ok(None),
        }
    };
    let prepostfix = given("decoration")?
        .map(|v| text(&v))
        .unwrap_or_else(|| decoration.to_string());
    let string = |key: &str, default: &str| -> Result<String, Error> {
        Ok(given(key)?
            .map(|v| text(&v))
            .unwrap_or_else(|| default.to_string()))
    };
    let count = |key: &str| -> Result<usize, Error> {
        Ok(given(key)?.and_then(|v| v.as_i64()).unwrap_or(1).max(0) as usize)
    };
    let newline = string("newline", "\n")?;
    let beginning = string("beginning", beginning)?;
    let prefix = string("prefix", prepostfix.trim_end())?;
    let decoration = string("decoration", decoration)?;
    let postfix = string("postfix", prepostfix.trim_end())?;
    let end = string("end", end)?;
    let prefix_count = count("prefix_count")?;
    let postfix_count = count("postfix_count")?;
    if let Some(k) = &kwargs {
        for key in k.args() {
            if key != "style" && !PARTS.contains(&key) {
                return Err(fail(format!(
                    "comment() got an unexpected keyword argument '{key}'"
                )));
            }
        }
    }
    let body = text(&value);
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let unit = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&unit.repeat(prefix_count));
    }
    let decorated = format!(
        "{decoration}{}",
        body.replace(&newline, &format!("{newline}{decoration}"))
    );
    out.push_str(&decorated.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    ));
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(Value::from(out))
}
