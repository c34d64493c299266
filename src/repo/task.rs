//! The typed form of a task, a block and a handler, after static imports have been expanded and
//! inherited keywords pushed down into every task.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Value;

use crate::loc::Loc;
use crate::modules::Module;

/// One node of a play's task list.
#[derive(Clone, Debug)]
pub enum Node {
    Task(Box<Task>),
    Block(Box<Block>),
}

/// `block` / `rescue` / `always`. The block's own keywords have been pushed into its tasks.
#[derive(Clone, Debug)]
pub struct Block {
    pub name: Option<String>,
    pub loc: Loc,
    pub block: Vec<Node>,
    pub rescue: Vec<Node>,
    pub always: Vec<Node>,
}

/// What a task does.
#[derive(Clone)]
pub enum Action {
    /// Run a module with (untemplated) arguments.
    Module {
        module: &'static dyn Module,
        args: Value,
    },
    /// `include_tasks`: loaded per host at run time; tags of the include do not pass inside.
    IncludeTasks { file: Value },
    /// `include_role`: loaded per host at run time.
    IncludeRole {
        name: Value,
        tasks_from: Option<String>,
        public: bool,
    },
    /// `meta: flush_handlers` and friends.
    Meta(MetaAction),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Module { module, args } => write!(f, "{}: {:?}", module.name(), args),
            Action::IncludeTasks { file } => write!(f, "include_tasks: {file:?}"),
            Action::IncludeRole { name, .. } => write!(f, "include_role: {name:?}"),
            Action::Meta(m) => write!(f, "meta: {m:?}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaAction {
    FlushHandlers,
    Noop,
    EndPlay,
    EndHost,
    /// Without `serial` (which playhook refuses) the one batch is the play: as `end_play`.
    EndBatch,
    ClearHostErrors,
    /// Closes the host's connection; the next task opens a new one.
    ResetConnection,
    /// Accepted with a warning: the inventory is read once per run.
    RefreshInventory,
}

impl MetaAction {
    pub const NAMES: &[&str] = &[
        "flush_handlers",
        "noop",
        "end_play",
        "end_host",
        "end_batch",
        "clear_host_errors",
        "reset_connection",
        "refresh_inventory",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "flush_handlers" => MetaAction::FlushHandlers,
            "noop" => MetaAction::Noop,
            "end_play" => MetaAction::EndPlay,
            "end_host" => MetaAction::EndHost,
            "end_batch" => MetaAction::EndBatch,
            "reset_connection" => MetaAction::ResetConnection,
            "refresh_inventory" => MetaAction::RefreshInventory,
            "clear_host_errors" => MetaAction::ClearHostErrors,
            _ => return None,
        })
    }
}

/// How a task loops.
#[derive(Clone, Debug)]
pub struct LoopSpec {
    /// The loop expression or list (`loop`), or the terms of a `with_<lookup>`.
    pub items: Value,
    pub kind: LoopKind,
    /// Where `with_first_found` searches: `templates`, `vars` or `files`, after the task's
    /// action name, as Ansible chooses.
    pub subdir: &'static str,
    pub loop_var: String,
    pub index_var: Option<String>,
    pub label: Option<Value>,
}

impl LoopSpec {
    /// The variables each item's run sees: the loop variable, and the index under
    /// `loop_control.index_var` when asked for.
    pub fn item_vars<I>(&self, items: I) -> Vec<Vec<(String, Value)>>
    where
        I: IntoIterator<Item = Value>,
    {
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let mut vars = vec![(self.loop_var.clone(), item)];
                if let Some(index_var) = &self.index_var {
                    vars.push((index_var.clone(), Value::from(i)));
                }
                vars
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `loop:`: a list, used as it is.
    Loop,
    /// `with_<name>:`: the terms given to the lookup `name`, whose results are the items
    /// (`with_items` is the `items` lookup, which flattens one level).
    Lookup(&'static str),
}

/// A role applied in a play, with what its tasks see.
#[derive(Debug)]
pub struct RoleInstance {
    pub name: String,
    pub path: PathBuf,
    pub defaults: Value,
    pub vars: Value,
    /// Role parameters (`- role: x` with extra keys, `import_role` `vars:`).
    pub params: Value,
}

/// One task with every inherited keyword applied.
#[derive(Clone, Debug)]
pub struct Task {
    pub name: Option<String>,
    pub loc: Loc,
    pub action: Action,
    /// Tags that select this task: its own plus those of every enclosing import, role and block.
    pub tags: Vec<String>,
    /// Conditions, enclosing ones first; all must hold.
    pub when: Vec<Value>,
    /// Block and task `vars`, merged outer to inner.
    pub vars: Value,
    pub loop_spec: Option<LoopSpec>,
    pub register: Option<String>,
    /// The task's `notify`, else its innermost block's.
    pub notify: Vec<String>,
    /// `connection` of the task or its blocks (`local` or `ssh`); else the play's.
    pub connection: Option<String>,
    /// `throttle`: at most this many hosts at once; 0 is no limit.
    pub throttle: usize,
    /// `async`: stop the task after this many seconds; 0 is no limit.
    pub async_secs: u64,
    /// `poll: 0` with `async`: the task starts a background job (`modules::jobs`) that
    /// `async_status` reads later.
    pub background: bool,
    pub changed_when: Option<Vec<Value>>,
    pub failed_when: Option<Vec<Value>>,
    pub until: Option<Vec<Value>>,
    pub retries: Option<Value>,
    pub delay: Option<Value>,
    pub ignore_errors: Option<Value>,
    pub no_log: Option<Value>,
    pub run_once: bool,
    pub delegate_to: Option<Value>,
    /// `delegate_facts`: facts the task returns land on the delegated host, not its own.
    pub delegate_facts: bool,
    pub escalate: Option<Value>,
    pub become_user: Option<Value>,
    pub become_method: Option<String>,
    pub check_mode: Option<Value>,
    pub diff: Option<Value>,
    /// `environment` mappings, outer to inner.
    pub environment: Vec<Value>,
    pub role: Option<Arc<RoleInstance>>,
    /// Handler names this handler also answers to.
    pub listen: Vec<String>,
}

impl Task {
    /// The name shown in output: `role : name`, or the module and arguments when unnamed.
    pub fn display_name(&self) -> String {
        let base = match &self.name {
            Some(n) => n.clone(),
            None => match &self.action {
                Action::Module { module, .. } => module.name().to_string(),
                Action::IncludeTasks { .. } => "include_tasks".to_string(),
                Action::IncludeRole { .. } => "include_role".to_string(),
                Action::Meta(_) => "meta".to_string(),
            },
        };
        match &self.role {
            Some(role) => format!("{} : {base}", role.name),
            None => base,
        }
    }
}
