//! Checks that refuse a bad repository before any host is touched: files that tasks name,
//! templates that do not compile or use unknown filters, handlers that do not exist.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;

use crate::loc::Loc;
use crate::modules::Source;
use crate::modules::ctx::{find_source, source_search_path};
use crate::repo::playbook::Playbook;
use crate::repo::task::{Action, Task};
use crate::repo::var_sources::{Files, VarSources};
use crate::template::{Engine, SearchPath, check_tree};

use super::TagFilter;
use super::walk::{all_tasks, play_tasks};

/// Every problem found, each naming its file and line.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<String>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {p}")?;
        }
        Ok(())
    }
}

/// What a successful check found besides problems.
#[derive(Debug, Default)]
pub struct Checked {
    /// Includes that cannot be followed before the run, each with its file:line and why.
    pub notes: Vec<String>,
    /// Where every variable holding a template is written, for run-time errors.
    pub vars: VarSources,
}

/// Checks the whole repository, with what its includes bring (`roles_path` from
/// `ansible.cfg`) and every variable value (the playbook's, its roles', and those of
/// `inventory_sources`); `Err` lists every problem. `global` holds the variable names defined
/// outside the playbook (inventory, extra vars).
pub fn check(
    playbook: &Playbook,
    engine: &Arc<Engine>,
    global: &BTreeSet<String>,
    roles_path: &[PathBuf],
    inventory_sources: &[PathBuf],
) -> Result<Checked, Problems> {
    let mut problems = Problems::default();
    // Variables `add_host` gives hosts are inventory variables for the rest of the run.
    let global = &super::names::with_added_host_vars(playbook, global);
    let mut notes = Vec::new();
    let mut files = Files::default();
    files.vars_dirs(&playbook.dir);
    for source in inventory_sources {
        files.inventory(source);
    }
    for play in &playbook.plays {
        files.yaml_with_vars.insert(play.loc.file.to_path_buf());
        let play_dir = play.loc.file.parent().unwrap_or(Path::new("."));
        for (name, _) in &play.vars_files {
            if let Some(name) = name.as_str().filter(|n| !n.contains("{{")) {
                let path = play_dir.join(name);
                // Read when the play starts; an encrypted or malformed file is refused now.
                if path.is_file() {
                    if let Err(e) = crate::repo::vars_file::load_vars_file(&path) {
                        problems.0.push(e.to_string());
                    }
                }
                files.whole.insert(path);
            }
        }
        for role in &play.roles {
            files.role(&role.path);
        }
        let mut handlers = play_handler_names(&play.handlers);
        // `include_role` brings its role's handlers in at run time; a role that cannot be
        // known here (a templated name, another roles path) leaves notifications unchecked.
        let included = included_role_handler_names(play, &playbook.dir);
        let lenient = included.is_none();
        handlers.extend(included.unwrap_or_default());
        let known = super::names::play_names(play, global);
        for task in play_tasks(play) {
            for name in &task.notify {
                if !lenient && !handlers.contains(name) {
                    problems.0.push(format!(
                        "{}: notifies `{name}`, but no handler has that name or listens to it",
                        task.loc
                    ));
                }
            }
            check_task(task, engine, &playbook.dir, &known, &mut problems);
            add_task_files(task, &mut files);
        }
        let followed = super::includes::follow(play, &playbook.dir, roles_path, engine, &mut problems);
        for nodes in &followed.nodes {
            let mut tasks = Vec::new();
            crate::plan::walk::tasks_in(nodes, &mut tasks);
            for task in tasks {
                check_task(task, engine, &playbook.dir, &known, &mut problems);
                add_task_files(task, &mut files);
            }
        }
        notes.extend(followed.notes);
    }
    let vars = files.read();
    check_variables(&vars, engine, &mut problems);
    if problems.0.is_empty() {
        Ok(Checked { notes, vars })
    } else {
        Err(problems)
    }
}

/// The files a task's variables come from: its own file and its role's defaults and vars.
fn add_task_files(task: &Task, files: &mut Files) {
    files.yaml_with_vars.insert(task.loc.file.to_path_buf());
    if let Some(role) = &task.role {
        files.role(&role.path);
    }
}

/// Every variable value is checked like a template: syntax, unknown filters, tests and lookups.
fn check_variables(vars: &VarSources, engine: &Engine, problems: &mut Problems) {
    let mut seen = BTreeSet::new();
    for source in &vars.0 {
        if !seen.insert((source.loc.to_string(), source.text.clone())) {
            continue;
        }
        if let Err(e) = engine.check_source(&source.text) {
            problems
                .0
                .push(format!("{}: variable `{}`: {e}", source.loc, source.path));
        }
    }
}

/// Things worth a warning that do not stop the run: tags that match no task.
pub fn warnings(playbook: &Playbook, tags: &TagFilter) -> Vec<String> {
    let known: BTreeSet<String> = all_tasks(playbook)
        .iter()
        .flat_map(|(_, t)| t.tags.iter().cloned())
        .collect();
    tags.unmatched(&known)
        .map(|t| format!("tag `{t}` matches no task in the playbook"))
        .collect()
}

/// The names a notification can use for `nodes`: names, role-qualified names and `listen`.
fn play_handler_names(nodes: &[crate::repo::task::Node]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut handlers = Vec::new();
    crate::plan::walk::tasks_in(nodes, &mut handlers);
    for h in handlers {
        if let Some(n) = &h.name {
            names.insert(n.clone());
            if let Some(r) = &h.role {
                names.insert(format!("{} : {n}", r.name));
            }
        }
        names.extend(h.listen.iter().cloned());
    }
    names
}

/// The handler names of the roles a play includes with `include_role`, found under the
/// playbook's `roles/`; `None` when they cannot be known before the run (a templated role name,
/// a role found elsewhere, or an `include_tasks` whose file may include roles).
fn included_role_handler_names(play: &crate::repo::playbook::Play, dir: &Path) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for task in play_tasks(play) {
        let name = match &task.action {
            Action::IncludeRole { name, .. } => name,
            // An included task file may include roles of its own.
            Action::IncludeTasks { .. } => return None,
            _ => continue,
        };
        let name = name.as_str().filter(|n| !n.contains("{{"))?;
        let mut loader = crate::repo::load::Loader::new(dir.to_path_buf(), Vec::new());
        let scope = crate::repo::tasks::Scope {
            inherited: Default::default(),
            role: None,
            dir: dir.to_path_buf(),
            handler: false,
        };
        loader
            .expand_role(name, &task.loc, crate::value::empty_map(), None, &scope, false)
            .ok()?;
        names.extend(play_handler_names(&loader.take_role_handlers()));
    }
    Some(names)
}

fn check_task(
    task: &Task,
    engine: &Engine,
    playbook_dir: &Path,
    known: &BTreeSet<String>,
    problems: &mut Problems,
) {
    let mut strings = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    for list in [
        Some(&task.when),
        task.changed_when.as_ref(),
        task.failed_when.as_ref(),
        task.until.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        conditions.extend(list.iter().filter_map(|c| c.as_str().map(str::to_string)));
    }
    if let Some(spec) = &task.loop_spec {
        collect_strings(&spec.items, &mut strings);
    }
    if let Action::Module { module, args } = &task.action {
        collect_strings(args, &mut strings);
        if let Some(source) = module.spec().source {
            check_source_file(
                task,
                module.name(),
                source,
                args,
                playbook_dir,
                engine,
                known,
                problems,
            );
        }
    }
    for s in strings {
        match engine.check_source(&s) {
            Ok(report) => undefined(&report.variables, &s, known, &task.loc, problems),
            Err(e) => problems.0.push(format!("{}: {e}", task.loc)),
        }
    }
    for c in conditions {
        let expr = c
            .trim()
            .trim_start_matches("{{")
            .trim_end_matches("}}")
            .to_string();
        match engine.check_expression(&expr) {
            Ok(report) => undefined(&report.variables, &expr, known, &task.loc, problems),
            Err(e) => problems.0.push(format!("{}: condition `{c}`: {e}", task.loc)),
        }
    }
}

/// Reports variables read (unguarded) that nothing in the play or inventory defines.
fn undefined(
    read: &BTreeSet<String>,
    source: &str,
    known: &BTreeSet<String>,
    loc: &Loc,
    problems: &mut Problems,
) {
    for name in read {
        if !super::names::is_known(name, known) && !super::names::guarded(source, name) {
            problems
                .0
                .push(format!("{loc}: {}", super::names::undefined_message(name)));
        }
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    if let Some(s) = v.as_str() {
        if s.contains("{{") || s.contains("{%") {
            out.push(s.to_string());
        }
        return;
    }
    if let Ok(iter) = v.try_iter() {
        let is_map = crate::value::is_map(v);
        for item in iter {
            let child = if is_map {
                v.get_item(&item).unwrap_or_default()
            } else {
                item
            };
            collect_strings(&child, out);
        }
    }
}

/// Checks a module's controller file (`copy`'s or `template`'s `src`, unless `remote_src`):
/// it must exist along the modules' own search path, and a template is checked whole.
#[allow(clippy::too_many_arguments)]
fn check_source_file(
    task: &Task,
    module: &str,
    source: Source,
    args: &Value,
    playbook_dir: &Path,
    engine: &Engine,
    known: &BTreeSet<String>,
    problems: &mut Problems,
) {
    let Some(src) = args
        .get_attr(source.param)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|s| !s.contains("{{") && !s.contains("{%"))
    else {
        return;
    };
    let remote_src = args
        .get_attr("remote_src")
        .ok()
        .is_some_and(|v| crate::truthy::boolean(&v) == Some(true));
    if remote_src {
        return;
    }
    let role = task.role.as_ref().map(|r| r.path.as_path());
    let task_dir = task.loc.file.parent();
    match find_source(role, task_dir, playbook_dir, source.subdir, &src) {
        Ok(path) if source.template => {
            check_template_file(&path, task, playbook_dir, engine, known, problems)
        }
        Ok(_) => {}
        Err(_) => {
            let dirs = source_search_path(role, task_dir, playbook_dir, source.subdir);
            let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            problems.0.push(format!(
                "{}: `{module}` source `{src}` not found (looked in {})",
                task.loc,
                dirs.join(", ")
            ))
        }
    }
}

/// Checks a template file and every template it includes, imports or extends: syntax, names,
/// and variables nothing defines, each reported at its own file and line.
fn check_template_file(
    path: &Path,
    task: &Task,
    playbook_dir: &Path,
    engine: &Engine,
    known: &BTreeSet<String>,
    problems: &mut Problems,
) {
    let role = task.role.as_ref().map(|r| r.path.as_path());
    let search = SearchPath::for_template(role, task.loc.file.parent(), playbook_dir, path);
    let tree = check_tree(engine, path, &search);
    for p in tree.problems {
        let loc = Loc {
            file: std::sync::Arc::new(p.path),
            line: p.line,
        };
        problems
            .0
            .push(format!("{loc}: {} (used by the task at {})", p.message, task.loc));
    }
    for file in tree.files.iter().filter(|f| !f.isolated) {
        let before = problems.0.len();
        let file_loc = Loc::file(&file.path);
        for name in file.report.variables.difference(&file.inherited) {
            if super::names::is_known(name, known) || super::names::guarded(&file.source, name) {
                continue;
            }
            let loc = Loc {
                line: file.report.variable_lines.get(name).copied().unwrap_or(0),
                ..file_loc.clone()
            };
            problems
                .0
                .push(format!("{loc}: {}", super::names::undefined_message(name)));
        }
        for p in &mut problems.0[before..] {
            p.push_str(&format!(" (used by the task at {})", task.loc));
        }
    }
}
