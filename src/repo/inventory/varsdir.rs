//! `group_vars/` and `host_vars/` directories: for a group or host NAME, the first of `NAME`,
//! `NAME.yml`, `NAME.yaml`, `NAME.json` that exists; a directory `NAME/` contributes all its
//! files (sorted, recursively, hidden and `~` backups skipped), later files winning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::loc::Loc;
use crate::yaml::load_file;

use super::InventoryError;
use super::model::Vars;

const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

/// The variable files found beside one inventory source or the playbook.
#[derive(Clone, Debug, Default)]
pub struct VarsDir {
    pub dir: PathBuf,
    pub groups: HashMap<String, Vars>,
    pub hosts: HashMap<String, Vars>,
}

impl VarsDir {
    /// Reads `dir/group_vars/GROUP*` for each group and `dir/host_vars/HOST*` for each host.
    pub fn load<'a>(
        dir: &Path,
        groups: impl IntoIterator<Item = &'a str>,
        hosts: impl IntoIterator<Item = &'a str>,
    ) -> Result<VarsDir, InventoryError> {
        let mut out = VarsDir {
            dir: dir.to_path_buf(),
            ..VarsDir::default()
        };
        for (sub, names, target) in [
            (
                "group_vars",
                groups.into_iter().collect::<Vec<_>>(),
                &mut out.groups,
            ),
            ("host_vars", hosts.into_iter().collect::<Vec<_>>(), &mut out.hosts),
        ] {
            let base = dir.join(sub);
            if !base.is_dir() {
                continue;
            }
            for name in names {
                if name.starts_with('/') {
                    continue;
                }
                let files = find_vars_files(&base, name);
                if files.is_empty() {
                    continue;
                }
                let mut vars = Vars::new();
                for file in files {
                    for (k, v) in load_vars_file(&file)? {
                        vars.insert(k, v);
                    }
                }
                target.insert(name.to_string(), vars);
            }
        }
        Ok(out)
    }
}

/// The files Ansible reads for `name` under a `group_vars/` or `host_vars/` directory.
pub fn find_vars_files(base: &Path, name: &str) -> Vec<PathBuf> {
    for ext in EXTENSIONS {
        let path = base.join(format!("{name}{ext}"));
        if path.is_dir() {
            let mut found = Vec::new();
            dir_files(&path, &mut found);
            return found;
        }
        if path.exists() {
            return vec![path];
        }
    }
    Vec::new()
}

/// The names in `dir`, sorted (the order Ansible reads an inventory or vars directory in);
/// entries that cannot be read are left out.
pub(super) fn sorted_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn dir_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(names) = sorted_names(dir) else {
        return;
    };
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = Path::new(&name).extension().and_then(|e| e.to_str());
        if path.is_dir() && ext.is_none() {
            dir_files(&path, found);
        } else if path.is_file() && ext.is_none_or(|e| matches!(e, "yml" | "yaml" | "json")) {
            found.push(path);
        }
    }
}

/// Reads one variables file: a mapping, or nothing when the file is empty.
pub fn load_vars_file(path: &Path) -> Result<Vars, InventoryError> {
    let Some(root) = load_file(path)? else {
        return Ok(Vars::new());
    };
    if root.is_null() {
        return Ok(Vars::new());
    }
    let Some(entries) = root.as_map() else {
        return Err(InventoryError::invalid(
            &Loc::new(&root.loc.file, root.loc.line.max(1)),
            format!("a variables file must be a mapping, got {}", root.type_name()),
        ));
    };
    Ok(entries.iter().map(|(k, v)| (k.clone(), v.to_value())).collect())
}
