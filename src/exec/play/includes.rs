//! Dynamic includes (`include_tasks`, `include_role`): loaded per host and loop item at run
//! time; hosts that include the same file with the same item run it together.

use std::sync::Arc;

use minijinja::Value;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::super::task::display;
use super::Hosts;
use super::nodes::skipped;
use crate::repo::include::{item_key, load_include};
use crate::repo::playbook::Play;
use crate::repo::task::{Action, Task};

impl Runner<'_> {
    /// `include_tasks` / `include_role`: loaded per host (per loop item, with `loop`); hosts that
    /// include the same file with the same item run it together, item after item, as Ansible does.
    pub(in crate::exec) async fn run_include(
        &self,
        play: &Play,
        task: &Task,
        hosts: Hosts<'_, '_>,
        play_hosts: &[String],
    ) {
        let mut groups: Vec<IncludeGroup> = Vec::new();
        for (index, h) in hosts.iter_mut().enumerate().filter(|(_, h)| h.active()) {
            let raw = self.task_vars(play, Some(task), h, play_hosts);
            let lazy = LazyVars::new(raw.clone(), Arc::clone(&self.engine));
            // The include's own results (a skip) carry its title, not the previous task's.
            h.title = Some(self.title(task, &lazy));
            let items: Vec<Vec<(String, Value)>> = match &task.loop_spec {
                None => vec![Vec::new()],
                Some(spec) => match self.loop_items(spec, &lazy) {
                    Ok(items) => spec.item_vars(items),
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
            let loaded = load_include(&self.playbook.dir, &self.opts.roles_path, task, &target, &item);
            let nodes = match loaded {
                Ok((nodes, handlers)) => {
                    self.add_included_handlers(play, handlers);
                    nodes
                }
                Err(err) => {
                    let msg = err.to_string();
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
}

/// The hosts that include one target with one loop item, in the order they were first seen.
pub(in crate::exec) struct IncludeGroup {
    target: String,
    /// The item's variables as text ([`item_key`]).
    key: String,
    item: Vec<(String, Value)>,
    members: Vec<usize>,
}
