//! POSIX path filters as Python's `os.path` computes them from the text alone: `basename`,
//! `dirname`, `path_join`, `splitext`, `normpath`, `commonpath`.

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
    add(env, "normpath", |_, v, a| {
        bind("normpath", &[], a)?;
        Ok(Value::from(normpath(&text(&v))))
    });
    add(env, "commonpath", |_, v, a| {
        bind("commonpath", &[], a)?;
        commonpath(&v)
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

/// `os.path.split`: the directory (without its trailing slashes, unless only slashes) and the
/// last component.
pub(crate) fn split(p: &str) -> (String, String) {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let head = &p[..i];
    let head = if head.chars().all(|c| c == '/') {
        head
    } else {
        head.trim_end_matches('/')
    };
    (head.to_string(), p[i..].to_string())
}

/// `os.path.normpath`.
pub(crate) fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let slashes = match (p.starts_with("//"), p.starts_with("///"), p.starts_with('/')) {
        (true, false, _) => 2,
        (_, _, true) => 1,
        _ => 0,
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (slashes == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(comp);
        } else {
            comps.pop();
        }
    }
    let out = format!("{}{}", "/".repeat(slashes), comps.join("/"));
    if out.is_empty() { ".".to_string() } else { out }
}

/// `os.path.abspath`, relative to the working directory.
pub(crate) fn abspath(p: &str) -> String {
    if p.starts_with('/') {
        return normpath(p);
    }
    let cwd = std::env::current_dir()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".to_string());
    normpath(&format!("{}/{p}", cwd.trim_end_matches('/')))
}

/// `os.path.commonpath` of a list of paths.
fn commonpath(value: &Value) -> Result<Value, Error> {
    if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Err(fail(format!(
            "|commonpath expects sequence, got {} instead",
            crate::template::python::type_name(value)
        )));
    }
    let paths: Vec<String> = items(value)?.iter().map(text).collect();
    if paths.is_empty() {
        return Err(fail(
            "commonpath: commonpath() arg is an empty sequence; give it paths",
        ));
    }
    let absolute = paths[0].starts_with('/');
    if paths.iter().any(|p| p.starts_with('/') != absolute) {
        return Err(fail("commonpath: Can't mix absolute and relative paths"));
    }
    let split: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| p.split('/').filter(|c| !c.is_empty() && *c != ".").collect())
        .collect();
    let (Some(low), Some(high)) = (split.iter().min(), split.iter().max()) else {
        return Err(fail("commonpath: no paths"));
    };
    let n = low.iter().zip(high).take_while(|(a, b)| a == b).count();
    let prefix = if absolute { "/" } else { "" };
    Ok(Value::from(format!("{prefix}{}", low[..n].join("/"))))
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
