//! Changes to a loaded inventory while a run goes on: `add_host` and `group_by`, with Ansible's
//! rules (new groups go under `all`, a host leaves `ungrouped` once it has a real group). Each
//! returns whether anything changed, which is the task's `changed`.

use minijinja::Value;

use super::Inventory;

impl Inventory {
    /// `add_host`: adds `name` if new, puts it in each of `groups` (created when new) and sets
    /// `vars` as its inventory variables.
    pub fn add_host_at_run(
        &mut self,
        name: &str,
        groups: &[String],
        vars: &[(String, Value)],
    ) -> Result<bool, String> {
        let graph = &mut self.graph;
        let mut changed = !graph.hosts.contains_key(name);
        let fail = |e: super::model::ModelError| format!("add_host `{name}`: {e}");
        graph.add_host(name, None, None).map_err(fail)?;
        for group in groups {
            changed |= !graph.groups.contains_key(group);
            graph.add_group(group).map_err(fail)?;
            changed |= !graph.hosts[name].groups.contains(group);
            graph.add_child(group, name).map_err(fail)?;
        }
        for (key, value) in vars {
            changed |= graph.hosts[name].vars.get(key) != Some(value);
            graph.set_host_var(name, key, value.clone()).map_err(fail)?;
        }
        graph.reconcile().map_err(fail)?;
        Ok(changed)
    }

    /// `group_by`: puts `host` into `group`, created under each of `parents` (created under
    /// `all` when new) when new.
    pub fn group_by_at_run(&mut self, host: &str, group: &str, parents: &[String]) -> Result<bool, String> {
        let graph = &mut self.graph;
        let fail = |e: super::model::ModelError| format!("group_by `{group}`: {e}");
        let mut changed = false;
        if !graph.groups.contains_key(group) {
            graph.add_group(group).map_err(fail)?;
            changed = true;
            for parent in parents {
                graph.add_group(parent).map_err(fail)?;
                graph.add_child(parent, group).map_err(fail)?;
            }
        }
        if !graph.hosts.contains_key(host) {
            // The implicit localhost: Ansible adds it to the group as it is.
            graph.add_host(host, None, None).map_err(fail)?;
        }
        changed |= !graph.hosts[host].groups.iter().any(|g| g == group);
        graph.add_child(group, host).map_err(fail)?;
        graph.reconcile().map_err(fail)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_hosts_and_groups_are_selected_and_changes_are_counted() {
        let mut inv =
            Inventory::load(&[], &super::super::InventoryOptions::default()).expect("empty inventory");
        let vars = [("colour".to_string(), Value::from("blue"))];
        assert_eq!(inv.add_host_at_run("new1", &["fresh".into()], &vars), Ok(true));
        assert_eq!(inv.add_host_at_run("new1", &["fresh".into()], &vars), Ok(false));
        assert_eq!(inv.select("fresh").expect("pattern"), ["new1"]);
        assert_eq!(inv.group_names("new1"), ["fresh"]);
        assert_eq!(
            inv.host_vars("new1").get_attr("colour").expect("var").as_str(),
            Some("blue")
        );
        assert_eq!(
            inv.group_by_at_run("new1", "os_debian", &["linux".into()]),
            Ok(true)
        );
        assert_eq!(
            inv.group_by_at_run("new1", "os_debian", &["linux".into()]),
            Ok(false)
        );
        assert_eq!(inv.select("linux").expect("pattern"), ["new1"]);
        assert_eq!(inv.group_names("new1"), ["fresh", "linux", "os_debian"]);
    }
}
