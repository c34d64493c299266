//! The batch a play is running (`serial`): its size, the hosts that failed in it, and whether
//! the play stops, as ansible-core's linear strategy and `PlaybookExecutor.run` decide after each
//! task and each batch (`max_fail_percentage`, `any_errors_fatal`, `meta: end_play`).

use std::collections::HashSet;

use super::super::Runner;
use super::super::host::HostState;
use crate::repo::playbook::Play;
use crate::repo::serial;

/// Why the current batch stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::exec) enum Stop {
    /// `meta: end_play`: later batches never start; later plays still run.
    EndPlay,
    /// `max_fail_percentage` exceeded, `any_errors_fatal`, or the whole batch failed: later
    /// batches and later plays never start.
    Playbook,
}

/// The batch running now.
#[derive(Debug, Default)]
pub(in crate::exec) struct Batch {
    size: usize,
    /// Hosts of this batch that failed or were unreachable (rescued ones excepted).
    removed: HashSet<String>,
    /// Every host of the play, in every batch (`ansible_play_hosts_all`).
    all: Vec<String>,
    /// Hosts of the play's earlier batches that failed or were unreachable.
    dropped: HashSet<String>,
    failed: HashSet<String>,
    stop: Option<Stop>,
}

impl Runner<'_> {
    /// Starts the batch `members` of a play over `all` hosts, `dropped` having failed in its
    /// earlier batches.
    pub(in crate::exec) fn start_batch(&self, members: &[String], all: &[String], dropped: HashSet<String>) {
        if let Ok(mut b) = self.batch.lock() {
            *b = Batch {
                size: members.len(),
                all: all.to_vec(),
                dropped,
                ..Batch::default()
            };
        }
    }

    /// `ansible_play_batch`, `ansible_play_hosts` and `ansible_play_hosts_all` for a task of
    /// the batch whose hosts were `running` when it started: the batch's hosts not failed, the
    /// play's hosts not failed (in an earlier batch or this one), and every host of the play.
    pub(in crate::exec) fn play_hosts(&self, running: &[String]) -> (Vec<String>, Vec<String>, Vec<String>) {
        let Ok(b) = self.batch.lock() else {
            return (running.to_vec(), running.to_vec(), running.to_vec());
        };
        let gone = |n: &&String| b.dropped.contains(*n) || b.removed.contains(*n);
        let batch: Vec<String> = running.iter().filter(|n| !gone(n)).cloned().collect();
        if b.all.is_empty() {
            return (batch.clone(), batch, running.to_vec());
        }
        let live = b.all.iter().filter(|n| !gone(n)).cloned().collect();
        (batch, live, b.all.clone())
    }

    /// Why the batch stopped, if it did.
    pub(in crate::exec) fn batch_stop(&self) -> Option<Stop> {
        self.batch.lock().ok().and_then(|b| b.stop)
    }

    pub(in crate::exec) fn stop_batch(&self, stop: Stop) {
        if let Ok(mut b) = self.batch.lock() {
            if b.stop != Some(Stop::Playbook) {
                b.stop = Some(stop);
            }
        }
    }

    /// A host's failure was rescued: it no longer counts against `max_fail_percentage`.
    pub(in crate::exec) fn batch_rescued(&self, host: &str) {
        if let Ok(mut b) = self.batch.lock() {
            b.failed.remove(host);
            b.removed.remove(host);
        }
    }

    /// After a task: notes the hosts that failed, and when more than `max_fail_percentage` of
    /// the batch has failed, fails the hosts still running (without counting a failure in their
    /// recap, as Ansible) and stops the play.
    pub(in crate::exec) fn check_max_fail(&self, play: &Play, hosts: &mut [&mut HostState]) {
        let Ok(mut b) = self.batch.lock() else { return };
        for h in hosts.iter().filter(|h| h.failed && !h.unreachable) {
            b.failed.insert(h.name.clone());
        }
        for h in hosts.iter().filter(|h| h.failed || h.unreachable) {
            b.removed.insert(h.name.clone());
        }
        let Some(max) = play.max_fail_percentage else {
            return;
        };
        if serial::exceeds(max, b.failed.len(), b.size) {
            for h in hosts.iter_mut().filter(|h| h.active()) {
                h.failed = true;
            }
            b.stop = Some(Stop::Playbook);
        }
    }
}
