//! Where a repository's variables are written: every variable value that holds a template,
//! with its file and line, read from the YAML of play and task files (`vars:` of plays, blocks,
//! tasks and role entries), `vars_files`, role `defaults/` and `vars/`, `group_vars/` and
//! `host_vars/`, and inventory files. The pre-run checks check each one like a template; the
//! executor names the line of a variable that fails to render.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::Value;

use crate::loc::Loc;
use crate::yaml::{self, Node};

/// One variable value (or a string inside it) that holds a template.
#[derive(Clone, Debug)]
pub struct VarSource {
    /// The variable's name (the top-level key).
    pub name: String,
    /// The key path shown in messages: `a`, `a.b`, `a[0]`.
    pub path: String,
    pub loc: Loc,
    /// The template text.
    pub text: String,
}

/// Every variable source found, in file order.
#[derive(Clone, Debug, Default)]
pub struct VarSources(pub Vec<VarSource>);

/// Which files to read and how.
#[derive(Default)]
pub struct Files {
    /// Play and task files: their `vars:` mappings, at any depth.
    pub yaml_with_vars: BTreeSet<PathBuf>,
    /// Files that are a mapping of variables (vars_files, role defaults and vars, group_vars,
    /// host_vars) or YAML inventories: every string.
    pub whole: BTreeSet<PathBuf>,
    /// INI inventories: every `{{ }}` on a line.
    pub ini: BTreeSet<PathBuf>,
}

impl Files {
    /// Adds a role's `defaults/main` and `vars/main`.
    pub fn role(&mut self, role_dir: &Path) {
        for sub in ["defaults", "vars"] {
            for ext in ["yml", "yaml", "json"] {
                let p = role_dir.join(sub).join(format!("main.{ext}"));
                if p.is_file() {
                    self.whole.insert(p);
                }
            }
        }
    }

    /// Adds `group_vars/` and `host_vars/` under `dir`, every file at any depth.
    pub fn vars_dirs(&mut self, dir: &Path) {
        for sub in ["group_vars", "host_vars"] {
            walk(&dir.join(sub), &mut self.whole);
        }
    }

    /// Adds an inventory source: a file (YAML or INI), or a directory of them with its
    /// `group_vars/` and `host_vars/`; scripts are skipped.
    pub fn inventory(&mut self, source: &Path) {
        if source.is_dir() {
            self.vars_dirs(source);
            if let Ok(entries) = std::fs::read_dir(source) {
                let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
                paths.sort();
                for p in paths.into_iter().filter(|p| p.is_file()) {
                    self.inventory_file(&p);
                }
            }
        } else if source.is_file() {
            if let Some(dir) = source.parent() {
                self.vars_dirs(dir);
            }
            self.inventory_file(source);
        }
    }

    fn inventory_file(&mut self, path: &Path) {
        let executable = {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
        };
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if matches!(ext, "yml" | "yaml" | "json") {
            self.whole.insert(path.to_path_buf());
        } else if !executable && !matches!(ext, "retry" | "pyc" | "cfg" | "md" | "txt") {
            self.ini.insert(path.to_path_buf());
        }
    }

    /// Reads every file; unreadable files are skipped (their loaders report them).
    pub fn read(&self) -> VarSources {
        let mut out = Vec::new();
        for path in &self.yaml_with_vars {
            if let Ok(Some(doc)) = yaml::load_file(path) {
                vars_mappings(&doc, &mut out);
            }
        }
        for path in &self.whole {
            if let Ok(Some(doc)) = yaml::load_file(path) {
                if let Some(entries) = doc.as_map() {
                    for (k, v) in entries {
                        strings(v, k, k, &mut out);
                    }
                }
            }
        }
        for path in &self.ini {
            if let Ok(text) = std::fs::read_to_string(path) {
                ini_templates(path, &text, &mut out);
            }
        }
        VarSources(out)
    }
}

impl VarSources {
    /// Where the variable `name` whose raw value is `raw` is written: the source with that name
    /// and text, else the first with that name.
    pub fn find(&self, name: &str, raw: Option<&Value>) -> Option<&Loc> {
        let text = raw.and_then(|r| r.as_str());
        let named = || self.0.iter().filter(|s| s.name == name);
        named()
            .find(|s| text.is_some_and(|t| t == s.text))
            .or_else(|| named().next())
            .map(|s| &s.loc)
    }
}

fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else {
            let ext = path.extension().and_then(|e| e.to_str());
            if ext.is_none_or(|e| matches!(e, "yml" | "yaml" | "json")) {
                out.insert(path);
            }
        }
    }
}

/// Every `vars:` mapping in a play or task file, at any depth.
fn vars_mappings(node: &Node, out: &mut Vec<VarSource>) {
    if let Some(entries) = node.as_map() {
        for (k, v) in entries {
            if k == "vars" && v.as_map().is_some() {
                for (name, value) in v.as_map().unwrap_or_default() {
                    strings(value, name, name, out);
                }
            } else {
                vars_mappings(v, out);
            }
        }
    } else if let Some(items) = node.as_seq() {
        for item in items {
            vars_mappings(item, out);
        }
    }
}

/// Every string holding a template inside a variable's value.
fn strings(node: &Node, name: &str, path: &str, out: &mut Vec<VarSource>) {
    if let Some(s) = node.as_str() {
        if s.contains("{{") || s.contains("{%") {
            out.push(VarSource {
                name: name.to_string(),
                path: path.to_string(),
                loc: node.loc.clone(),
                text: s.to_string(),
            });
        }
    } else if let Some(entries) = node.as_map() {
        for (k, v) in entries {
            strings(v, name, &format!("{path}.{k}"), out);
        }
    } else if let Some(items) = node.as_seq() {
        for (i, v) in items.iter().enumerate() {
            strings(v, name, &format!("{path}[{i}]"), out);
        }
    }
}

/// The `{{ ... }}` of an INI inventory, each named after the `key=` before it.
fn ini_templates(path: &Path, text: &str, out: &mut Vec<VarSource>) {
    let file = std::sync::Arc::new(path.to_path_buf());
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut offset = 0;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            let template = &rest[start..start + len + 2];
            let before = &line[..offset + start];
            let name = before
                .rfind('=')
                .map(|eq| {
                    let key = &before[..eq];
                    key.rsplit(|c: char| c.is_whitespace()).next().unwrap_or(key)
                })
                .unwrap_or("?")
                .trim_matches(|c| c == '"' || c == '\'');
            out.push(VarSource {
                name: name.to_string(),
                path: name.to_string(),
                loc: Loc::new(&file, i + 1),
                text: template.to_string(),
            });
            offset += start + len + 2;
            rest = &line[offset..];
        }
    }
}
