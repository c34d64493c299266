//! String filters with Python's semantics: `upper`, `lower`, `title`, `capitalize`, `replace`,
//! `trim`, `split`, `quote`, `center`, `indent`, `wordcount`.

use minijinja::value::{Rest, Value};
use minijinja::{Environment, Error};

use super::args::bind;
use super::{add, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "upper", |_, v, a| {
        bind("upper", &[], a)?;
        Ok(Value::from(text(&v).to_uppercase()))
    });
    add(env, "lower", |_, v, a| {
        bind("lower", &[], a)?;
        Ok(Value::from(text(&v).to_lowercase()))
    });
    add(env, "title", |_, v, a| {
        bind("title", &[], a)?;
        Ok(Value::from(title(&text(&v))))
    });
    add(env, "capitalize", |_, v, a| {
        bind("capitalize", &[], a)?;
        Ok(Value::from(capitalize(&text(&v))))
    });
    add(env, "replace", |_, v, a| replace(v, Rest(a)));
    add(env, "trim", |_, v, a| trim(v, Rest(a)));
    add(env, "split", |_, v, a| split(v, Rest(a)));
    add(env, "quote", |_, v, a| {
        bind("quote", &[], a)?;
        Ok(Value::from(shell_quote(&if v.is_none() {
            String::new()
        } else {
            text(&v)
        })))
    });
    add(env, "center", |_, v, a| center(v, Rest(a)));
    add(env, "indent", |_, v, a| indent(v, Rest(a)));
    add(env, "wordcount", |_, v, a| {
        bind("wordcount", &[], a)?;
        let s = text(&v);
        let words = s
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty());
        Ok(Value::from(words.count()))
    });
}

/// Jinja's `title`: each word (split at whitespace, `-`, `(`, `{`, `[`, `<`) gets an upper-case
/// first letter and a lower-case rest.
pub(crate) fn title(s: &str) -> String {
    let is_sep = |c: char| c.is_whitespace() || matches!(c, '-' | '(' | '{' | '[' | '<');
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if is_sep(c) {
            out.push(c);
            at_start = true;
        } else if at_start {
            out.extend(c.to_uppercase());
            at_start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Python's `str.capitalize`.
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

fn replace(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("replace", &["old", "new", "count"], args.0)?;
    let s = text(&value);
    let old = text(a.required("old")?);
    let new = text(a.required("new")?);
    let count = a.int("count", -1)?;
    Ok(Value::from(if count < 0 {
        s.replace(&old, &new)
    } else {
        s.replacen(&old, &new, count as usize)
    }))
}

fn trim(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("trim", &["chars"], args.0)?;
    let s = text(&value);
    Ok(Value::from(match a.get("chars").filter(|c| !c.is_none()) {
        Some(chars) => {
            let set: Vec<char> = text(chars).chars().collect();
            s.trim_matches(|c| set.contains(&c)).to_string()
        }
        None => s.trim().to_string(),
    }))
}

/// Python's `str.split(sep=None, maxsplit=-1)`.
fn split(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("split", &["sep", "maxsplit"], args.0)?;
    let s = text(&value);
    let max = a.int("maxsplit", -1)?;
    let parts: Vec<Value> = match a.get("sep").filter(|v| !v.is_none()) {
        Some(sep) => {
            let sep = text(sep);
            if sep.is_empty() {
                return Err(super::fail("split(): empty separator"));
            }
            if max < 0 {
                s.split(sep.as_str()).map(Value::from).collect()
            } else {
                s.splitn(max as usize + 1, sep.as_str())
                    .map(Value::from)
                    .collect()
            }
        }
        None => {
            let mut parts = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if max >= 0 && parts.len() as i64 == max {
                    parts.push(Value::from(rest.trim_end()));
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                parts.push(Value::from(&rest[..end]));
                rest = rest[end..].trim_start();
            }
            parts
        }
    };
    Ok(Value::from(parts))
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    crate::connection::quote::shlex_quote(s)
}

/// Python's `str.center(width)`.
fn center(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("center", &["width"], args.0)?;
    let s = text(&value);
    let width = a.int("width", 80)?;
    let len = s.chars().count() as i64;
    if width <= len {
        return Ok(Value::from(s));
    }
    let pad = width - len;
    let left = pad / 2 + (pad & width & 1);
    let right = pad - left;
    Ok(Value::from(format!(
        "{}{s}{}",
        " ".repeat(left as usize),
        " ".repeat(right as usize)
    )))
}

/// Jinja's `indent(width=4, first=False, blank=False)`.
fn indent(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("indent", &["width", "first", "blank"], args.0)?;
    let indention = match a.get("width") {
        Some(w) if w.as_str().is_some() => text(w),
        Some(w) => " ".repeat(w.as_i64().unwrap_or(4).max(0) as usize),
        None => "    ".to_string(),
    };
    let s = format!("{}\n", text(&value));
    let lines = split_lines(&s);
    let mut rv = if a.flag("blank", false) {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut iter = lines.into_iter();
        let mut rv = iter.next().unwrap_or_default().to_string();
        let rest: Vec<String> = iter
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{indention}{l}")
                }
            })
            .collect();
        if !rest.is_empty() {
            rv.push('\n');
            rv.push_str(&rest.join("\n"));
        }
        rv
    };
    if a.flag("first", false) {
        rv = format!("{indention}{rv}");
    }
    Ok(Value::from(rv))
}

/// Python's `str.splitlines()` for `\n`, `\r\n` and `\r`.
fn split_lines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&s[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&s[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_capitalize() {
        assert_eq!(title("hello world-foo(bar"), "Hello World-Foo(Bar");
        assert_eq!(title("hELLO o'neil"), "Hello O'neil");
        assert_eq!(capitalize("hELLO World"), "Hello world");
    }

    #[test]
    fn quote_like_shlex() {
        assert_eq!(shell_quote("abc/def.txt"), "abc/def.txt");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote(""), "''");
    }
}
