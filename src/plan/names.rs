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

/// `global` with the variables every `add_host` of the playbook sets (its argument keys), which
/// the added hosts have in every later play.
pub fn with_added_host_vars(
    playbook: &crate::repo::playbook::Playbook,
    global: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut names = global.clone();
    for play in &playbook.plays {
        for task in play_tasks(play) {
            if let Action::Module { module, args } = &task.action {
                if module.name() == "add_host" {
                    add_keys(&mut names, args);
                }
            }
        }
    }
    names
}

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
        add_task_names(&mut names, task, &play.loc.file);
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

fn add_task_names(names: &mut BTreeSet<String>, task: &Task, playbook: &std::path::Path) {
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
            Defines::FactNamedBy { prefix, param } => {
                match args
                    .get_attr(param)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                {
                    Some(value) if !value.contains("{{") => {
                        names.insert(format!("{prefix}{value}"));
                    }
                    _ => {
                        names.insert("*".to_string());
                    }
                }
            }
            Defines::VariablesFromFiles => add_included_vars(names, task, args, playbook),
            Defines::Nothing => {}
        },
        Action::IncludeTasks { .. } | Action::IncludeRole { .. } => {
            // Included files are read at run time; what they define is not known here.
            names.insert("*".to_string());
        }
        _ => {}
    }
}

/// The names an `include_vars` defines: its `name`, or the keys of its file when the file's
/// name is constant and the file is found; anything else may define any name.
fn add_included_vars(names: &mut BTreeSet<String>, task: &Task, args: &Value, playbook: &std::path::Path) {
    let arg = |key: &str| {
        args.get_attr(key)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| !s.is_empty())
    };
    if let Some(name) = arg("name").filter(|n| !n.contains("{{")) {
        names.insert(name);
        return;
    }
    let file = arg("file")
        .or_else(|| arg("_raw_params"))
        .filter(|f| !f.contains("{{"));
    let playbook_dir = playbook.parent().unwrap_or(std::path::Path::new("."));
    let loaded = file.and_then(|file| {
        let role = task.role.as_ref().map(|r| r.path.as_path());
        let path =
            crate::modules::ctx::find_source(role, task.loc.file.parent(), playbook_dir, "vars", &file)
                .ok()?;
        crate::repo::vars_file::load_vars_file(&path).ok()
    });
    match loaded {
        Some(vars) => add_keys(names, &vars),
        None => {
            names.insert("*".to_string());
        }
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

/// Ansible's magic and connection variables named `ansible_...` (besides facts), exactly.
const ANSIBLE_MAGIC: &[&str] = &[
    "ansible_facts",
    "ansible_host",
    "ansible_port",
    "ansible_user",
    "ansible_password",
    "ansible_connection",
    "ansible_check_mode",
    "ansible_diff_mode",
    "ansible_index_var",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_version",
    "ansible_verbosity",
    "ansible_limit",
    "ansible_inventory_sources",
    "ansible_playbook_python",
    "ansible_config_file",
    "ansible_search_path",
    "ansible_managed",
    "ansible_forks",
    "ansible_collection_name",
    "ansible_dependent_role_names",
    "ansible_group_priority",
    "ansible_host_key_checking",
    "ansible_private_key_file",
    "ansible_pipelining",
    "ansible_timeout",
    "ansible_remote_tmp",
    "ansible_async_dir",
    "ansible_module_compression",
];

/// Prefixes of Ansible's magic and connection variables (`ansible_play_hosts`,
/// `ansible_become_user`, `ansible_ssh_common_args`, ...).
const ANSIBLE_MAGIC_PREFIXES: &[&str] = &[
    "ansible_become",
    "ansible_play_",
    "ansible_loop",
    "ansible_role_",
    "ansible_parent_role_",
    "ansible_ssh_",
    "ansible_sftp_",
    "ansible_scp_",
    "ansible_shell_",
    "ansible_paramiko_",
];

/// Whether `name` may be read in a play whose known names are `known`: defined in the play or
/// inventory, a magic variable, or `ansible_<fact>` for a fact playhook gathers.
pub fn is_known(name: &str, known: &BTreeSet<String>) -> bool {
    known.contains("*") || known.contains(name) || name.starts_with("playhook_") || is_ansible_variable(name)
}

/// Why `name` is refused, and what to do.
pub fn undefined_message(name: &str) -> String {
    match name.strip_prefix("ansible_") {
        Some(fact) => format!(
            "'{name}' is undefined: playhook does not gather the fact `{fact}` and no inventory, \
             group_vars, play, role or task defines it (see the supported facts in README.md; define \
             it, or guard it with `| default(...)` or `is defined`)"
        ),
        None => format!(
            "'{name}' is undefined: no inventory, group_vars, play, role or task defines it \
             (define it, or guard it with `| default(...)` or `is defined`)"
        ),
    }
}

/// Whether `name` is one of Ansible's `ansible_...` variables playhook defines: a magic or
/// connection variable, an interpreter (`ansible_python_interpreter`), or a gathered fact.
fn is_ansible_variable(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("ansible_") else {
        return false;
    };
    ANSIBLE_MAGIC.contains(&name)
        || ANSIBLE_MAGIC_PREFIXES.iter().any(|p| name.starts_with(p))
        || rest.ends_with("_interpreter")
        || crate::facts::is_fact(rest)
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

    #[test]
    fn ansible_names_are_facts_or_magic() {
        let known = BTreeSet::from(["ansible_custom".to_string()]);
        for name in [
            "ansible_distribution",
            "ansible_default_ipv4",
            "ansible_play_hosts",
            "ansible_become_user",
            "ansible_python_interpreter",
            "ansible_ssh_common_args",
            "ansible_custom",
        ] {
            assert!(is_known(name, &known), "{name}");
        }
        assert!(!is_known("ansible_totally_made_up", &known));
        assert!(!is_known("ansible_eth0", &known));
    }
}
