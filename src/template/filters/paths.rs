//! POSIX path filters as Python's `os.path` computes them: `basename`, `dirname`, `path_join`,
//! `splitext`.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::lists::items;
use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "basename", |_, v, a| {
        bind("basename", &[], a)?;
        Ok(Value::from(basename(&text(&v))))
    });
    add(env, "dirname", |_, v, a| {
        bind("dirname", &[], a)?;
        Ok(Value::from(dirname(&text(&v))))
    });
    add(env, "path_join", |_, v, a| {
        bind("path_join", &[], a)?;
        path_join(v)
    });
    add(env, "splitext", |_, v, a| {
        bind("splitext", &[], a)?;
        let (root, ext) = splitext(&text(&v));
        Ok(Value::from(vec![Value::from(root), Value::from(ext)]))
    });
}

pub(crate) fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

pub(crate) fn dirname(p: &str) -> String {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let head = &p[..i];
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

fn path_join(value: Value) -> Result<Value, Error> {
    let parts: Vec<String> = match value.kind() {
        ValueKind::String => return Ok(value),
        ValueKind::Seq => items(&value)?.iter().map(text).collect(),
        _ => return Err(fail("|path_join expects string or sequence")),
    };
    let mut out = String::new();
    for part in parts {
        if part.starts_with('/') {
            out = part;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&part);
        } else {
            out.push('/');
            out.push_str(&part);
        }
    }
    Ok(Value::from(out))
}

/// `os.path.splitext`: the extension starts at the last dot of the last component, unless
/// that component only starts with dots.
fn splitext(p: &str) -> (String, String) {
    let name_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let name = &p[name_start..];
    let Some(dot) = name.rfind('.') else {
        return (p.to_string(), String::new());
    };
    if name[..dot].chars().all(|c| c == '.') {
        return (p.to_string(), String::new());
    }
    let cut = name_start + dot;
    (p[..cut].to_string(), p[cut..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_os_path() {
        assert_eq!(basename("/etc/nginx/nginx.conf"), "nginx.conf");
        assert_eq!(dirname("/etc/nginx/nginx.conf"), "/etc/nginx");
        assert_eq!(dirname("/etc"), "/");
        assert_eq!(dirname("file"), "");
        assert_eq!(splitext("a/b.tar.gz"), ("a/b.tar".to_string(), ".gz".to_string()));
        assert_eq!(splitext(".bashrc"), (".bashrc".to_string(), String::new()));
    }
}
