//! Path filters that read the controller, as Python's `os.path` does there: `expanduser` (the
//! `HOME` of the run's environment, else the user database), `expandvars` (the run's
//! environment), `realpath` (symlinks on this machine, relative to the working directory) and
//! `relpath`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::Value;

use super::args::bind;
use super::paths::{abspath, split};
use super::{add, fail, text};
use crate::template::EngineOptions;

pub(super) fn register(env: &mut Environment<'static>, options: Arc<EngineOptions>) {
    let o = options.clone();
    add(env, "expanduser", move |_, v, a| {
        bind("expanduser", &[], a)?;
        Ok(Value::from(expanduser(&text(&v), &o.environment)))
    });
    add(env, "expandvars", move |_, v, a| {
        bind("expandvars", &[], a)?;
        Ok(Value::from(expandvars(&text(&v), &options.environment)))
    });
    add(env, "realpath", |_, v, a| {
        bind("realpath", &[], a)?;
        Ok(Value::from(realpath(&text(&v))))
    });
    add(env, "relpath", |_, v, a| {
        let a = bind("relpath", &["start"], a)?;
        let start = a.string("start", ".");
        let path = text(&v);
        if path.is_empty() {
            return Err(fail("relpath: no path specified; give it a path"));
        }
        Ok(Value::from(relpath(&path, &start)))
    });
}

/// `os.path.expanduser`.
fn expanduser(path: &str, environ: &BTreeMap<String, String>) -> String {
    if !path.starts_with('~') {
        return path.to_string();
    }
    let i = path[1..].find('/').map(|i| i + 1).unwrap_or(path.len());
    let home = if i == 1 {
        match environ.get("HOME") {
            Some(home) => Some(home.clone()),
            None => passwd_home(|_, uid| uid == rustix::process::getuid().as_raw()),
        }
    } else {
        passwd_home(|name, _| name == &path[1..i])
    };
    let Some(home) = home else {
        return path.to_string();
    };
    let joined = format!("{}{}", home.trim_end_matches('/'), &path[i..]);
    if joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

/// The home directory of the first `/etc/passwd` entry that `wanted(name, uid)` accepts.
fn passwd_home(wanted: impl Fn(&str, u32) -> bool) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        let uid = f.get(2)?.parse().ok()?;
        wanted(f.first()?, uid).then(|| f.get(5).map(|h| h.to_string()))?
    })
}

/// `os.path.expandvars`: `$name` and `${name}` of set variables; others stay as written.
fn expandvars(path: &str, environ: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match environ.get(name).filter(|_| len > 0) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[dollar..dollar + 1 + len]),
        }
        rest = &rest[dollar + 1 + len..];
    }
    out.push_str(rest);
    out
}

/// `os.path.realpath` (not strict): symlinks resolved as far as the path exists.
fn realpath(path: &str) -> String {
    let mut seen = BTreeMap::new();
    abspath(&join_real(String::new(), path, &mut seen).0)
}

/// Python's `posixpath._joinrealpath`: `rest` resolved onto the already real `path`.
fn join_real(mut path: String, rest: &str, seen: &mut BTreeMap<String, Option<String>>) -> (String, bool) {
    let mut rest = rest;
    if let Some(stripped) = rest.strip_prefix('/') {
        rest = stripped;
        path = "/".to_string();
    }
    while !rest.is_empty() {
        let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
        rest = tail;
        if name.is_empty() || name == "." {
            continue;
        }
        if name == ".." {
            if path.is_empty() {
                path = "..".to_string();
            } else {
                let (head, last) = split(&path);
                path = if last == ".." {
                    join(&join(&head, ".."), "..")
                } else {
                    head
                };
            }
            continue;
        }
        let new = join(&path, name);
        let is_link = std::fs::symlink_metadata(&new).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            path = new;
            continue;
        }
        if let Some(known) = seen.get(&new) {
            match known {
                Some(real) => {
                    path = real.clone();
                    continue;
                }
                None => return (join(&new, rest), false),
            }
        }
        seen.insert(new.clone(), None);
        let target = match std::fs::read_link(Path::new(&new)) {
            Ok(t) => t.to_string_lossy().into_owned(),
            Err(_) => {
                path = new;
                continue;
            }
        };
        let (real, ok) = join_real(path, &target, seen);
        if !ok {
            return (join(&real, rest), false);
        }
        seen.insert(new, Some(real.clone()));
        path = real;
    }
    (path, true)
}

/// `os.path.join` of two parts.
fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// `os.path.relpath`.
fn relpath(path: &str, start: &str) -> String {
    let start = if start.is_empty() { "." } else { start };
    let parts = |p: &str| -> Vec<String> {
        abspath(p)
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (from, to) = (parts(start), parts(path));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel: Vec<String> = vec!["..".to_string(); from.len() - common];
    rel.extend(to[common..].iter().cloned());
    if rel.is_empty() {
        ".".to_string()
    } else {
        rel.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_os_path() {
        let env: BTreeMap<String, String> = [("HOME", "/home/me/"), ("A", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(expanduser("~/a", &env), "/home/me/a");
        assert_eq!(expanduser("~root/a", &env), "/root/a");
        assert_eq!(expanduser("~nobody-here/a", &env), "~nobody-here/a");
        assert_eq!(expandvars("$A/${A}/$B/${}/$/a$", &env), "x/x/$B/${}/$/a$");
        assert_eq!(relpath("/a/b/c", "/a/d"), "../b/c");
        assert_eq!(relpath("/a", "/a"), ".");
        assert_eq!(realpath("/etc/../tmp//./x"), "/tmp/x");
    }
}
