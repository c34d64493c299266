//! Following dynamic includes before the run: an `include_tasks` or `include_role` whose
//! target is a constant, or a template that resolves from what is known before any host is
//! touched (play, role and task variables, constant loop items), is loaded as the executor
//! would load it, so its tasks are checked like the rest and a missing file or role is an
//! error. A target that needs run-time values (facts, inventory, registered results) becomes a
//! note saying it was not followed.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::ValueKind;

use crate::exec::lazy::LazyVars;
use crate::repo::include::{IncludeError, item_key, load_include};
use crate::repo::playbook::Play;
use crate::repo::task::{Action, LoopKind, Node, Task};
use crate::template::Engine;

use super::check::Problems;
use super::walk::{play_tasks, tasks_in};

/// How deep includes inside included files are followed.
const MAX_DEPTH: usize = 16;

/// Lookups a `with_<name>` loop over an include may run before the run: those that read
/// nothing but their terms and the repository's files.
const PURE_LOOKUPS: &[&str] = &[
    "items",
    "list",
    "dict",
    "indexed_items",
    "together",
    "nested",
    "sequence",
    "subelements",
    "file",
    "fileglob",
    "first_found",
];

/// A loop item's variables (the loop variable, and the index variable if asked).
type ItemVars = Vec<(String, Value)>;

/// What following a play's includes found.
#[derive(Default)]
pub struct Followed {
    /// The task lists the includes bring (tasks, and the handlers of included roles).
    pub nodes: Vec<Vec<Node>>,
    /// Includes that could not be followed, each with its file:line and why.
    pub notes: Vec<String>,
}

/// Follows every include of `play`, and the includes inside what they bring; a missing or
/// invalid target is a problem.
pub fn follow(
    play: &Play,
    playbook_dir: &Path,
    roles_path: &[PathBuf],
    engine: &Arc<Engine>,
    problems: &mut Problems,
) -> Followed {
    let mut followed = Followed::default();
    let mut queue: VecDeque<(Task, usize)> = play_tasks(play)
        .into_iter()
        .filter(|t| is_include(t))
        .map(|t| (t.clone(), 0))
        .collect();
    let mut seen = HashSet::new();
    while let Some((task, depth)) = queue.pop_front() {
        let targets = match targets(&task, play, engine) {
            Ok(targets) => targets,
            Err(why) => {
                followed.notes.push(format!(
                    "{}: {} is not followed before the run: {why}; what it brings is checked when it runs",
                    task.loc,
                    what(&task)
                ));
                continue;
            }
        };
        for (target, item) in targets {
            let key = format!("{}\0{target}\0{}", task.loc, item_key(&item));
            if depth >= MAX_DEPTH || !seen.insert(key) {
                continue;
            }
            match load_include(playbook_dir, roles_path, &task, &target, &item) {
                Ok((nodes, handlers)) => {
                    for list in [nodes, handlers] {
                        let mut inner = Vec::new();
                        tasks_in(&list, &mut inner);
                        queue.extend(
                            inner
                                .into_iter()
                                .filter(|t| is_include(t))
                                .map(|t| (t.clone(), depth + 1)),
                        );
                        followed.nodes.push(list);
                    }
                }
                Err(IncludeError::NotFound(message)) if !task.when.is_empty() => {
                    followed.notes.push(format!(
                        "{message} (an error only on hosts where its `when` holds)"
                    ));
                }
                // A role's tasks for another platform (`setup-FreeBSD.yml` with `pkgng`) load
                // only on hosts of that platform.
                Err(IncludeError::Invalid(message)) if for_a_platform(&task) => {
                    // The loader's first line says what; the lists after it are for errors.
                    let message = message.lines().next().unwrap_or_default();
                    followed.notes.push(format!(
                        "{}: {} is for the platform its `when` names and does not load: {message} \
                         (an error only on hosts of that platform)",
                        task.loc,
                        what(&task)
                    ));
                }
                Err(err) => problems.0.push(err.to_string()),
            }
        }
    }
    followed
}

/// The facts that tell one platform from another; an include whose `when` tests one of them is
/// for the hosts of a platform.
const PLATFORM_FACTS: &[&str] = &[
    "os_family",
    "distribution",
    "ansible_system",
    "system'",
    "facts.system",
    "pkg_mgr",
    "service_mgr",
    "architecture",
];

fn for_a_platform(task: &Task) -> bool {
    task.when.iter().any(|condition| {
        let text = condition.to_string();
        PLATFORM_FACTS.iter().any(|fact| text.contains(fact))
    })
}

fn is_include(task: &Task) -> bool {
    matches!(
        task.action,
        Action::IncludeTasks { .. } | Action::IncludeRole { .. }
    )
}

/// The action as written, for notes: `include_tasks `{{ x }}.yml``.
fn what(task: &Task) -> String {
    match &task.action {
        Action::IncludeTasks { file } => format!("include_tasks `{}`", text(file)),
        Action::IncludeRole { name, .. } => format!("include_role `{}`", text(name)),
        _ => String::new(),
    }
}

fn text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => crate::template::python_repr(v),
    }
}

/// The targets of an include, one per loop item, with the item's variables; `Err` says why
/// they cannot be known before the run.
fn targets(task: &Task, play: &Play, engine: &Arc<Engine>) -> Result<Vec<(String, ItemVars)>, String> {
    let name = match &task.action {
        Action::IncludeTasks { file } => file,
        Action::IncludeRole { name, .. } => name,
        _ => return Ok(Vec::new()),
    };
    let raw = known_vars(task, play);
    let items = match &task.loop_spec {
        None => vec![Vec::new()],
        Some(spec) => {
            let lazy = LazyVars::new(raw.clone(), Arc::clone(engine));
            let value = engine
                .template_value(&spec.items, &lazy.context())
                .map_err(|e| format!("its loop needs {}", reason(&e.to_string())))?;
            let list: Vec<Value> = match spec.kind {
                LoopKind::Loop if value.kind() == ValueKind::Seq => {
                    value.try_iter().map_err(|e| e.to_string())?.collect()
                }
                LoopKind::Loop => return Err(format!("its loop is not a list ({})", value.kind())),
                LoopKind::Lookup(lookup) if PURE_LOOKUPS.contains(&lookup) => {
                    let terms = if value.kind() == ValueKind::Seq {
                        value.try_iter().map_err(|e| e.to_string())?.collect()
                    } else {
                        vec![value]
                    };
                    engine
                        .run_lookup(lookup, terms, &lazy.context(), spec.subdir)
                        .map_err(|e| format!("its `with_{lookup}` needs {}", reason(&e.to_string())))?
                }
                LoopKind::Lookup(lookup) => {
                    return Err(format!("its loop `with_{lookup}` runs only at run time"));
                }
            };
            spec.item_vars(list)
        }
    };
    items
        .into_iter()
        .map(|vars| {
            let scope = crate::value::merged(
                &raw,
                &crate::value::map_of(vars.iter().map(|(k, v)| (k.as_str(), v.clone()))),
            );
            let lazy = LazyVars::new(scope, Arc::clone(engine));
            let target = engine
                .template_value(name, &lazy.context())
                .map_err(|e| format!("its name needs {}", reason(&e.to_string())))?;
            Ok((text(&target), vars))
        })
        .collect()
}

/// A template error as the value it lacked: "'os' is undefined" becomes "`os`, which is
/// known only at run time".
fn reason(error: &str) -> String {
    match error.split('\'').nth(1) {
        Some(name) if error.contains("is undefined") => format!("`{name}`, which is known only at run time"),
        _ => format!("a value known only at run time ({error})"),
    }
}

/// The variables an include's task sees that are known before the run, lowest precedence
/// first: the play's roles' defaults, play `vars`, the roles' `vars`, the task's role
/// parameters, block and task `vars`.
fn known_vars(task: &Task, play: &Play) -> Value {
    let mut layers: Vec<&Value> = play.roles.iter().map(|r| &r.defaults).collect();
    if let Some(role) = &task.role {
        layers.push(&role.defaults);
    }
    layers.push(&play.vars);
    layers.extend(play.roles.iter().map(|r| &r.vars));
    if let Some(role) = &task.role {
        layers.push(&role.vars);
        layers.push(&role.params);
    }
    layers.push(&task.vars);
    layers.into_iter().fold(crate::value::empty_map(), |acc, layer| {
        crate::value::merged(&acc, layer)
    })
}
