//! Running a play: host selection, vars_files, facts, the linear and free strategies, blocks
//! with rescue and always, dynamic includes, and handlers.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use futures::future::join_all;
use minijinja::Value;

use crate::output::{Event, HostStatus};
use crate::repo::load::Loader;
use crate::repo::playbook::{Play, Strategy};
use crate::repo::task::{Action, Block, MetaAction, Node, Task};

use super::Runner;
use super::handlers::{handler_indices, handler_tasks};
use super::host::HostState;
use super::lazy::LazyVars;
use super::task::{ItemResult, display};

type Hosts<'h, 'x> = &'x mut [&'h mut HostState];
type Boxed<'f> = Pin<Box<dyn std::future::Future<Output = ()> + 'f>>;

impl Runner<'_> {
    /// Runs one play on the hosts its pattern (and `--limit`) select.
    pub(super) async fn run_play(&self, play: &Play, all: &mut Vec<HostState>) {
        self.reset_included_handlers();
        let names = match self.select_hosts(&play.hosts) {
            Ok(n) => n,
            Err(message) => {
                self.events.send(Event::Warning {
                    message: format!("{}: {message}", play.loc),
                });
                Vec::new()
            }
        };
        self.events.send(Event::PlayStart {
            name: play.name.clone(),
            hosts: names.clone(),
        });
        if names.is_empty() {
            self.events.send(Event::Warning {
                message: "no hosts matched, skipping this play".to_string(),
            });
            return;
        }
        for name in &names {
            if !all.iter().any(|h| &h.name == name) {
                let vars = self.inventory.host_vars(name);
                let host = HostState::new(name.clone(), vars);
                self.hostvars.set(name, self.hostvars_entry(&host));
                all.push(host);
            }
        }
        let mut hosts: Vec<&mut HostState> = all
            .iter_mut()
            .filter(|h| names.contains(&h.name) && !h.failed && !h.unreachable)
            .collect();
        for h in hosts.iter_mut() {
            h.ended = false;
            h.notified.clear();
            self.notify_owed(play, h);
        }
        let play_hosts: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        self.load_vars_files(play, &mut hosts, &play_hosts);
        if play.gather_facts.unwrap_or(self.opts.gather_by_default) {
            self.gather_facts(play, &mut hosts).await;
        }
        match play.strategy {
            Strategy::Linear => {
                for section in &play.sections {
                    self.run_nodes(play, section, &mut hosts, &play_hosts).await;
                    self.flush_handlers(play, &mut hosts, &play_hosts).await;
                }
            }
            Strategy::Free => {
                let play_hosts = &play_hosts;
                join_all(hosts.iter_mut().map(|h| async move {
                    let mut one = [&mut **h];
                    for section in &play.sections {
                        self.run_nodes(play, section, &mut one, play_hosts).await;
                        self.flush_handlers(play, &mut one, play_hosts).await;
                    }
                }))
                .await;
            }
        }
        self.report_unrun_handlers(play, &hosts);
    }

    /// Notifies the handlers an earlier deploy owes `host`, once, in the first play that has them.
    fn notify_owed(&self, play: &Play, host: &mut HostState) {
        let Ok(mut owed) = self.owed.lock() else { return };
        let Some(names) = owed.get_mut(&host.name) else {
            return;
        };
        let included = self.included_handlers();
        names.retain(|name| {
            let found = handler_indices(play, &included, name);
            host.notified.extend(found.iter().copied());
            found.is_empty()
        });
    }

    /// Reports handlers notified on hosts that stopped before the play flushed them.
    fn report_unrun_handlers(&self, play: &Play, hosts: &[&mut HostState]) {
        let included = self.included_handlers();
        let handlers = handler_tasks(play, &included);
        for h in hosts
            .iter()
            .filter(|h| (h.failed || h.unreachable) && !h.notified.is_empty())
        {
            let names: Vec<String> = h
                .notified
                .iter()
                .filter_map(|&i| handlers.get(i))
                .map(|t| t.name.clone().unwrap_or_else(|| t.display_name()))
                .collect();
            self.events.send(Event::HandlersPending {
                host: h.name.clone(),
                handlers: names,
            });
        }
    }

    fn select_hosts(&self, pattern: &str) -> Result<Vec<String>, String> {
        self.inventory
            .select_limited(pattern, self.opts.limit.as_deref(), &self.playbook.dir)
            .map_err(|e| e.to_string())
    }

    fn load_vars_files(&self, play: &Play, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        if play.vars_files.is_empty() {
            return;
        }
        for host in hosts.iter_mut() {
            let raw = self.task_vars(play, None, host, play_hosts);
            let lazy = LazyVars::new(raw, Arc::clone(&self.engine));
            let mut merged = crate::value::empty_map();
            for (file, loc) in &play.vars_files {
                let loaded = self
                    .engine
                    .template_value(file, &lazy.context())
                    .map_err(|e| format!("{loc}: vars_files: {e}"))
                    .and_then(|name| {
                        let path = self.playbook.dir.join(display(&name));
                        crate::repo::vars_file::load_vars_file(&path)
                            .map_err(|e| format!("{loc}: vars_files: {e}"))
                    });
                match loaded {
                    Ok(vars) => merged = crate::value::merged(&merged, &vars),
                    Err(msg) => {
                        self.fail_host(host, "vars_files", msg);
                        break;
                    }
                }
            }
            host.play_vars_files = merged;
        }
    }

    async fn gather_facts(&self, play: &Play, hosts: Hosts<'_, '_>) {
        self.events.send(Event::TaskStart {
            name: "Gathering Facts".to_string(),
            location: play.loc.to_string(),
            handler: false,
        });
        join_all(hosts.iter_mut().filter(|h| h.active()).map(|h| async move {
            let _permit = self.forks.acquire().await;
            let outcome = self.facts_for(play, h).await;
            let host = &mut **h;
            match outcome {
                Ok(facts) => {
                    host.facts = facts;
                    host.counts.ok += 1;
                    self.hostvars.set(&host.name, self.hostvars_entry(host));
                    self.events.send(Event::HostResult {
                        host: host.name.clone(),
                        task: "Gathering Facts".to_string(),
                        status: HostStatus::Ok,
                        item: None,
                        msg: None,
                        diff: Vec::new(),
                        result: None,
                        ignored: false,
                        delegated_to: None,
                    });
                }
                Err((unreachable, message)) => {
                    let mut r = ItemResult::default();
                    r.result.insert("msg".to_string(), Value::from(message));
                    r.unreachable = unreachable;
                    r.failed = !unreachable;
                    let task = gather_task(play);
                    self.record(play, &task, host, r, false, false, None);
                }
            }
        }))
        .await;
    }

    async fn facts_for(&self, play: &Play, host: &mut HostState) -> Result<Value, (bool, String)> {
        let raw = self.task_vars(play, None, host, &[]);
        let ctx = LazyVars::new(raw, Arc::clone(&self.engine)).context();
        let mut conn = match host.conn.take() {
            Some(c) => c,
            None => {
                let target = super::target::target_for(
                    &host.name,
                    &ctx,
                    self.opts,
                    super::target::PlayConnection::of(play),
                );
                crate::connection::connect(&target)
                    .await
                    .map_err(|e| (true, e.to_string()))?
            }
        };
        let result = crate::facts::gather(
            conn.as_mut(),
            &crate::connection::Via::plain(),
            &play.gather_subset,
        )
        .await;
        host.conn = Some(conn);
        result.map_err(|e| (false, e.to_string()))
    }

    /// Runs a list of nodes on the hosts still active.
    fn run_nodes<'f>(
        &'f self,
        play: &'f Play,
        nodes: &'f [Node],
        hosts: Hosts<'_, 'f>,
        play_hosts: &'f [String],
    ) -> Boxed<'f>
    where
        Self: 'f,
    {
        Box::pin(async move {
            for node in nodes {
                if !hosts.iter().any(|h| h.active()) {
                    return;
                }
                match node {
                    Node::Task(task) => {
                        if self.opts.tags.selects(&task.tags) {
                            self.run_task(play, task, hosts, play_hosts).await;
                        }
                    }
                    Node::Block(block) => {
                        if block_selected(block, &self.opts.tags) {
                            self.run_block(play, block, hosts, play_hosts).await;
                        }
                    }
                }
            }
        })
    }

    async fn run_block(&self, play: &Play, block: &Block, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        let entered: Vec<String> = hosts
            .iter()
            .filter(|h| h.active())
            .map(|h| h.name.clone())
            .collect();
        let failures_before: Vec<u32> = hosts.iter().map(|h| h.counts.failed).collect();
        {
            let mut inside: Vec<&mut HostState> = hosts
                .iter_mut()
                .filter(|h| entered.contains(&h.name))
                .map(|h| &mut **h)
                .collect();
            self.run_nodes(play, &block.block, &mut inside, play_hosts).await;
        }
        let failed: Vec<String> = hosts
            .iter()
            .filter(|h| entered.contains(&h.name) && h.failed && !h.unreachable)
            .map(|h| h.name.clone())
            .collect();
        if !block.rescue.is_empty() && !failed.is_empty() {
            let mut rescued: Vec<&mut HostState> = Vec::new();
            for (h, before) in hosts.iter_mut().zip(&failures_before) {
                if failed.contains(&h.name) {
                    h.failed = false;
                    h.counts.failed = *before;
                    h.counts.rescued += 1;
                    rescued.push(&mut **h);
                }
            }
            self.run_nodes(play, &block.rescue, &mut rescued, play_hosts)
                .await;
        }
        if !block.always.is_empty() {
            let still_failed: Vec<String> = hosts
                .iter()
                .filter(|h| entered.contains(&h.name) && h.failed)
                .map(|h| h.name.clone())
                .collect();
            let mut always: Vec<&mut HostState> = Vec::new();
            for h in hosts.iter_mut() {
                if entered.contains(&h.name) && !h.unreachable {
                    h.failed = false;
                    always.push(&mut **h);
                }
            }
            self.run_nodes(play, &block.always, &mut always, play_hosts).await;
            for h in hosts.iter_mut() {
                if still_failed.contains(&h.name) {
                    h.failed = true;
                }
            }
        }
    }

    async fn run_task(&self, play: &Play, task: &Task, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        let handler_run = false;
        let title = match hosts.iter().find(|h| h.active()) {
            Some(h) if task.display_name().contains("{{") => {
                let raw = self.task_vars(play, Some(task), h, play_hosts);
                self.title(task, &LazyVars::new(raw, Arc::clone(&self.engine)))
            }
            _ => task.display_name(),
        };
        self.events.send(Event::TaskStart {
            name: title,
            location: task.loc.to_string(),
            handler: handler_run,
        });
        match &task.action {
            Action::Meta(meta) => self.run_meta(play, *meta, task, hosts, play_hosts).await,
            Action::IncludeTasks { .. } | Action::IncludeRole { .. } => {
                self.run_include(play, task, hosts, play_hosts).await
            }
            Action::Module { .. } => {
                let mut active: Vec<&mut HostState> = hosts
                    .iter_mut()
                    .filter(|h| h.active())
                    .map(|h| &mut **h)
                    .collect();
                if task.run_once {
                    let Some((first, rest)) = active.split_first_mut() else {
                        return;
                    };
                    self.run_task_on_host(play, task, first, play_hosts).await;
                    if let Some(name) = &task.register {
                        if let Some(value) = first.host_vars.get(name).cloned() {
                            for other in rest.iter_mut() {
                                other.host_vars.insert(name.clone(), value.clone());
                            }
                        }
                    }
                } else {
                    join_all(
                        active
                            .iter_mut()
                            .map(|h| self.run_task_on_host(play, task, h, play_hosts)),
                    )
                    .await;
                }
                for h in active.iter() {
                    self.hostvars.set(&h.name, self.hostvars_entry(h));
                }
                if play.any_errors_fatal && active.iter().any(|h| h.failed || h.unreachable) {
                    // any_errors_fatal: one host failing ends the play for every host.
                    for h in hosts.iter_mut() {
                        h.ended = true;
                    }
                }
            }
        }
    }

    async fn run_meta(
        &self,
        play: &Play,
        meta: MetaAction,
        task: &Task,
        hosts: Hosts<'_, '_>,
        play_hosts: &[String],
    ) {
        match meta {
            MetaAction::FlushHandlers => self.flush_handlers(play, hosts, play_hosts).await,
            MetaAction::Noop => {}
            MetaAction::ClearHostErrors => {
                for h in hosts.iter_mut() {
                    h.failed = false;
                }
            }
            MetaAction::EndPlay | MetaAction::EndHost => {
                for h in hosts.iter_mut().filter(|h| h.active()) {
                    let raw = self.task_vars(play, Some(task), h, play_hosts);
                    let lazy = LazyVars::new(raw, Arc::clone(&self.engine));
                    if self.conditions(&task.when, &lazy).unwrap_or(false) {
                        h.ended = true;
                        if meta == MetaAction::EndPlay {
                            for other in hosts.iter_mut() {
                                other.ended = true;
                            }
                            return;
                        }
                    }
                }
            }
        }
    }

    /// `include_tasks` / `include_role`: loaded per host (per loop item, with `loop`); hosts that
    /// include the same file with the same item run it together, item after item, as Ansible does.
    async fn run_include(&self, play: &Play, task: &Task, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        let mut groups: Vec<IncludeGroup> = Vec::new();
        for (index, h) in hosts.iter_mut().enumerate().filter(|(_, h)| h.active()) {
            let raw = self.task_vars(play, Some(task), h, play_hosts);
            let lazy = LazyVars::new(raw.clone(), Arc::clone(&self.engine));
            let items: Vec<Vec<(String, Value)>> = match &task.loop_spec {
                None => vec![Vec::new()],
                Some(spec) => match self.loop_items(spec.kind, &spec.items, &lazy) {
                    Ok(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let mut vars = vec![(spec.loop_var.clone(), item)];
                            if let Some(index_var) = &spec.index_var {
                                vars.push((index_var.clone(), Value::from(i)));
                            }
                            vars
                        })
                        .collect(),
                    Err(msg) => {
                        self.fail_host(h, &task.display_name(), format!("{}: {msg}", task.loc));
                        continue;
                    }
                },
            };
            let mut included_any = false;
            for vars in items {
                let item_raw = crate::value::merged(
                    &raw,
                    &crate::value::map_of(vars.iter().map(|(k, v)| (k.as_str(), v.clone()))),
                );
                let lazy = LazyVars::new(item_raw, Arc::clone(&self.engine));
                match self.conditions(&task.when, &lazy) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(msg) => {
                        self.fail_host(h, &task.display_name(), format!("{}: {msg}", task.loc));
                        break;
                    }
                }
                let what = match &task.action {
                    Action::IncludeTasks { file } => file,
                    Action::IncludeRole { name, .. } => name,
                    _ => continue,
                };
                match self.engine.template_value(what, &lazy.context()) {
                    Ok(v) => {
                        included_any = true;
                        let (target, key) = (display(&v), item_key(&vars));
                        // A host includes the same file and item again (a repeated loop item)
                        // in a later group, so it runs again, after what came between.
                        let after = groups
                            .iter()
                            .rposition(|g| g.members.contains(&index))
                            .map_or(0, |i| i + 1);
                        match groups[after..]
                            .iter_mut()
                            .find(|g| g.target == target && g.key == key)
                        {
                            Some(g) => g.members.push(index),
                            None => groups.push(IncludeGroup {
                                target,
                                key,
                                item: vars,
                                members: vec![index],
                            }),
                        }
                    }
                    Err(e) => {
                        self.fail_host(h, &task.display_name(), format!("{}: {e}", task.loc));
                        break;
                    }
                }
            }
            if !included_any && !h.failed {
                self.record(play, task, h, skipped(), false, false, None);
            }
        }
        for IncludeGroup {
            target,
            item,
            members,
            ..
        } in groups
        {
            let nodes = match self.load_include(task, &target, &item) {
                Ok((nodes, handlers)) => {
                    self.add_included_handlers(play, handlers);
                    nodes
                }
                Err(msg) => {
                    for (i, h) in hosts.iter_mut().enumerate() {
                        if members.contains(&i) {
                            self.fail_host(h, &task.display_name(), msg.clone());
                        }
                    }
                    continue;
                }
            };
            let mut group: Vec<&mut HostState> = Vec::new();
            for (i, h) in hosts.iter_mut().enumerate() {
                if members.contains(&i) && h.active() {
                    // Each file a host includes counts as ok, once per loop item (Ansible's
                    // `included: FILE for HOST`).
                    h.counts.ok += 1;
                    // Handlers an earlier deploy owes may have just become known.
                    self.notify_owed(play, h);
                    group.push(&mut **h);
                }
            }
            self.run_nodes(play, &nodes, &mut group, play_hosts).await;
        }
    }

    /// Loads what an include brings: its tasks, and for `include_role` the role's handlers.
    fn load_include(
        &self,
        task: &Task,
        target: &str,
        item: &[(String, Value)],
    ) -> Result<(Vec<Node>, Vec<Node>), String> {
        let mut loader = Loader::new(self.playbook.dir.clone(), self.opts.roles_path.clone());
        // The include's own `vars` and its loop item reach every included task.
        let mut inherited = crate::repo::keywords::Inherited::default();
        if matches!(task.action, Action::IncludeTasks { .. }) {
            inherited.vars = crate::value::entries(&task.vars)
                .into_iter()
                .map(|(k, v)| (display(&k), v))
                .chain(item.iter().cloned())
                .collect();
        }
        // A role gets them as role parameters.
        let params = crate::value::merged(
            &task.vars,
            &crate::value::map_of(item.iter().map(|(k, v)| (k.as_str(), v.clone()))),
        );
        let scope = crate::repo::tasks::Scope {
            inherited,
            role: task.role.clone(),
            dir: task.loc.file.parent().map(PathBuf::from).unwrap_or_default(),
            handler: false,
        };
        match &task.action {
            Action::IncludeTasks { .. } => {
                let path = loader
                    .resolve_task_file(target, &scope)
                    .ok_or_else(|| format!("{}: include_tasks: cannot find `{target}`", task.loc))?;
                let nodes = loader.load_task_file(&path, &scope).map_err(|e| e.to_string())?;
                Ok((nodes, Vec::new()))
            }
            Action::IncludeRole { tasks_from, .. } => {
                let nodes = loader
                    .expand_role(target, &task.loc, params, tasks_from.as_deref(), &scope, false)
                    .map_err(|e| e.to_string())?;
                Ok((nodes, loader.take_role_handlers()))
            }
            _ => Ok((Vec::new(), Vec::new())),
        }
    }

    /// Runs notified handlers, in definition order, on the hosts that notified them.
    pub(super) async fn flush_handlers(&self, play: &Play, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        let included = self.included_handlers();
        let handlers = handler_tasks(play, &included);
        for (index, handler) in handlers.iter().enumerate() {
            let mut notified: Vec<&mut HostState> = hosts
                .iter_mut()
                .filter(|h| h.active() && h.notified.contains(&index))
                .map(|h| &mut **h)
                .collect();
            if notified.is_empty() {
                continue;
            }
            for h in notified.iter_mut() {
                h.notified.shift_remove(&index);
            }
            self.events.send(Event::TaskStart {
                name: handler.display_name(),
                location: handler.loc.to_string(),
                handler: true,
            });
            join_all(
                notified
                    .iter_mut()
                    .map(|h| self.run_task_on_host(play, handler, h, play_hosts)),
            )
            .await;
        }
    }

    fn fail_host(&self, host: &mut HostState, task: &str, message: String) {
        host.failed = true;
        host.counts.failed += 1;
        self.events.send(Event::HostResult {
            host: host.name.clone(),
            task: task.to_string(),
            status: HostStatus::Failed,
            item: None,
            msg: Some(message),
            diff: Vec::new(),
            result: None,
            ignored: false,
            delegated_to: None,
        });
    }
}

fn skipped() -> ItemResult {
    ItemResult {
        skipped: true,
        ..ItemResult::default()
    }
}

fn gather_task(play: &Play) -> Task {
    Task {
        name: Some("Gathering Facts".to_string()),
        loc: play.loc.clone(),
        action: Action::Meta(MetaAction::Noop),
        tags: Vec::new(),
        when: Vec::new(),
        vars: crate::value::empty_map(),
        loop_spec: None,
        register: None,
        notify: Vec::new(),
        changed_when: None,
        failed_when: None,
        until: None,
        retries: None,
        delay: None,
        ignore_errors: None,
        no_log: None,
        run_once: false,
        delegate_to: None,
        escalate: None,
        become_user: None,
        become_method: None,
        check_mode: None,
        diff: None,
        environment: Vec::new(),
        role: None,
        listen: Vec::new(),
    }
}

/// Whether any task inside a block is selected by the tags.
fn block_selected(block: &Block, tags: &crate::plan::TagFilter) -> bool {
    fn any(nodes: &[Node], tags: &crate::plan::TagFilter) -> bool {
        nodes.iter().any(|n| match n {
            Node::Task(t) => tags.selects(&t.tags),
            Node::Block(b) => block_selected(b, tags),
        })
    }
    any(&block.block, tags) || any(&block.rescue, tags) || any(&block.always, tags)
}

/// The hosts that include one target with one loop item, in the order they were first seen.
struct IncludeGroup {
    target: String,
    /// The item's variables as text ([`item_key`]).
    key: String,
    item: Vec<(String, Value)>,
    members: Vec<usize>,
}

/// A loop item's variables as text, to tell includes of different items apart.
fn item_key(vars: &[(String, Value)]) -> String {
    vars.iter()
        .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\u{0}")
}
