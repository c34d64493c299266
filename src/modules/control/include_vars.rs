//! `include_vars`: loads variables from YAML or JSON files on the controller while the play runs
//! (a file, or every matching file of a directory), as host variables for the rest of the run.
//!
//! Files are found as Ansible's action finds them: the role's `vars/` (and the role), the task
//! file's directory, then the playbook directory ([`ModuleCtx::find_source`]). Values are not
//! templated here: like every variable, they are templated when read.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use fancy_regex::Regex;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::value::entries;

/// The `include_vars` module.
pub struct IncludeVars;

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum HashBehaviour {
    #[default]
    Replace,
    Merge,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(rename = "_raw_params")]
    raw_params: Option<String>,
    file: Option<String>,
    dir: Option<String>,
    name: Option<String>,
    depth: Option<u64>,
    files_matching: Option<String>,
    ignore_files: Option<Vec<String>>,
    extensions: Option<Vec<String>>,
    ignore_unknown_extensions: Option<bool>,
    hash_behaviour: Option<HashBehaviour>,
}

#[async_trait]
impl TypedModule for IncludeVars {
    type Params = Params;

    const SPEC: Spec = Spec::controller("include_vars")
        .free_form()
        .defines(Defines::VariablesFromFiles);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let file = p.file.clone().or(p.raw_params.clone()).filter(|f| !f.is_empty());
        let files = match (&file, &p.dir) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Params(
                    "include_vars: parameters are mutually exclusive: file|dir".into(),
                ));
            }
            (None, None) => {
                return Err(ModuleError::Params(
                    "include_vars: give a file (`include_vars: vars/x.yml` or `file:`) or `dir:`".into(),
                ));
            }
            (Some(file), None) => vec![ctx.find_source("vars", file)?],
            (None, Some(dir)) => dir_files(&ctx.find_source("vars", dir)?, &p)?,
        };
        let behaviour = p.hash_behaviour.unwrap_or_default();
        let mut vars: IndexMap<String, Value> = IndexMap::new();
        for path in &files {
            let loaded = crate::repo::vars_file::load_vars_file(path)
                .map_err(|e| ModuleError::Local(format!("include_vars: {e}")))?;
            for (k, v) in entries(&loaded) {
                let key = k.as_str().unwrap_or_default().to_string();
                let value = match (behaviour, vars.get(&key)) {
                    (HashBehaviour::Merge, Some(old)) => crate::value::merged(old, &v),
                    _ => v,
                };
                vars.insert(key, value);
            }
        }
        let facts = match &p.name {
            Some(name) => Value::from_pairs([(Value::from(name.as_str()), Value::from_pairs(vars))]),
            None => Value::from_pairs(vars),
        };
        let included: Vec<Value> = files
            .iter()
            .map(|f| Value::from(f.display().to_string()))
            .collect();
        Ok(Outcome::ok()
            .with("ansible_facts", facts)
            .with("ansible_included_var_files", included))
    }
}

/// The files `dir:` names, walked as Ansible walks it: sorted, down to `depth` levels (0: all),
/// with a known extension, matching `files_matching`, minus `ignore_files`.
fn dir_files(dir: &Path, p: &Params) -> Result<Vec<PathBuf>, ModuleError> {
    let extensions = p
        .extensions
        .clone()
        .unwrap_or_else(|| vec!["yaml".into(), "yml".into(), "json".into()]);
    let matching = p
        .files_matching
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| ModuleError::Params(format!("include_vars: files_matching: {e}")))?;
    let ignored = p.ignore_files.clone().unwrap_or_default();
    let mut out = Vec::new();
    walk(dir, 1, p.depth.unwrap_or(0), &mut out)?;
    let mut kept = Vec::new();
    for path in out {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ignored.contains(&name) {
            continue;
        }
        if let Some(re) = &matching {
            if !re.is_match(&name).unwrap_or(false) {
                continue;
            }
        }
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !extensions.contains(&extension) {
            if p.ignore_unknown_extensions.unwrap_or(false) {
                continue;
            }
            return Err(ModuleError::failed(format!(
                "{} does not have a valid extension: {}",
                path.display(),
                extensions.join(", ")
            )));
        }
        kept.push(path);
    }
    Ok(kept)
}

fn walk(dir: &Path, level: u64, depth: u64, out: &mut Vec<PathBuf>) -> Result<(), ModuleError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ModuleError::Local(format!("include_vars: reading {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) = entries.into_iter().partition(|p| p.is_dir());
    out.extend(files);
    if depth == 0 || level < depth {
        for sub in dirs {
            walk(&sub, level + 1, depth, out)?;
        }
    }
    Ok(())
}
