//! Variable precedence for inventory-side variables, lowest first, as Ansible's
//! `VariableManager` applies it (each step replaces whole top-level keys):
//!
//! 1. the `all` group's inventory vars;
//! 2. the host's other groups' inventory vars, sorted by (depth, `ansible_group_priority`, name):
//!    parents before children, same depth alphabetical;
//! 3. `group_vars/all` beside each inventory source, then beside the playbook;
//! 4. `group_vars/GROUP` beside each inventory source (for each source, the groups in the order
//!    of step 2), then beside the playbook;
//! 5. the host's inventory vars;
//! 6. `host_vars/HOST` beside each inventory source, then beside the playbook.

use super::model::Vars;
use super::{Inventory, VarsDir};

fn extend(into: &mut Vars, from: Option<&Vars>) {
    if let Some(from) = from {
        for (k, v) in from {
            into.insert(k.clone(), v.clone());
        }
    }
}

/// The host's groups other than `all`, in precedence order.
pub fn sorted_groups(inv: &Inventory, host: &str) -> Vec<String> {
    let graph = inv.graph();
    let mut groups: Vec<&super::Group> = inv
        .host(host)
        .map(|h| {
            h.groups
                .iter()
                .filter(|g| *g != "all")
                .filter_map(|g| graph.groups.get(g))
                .collect()
        })
        .unwrap_or_default();
    groups.sort_by(|a, b| (a.depth, a.priority, &a.name).cmp(&(b.depth, b.priority, &b.name)));
    groups.into_iter().map(|g| g.name.clone()).collect()
}

fn dirs(inv: &Inventory) -> (&[VarsDir], Option<&VarsDir>) {
    (&inv.source_vars, inv.playbook_vars.as_ref())
}

pub fn host_vars(inv: &Inventory, host: &str) -> Vars {
    let graph = inv.graph();
    let groups = sorted_groups(inv, host);
    let (sources, playbook) = dirs(inv);
    let mut vars = Vars::new();
    extend(&mut vars, graph.groups.get("all").map(|g| &g.vars));
    for g in &groups {
        extend(&mut vars, graph.groups.get(g).map(|g| &g.vars));
    }
    for dir in sources.iter().chain(playbook) {
        extend(&mut vars, dir.groups.get("all"));
    }
    for dir in sources.iter().chain(playbook) {
        for g in &groups {
            extend(&mut vars, dir.groups.get(g));
        }
    }
    extend(&mut vars, inv.host(host).map(|h| &h.vars));
    for dir in sources.iter().chain(playbook) {
        extend(&mut vars, dir.hosts.get(host));
    }
    vars
}

pub fn group_vars(inv: &Inventory, group: &str) -> Vars {
    let (sources, playbook) = dirs(inv);
    let mut vars = Vars::new();
    extend(&mut vars, inv.graph().groups.get(group).map(|g| &g.vars));
    for dir in sources.iter().chain(playbook) {
        extend(&mut vars, dir.groups.get(group));
    }
    vars
}
