//! `meta` actions: `flush_handlers`, `end_play`, `end_host`, `end_batch`, `clear_host_errors`,
//! `reset_connection`, `refresh_inventory`, `noop`.

use super::super::Runner;
use std::sync::Arc;

use super::super::lazy::LazyVars;
use super::Hosts;
use crate::output::Event;
use crate::repo::playbook::Play;
use crate::repo::task::{MetaAction, Task};

impl Runner<'_> {
    pub(in crate::exec) async fn run_meta(
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
            MetaAction::RefreshInventory => self.events.send(Event::Warning {
                message: format!(
                    "{}: meta: refresh_inventory: playhook reads the inventory once per run; \
                     hosts and variables changed since then are not seen (add_host adds hosts)",
                    task.loc
                ),
            }),
            MetaAction::ResetConnection => {
                for h in hosts.iter_mut().filter(|h| h.active()) {
                    let raw = self.task_vars(play, Some(task), h, play_hosts);
                    let lazy = LazyVars::new(raw, Arc::clone(&self.engine));
                    if self.conditions(&task.when, &lazy).unwrap_or(false) {
                        if let Some(mut conn) = h.conn.take() {
                            conn.close().await;
                        }
                    }
                }
            }
            MetaAction::EndPlay | MetaAction::EndHost | MetaAction::EndBatch => {
                for h in hosts.iter_mut().filter(|h| h.active()) {
                    let raw = self.task_vars(play, Some(task), h, play_hosts);
                    let lazy = LazyVars::new(raw, Arc::clone(&self.engine));
                    if self.conditions(&task.when, &lazy).unwrap_or(false) {
                        h.ended = true;
                        if meta == MetaAction::EndPlay {
                            self.stop_batch(super::Stop::EndPlay);
                        }
                        if meta != MetaAction::EndHost {
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
}
