//! Which variable names a play can define, so a template reading a name defined nowhere is
//! refused before anything runs (`'x' is undefined` at the task's file and line).

use std::collections::BTreeSet;

use minijinja::Value;

use crate::modules::Defines;
use crate::repo::playbook::Play;
use crate::repo::task::{Action, Task};
use crate::value::entries;

use super::walk::play_tasks;

/// Names every task may read: magic variables and the loop variable defaults.
const MAGIC: &[&str] = &[
    "inventory_hostname",
    "inventory_hostname_short",
    "inventory_dir",
    "inventory_file",
    "group_names",
    "groups",
    "hostvars",
    "play_hosts",
    "playbook_dir",
    "omit",
    "secrets",
    "role_name",
    "role_path",
    "item",
    "vars",
    "environment",
];

/// The names a play can define, beyond `global` (inventory and extra variables).
pub fn play_names(play: &Play, global: &BTreeSet<String>) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = global.clone();
    names.extend(MAGIC.iter().map(|s| s.to_string()));
    add_keys(&mut names, &play.vars);
    for (file, _) in &play.vars_files {
        if let Some(path) = file.as_str().filter(|p| !p.contains("{{")) {
            if let Ok(vars) =
                crate::repo::vars_file::load_vars_file(&std::path::Path::new(&*play_dir(play)).join(path))
            {
                add_keys(&mut names, &vars);
            }
        } else {
            // A templated vars_files name: its variables cannot be known before running.
            names.insert("*".to_string());
        }
    }
    for role in &play.roles {
        add_keys(&mut names, &role.defaults);
        add_keys(&mut names, &role.vars);
        add_keys(&mut names, &role.params);
    }
    for task in play_tasks(play) {
        add_task_names(&mut names, task);
    }
    names
}

fn play_dir(play: &Play) -> String {
    play.loc
        .file
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn add_task_names(names: &mut BTreeSet<String>, task: &Task) {
    add_keys(names, &task.vars);
    if let Some(r) = &task.register {
        names.insert(r.clone());
    }
    if let Some(spec) = &task.loop_spec {
        names.insert(spec.loop_var.clone());
        names.extend(spec.index_var.clone());
    }
    match &task.action {
        Action::Module { module, args } => match module.spec().defines {
            Defines::ArgumentKeys => add_keys(names, args),
            Defines::Facts(facts) => {
                for fact in facts {
                    names.insert(fact.to_string());
                    names.insert(format!("ansible_{fact}"));
                }
            }
            Defines::Nothing => {}
        },
        Action::IncludeTasks { .. } | Action::IncludeRole { .. } => {
            // Included files are read at run time; what they define is not known here.
            names.insert("*".to_string());
        }
        _ => {}
    }
}

fn add_keys(names: &mut BTreeSet<String>, map: &Value) {
    for (k, _) in entries(map) {
        if let Some(k) = k.as_str() {
            names.insert(k.to_string());
        }
    }
}

/// Whether a template only reads `name` under a guard (`name is defined`, `name | default(...)`),
/// so an undefined `name` is expected.
pub fn guarded(source: &str, name: &str) -> bool {
    let escaped = fancy_regex::escape(name);
    let pattern = format!(
        r"\b{escaped}\b(\s*(\.\w+|\[[^\]]*\]))*\s*(\|\s*(default|d)\b|is\s+(not\s+)?(defined|undefined|none)\b)|\b(lookup|query|q)\s*\("
    );
    fancy_regex::Regex::new(&pattern)
        .ok()
        .and_then(|re| re.is_match(source).ok())
        .unwrap_or(true)
}

/// Whether `name` may be read in a play whose known names are `known`.
pub fn is_known(name: &str, known: &BTreeSet<String>) -> bool {
    known.contains("*")
        || known.contains(name)
        || name.starts_with("ansible_")
        || name.starts_with("playhook_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_are_recognised() {
        assert!(guarded("{{ x | default('a') }}", "x"));
        assert!(guarded("{{ x.y.z | d(1) }}", "x"));
        assert!(guarded("{% if x is defined %}{{ x }}{% endif %}", "x"));
        assert!(guarded("x is not defined or x == 1", "x"));
        assert!(!guarded("{{ x }}", "x"));
        assert!(!guarded("{{ xy | default(1) }} {{ x }}", "x"));
    }
}
