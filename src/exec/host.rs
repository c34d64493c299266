//! What the run knows about one host: its connection, facts, registered results, notified
//! handlers and recap counts.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use minijinja::Value;

use crate::connection::Connection;
use crate::output::Counts;

/// The state of one host across the whole run.
pub struct HostState {
    pub name: String,
    /// The host's inventory-side variables (inventory files, group_vars, host_vars), merged.
    pub inventory_vars: Value,
    pub conn: Option<Box<dyn Connection>>,
    /// A local shell for tasks delegated to localhost.
    pub local: Option<Box<dyn Connection>>,
    /// Connections to the hosts its tasks were delegated to (`delegate_to`), by delegated name,
    /// opened on first use and reused.
    pub delegated: HashMap<String, Box<dyn Connection>>,
    /// Where the task running now was delegated (`delegate_to`), for its result line.
    pub delegated_to: Option<String>,
    /// Its `ansible_host` when that is not its name, shown as Ansible does: `web1 -> db1(10.0.0.5)`.
    pub delegated_address: Option<String>,
    /// Gathered facts (`ansible_facts`).
    pub facts: Value,
    /// `set_fact` values and registered results, in the order they were set.
    pub host_vars: IndexMap<String, Value>,
    /// `vars_files` of the current play, loaded for this host.
    pub play_vars_files: Value,
    /// Failed in the current play (removed from later tasks, kept for `always`).
    pub failed: bool,
    pub unreachable: bool,
    /// `meta: end_host` or `end_play` reached.
    pub ended: bool,
    /// Handlers notified and not yet run, by index into the play's handler list.
    pub notified: IndexSet<usize>,
    pub counts: Counts,
    /// The templated name of the task running on this host, for its result line.
    pub title: Option<String>,
    /// The per-host deploy lock was taken (or found not needed) over `conn`.
    pub deploy_locked: bool,
}

impl HostState {
    pub fn new(name: String, inventory_vars: Value) -> Self {
        HostState {
            name,
            inventory_vars,
            conn: None,
            local: None,
            delegated: HashMap::new(),
            delegated_to: None,
            delegated_address: None,
            facts: crate::value::empty_map(),
            host_vars: IndexMap::new(),
            play_vars_files: crate::value::empty_map(),
            failed: false,
            unreachable: false,
            ended: false,
            notified: IndexSet::new(),
            counts: Counts::default(),
            title: None,
            deploy_locked: false,
        }
    }

    /// Whether the host still runs tasks.
    pub fn active(&self) -> bool {
        !self.failed && !self.unreachable && !self.ended
    }
}
