//! Running a module on a local connection, the way the executor does, for module tests.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use minijinja::Value;
use playhook::connection::Via;
use playhook::connection::local::LocalConnection;
use playhook::connection::{Command, Connection, ConnectionError, LiveLines, Output};
use playhook::modules::{Diff, ModuleCtx, ModuleError, lookup};
use playhook::template::Engine;

/// A module's result as a task registers it: a failure is a result with `failed` set, its
/// message in `msg`, and the fields the module registered with it in `data`.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    pub diff: Vec<Diff>,
    pub data: IndexMap<String, Value>,
}

/// Folds a module's failure into its result, as the executor registers it; errors that are
/// not the host's answer (bad parameters, a broken connection) stay errors.
pub fn registered(result: Result<playhook::modules::Outcome, ModuleError>) -> Result<Outcome, ModuleError> {
    match result {
        Ok(o) => Ok(Outcome {
            changed: o.changed,
            failed: false,
            skipped: o.skipped,
            msg: o.msg,
            diff: o.diff,
            data: o.data,
        }),
        Err(ModuleError::Failed { msg, mut data }) => {
            let changed = data.shift_remove("changed").is_some_and(|v| v.is_true());
            data.shift_remove("diff");
            Ok(Outcome {
                changed,
                failed: true,
                skipped: false,
                msg: Some(msg),
                diff: Vec::new(),
                data,
            })
        }
        Err(other) => Err(other),
    }
}

/// A local connection that counts the commands (round trips) run over it.
pub struct Counting {
    pub inner: LocalConnection,
    pub runs: usize,
}

#[async_trait::async_trait]
impl Connection for Counting {
    async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        self.runs += 1;
        self.inner.run(cmd, live).await
    }

    async fn close(&mut self) {
        self.inner.close().await
    }
}

/// A local connection, a template engine and a playbook directory (a temp dir).
pub struct Harness {
    pub conn: Counting,
    pub engine: Engine,
    pub playbook: tempfile::TempDir,
    pub role: Option<PathBuf>,
    pub vars: Value,
    pub privilege: Option<playhook::connection::Become>,
}

impl Harness {
    pub async fn new() -> Harness {
        Harness {
            conn: Counting {
                inner: LocalConnection::start("testhost").await.expect("local sh starts"),
                runs: 0,
            },
            engine: Engine::default(),
            playbook: tempfile::tempdir().expect("tempdir"),
            role: None,
            privilege: None,
            vars: playhook::modules::params::map_value([("inventory_hostname", Value::from("testhost"))]),
        }
    }

    pub fn dir(&self) -> &Path {
        self.playbook.path()
    }

    /// Runs module `name` with `args` (a JSON object), in check and/or diff mode.
    pub async fn run_with(
        &mut self,
        name: &str,
        args: serde_json::Value,
        check: bool,
        diff: bool,
    ) -> Outcome {
        self.try_run(name, args, check, diff)
            .await
            .expect("the module runs")
    }

    pub async fn try_run(
        &mut self,
        name: &str,
        args: serde_json::Value,
        check: bool,
        diff: bool,
    ) -> Result<Outcome, ModuleError> {
        let module = lookup(name).unwrap_or_else(|| panic!("module {name} is registered"));
        let args = Value::from(minijinja::value::Serde(&args));
        let mut ctx = ModuleCtx {
            conn: &mut self.conn,
            host: "testhost",
            check,
            diff,
            via: Via::privileged(self.privilege.clone()),
            role_path: self.role.as_deref(),
            task_dir: None,
            playbook_dir: self.playbook.path(),
            templates: &self.engine,
            vars: &self.vars,
            live: None,
            // Results are compared with what Ansible registers.
            result_seen: true,
            delegated: false,
        };
        registered(module.run(&args, &mut ctx).await)
    }

    pub async fn run(&mut self, name: &str, args: serde_json::Value) -> Outcome {
        self.run_with(name, args, false, false).await
    }
}
