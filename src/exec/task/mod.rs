//! One task on one host, split as ansible-core's task executor is: this file decides whether
//! the task runs and dispatches its loop; [`loops`] iterates items; [`invoke`] templates the
//! arguments and calls the module (with retries and `changed_when`/`failed_when`/`until`);
//! [`record`] applies the result to the host and reports it; [`scope`] evaluates keywords
//! against the task's variables; [`result`] is the result type.

mod delegate;
mod delegate_facts;
mod invoke;
mod loops;
mod record;
pub(in crate::exec) mod result;
mod scope;

use std::sync::Arc;

use super::Runner;
use super::host::HostState;
use super::lazy::LazyVars;
use crate::repo::playbook::Play;
use crate::repo::task::Task;

pub(in crate::exec) use delegate::Delegation;
pub(in crate::exec) use delegate_facts::PendingFacts;
pub(in crate::exec) use invoke::Slot;
pub(in crate::exec) use result::ItemResult;
use scope::condition_text;
pub(in crate::exec) use scope::display;

impl Runner<'_> {
    /// Runs `task` on `host` and records the outcome on it.
    pub(in crate::exec) async fn run_task_on_host(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        play_hosts: &[String],
    ) {
        let _permit = self.forks.acquire().await;
        self.take_handed_facts(host);
        let raw = self.task_vars(play, Some(task), host, play_hosts);
        let lazy = LazyVars::new(raw.clone(), Arc::clone(&self.engine));
        host.title = Some(self.title(task, &lazy));
        host.delegated_to = None;
        host.delegated_address = None;
        let no_log = self.flag(&task.no_log, &lazy).unwrap_or(false);
        let ignore_errors = self.flag(&task.ignore_errors, &lazy).unwrap_or(false);

        let outcome = match &task.loop_spec {
            None => match self.conditions(&task.when, &lazy) {
                Ok(true) => self.run_item(play, task, host, &raw, &lazy).await,
                Ok(false) => ItemResult::skipped(&condition_text(&task.when)),
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
            },
            Some(spec) => match self.loop_items(spec, &lazy) {
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
                Ok(items) => {
                    self.run_loop(play, task, host, &raw, items, no_log, ignore_errors)
                        .await
                }
            },
        };
        self.record(play, task, host, outcome, no_log, ignore_errors, None);
    }
}
