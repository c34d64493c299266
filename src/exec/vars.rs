//! Variable precedence: the variables a task sees on a host, layered as Ansible documents
//! (lowest first): role defaults, inventory variables, facts, play vars, vars_files, role vars,
//! block and task vars, set_fact and registered values, role parameters, extra vars; plus the
//! magic variables.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;

use crate::repo::playbook::Play;
use crate::repo::task::{RoleInstance, Task};
use crate::value::entries;

use super::Runner;
use super::host::HostState;
use super::hostvars::HostVars;

/// Placeholder value of `omit`; arguments equal to it are dropped.
pub use crate::template::OMIT;

/// Builds variable maps in precedence order.
struct Layers(IndexMap<Value, Value>);

impl Layers {
    fn add(&mut self, map: &Value) {
        for (k, v) in entries(map) {
            self.0.insert(k, v);
        }
    }

    fn set(&mut self, name: &str, v: Value) {
        self.0.insert(Value::from(name), v);
    }
}

impl Runner<'_> {
    /// The raw (untemplated) variables of `task` on `host` in `play`.
    pub fn task_vars(
        &self,
        play: &Play,
        task: Option<&Task>,
        host: &HostState,
        play_hosts: &[String],
    ) -> Value {
        let role: Option<&Arc<RoleInstance>> = task.and_then(|t| t.role.as_ref());
        let mut layers = Layers(IndexMap::new());
        for r in &play.roles {
            layers.add(&r.defaults);
        }
        if let Some(r) = role {
            layers.add(&r.defaults);
        }
        layers.add(&host.inventory_vars);
        self.add_facts(&mut layers, &host.facts);
        layers.add(&play.vars);
        layers.add(&host.play_vars_files);
        for r in &play.roles {
            layers.add(&r.vars);
        }
        if let Some(r) = role {
            layers.add(&r.vars);
        }
        if let Some(t) = task {
            layers.add(&t.vars);
        }
        for (k, v) in &host.host_vars {
            layers.set(k, v.clone());
        }
        if let Some(r) = role {
            layers.add(&r.params);
        }
        layers.add(&self.opts.extra_vars);
        self.add_magic(&mut layers, host, role, play_hosts);
        Value::from_pairs(layers.0)
    }

    /// The variables other hosts see for `host` through `hostvars`.
    pub fn hostvars_entry(&self, host: &HostState) -> Value {
        let mut layers = Layers(IndexMap::new());
        layers.add(&host.inventory_vars);
        self.add_facts(&mut layers, &host.facts);
        for (k, v) in &host.host_vars {
            layers.set(k, v.clone());
        }
        layers.set("inventory_hostname", Value::from(host.name.as_str()));
        layers.set("inventory_hostname_short", Value::from(short_name(&host.name)));
        layers.set(
            "group_names",
            Value::from(self.inventory().0.group_names(&host.name)),
        );
        Value::from_pairs(layers.0)
    }

    fn add_facts(&self, layers: &mut Layers, facts: &Value) {
        if entries(facts).is_empty() {
            return;
        }
        for (k, v) in entries(facts) {
            if let Some(name) = k.as_str() {
                layers.set(&format!("ansible_{name}"), v);
            }
        }
        layers.set("ansible_facts", facts.clone());
    }

    fn add_magic(
        &self,
        layers: &mut Layers,
        host: &HostState,
        role: Option<&Arc<RoleInstance>>,
        play_hosts: &[String],
    ) {
        layers.set("inventory_hostname", Value::from(host.name.as_str()));
        layers.set("inventory_hostname_short", Value::from(short_name(&host.name)));
        layers.set(
            "group_names",
            Value::from(self.inventory().0.group_names(&host.name)),
        );
        layers.set("groups", self.groups());
        layers.set(
            "hostvars",
            Value::from_object(HostVars::new(
                Arc::clone(&self.hostvars),
                Arc::clone(&self.engine),
            )),
        );
        let (batch, live, all) = self.play_hosts(play_hosts);
        let batch = Value::from(batch);
        layers.set("play_hosts", batch.clone());
        layers.set("ansible_play_hosts", Value::from(live));
        layers.set("ansible_play_hosts_all", Value::from(all));
        layers.set("ansible_play_batch", batch);
        layers.set("ansible_check_mode", Value::from(self.opts.check));
        layers.set("ansible_diff_mode", Value::from(self.opts.diff));
        layers.set("ansible_verbosity", Value::from(self.opts.verbosity));
        layers.set(
            "playbook_dir",
            Value::from(self.playbook.dir.display().to_string()),
        );
        layers.set("omit", Value::from(OMIT));
        layers.set("secrets", self.secrets.clone());
        layers.set("ansible_run_tags", Value::from(self.tag_list(true)));
        layers.set("ansible_skip_tags", Value::from(self.tag_list(false)));
        if let Some(r) = role {
            layers.set("role_name", Value::from(r.name.as_str()));
            layers.set("role_path", Value::from(r.path.display().to_string()));
            layers.set("ansible_role_name", Value::from(r.name.as_str()));
        }
    }

    fn tag_list(&self, only: bool) -> Vec<String> {
        let set = if only {
            &self.opts.tags.only
        } else {
            &self.opts.tags.skip
        };
        if only && set.is_empty() {
            return vec!["all".to_string()];
        }
        set.iter().cloned().collect()
    }
}

fn short_name(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}
