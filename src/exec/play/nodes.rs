//! The strategies over a play's nodes: each task on all active hosts at once (linear) or each
//! host on its own (free), blocks with rescue and always, and a host's failure.

use std::sync::Arc;

use futures::future::join_all;
use tokio::sync::Semaphore;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::super::task::ItemResult;
use super::{Boxed, Hosts, Stop};
use crate::output::{Event, HostStatus};
use crate::repo::playbook::Play;
use crate::repo::task::{Action, Block, Node, Task};

impl Runner<'_> {
    /// Runs a list of nodes on the hosts still active.
    pub(in crate::exec) fn run_nodes<'f>(
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
                if self.batch_stop().is_some() || !hosts.iter().any(|h| h.active()) {
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

    pub(in crate::exec) async fn run_block(
        &self,
        play: &Play,
        block: &Block,
        hosts: Hosts<'_, '_>,
        play_hosts: &[String],
    ) {
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
                    self.batch_rescued(&h.name);
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

    pub(in crate::exec) async fn run_task(
        &self,
        play: &Play,
        task: &Task,
        hosts: Hosts<'_, '_>,
        play_hosts: &[String],
    ) {
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
                if task.run_once || bypasses_host_loop(task) {
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
                    // throttle: at most that many hosts at once, within forks.
                    let throttle = (task.throttle > 0).then(|| Semaphore::new(task.throttle));
                    join_all(active.iter_mut().map(|h| {
                        let throttle = throttle.as_ref();
                        async move {
                            let _slot = match throttle {
                                Some(s) => s.acquire().await.ok(),
                                None => None,
                            };
                            self.run_task_on_host(play, task, h, play_hosts).await
                        }
                    }))
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
                    self.stop_batch(Stop::Playbook);
                }
            }
        }
        self.check_max_fail(play, hosts);
    }

    pub(in crate::exec) fn fail_host(&self, host: &mut HostState, task: &str, message: String) {
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

pub(in crate::exec) fn skipped() -> ItemResult {
    ItemResult {
        skipped: true,
        ..ItemResult::default()
    }
}

/// Whether any task inside a block is selected by the tags.
pub(in crate::exec) fn block_selected(block: &Block, tags: &crate::plan::TagFilter) -> bool {
    fn any(nodes: &[Node], tags: &crate::plan::TagFilter) -> bool {
        nodes.iter().any(|n| match n {
            Node::Task(t) => tags.selects(&t.tags),
            Node::Block(b) => block_selected(b, tags),
        })
    }
    any(&block.block, tags) || any(&block.rescue, tags) || any(&block.always, tags)
}

/// `add_host` and `pause` run once per task (per item in a loop), for the first host, as
/// Ansible's actions bypass the host loop.
fn bypasses_host_loop(task: &Task) -> bool {
    matches!(&task.action, Action::Module { module, .. } if matches!(module.name(), "add_host" | "pause"))
}
