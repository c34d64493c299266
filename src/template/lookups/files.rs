//! Lookups that read controller files: `file` (the text), `fileglob` (the files a pattern
//! matches) and `first_found` (the first of several candidates that exists).

use std::path::{Path, PathBuf};

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::search::{find, search_dirs};
use super::{Ctx, fail, string_terms};

/// `file`: each file's text, stripped at the end (`rstrip`, default true) and, with `lstrip`, at
/// the start.
pub(crate) fn file(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let lstrip = ctx.flag("lstrip", false)?;
    let rstrip = ctx.flag("rstrip", true)?;
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        let path = find(ctx, Some("files"), &term).ok_or_else(|| {
            fail(format!(
                "Unable to access the file '{term}': not found in the files/ directories of \
                 the role and the playbook, nor beside them"
            ))
        })?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| fail(format!("Unable to access the file '{}': {e}", path.display())))?;
        let mut text = text.as_str();
        if lstrip {
            text = text.trim_start();
        }
        if rstrip {
            text = text.trim_end();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

/// `fileglob`: the regular files matching each pattern (wildcards in the last path component),
/// in the first directory of the search path (`files/` first) where the pattern matches any.
/// Ansible returns them in directory order; playhook sorts them by name.
pub(crate) fn fileglob(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        let (dir, pattern) = match term.rsplit_once('/') {
            Some((dir, pattern)) => (Some(if dir.is_empty() { "/" } else { dir }), pattern),
            None => (None, term.as_str()),
        };
        let dirs: Vec<PathBuf> = match dir {
            Some(dir) => find(ctx, Some("files"), dir).into_iter().collect(),
            None => search_dirs(ctx)
                .into_iter()
                .flat_map(|d| [d.join("files"), d])
                .collect(),
        };
        for dir in dirs {
            let found = glob_in(&dir, pattern);
            if !found.is_empty() {
                out.extend(
                    found
                        .into_iter()
                        .map(|p| Value::from(p.to_string_lossy().as_ref())),
                );
                break;
            }
        }
    }
    Ok(out)
}

fn glob_in(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (!name.starts_with('.') || pattern.starts_with('.')) && wildcard(pattern, &name)
        })
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Shell-style matching: `*`, `?` and `[...]` (with `!` negation and ranges).
pub(crate) fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches(&p, &n)
}

fn matches(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| matches(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && matches(&p[1..], &n[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                return n.first() == Some(&'[') && matches(&p[1..], &n[1..]);
            };
            let Some(c) = n.first() else { return false };
            let (negate, set) = match p[1] {
                '!' => (true, &p[2..close]),
                _ => (false, &p[1..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= set[i] <= *c && *c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == *c;
                    i += 1;
                }
            }
            hit != negate && matches(&p[close + 1..], &n[1..])
        }
        Some(c) => n.first() == Some(c) && matches(&p[1..], &n[1..]),
    }
}

/// `first_found`: the path of the first candidate that exists. Terms are file names, lists of
/// them, or mappings with `files`, `paths` and `skip`; names are split on `,` and `;`, paths
/// on `,`, `:` and `;`. With `skip`, nothing found gives an empty list instead of an error.
pub(crate) fn first_found(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut skip = ctx.flag("skip", false)?;
    let mut terms = terms;
    if terms.is_empty() {
        if let Some(files) = ctx.kwarg("files")? {
            terms.push(files);
        }
    }
    let paths = ctx.kwarg("paths")?;
    let mut candidates = Vec::new();
    collect(&terms, paths.as_ref(), &mut skip, &mut candidates)?;
    let subdir = ctx.with_subdir.as_deref();
    for candidate in candidates {
        if let Some(found) = find(ctx, subdir, &candidate) {
            return Ok(vec![Value::from(found.to_string_lossy().as_ref())]);
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(fail("No file was found when using first_found."))
}

fn collect(
    terms: &[Value],
    paths: Option<&Value>,
    skip: &mut bool,
    out: &mut Vec<String>,
) -> Result<(), Error> {
    for term in terms {
        let (files, term_paths) = match term.kind() {
            ValueKind::Map => {
                let get = |key: &str| {
                    term.get_attr(key)
                        .ok()
                        .filter(|v| !v.is_undefined() && !v.is_none())
                };
                if let Some(s) = get("skip") {
                    *skip = crate::truthy::boolean(&s).unwrap_or(s.is_true());
                }
                (get("files").unwrap_or_default(), get("paths"))
            }
            ValueKind::String => (term.clone(), paths.cloned()),
            ValueKind::Seq => {
                let inner: Vec<Value> = term.try_iter()?.collect();
                collect(&inner, paths, skip, out)?;
                continue;
            }
            _ => {
                return Err(fail(format!(
                    "Invalid term supplied. A string, dict or list is required, not '{}'.",
                    crate::template::type_name(term)
                )));
            }
        };
        let files = split_on(&files, &[',', ';'])?;
        let dirs = match term_paths {
            Some(p) => split_on(&p, &[',', ':', ';'])?,
            None => Vec::new(),
        };
        if dirs.is_empty() {
            out.extend(files);
        } else {
            for dir in &dirs {
                for f in &files {
                    out.push(Path::new(dir).join(f).to_string_lossy().into_owned());
                }
            }
        }
    }
    Ok(())
}

fn split_on(value: &Value, seps: &[char]) -> Result<Vec<String>, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(Vec::new());
    }
    let parts: Vec<String> = match value.as_str() {
        Some(s) => vec![s.to_string()],
        None => value.try_iter()?.map(|v| v.to_string()).collect(),
    };
    Ok(parts
        .iter()
        .flat_map(|p| {
            p.split(|c| seps.contains(&c))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards_match_like_fnmatch() {
        assert!(wildcard("*.conf", "a.conf"));
        assert!(!wildcard("*.conf", "a.conf.bak"));
        assert!(wildcard("a?[0-9]", "ab7"));
        assert!(!wildcard("a[!b]", "ab"));
        assert!(wildcard("[[]x", "[x"));
    }
}
