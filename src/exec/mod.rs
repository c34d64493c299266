//! The executor: runs plays over hosts (linear or free strategy), tasks through modules over
//! each host's connection, handlers at flush points, and reports events.

mod handlers;
pub mod host;
pub mod host_lock;
pub mod hostvars;
pub mod lazy;
mod live_inventory;
mod play;
mod sink;
mod target;
mod task;
pub mod vars;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use crate::output::Counts;
use crate::plan::TagFilter;
use crate::repo::inventory::Inventory;
use crate::repo::playbook::Playbook;
use crate::template::Engine;

pub use sink::EventSink;
pub use target::split_words;

use host::HostState;
use hostvars::HostVarsTable;

/// Settings of one run, from the command line and `ansible.cfg`.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub check: bool,
    pub diff: bool,
    /// `--force-handlers`: the default of the play keyword `force_handlers`.
    pub force_handlers: bool,
    pub forks: usize,
    pub tags: TagFilter,
    pub limit: Option<String>,
    pub extra_vars: Value,
    pub verbosity: u8,
    /// Gather facts when a play does not say (`gathering = implicit`, the default).
    pub gather_by_default: bool,
    pub remote_user: Option<String>,
    pub private_key_file: Option<String>,
    pub ssh_args: Vec<String>,
    pub accept_new_host_keys: bool,
    pub skip_host_key_checking: bool,
    pub connect_timeout: Duration,
    pub task_timeout: Option<Duration>,
    /// `roles_path` from `ansible.cfg`, searched before `<playbook dir>/roles`.
    pub roles_path: Vec<std::path::PathBuf>,
    /// Where the repository's variables are written, to name the line of one that fails to
    /// render (from `plan::check`).
    pub var_sources: std::sync::Arc<crate::repo::var_sources::VarSources>,
    /// Handlers owed to hosts by an earlier deploy that stopped before running them.
    pub pending_handlers: BTreeMap<String, Vec<String>>,
    /// Who this run is, for the per-host deploy lock ([`host_lock`]); `None` takes no lock.
    pub deploy_lock: Option<DeployLock>,
}

/// This run's entry in the per-host deploy lock ([`host_lock`]).
#[derive(Clone, Debug)]
pub struct DeployLock {
    /// Who holds it, as a waiting run shows it: `playhook deploy by alice@ctl (pid 42) since ...`.
    pub holder: String,
    /// Unique per run: several inventory hosts that are one machine share the run's lock.
    pub run_id: String,
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub hosts: BTreeMap<String, Counts>,
}

impl RunSummary {
    pub fn any_failed(&self) -> bool {
        self.hosts.values().any(|c| c.failed > 0)
    }

    pub fn any_unreachable(&self) -> bool {
        self.hosts.values().any(|c| c.unreachable > 0)
    }
}

/// Everything a run shares across plays and hosts.
pub struct Runner<'a> {
    pub playbook: &'a Playbook,
    /// The inventory, as `add_host` and `group_by` change it during the run.
    inventory: live_inventory::LiveInventory,
    pub engine: Arc<Engine>,
    pub opts: &'a RunOptions,
    pub events: EventSink,
    /// The decrypted `secrets` variable (empty mapping when the repository has none).
    pub secrets: Value,
    hostvars: Arc<HostVarsTable>,
    /// Facts `delegate_facts` handed to hosts, until they next run a task.
    pending_facts: task::PendingFacts,
    /// Limits how many hosts work at once (`forks`).
    forks: tokio::sync::Semaphore,
    /// Owed handlers not yet notified in a play of this run.
    owed: std::sync::Mutex<BTreeMap<String, Vec<String>>>,
    /// Handlers of roles `include_role` brought into the current play, after the play's own
    /// (notifications refer to handlers by position in that order).
    included_handlers: std::sync::Mutex<Arc<Vec<crate::repo::task::Node>>>,
    /// The `serial` batch running now (`play::batch`).
    batch: std::sync::Mutex<play::Batch>,
}

impl<'a> Runner<'a> {
    pub fn new(
        playbook: &'a Playbook,
        inventory: &'a Inventory,
        engine: Arc<Engine>,
        opts: &'a RunOptions,
        events: EventSink,
        secrets: Value,
    ) -> Self {
        Runner {
            playbook,
            inventory: live_inventory::LiveInventory::new(inventory),
            engine,
            opts,
            events,
            secrets,
            hostvars: Arc::new(HostVarsTable::default()),
            pending_facts: task::PendingFacts::default(),
            forks: tokio::sync::Semaphore::new(opts.forks.max(1)),
            owed: std::sync::Mutex::new(opts.pending_handlers.clone()),
            included_handlers: std::sync::Mutex::new(Arc::new(Vec::new())),
            batch: std::sync::Mutex::new(play::Batch::default()),
        }
    }

    /// Runs every play, then closes every connection and reports the recap.
    pub async fn run(&self) -> RunSummary {
        let mut hosts: Vec<HostState> = Vec::new();
        // `hostvars` holds every inventory host from the start, as in Ansible, whether or not a
        // play (or the limit) selects it: a host outside the play shows its inventory variables
        // (`hostvars[groups['proxy'] | first].ansible_host`).
        let everyone = self.inventory().0.host_names();
        for name in everyone {
            let vars = self.inventory().0.host_vars(&name);
            self.hostvars
                .set(&name, self.hostvars_entry(&HostState::new(name.clone(), vars)));
        }
        for play in &self.playbook.plays {
            if self.run_play(play, &mut hosts).await == Some(play::Stop::Playbook) {
                break;
            }
        }
        for host in &mut hosts {
            if let Some(conn) = host.conn.as_mut() {
                conn.close().await;
            }
            if let Some(conn) = host.local.as_mut() {
                conn.close().await;
            }
            for conn in host.delegated.values_mut() {
                conn.close().await;
            }
        }
        let owed = self.owed.lock().map(|o| o.clone()).unwrap_or_default();
        for (host, handlers) in owed.into_iter().filter(|(_, h)| !h.is_empty()) {
            self.events
                .send(crate::output::Event::HandlersPending { host, handlers });
        }
        let summary = RunSummary {
            hosts: hosts.iter().map(|h| (h.name.clone(), h.counts)).collect(),
        };
        self.events.send(crate::output::Event::Recap {
            hosts: summary.hosts.clone(),
        });
        summary
    }
}
