//! The run's inventory, which `add_host` and `group_by` change while the run goes on (as
//! Ansible's strategies apply their results): later plays select the new hosts and groups, and
//! `groups` / `group_names` show them.

use std::sync::{RwLock, RwLockReadGuard};

use indexmap::IndexMap;
use minijinja::Value;

use super::Runner;
use crate::repo::inventory::Inventory;
use crate::value::entries;

/// The inventory and the `groups` variable made from it, changed together.
pub(super) struct LiveInventory {
    state: RwLock<(Inventory, Value)>,
}

impl LiveInventory {
    pub(super) fn new(inventory: &Inventory) -> Self {
        let groups = inventory.groups_value();
        LiveInventory {
            state: RwLock::new((inventory.clone(), groups)),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, (Inventory, Value)> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `change` on the inventory; refreshes `groups` when it changed something.
    fn change(&self, change: impl FnOnce(&mut Inventory) -> Result<bool, String>) -> Result<bool, String> {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let changed = change(&mut state.0)?;
        if changed {
            state.1 = state.0.groups_value();
        }
        Ok(changed)
    }
}

impl Runner<'_> {
    /// The inventory as it is now, and `groups` made from it.
    pub(in crate::exec) fn inventory(&self) -> RwLockReadGuard<'_, (Inventory, Value)> {
        self.inventory.read()
    }

    /// Ansible's `groups` as it is now.
    pub(in crate::exec) fn groups(&self) -> Value {
        self.inventory.read().1.clone()
    }

    /// Applies what an `add_host` (`add_host`) or `group_by` (`add_group`, `parent_groups`)
    /// result asks, `group_by` for `host`; returns whether the inventory changed (the task's
    /// `changed`), `None` for a result that asks neither, or an error for the task.
    pub(in crate::exec) fn apply_inventory_result(
        &self,
        host: &str,
        result: &IndexMap<String, Value>,
    ) -> Result<Option<bool>, String> {
        if let Some(added) = result.get("add_host") {
            let name = text(added, "host_name");
            let groups = list(added, "groups");
            let vars: Vec<(String, Value)> = added
                .get_attr("host_vars")
                .map(|v| entries(&v).into_iter().map(|(k, v)| (text_of(&k), v)).collect())
                .unwrap_or_default();
            return self
                .inventory
                .change(|inv| inv.add_host_at_run(&name, &groups, &vars))
                .map(Some);
        }
        let Some(group) = result.get("add_group") else {
            return Ok(None);
        };
        let parents: Vec<String> = result
            .get("parent_groups")
            .and_then(|l| l.try_iter().ok().map(|i| i.map(|x| text_of(&x)).collect()))
            .unwrap_or_default();
        self.inventory
            .change(|inv| inv.group_by_at_run(host, &text_of(group), &parents))
            .map(Some)
    }
}

fn text_of(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

fn text(v: &Value, key: &str) -> String {
    v.get_attr(key).map(|v| text_of(&v)).unwrap_or_default()
}

fn list(v: &Value, key: &str) -> Vec<String> {
    v.get_attr(key)
        .ok()
        .and_then(|l| l.try_iter().ok().map(|i| i.map(|x| text_of(&x)).collect()))
        .unwrap_or_default()
}
