//! One task on one host: conditions, loop, templated arguments, the module, `changed_when`,
//! `failed_when`, `until`, `register`, `notify`, and the event that reports it.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::{Connection, ConnectionError};
use crate::modules::{Module, ModuleCtx, ModuleError, Outcome};
use crate::output::{Event, HostStatus};
use crate::repo::playbook::Play;
use crate::repo::task::{LoopKind, Task};
use crate::repo::truthy::literal_bool;
use crate::value::{entries, map_of, merged};

use super::Runner;
use super::handlers::handler_indices;
use super::host::HostState;
use super::lazy::LazyVars;
use super::target::{become_for, target_for};
use super::vars::OMIT;

const NO_LOG_MESSAGE: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// The result of one task (or one loop item) on a host.
#[derive(Debug, Default)]
pub(super) struct ItemResult {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub unreachable: bool,
    pub result: IndexMap<String, Value>,
}

impl ItemResult {
    fn failure(msg: impl Into<String>) -> Self {
        let msg = msg.into();
        let mut result = IndexMap::new();
        result.insert("failed".to_string(), Value::from(true));
        result.insert("msg".to_string(), Value::from(msg));
        ItemResult {
            failed: true,
            result,
            ..ItemResult::default()
        }
    }

    fn skipped(reason: &str) -> Self {
        let mut result = IndexMap::new();
        result.insert("changed".to_string(), Value::from(false));
        result.insert("skipped".to_string(), Value::from(true));
        result.insert("skip_reason".to_string(), Value::from(reason));
        result.insert("false_condition".to_string(), Value::from(reason));
        ItemResult {
            skipped: true,
            result,
            ..ItemResult::default()
        }
    }

    fn status(&self) -> HostStatus {
        if self.unreachable {
            HostStatus::Unreachable
        } else if self.failed {
            HostStatus::Failed
        } else if self.skipped {
            HostStatus::Skipped
        } else if self.changed {
            HostStatus::Changed
        } else {
            HostStatus::Ok
        }
    }

    fn value(&self) -> Value {
        Value::from_pairs(
            self.result
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone())),
        )
    }
}

impl Runner<'_> {
    /// Runs `task` on `host` and records the outcome on it.
    pub(super) async fn run_task_on_host(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        play_hosts: &[String],
    ) {
        let _permit = self.forks.acquire().await;
        let raw = self.task_vars(play, Some(task), host, play_hosts);
        let lazy = LazyVars::new(raw.clone(), Arc::clone(&self.engine));
        host.title = Some(self.title(task, &lazy));
        let no_log = self.flag(&task.no_log, &lazy).unwrap_or(false);
        let ignore_errors = self.flag(&task.ignore_errors, &lazy).unwrap_or(false);

        let outcome = match &task.loop_spec {
            None => match self.conditions(&task.when, &lazy) {
                Ok(true) => self.run_item(play, task, host, &raw, None).await,
                Ok(false) => ItemResult::skipped(&condition_text(&task.when)),
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
            },
            Some(spec) => match self.loop_items(spec.kind, &spec.items, &lazy) {
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
                Ok(items) => {
                    self.run_loop(play, task, host, &raw, items, no_log, ignore_errors)
                        .await
                }
            },
        };
        self.record(play, task, host, outcome, no_log, ignore_errors, None);
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_loop(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        raw: &Value,
        items: Vec<Value>,
        no_log: bool,
        ignore_errors: bool,
    ) -> ItemResult {
        let spec = task
            .loop_spec
            .as_ref()
            .expect("run_loop is called for looping tasks");
        let mut results = Vec::new();
        let mut total = ItemResult {
            skipped: true,
            ..ItemResult::default()
        };
        for (index, item) in items.iter().enumerate() {
            let mut extra = vec![
                (spec.loop_var.clone(), item.clone()),
                (
                    "ansible_loop_var".to_string(),
                    Value::from(spec.loop_var.as_str()),
                ),
            ];
            if let Some(index_var) = &spec.index_var {
                extra.push((index_var.clone(), Value::from(index)));
                extra.push(("ansible_index_var".to_string(), Value::from(index_var.as_str())));
            }
            let item_raw = merged(raw, &map_of(extra.iter().map(|(k, v)| (k.as_str(), v.clone()))));
            let lazy = LazyVars::new(item_raw.clone(), Arc::clone(&self.engine));
            let mut outcome = match self.conditions(&task.when, &lazy) {
                Ok(true) => self.run_item(play, task, host, &item_raw, Some(&lazy)).await,
                Ok(false) => ItemResult::skipped(&condition_text(&task.when)),
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
            };
            outcome.result.insert(spec.loop_var.clone(), item.clone());
            outcome.result.insert(
                "ansible_loop_var".to_string(),
                Value::from(spec.loop_var.as_str()),
            );
            let label = match &spec.label {
                Some(label) => self
                    .engine
                    .template_value(label, &lazy.context())
                    .map(|v| display(&v))
                    .unwrap_or_default(),
                None => display(item),
            };
            self.report(
                task,
                host,
                &outcome,
                no_log,
                ignore_errors && outcome.failed,
                Some(label),
            );
            total.changed |= outcome.changed;
            total.failed |= outcome.failed;
            total.unreachable |= outcome.unreachable;
            total.skipped &= outcome.skipped;
            results.push(outcome.value());
            if outcome.unreachable {
                break;
            }
        }
        total
            .result
            .insert("changed".to_string(), Value::from(total.changed));
        if total.failed {
            total.result.insert("failed".to_string(), Value::from(true));
            total
                .result
                .insert("msg".to_string(), Value::from("One or more items failed"));
        }
        if total.skipped {
            total.result.insert("skipped".to_string(), Value::from(true));
        }
        total.result.insert("results".to_string(), Value::from(results));
        total
            .result
            .insert("__loop_reported".to_string(), Value::from(true));
        total
    }

    /// One execution of the module (one loop item, or the task itself), with retries.
    async fn run_item(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        raw: &Value,
        lazy: Option<&Arc<LazyVars>>,
    ) -> ItemResult {
        let owned;
        let lazy = match lazy {
            Some(l) => l,
            None => {
                owned = LazyVars::new(raw.clone(), Arc::clone(&self.engine));
                &owned
            }
        };
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
    async fn execute(
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
        let escalate = self.flag(&task.escalate, lazy);
        let become_user = match &task.become_user {
            Some(u) => match self.engine.template_value(u, &ctx) {
                Ok(v) => Some(display(&v)),
                Err(e) => return ItemResult::failure(self.template_failure(task, lazy, &e.to_string())),
            },
            None => None,
        };
        let privilege = match become_for(&ctx, escalate, become_user, task.become_method.as_deref()) {
            Ok(p) => p,
            Err(msg) => return ItemResult::failure(format!("{}: {msg}", task.loc)),
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
        let local = match delegate.as_deref() {
            None => false,
            Some(name) if name == host.name => false,
            Some("localhost" | "127.0.0.1") => true,
            Some(other) => {
                return ItemResult::failure(format!(
                    "{}: delegate_to `{other}` is not supported; only `localhost` (or the host itself) is",
                    task.loc
                ));
            }
        };
        let mut conn = match self.take_connection(play, host, local, &ctx).await {
            Ok(c) => c,
            Err(e) => {
                let mut r = ItemResult::failure(e.to_string());
                r.unreachable = true;
                r.failed = false;
                r.result.insert("unreachable".to_string(), Value::from(true));
                return r;
            }
        };
        let (live_tx, forward) = self.live_forwarder(&host.name, task);
        let role_path = task.role.as_ref().map(|r| r.path.as_path());
        let mut mctx = ModuleCtx {
            conn: conn.as_mut(),
            host: &host.name,
            check,
            diff,
            privilege,
            env,
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
        };
        let run = module.run(&args, &mut mctx);
        let outcome = match self.opts.task_timeout {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(o) => o,
                Err(_) => Err(ModuleError::Connection(ConnectionError::Timeout(limit))),
            },
            None => run.await,
        };
        drop(mctx);
        drop(live_tx);
        if let Some(f) = forward {
            let _ = f.await;
        }
        let timed_out = matches!(outcome, Err(ModuleError::Connection(ConnectionError::Timeout(_))));
        let broken = matches!(
            outcome,
            Err(ModuleError::Connection(ConnectionError::Unreachable { .. }))
        );
        if timed_out || broken {
            conn.close().await;
        } else if local {
            host.local = Some(conn);
        } else {
            host.conn = Some(conn);
        }
        match outcome {
            Ok(o) => from_outcome(o),
            Err(ModuleError::Connection(ConnectionError::Unreachable { message })) => {
                let mut r = ItemResult::failure(message);
                r.unreachable = true;
                r.failed = false;
                r.result.insert("unreachable".to_string(), Value::from(true));
                r
            }
            Err(e) => ItemResult::failure(e.to_string()),
        }
    }

    /// The host's connection (opened on first use), or its local shell for delegated tasks.
    async fn take_connection(
        &self,
        play: &Play,
        host: &mut HostState,
        local: bool,
        ctx: &Value,
    ) -> Result<Box<dyn Connection>, ConnectionError> {
        let slot = if local {
            host.local.take()
        } else {
            host.conn.take()
        };
        if let Some(conn) = slot {
            return Ok(conn);
        }
        let target = if local {
            target_for(
                "localhost",
                &crate::value::empty_map(),
                self.opts,
                super::target::PlayConnection {
                    connection: Some("local"),
                    remote_user: None,
                },
            )
        } else {
            target_for(
                &host.name,
                ctx,
                self.opts,
                super::target::PlayConnection::of(play),
            )
        };
        crate::connection::connect(&target).await
    }

    /// Forwards a module's live output lines as events.
    fn live_forwarder(
        &self,
        host: &str,
        task: &Task,
    ) -> (
        Option<crate::connection::LiveLines>,
        Option<tokio::task::JoinHandle<()>>,
    ) {
        if self.flag(
            &task.no_log,
            &LazyVars::new(crate::value::empty_map(), Arc::clone(&self.engine)),
        ) == Some(true)
        {
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

    /// Applies a finished task to the host: register, facts, notifications, counts, event.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        mut outcome: ItemResult,
        no_log: bool,
        ignore_errors: bool,
        label: Option<String>,
    ) {
        let loop_reported = outcome.result.shift_remove("__loop_reported").is_some();
        if let Some(name) = &task.register {
            let value = if no_log {
                censored(outcome.changed)
            } else {
                outcome.value()
            };
            host.host_vars.insert(name.clone(), value);
        }
        if !outcome.failed && !outcome.skipped {
            if let Some(facts) = outcome.result.get("ansible_facts") {
                for (k, v) in entries(facts) {
                    host.host_vars.insert(display(&k), v);
                }
            }
            for item in outcome
                .result
                .get("results")
                .map(|r| r.try_iter().map(|i| i.collect::<Vec<_>>()).unwrap_or_default())
                .unwrap_or_default()
            {
                if let Ok(facts) = item.get_attr("ansible_facts") {
                    for (k, v) in entries(&facts) {
                        host.host_vars.insert(display(&k), v);
                    }
                }
            }
        }
        let counts = &mut host.counts;
        if outcome.unreachable {
            counts.unreachable += 1;
            host.unreachable = true;
        } else if outcome.failed {
            if ignore_errors {
                counts.ignored += 1;
            } else {
                counts.failed += 1;
                host.failed = true;
            }
        } else if outcome.skipped {
            counts.skipped += 1;
        } else {
            counts.ok += 1;
            if outcome.changed {
                counts.changed += 1;
                self.notify(play, task, host);
            }
        }
        let all_items_skipped = loop_reported
            && outcome.skipped
            && outcome
                .result
                .get("results")
                .is_some_and(|r| r.len().unwrap_or(0) > 0);
        if !loop_reported || all_items_skipped {
            self.report(
                task,
                host,
                &outcome,
                no_log,
                ignore_errors && outcome.failed,
                label,
            );
        }
        outcome.result.clear();
    }

    fn report(
        &self,
        task: &Task,
        host: &HostState,
        outcome: &ItemResult,
        no_log: bool,
        ignored: bool,
        item: Option<String>,
    ) {
        let msg =
            if no_log {
                None
            } else {
                outcome.result.get("msg").map(display).filter(|m| {
                    outcome.failed || outcome.unreachable || !m.is_empty() && is_message_module(task)
                })
            };
        let show_result = outcome.failed
            || outcome.unreachable
            || self.opts.verbosity > 0
            || is_message_module(task)
            || outcome.result.contains_key("_ansible_verbose_always");
        if !no_log {
            if let Some(warnings) = outcome.result.get("warnings").and_then(|w| w.try_iter().ok()) {
                for warning in warnings {
                    self.events.send(Event::Warning {
                        message: format!("{}: {}", host.name, display(&warning)),
                    });
                }
            }
        }
        let result = if no_log {
            Some(serde_json::json!({ "censored": NO_LOG_MESSAGE, "changed": outcome.changed }))
        } else if show_result {
            let mut shown = outcome.result.clone();
            shown.shift_remove("diff");
            shown.retain(|k, _| !k.starts_with("_ansible"));
            if is_debug(task) {
                shown.shift_remove("changed");
                shown.shift_remove("failed");
            }
            serde_json::to_value(&shown).ok()
        } else {
            None
        };
        let diff = if no_log || !self.opts.diff && task.diff.is_none() {
            Vec::new()
        } else {
            outcome.result.get("diff").map(diffs_of).unwrap_or_default()
        };
        self.events.send(Event::HostResult {
            host: host.name.clone(),
            task: host.title.clone().unwrap_or_else(|| task.display_name()),
            status: outcome.status(),
            item: item.map(|i| if no_log { "None".to_string() } else { i }),
            msg,
            diff,
            result,
            ignored,
            delegated_to: None,
        });
    }

    /// Marks the handlers a changed task notifies: the first handler with that name (a role
    /// applied twice defines its handlers twice), and every handler listening to it.
    fn notify(&self, play: &Play, task: &Task, host: &mut HostState) {
        let included = self.included_handlers();
        for name in &task.notify {
            host.notified.extend(handler_indices(play, &included, name));
        }
    }

    /// The task's name as shown: templated with the host's variables, as Ansible does.
    pub(super) fn title(&self, task: &Task, lazy: &Arc<LazyVars>) -> String {
        let plain = task.display_name();
        if !plain.contains("{{") {
            return plain;
        }
        self.engine.render_str(&plain, &lazy.context()).unwrap_or(plain)
    }

    /// Evaluates `when`-style conditions (all must hold).
    pub(super) fn conditions(&self, conds: &[Value], lazy: &Arc<LazyVars>) -> Result<bool, String> {
        let ctx = lazy.context();
        for cond in conds {
            if let Some(b) = cond.as_str().is_none().then(|| literal_bool(cond)).flatten() {
                if !b {
                    return Ok(false);
                }
                continue;
            }
            let text = display(cond);
            match self.engine.eval_condition(&text, &ctx) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => return Err(self.explain(lazy, &format!("condition `{text}`: {e}"))),
            }
        }
        Ok(true)
    }

    pub(super) fn loop_items(
        &self,
        kind: LoopKind,
        items: &Value,
        lazy: &Arc<LazyVars>,
    ) -> Result<Vec<Value>, String> {
        let value = self
            .engine
            .template_value(items, &lazy.context())
            .map_err(|e| self.explain(lazy, &format!("loop: {e}")))?;
        if value.is_none() || value.is_undefined() {
            return Ok(Vec::new());
        }
        match kind {
            LoopKind::Dict => {
                if !crate::value::is_map(&value) {
                    return Err("with_dict expects a mapping".to_string());
                }
                Ok(entries(&value)
                    .into_iter()
                    .map(|(k, v)| map_of([("key", k), ("value", v)]))
                    .collect())
            }
            _ => {
                if value.as_str().is_some() || value.kind() == minijinja::value::ValueKind::Map {
                    return Err(format!("the loop needs a list, got {}", value.kind()));
                }
                let list: Vec<Value> = value.try_iter().map_err(|e| e.to_string())?.collect();
                if kind == LoopKind::Items {
                    let mut flat = Vec::new();
                    for item in list {
                        if item.kind() == minijinja::value::ValueKind::Seq {
                            flat.extend(item.try_iter().map_err(|e| e.to_string())?);
                        } else {
                            flat.push(item);
                        }
                    }
                    return Ok(flat);
                }
                Ok(list)
            }
        }
    }

    /// A keyword that may be templated and must be a boolean.
    pub(super) fn flag(&self, value: &Option<Value>, lazy: &Arc<LazyVars>) -> Option<bool> {
        let v = value.as_ref()?;
        let v = self.engine.template_value(v, &lazy.context()).ok()?;
        literal_bool(&v).or(Some(v.is_true()))
    }

    fn number(&self, value: &Value, lazy: &Arc<LazyVars>) -> Option<u64> {
        let v = self.engine.template_value(value, &lazy.context()).ok()?;
        u64::try_from(v.clone())
            .ok()
            .or_else(|| v.as_str()?.trim().parse().ok())
    }

    fn template_failure(&self, task: &Task, lazy: &Arc<LazyVars>, message: &str) -> String {
        format!("{}: {}", task.loc, self.explain(lazy, message))
    }

    /// Prefers the error met while templating a variable over a bare "undefined".
    fn explain(&self, lazy: &Arc<LazyVars>, message: &str) -> String {
        match lazy.take_error() {
            Some((name, e)) => format!("{message} (while templating variable `{name}`: {e})"),
            None => message.to_string(),
        }
    }
}

fn from_outcome(o: Outcome) -> ItemResult {
    let mut result = IndexMap::new();
    result.insert("changed".to_string(), Value::from(o.changed));
    for (k, v) in o.data {
        result.insert(k, v);
    }
    if let Some(msg) = o.msg {
        result
            .entry("msg".to_string())
            .or_insert_with(|| Value::from(msg));
    }
    if o.failed {
        result.insert("failed".to_string(), Value::from(true));
    }
    if o.skipped {
        result.insert("skipped".to_string(), Value::from(true));
    }
    if !o.diff.is_empty() {
        let diffs: Vec<Value> = o
            .diff
            .iter()
            .map(|d| Value::from(minijinja::value::Serde(d)))
            .collect();
        result.insert("diff".to_string(), Value::from(diffs));
    }
    ItemResult {
        changed: o.changed,
        failed: o.failed,
        skipped: o.skipped,
        unreachable: false,
        result,
    }
}

fn diffs_of(v: &Value) -> Vec<crate::modules::Diff> {
    let Ok(items) = v.try_iter() else {
        return Vec::new();
    };
    items
        .map(|d| crate::modules::Diff {
            before_header: d
                .get_attr("before_header")
                .map(|v| display(&v))
                .unwrap_or_default(),
            after_header: d
                .get_attr("after_header")
                .map(|v| display(&v))
                .unwrap_or_default(),
            before: d.get_attr("before").map(|v| display(&v)).unwrap_or_default(),
            after: d.get_attr("after").map(|v| display(&v)).unwrap_or_default(),
        })
        .collect()
}

fn censored(changed: bool) -> Value {
    map_of([
        ("censored", Value::from(NO_LOG_MESSAGE)),
        ("changed", Value::from(changed)),
    ])
}

/// Removes arguments whose value is `omit`.
fn drop_omitted(args: &Value) -> Value {
    if !crate::value::is_map(args) {
        return args.clone();
    }
    Value::from_pairs(
        entries(args)
            .into_iter()
            .filter(|(_, v)| v.as_str() != Some(OMIT)),
    )
}

/// A value as text: strings as they are, anything else as Python would print it.
pub(super) fn display(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => crate::template::python_repr(v),
    }
}

fn condition_text(conds: &[Value]) -> String {
    conds.iter().map(display).collect::<Vec<_>>().join(" and ")
}

fn is_debug(task: &Task) -> bool {
    matches!(&task.action, crate::repo::task::Action::Module { module, .. } if module.name() == "debug")
}

/// Modules whose message is the point of running them.
fn is_message_module(task: &Task) -> bool {
    matches!(&task.action, crate::repo::task::Action::Module { module, .. } if matches!(module.name(), "debug" | "assert" | "fail"))
}
