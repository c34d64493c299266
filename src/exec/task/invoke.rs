//! One execution of a task's module: arguments templated, `become`, environment and
//! connection resolved, the module run, then `changed_when`, `failed_when` and `until` with
//! retries.

use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::super::target::{PlayConnection, become_for, target_for};
use super::delegate::Delegation;
use super::result::{ItemResult, drop_omitted, from_error, from_outcome};
use super::scope::display;
use crate::connection::none::NoConnection;
use crate::connection::{Connection, ConnectionError, ConnectionKind, Via};
use crate::modules::{Module, ModuleCtx, ModuleError, RunsOn};
use crate::output::Event;
use crate::repo::playbook::Play;
use crate::repo::task::Task;
use crate::value::{entries, map_of, merged};

impl Runner<'_> {
    /// One execution of the module (one loop item, or the task itself), with retries.
    pub(in crate::exec) async fn run_item(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        raw: &Value,
        lazy: &Arc<LazyVars>,
    ) -> ItemResult {
        let crate::repo::task::Action::Module { module, args } = &task.action else {
            return ItemResult::failure(format!("{}: not a module task", task.loc));
        };
        let retries = match (&task.until, &task.retries) {
            (None, _) => 0,
            (Some(_), None) => 3,
            (Some(_), Some(r)) => self.number(r, lazy).unwrap_or(3),
        };
        let delay = task
            .delay
            .as_ref()
            .and_then(|d| self.number(d, lazy))
            .unwrap_or(5);
        let mut attempt = 0;
        loop {
            let mut result = self.execute(play, task, *module, args, host, lazy).await;
            if result.unreachable {
                return result;
            }
            let needs_result =
                task.changed_when.is_some() || task.failed_when.is_some() || task.until.is_some();
            let after = needs_result.then(|| {
                let name = task.register.clone().unwrap_or_else(|| "result".to_string());
                let raw_with = merged(raw, &map_of([(name.as_str(), result.value())]));
                LazyVars::new(raw_with, Arc::clone(&self.engine))
            });
            if let (Some(conds), Some(scope)) = (&task.changed_when, &after) {
                match self.conditions(conds, scope) {
                    Ok(c) => result.changed = c,
                    Err(msg) => return ItemResult::failure(format!("{}: changed_when: {msg}", task.loc)),
                }
                result
                    .result
                    .insert("changed".to_string(), Value::from(result.changed));
            }
            if let (Some(conds), Some(scope)) = (&task.failed_when, &after) {
                match self.conditions(conds, scope) {
                    Ok(f) => result.failed = f,
                    Err(msg) => return ItemResult::failure(format!("{}: failed_when: {msg}", task.loc)),
                }
                result
                    .result
                    .insert("failed".to_string(), Value::from(result.failed));
                if result.failed && !result.result.contains_key("msg") {
                    result
                        .result
                        .insert("msg".to_string(), Value::from("failed_when condition was true"));
                }
            }
            let Some(until) = &task.until else { return result };
            let done = match &after {
                Some(scope) => self.conditions(until, scope).unwrap_or(false),
                None => true,
            };
            attempt += 1;
            result.result.insert("attempts".to_string(), Value::from(attempt));
            if done {
                return result;
            }
            if attempt > retries {
                result.failed = true;
                result.result.insert("failed".to_string(), Value::from(true));
                result.result.insert(
                    "msg".to_string(),
                    Value::from(format!("retries exhausted after {attempt} attempts")),
                );
                return result;
            }
            tokio::time::sleep(Duration::from_secs(delay)).await;
        }
    }

    /// Templates the arguments and runs the module once.
    pub(in crate::exec) async fn execute(
        &self,
        play: &Play,
        task: &Task,
        module: &'static dyn Module,
        args: &Value,
        host: &mut HostState,
        lazy: &Arc<LazyVars>,
    ) -> ItemResult {
        let ctx = lazy.context();
        let args = match self.engine.template_value(args, &ctx) {
            Ok(a) => drop_omitted(&a),
            Err(e) => return ItemResult::failure(self.template_failure(task, lazy, &e.to_string())),
        };
        let mut env = Vec::new();
        for layer in &task.environment {
            match self.engine.template_value(layer, &ctx) {
                Ok(v) => env.extend(entries(&v).into_iter().map(|(k, v)| (display(&k), display(&v)))),
                Err(e) => return ItemResult::failure(self.template_failure(task, lazy, &e.to_string())),
            }
        }
        let check = self.flag(&task.check_mode, lazy).unwrap_or(self.opts.check);
        let diff = self.flag(&task.diff, lazy).unwrap_or(self.opts.diff);
        let delegate = match &task.delegate_to {
            Some(d) => match self.engine.template_value(d, &ctx) {
                Ok(v) => Some(display(&v)),
                Err(e) => return ItemResult::failure(self.template_failure(task, lazy, &e.to_string())),
            },
            None => None,
        };
        let delegation = self.delegation(&host.name, delegate);
        if let Delegation::Host(name) = &delegation {
            if module.spec().no_remote_delegation {
                return ItemResult::failure(format!(
                    "{}: {} with delegate_to `{name}` is not supported: playhook runs it between the \
                     controller and the task's own host; remove delegate_to",
                    task.loc,
                    module.name()
                ));
            }
        }
        host.delegated_to = delegation.name().map(str::to_string);
        // Under delegation, how to reach and become on the host are the delegated host's.
        let conn_ctx = match &delegation {
            Delegation::Host(name) => LazyVars::new(
                self.delegated_vars(name, lazy.raw_all()),
                Arc::clone(&self.engine),
            )
            .context(),
            _ => ctx.clone(),
        };
        host.delegated_address = match &delegation {
            Delegation::Host(name) => conn_ctx
                .get_attr("ansible_host")
                .ok()
                .filter(|a| !a.is_undefined() && !a.is_none())
                .map(|a| display(&a))
                .filter(|a| a != name),
            _ => None,
        };
        let escalate = self.flag(&task.escalate, lazy);
        let become_user = match &task.become_user {
            Some(u) => match self.engine.template_value(u, &conn_ctx) {
                Ok(v) => Some(display(&v)),
                Err(e) => return ItemResult::failure(self.template_failure(task, lazy, &e.to_string())),
            },
            None => None,
        };
        let privilege = match become_for(&conn_ctx, escalate, become_user, task.become_method.as_deref()) {
            Ok(p) => p,
            Err(msg) => return ItemResult::failure(format!("{}: {msg}", task.loc)),
        };
        let controller = module.spec().runs_on == RunsOn::Controller;
        let connection = if controller {
            // Nothing to open: the module works on the controller, even for a host that is down.
            let none: Box<dyn Connection> = Box::new(NoConnection {
                module: module.name(),
            });
            Ok((none, Slot::Own))
        } else {
            self.take_connection(play, host, &delegation, task.connection.as_deref(), &conn_ctx)
                .await
        };
        let (mut conn, slot) = match connection {
            Ok(c) => c,
            Err(e @ ConnectionError::Unsupported(_)) => {
                return ItemResult::failure(format!("{}: {e}", task.loc));
            }
            Err(e) => {
                let mut r = ItemResult::failure(e.to_string());
                r.unreachable = true;
                r.failed = false;
                r.result.insert("unreachable".to_string(), Value::from(true));
                return r;
            }
        };
        let (live_tx, forward) = self.live_forwarder(&host.name, task, lazy);
        let role_path = task.role.as_ref().map(|r| r.path.as_path());
        let mut mctx = ModuleCtx {
            conn: conn.as_mut(),
            host: &host.name,
            check,
            diff,
            via: Via {
                privilege,
                env,
                timeout: async_limit(task, self.opts.task_timeout),
            },
            role_path,
            task_dir: task.loc.file.parent(),
            playbook_dir: &self.playbook.dir,
            templates: &self.engine,
            vars: &ctx,
            live: live_tx.as_ref(),
            result_seen: task.register.is_some()
                || task.changed_when.is_some()
                || task.failed_when.is_some()
                || task.until.is_some()
                || self.opts.verbosity > 0,
            delegated: delegation != Delegation::None,
        };
        let outcome = if task.background {
            crate::modules::jobs::start(module, &args, &mut mctx, task.async_secs).await
        } else {
            module.run(&args, &mut mctx).await
        };
        drop(mctx);
        drop(live_tx);
        if let Some(f) = forward {
            let _ = f.await;
        }
        let broken = matches!(
            outcome,
            Err(ModuleError::Connection(ConnectionError::Unreachable { .. }))
        );
        if controller {
            // Not the host's connection: nothing to keep.
        } else if broken {
            conn.close().await;
        } else {
            match slot {
                Slot::Local => host.local = Some(conn),
                Slot::Own => host.conn = Some(conn),
                Slot::Delegated(name) => {
                    host.delegated.insert(name, conn);
                }
            }
        }
        match outcome {
            Ok(o) => {
                let mut r = from_outcome(o);
                // add_host and group_by: the run's inventory changes here, as Ansible's
                // strategy applies their results; whether it changed is the task's `changed`.
                if task.async_secs > 0 && !task.background {
                    // What Ansible's async wrapper adds to a job polled to its end.
                    let jid = format!(
                        "j{}.{}",
                        rand::random_range(0..=999_999_999_999u64),
                        std::process::id()
                    );
                    r.result.insert("ansible_job_id".into(), Value::from(jid));
                    r.result.insert("started".into(), Value::from(true));
                    r.result.insert("finished".into(), Value::from(true));
                }
                match self.apply_inventory_result(&host.name, &r.result) {
                    Ok(Some(changed)) => {
                        r.changed = changed;
                        r.result.insert("changed".into(), Value::from(changed));
                    }
                    Ok(None) => {}
                    Err(msg) => return ItemResult::failure(format!("{}: {msg}", task.loc)),
                }
                r
            }
            Err(ModuleError::Connection(ConnectionError::Timeout(_)))
                if task.async_secs > 0 && !task.background =>
            {
                // Ansible's async wrapper kills the job at its limit and reports this.
                let mut r = ItemResult::failure("Timeout exceeded");
                r.result.insert("finished".into(), Value::from(true));
                r
            }
            Err(e) => from_error(e, task),
        }
    }

    /// The host's connection (opened on first use), its local shell for tasks delegated to the
    /// controller and `connection: local`, or its connection to the host a task is delegated to
    /// (opened on first use, then reused); `connection` is the task's keyword, over the play's
    /// (the host's `ansible_connection` wins over both, as in Ansible; under delegation, the
    /// delegated host's). Also says which slot the connection goes back to.
    pub(in crate::exec) async fn take_connection(
        &self,
        play: &Play,
        host: &mut HostState,
        delegation: &Delegation,
        connection: Option<&str>,
        ctx: &Value,
    ) -> Result<(Box<dyn Connection>, Slot), ConnectionError> {
        let mut keywords = PlayConnection::of(play);
        keywords.connection = connection.or(keywords.connection);
        let target = match delegation {
            Delegation::Controller(_) => target_for(
                "localhost",
                &crate::value::empty_map(),
                self.opts,
                PlayConnection {
                    connection: Some("local"),
                    remote_user: None,
                },
            ),
            Delegation::Host(name) => target_for(name, ctx, self.opts, keywords),
            Delegation::None => target_for(&host.name, ctx, self.opts, keywords),
        }
        .map_err(ConnectionError::Unsupported)?;
        let slot = match delegation {
            Delegation::Host(name) => Slot::Delegated(name.clone()),
            _ if target.kind == ConnectionKind::Local => Slot::Local,
            _ => Slot::Own,
        };
        let kept = match &slot {
            Slot::Local => host.local.take(),
            Slot::Own => host.conn.take(),
            Slot::Delegated(name) => host.delegated.remove(name),
        };
        if let Some(conn) = kept {
            return Ok((conn, slot));
        }
        let mut conn = crate::connection::connect(&target).await?;
        if *delegation == Delegation::None && connection.is_none() && !host.deploy_locked {
            if let Some(lock) = &self.opts.deploy_lock {
                let events = self.events.clone();
                let name = host.name.clone();
                crate::exec::host_lock::take(&mut *conn, &lock.holder, &lock.run_id, |who| {
                    events.send(crate::output::Event::Warning {
                        message: format!(
                            "{name}: waiting for the deploy lock ({}): {who}",
                            crate::exec::host_lock::LOCK_FILE
                        ),
                    });
                })
                .await?;
                host.deploy_locked = true;
            }
        }
        Ok((conn, slot))
    }

    /// Forwards a module's live output lines as events.
    pub(in crate::exec) fn live_forwarder(
        &self,
        host: &str,
        task: &Task,
        lazy: &Arc<LazyVars>,
    ) -> (
        Option<crate::connection::LiveLines>,
        Option<tokio::task::JoinHandle<()>>,
    ) {
        if self.flag(&task.no_log, lazy) == Some(true) {
            return (None, None);
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let events = self.events.clone();
        let host = host.to_string();
        let handle = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                events.send(Event::Output {
                    host: host.clone(),
                    line,
                });
            }
        });
        (Some(tx), Some(handle))
    }
}

/// Which of its host's connections a task used, to give it back to.
pub(in crate::exec) enum Slot {
    /// The host's own connection.
    Own,
    /// The local shell (`connection: local`, tasks delegated to the controller).
    Local,
    /// The connection to the host the task was delegated to.
    Delegated(String),
}

/// The time limit of each command of `task`: its `async` seconds, or `--task-timeout` when that
/// is shorter or there is no `async`.
fn async_limit(task: &Task, task_timeout: Option<Duration>) -> Option<Duration> {
    let limit = (task.async_secs > 0).then(|| Duration::from_secs(task.async_secs));
    match (limit, task_timeout) {
        (Some(a), Some(t)) => Some(a.min(t)),
        (a, t) => a.or(t),
    }
}
