//! What a dynamic include (`include_tasks`, `include_role`) brings once its target is known:
//! the one loader of included files and roles, used by the executor at run time and by the
//! pre-run checks for the targets they can resolve.

use std::path::{Path, PathBuf};

use minijinja::Value;

use super::keywords::Inherited;
use super::load::Loader;
use super::task::{Action, Node, Task};
use super::tasks::Scope;

/// Why an include could not be loaded.
#[derive(Debug)]
pub enum IncludeError {
    /// The file or role does not exist (the message names the task's file:line).
    NotFound(String),
    /// It exists but does not load (YAML, unknown module, ...): the loader's message.
    Invalid(String),
}

impl std::fmt::Display for IncludeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IncludeError::NotFound(m) | IncludeError::Invalid(m) => f.write_str(m),
        }
    }
}

/// Loads what `task` (an include) brings for the templated `target` and loop `item`: its tasks,
/// and for `include_role` the role's handlers.
pub fn load_include(
    playbook_dir: &Path,
    roles_path: &[PathBuf],
    task: &Task,
    target: &str,
    item: &[(String, Value)],
) -> Result<(Vec<Node>, Vec<Node>), IncludeError> {
    let mut loader = Loader::new(playbook_dir.to_path_buf(), roles_path.to_vec());
    // The include's own `vars` and its loop item reach every included task.
    let mut inherited = Inherited::default();
    if matches!(task.action, Action::IncludeTasks { .. }) {
        inherited.vars = crate::value::entries(&task.vars)
            .into_iter()
            .map(|(k, v)| (key_text(&k), v))
            .chain(item.iter().cloned())
            .collect();
    }
    // A role gets them as role parameters.
    let params = crate::value::merged(
        &task.vars,
        &crate::value::map_of(item.iter().map(|(k, v)| (k.as_str(), v.clone()))),
    );
    let scope = Scope {
        inherited,
        role: task.role.clone(),
        dir: task.loc.file.parent().map(PathBuf::from).unwrap_or_default(),
        handler: false,
    };
    match &task.action {
        Action::IncludeTasks { .. } => {
            let path = loader.resolve_task_file(target, &scope).ok_or_else(|| {
                IncludeError::NotFound(format!("{}: include_tasks: cannot find `{target}`", task.loc))
            })?;
            let nodes = loader
                .load_task_file(&path, &scope)
                .map_err(|e| IncludeError::Invalid(e.to_string()))?;
            Ok((nodes, Vec::new()))
        }
        Action::IncludeRole { tasks_from, .. } => {
            let found = loader.find_role(target).is_some();
            let nodes = loader
                .expand_role(target, &task.loc, params, tasks_from.as_deref(), &scope, false)
                .map_err(|e| match found {
                    true => IncludeError::Invalid(e.to_string()),
                    false => IncludeError::NotFound(e.to_string()),
                })?;
            Ok((nodes, loader.take_role_handlers()))
        }
        _ => Ok((Vec::new(), Vec::new())),
    }
}

fn key_text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => crate::template::python_repr(v),
    }
}

/// A loop item's variables as text, to tell includes of different items apart.
pub fn item_key(vars: &[(String, Value)]) -> String {
    vars.iter()
        .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\u{0}")
}
