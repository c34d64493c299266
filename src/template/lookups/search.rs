//! Where lookups find controller files: Ansible's search path (`ansible_search_path`, else
//! `role_path` then `playbook_dir`), each entry tried with the lookup's subdirectory
//! (`files/`, `templates/`, `vars/`) first, then directly.

use std::path::{Path, PathBuf};

use minijinja::value::ValueKind;

use super::Ctx;

/// The directories searched, in order.
pub(crate) fn search_dirs(ctx: &Ctx<'_, '_, '_>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    match ctx.var("ansible_search_path") {
        Some(list) if list.kind() == ValueKind::Seq => {
            if let Ok(iter) = list.try_iter() {
                paths.extend(iter.map(|p| PathBuf::from(p.to_string())));
            }
        }
        _ => {
            for var in ["role_path", "playbook_dir"] {
                if let Some(v) = ctx.var(var).filter(|v| v.as_str().is_some()) {
                    paths.push(PathBuf::from(v.to_string()));
                }
            }
        }
    }
    if let Some(dir) = ctx.var("playbook_dir").filter(|v| v.as_str().is_some()) {
        let dir = PathBuf::from(dir.to_string());
        if !paths.contains(&dir) {
            paths.push(dir);
        }
    }
    paths
}

/// The playbook's directory, against which `pipe` runs and `password` paths are relative.
pub(crate) fn base_dir(ctx: &Ctx<'_, '_, '_>) -> PathBuf {
    ctx.var("playbook_dir")
        .filter(|v| v.as_str().is_some())
        .map_or_else(|| PathBuf::from("."), |v| PathBuf::from(v.to_string()))
}

/// Finds `term` the way Ansible's lookups do: absolute and `~/` paths as they are, relative
/// ones under `subdir` of each search directory, then directly in it.
pub(crate) fn find(ctx: &Ctx<'_, '_, '_>, subdir: Option<&str>, term: &str) -> Option<PathBuf> {
    if let Some(rest) = term.strip_prefix("~/") {
        let home = ctx.options.environment.get("HOME")?;
        let path = Path::new(home).join(rest);
        return path.exists().then_some(path);
    }
    if term.starts_with('/') {
        let path = PathBuf::from(term);
        return path.exists().then_some(path);
    }
    for base in search_dirs(ctx) {
        let mut candidates = Vec::new();
        if let Some(sub) = subdir.filter(|sub| term.split('/').next() != Some(*sub)) {
            candidates.push(base.join(sub).join(term));
        }
        candidates.push(base.join(term));
        if let Some(found) = candidates.into_iter().find(|c| c.exists()) {
            return Some(found);
        }
    }
    None
}
