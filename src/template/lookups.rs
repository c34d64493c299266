//! Lookups: `lookup('env', 'HOME')`, `lookup('file', 'motd')`, and their list forms
//! `query(...)` / `q(...)`. Relative files are searched as Ansible does: in each search path
//! (`ansible_search_path`, else `role_path` then `playbook_dir`), first under `files/`, then
//! directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Rest, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::engine::EngineOptions;

/// Lookups playhook provides.
pub const NAMES: &[&str] = &["env", "file"];

pub(crate) fn register(env: &mut Environment<'static>, options: Arc<EngineOptions>) {
    for (name, want_list) in [("lookup", false), ("query", true), ("q", true)] {
        let options = options.clone();
        env.add_function(name, move |state: &State, args: Rest<ValueOrKwargs>| {
            let args = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
            call(state, &options, want_list, args)
        });
    }
}

fn call(
    state: &State,
    options: &EngineOptions,
    want_list: bool,
    mut args: Vec<Value>,
) -> Result<Value, Error> {
    let kwargs = match args.last() {
        Some(last) if last.is_kwargs() => Some(Kwargs::try_from(args.pop().unwrap_or_default())?),
        _ => None,
    };
    if args.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingArgument,
            "lookup() needs the name of a lookup",
        ));
    }
    let name_value = args.remove(0);
    let name = name_value
        .as_str()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "the lookup name must be a string"))?;
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    let mut terms = Vec::new();
    for arg in args {
        match arg.as_str() {
            Some(s) => terms.push(s.to_string()),
            None if arg.kind() == minijinja::value::ValueKind::Seq => {
                for item in arg.try_iter()? {
                    terms.push(item.to_string());
                }
            }
            None => terms.push(arg.to_string()),
        }
    }
    let get_bool = |key: &str, default: bool| -> Result<bool, Error> {
        match &kwargs {
            Some(k) if k.has(key) => k.get::<bool>(key),
            _ => Ok(default),
        }
    };
    let wantlist = get_bool("wantlist", want_list)?;
    let results: Vec<Value> = match name {
        "env" => {
            let default = match &kwargs {
                Some(k) if k.has("default") => k.get::<Value>("default")?,
                _ => Value::from(""),
            };
            terms
                .iter()
                .map(|term| {
                    let var = term.split_whitespace().next().unwrap_or_default();
                    match options.environment.get(var) {
                        Some(v) => Value::from(v.as_str()),
                        None => default.clone(),
                    }
                })
                .collect()
        }
        "file" => {
            let lstrip = get_bool("lstrip", false)?;
            let rstrip = get_bool("rstrip", true)?;
            let mut out = Vec::new();
            for term in &terms {
                let path = find_file(state, options, term).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "Unable to access the file '{term}': not found in the files/ directories of \
                             the role and the playbook, nor beside them"
                        ),
                    )
                })?;
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("Unable to access the file '{}': {e}", path.display()),
                    )
                })?;
                let mut text = text.as_str();
                if lstrip {
                    text = text.trim_start();
                }
                if rstrip {
                    text = text.trim_end();
                }
                out.push(Value::from(text));
            }
            out
        }
        other => {
            return Err(Error::new(
                ErrorKind::UnknownFunction,
                format!(
                    "unknown lookup '{other}'. Supported lookups: {}",
                    NAMES.join(", ")
                ),
            ));
        }
    };
    if wantlist {
        return Ok(Value::from(results));
    }
    if results.len() == 1 {
        return Ok(results.into_iter().next().unwrap_or_default());
    }
    let joined: Vec<String> = results.iter().map(super::python::python_str).collect();
    Ok(Value::from(joined.join(",")))
}

/// Finds `term` the way Ansible's file lookup does.
fn find_file(state: &State, options: &EngineOptions, term: &str) -> Option<PathBuf> {
    if let Some(rest) = term.strip_prefix("~/") {
        let home = options.environment.get("HOME")?;
        let path = Path::new(home).join(rest);
        return path.exists().then_some(path);
    }
    if term.starts_with('/') {
        let path = PathBuf::from(term);
        return path.exists().then_some(path);
    }
    let mut paths: Vec<String> = Vec::new();
    match state.lookup("ansible_search_path") {
        Some(list) if list.kind() == minijinja::value::ValueKind::Seq => {
            for p in list.try_iter().ok()? {
                paths.push(p.to_string());
            }
        }
        _ => {
            for var in ["role_path", "playbook_dir"] {
                if let Some(v) = state.lookup(var).filter(|v| v.as_str().is_some()) {
                    paths.push(v.to_string());
                }
            }
        }
    }
    if let Some(dir) = state.lookup("playbook_dir").filter(|v| v.as_str().is_some()) {
        paths.push(dir.to_string());
    }
    let uses_files = term.split('/').next() == Some("files");
    for base in &paths {
        let base = Path::new(base);
        let mut candidates = Vec::new();
        if !uses_files {
            candidates.push(base.join("files").join(term));
        }
        candidates.push(base.join(term));
        if let Some(found) = candidates.into_iter().find(|c| c.exists()) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use minijinja::Value;

    use crate::template::{Engine, EngineOptions};

    #[test]
    fn file_lookup_searches_role_then_playbook() {
        let dir = tempfile::tempdir().expect("temp dir");
        let role = dir.path().join("roles/web");
        std::fs::create_dir_all(role.join("files")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("files")).expect("mkdir");
        std::fs::write(role.join("files/a.txt"), "from role\n\n").expect("write");
        std::fs::write(dir.path().join("files/a.txt"), "from playbook files").expect("write");
        std::fs::write(dir.path().join("files/b.txt"), "  b  ").expect("write");
        std::fs::write(dir.path().join("c.txt"), "c").expect("write");
        let vars = Value::from_pairs([
            ("role_path", Value::from(role.to_string_lossy().as_ref())),
            ("playbook_dir", Value::from(dir.path().to_string_lossy().as_ref())),
        ]);
        let engine = Engine::new(EngineOptions {
            environment: [("HOME".to_string(), "/home/x".to_string())]
                .into_iter()
                .collect(),
        });
        let render = |src: &str| engine.render_str(src, &vars).map_err(|e| e.to_string());
        assert_eq!(
            render("{{ lookup('file', 'a.txt') }}").as_deref(),
            Ok("from role")
        );
        assert_eq!(render("[{{ lookup('file', 'b.txt') }}]").as_deref(), Ok("[  b]"));
        assert_eq!(render("{{ lookup('file', 'c.txt') }}").as_deref(), Ok("c"));
        assert_eq!(
            render("{{ query('file', 'c.txt', 'c.txt') }}").as_deref(),
            Ok("['c', 'c']")
        );
        assert_eq!(render("{{ lookup('env', 'HOME') }}").as_deref(), Ok("/home/x"));
        let err = render("{{ lookup('file', 'missing.txt') }}").expect_err("missing file");
        assert!(err.contains("missing.txt"), "{err}");
    }
}
