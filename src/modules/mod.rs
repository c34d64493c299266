//! Task modules: one file per module, each declaring its parameters, honouring check mode,
//! reporting `changed` honestly and returning a diff.

pub mod assert;
pub mod blockinfile;
pub mod command;
pub(crate) mod command_common;
pub mod copy;
pub mod debug;
pub mod dest;
pub mod edit;
pub mod fail;
pub mod file;
pub mod lineinfile;
pub mod params;
pub mod ping;
pub mod set_fact;
pub mod shell;
pub mod slurp;
pub mod stat;
pub mod stat_extras;
pub mod template;

use std::path::Path;

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::{Become, Connection, ConnectionError, LiveLines};
use crate::template::Engine;

/// Everything a module may use while it runs on one host.
pub struct ModuleCtx<'a> {
    pub conn: &'a mut dyn Connection,
    pub host: &'a str,
    pub check: bool,
    pub diff: bool,
    pub privilege: Option<Become>,
    pub env: Vec<(String, String)>,
    /// The role the task came from, where `files/` and `templates/` are looked up.
    pub role_path: Option<&'a Path>,
    /// The directory of the file the task is written in, searched for `{% include %}`d templates.
    pub task_dir: Option<&'a Path>,
    /// The playbook's directory, the fallback for `files/` and `templates/`.
    pub playbook_dir: &'a Path,
    pub templates: &'a Engine,
    /// All variables visible to the task (for the `template` module and conditions).
    pub vars: &'a Value,
    pub live: Option<&'a LiveLines>,
    /// Whether anything reads the result beyond changed and failed (`register`, `changed_when`,
    /// `failed_when`, `until`, `-v`). Only then does a module spend work on fields nobody would
    /// see otherwise, such as the stat of a file it just wrote.
    pub result_seen: bool,
}

/// A before/after pair for `--diff`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Diff {
    pub before_header: String,
    pub after_header: String,
    pub before: String,
    pub after: String,
}

/// What a module did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    pub diff: Vec<Diff>,
    /// Module-specific results (`rc`, `stdout`, `content`, `stat`, `ansible_facts`, ...), as registered.
    pub data: IndexMap<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// Bad or missing parameters (after templating).
    #[error("{0}")]
    Params(String),
    /// A file the task names on the controller is missing or unreadable.
    #[error("{0}")]
    Local(String),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// A task module.
#[async_trait]
pub trait Module: Send + Sync {
    /// The module's short name, as written in tasks.
    fn name(&self) -> &'static str;

    /// The parameter names it accepts (checked before any host is touched).
    fn params(&self) -> &'static [&'static str];

    /// Whether it takes a free-form argument (`command: ls -l`), passed as `_raw_params`.
    fn free_form(&self) -> bool {
        false
    }

    /// Runs the module with templated arguments.
    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError>;
}

/// Every module, in the order `playhook check` lists them.
pub fn all() -> &'static [&'static dyn Module] {
    &[
        &command::CommandModule,
        &shell::ShellModule,
        &copy::Copy,
        &file::File,
        &lineinfile::LineInFile,
        &blockinfile::BlockInFile,
        &slurp::Slurp,
        &stat::Stat,
        &template::Template,
        &debug::DebugModule,
        &set_fact::SetFactModule,
        &assert::AssertModule,
        &fail::FailModule,
        &ping::PingModule,
    ]
}

/// The module a task names, accepting the `ansible.builtin.` and `ansible.legacy.` prefixes.
pub fn lookup(name: &str) -> Option<&'static dyn Module> {
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    all().iter().copied().find(|m| m.name() == short)
}
