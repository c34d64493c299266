//! The inventory graph as Ansible builds it: hosts and groups in the order they were first
//! seen, parent/child links, group depth and priority, and the `all`/`ungrouped` rules.

use std::collections::HashSet;
use std::path::PathBuf;

use indexmap::IndexMap;
use minijinja::Value;

/// Variables of one host or group, in definition order.
pub type Vars = IndexMap<String, Value>;

/// Variables as one runtime mapping value, keeping their order.
pub fn vars_to_value(vars: &Vars) -> Value {
    Value::from_pairs(vars.iter().map(|(k, v)| (Value::from(k.as_str()), v.clone())))
}

/// A change to the graph that Ansible refuses.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("a group name must not be empty")]
    EmptyGroup,
    #[error("a host name must not be empty")]
    EmptyHost,
    #[error("`{0}` is neither a known group nor a known host")]
    Unknown(String),
    #[error("adding group `{child}` to `{parent}` creates a loop of groups")]
    Loop { parent: String, child: String },
    #[error("`ansible_group_priority` of group `{group}` must be an integer, got `{value}`")]
    Priority { group: String, value: String },
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub vars: Vars,
    /// Hosts directly in the group, in the order they were added.
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub parents: Vec<String>,
    pub depth: usize,
    pub priority: i64,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    /// Every group the host belongs to, directly or through a child group (`all` included).
    pub groups: Vec<String>,
    /// The inventory source the host was first seen in (`inventory_file`).
    pub source: Option<PathBuf>,
    /// The implicit `localhost`, not part of `all`.
    pub implicit: bool,
}

/// Hosts and groups, with Ansible's invariants.
#[derive(Clone, Debug)]
pub struct Graph {
    pub groups: IndexMap<String, Group>,
    pub hosts: IndexMap<String, Host>,
    /// The source being parsed, recorded on hosts seen for the first time.
    pub current_source: Option<PathBuf>,
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl Graph {
    /// An inventory with only `all` and its child `ungrouped`.
    pub fn new() -> Self {
        let mut graph = Graph {
            groups: IndexMap::new(),
            hosts: IndexMap::new(),
            current_source: None,
        };
        for name in ["all", "ungrouped"] {
            graph.groups.insert(name.to_string(), Group::new(name));
        }
        graph
            .add_child("all", "ungrouped")
            .expect("`all` and `ungrouped` exist");
        graph
    }

    pub fn add_group(&mut self, name: &str) -> Result<(), ModelError> {
        if name.is_empty() {
            return Err(ModelError::EmptyGroup);
        }
        if !self.groups.contains_key(name) {
            self.groups.insert(name.to_string(), Group::new(name));
        }
        Ok(())
    }

    /// Adds a host if new (with `ansible_port` when a port is given) and puts it in `group`.
    pub fn add_host(&mut self, name: &str, group: Option<&str>, port: Option<u16>) -> Result<(), ModelError> {
        if name.is_empty() {
            return Err(ModelError::EmptyHost);
        }
        if let Some(g) = group {
            if !self.groups.contains_key(g) {
                return Err(ModelError::Unknown(g.to_string()));
            }
        }
        if !self.hosts.contains_key(name) {
            let mut vars = Vars::new();
            if let Some(port) = port {
                vars.insert("ansible_port".into(), Value::from(port));
            }
            self.hosts.insert(
                name.to_string(),
                Host {
                    name: name.to_string(),
                    vars,
                    groups: Vec::new(),
                    source: self.current_source.clone(),
                    implicit: false,
                },
            );
        }
        if let Some(g) = group {
            self.group_add_host(g, name);
        }
        Ok(())
    }

    fn group_add_host(&mut self, group: &str, host: &str) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if g.hosts.iter().any(|h| h == host) {
            return;
        }
        g.hosts.push(host.to_string());
        let mut wanted: Vec<String> = self.ancestors(group).into_iter().collect();
        wanted.sort();
        wanted.push(group.to_string());
        if let Some(h) = self.hosts.get_mut(host) {
            for name in wanted {
                if !h.groups.contains(&name) {
                    h.groups.push(name);
                }
            }
        }
    }

    /// Puts a group or a host into `parent`.
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<(), ModelError> {
        if !self.groups.contains_key(parent) {
            return Err(ModelError::Unknown(parent.to_string()));
        }
        if self.groups.contains_key(child) {
            self.add_child_group(parent, child)
        } else if self.hosts.contains_key(child) {
            self.group_add_host(parent, child);
            Ok(())
        } else {
            Err(ModelError::Unknown(child.to_string()))
        }
    }

    fn add_child_group(&mut self, parent: &str, child: &str) -> Result<(), ModelError> {
        let looped = || ModelError::Loop {
            parent: parent.to_string(),
            child: child.to_string(),
        };
        if parent == child {
            return Err(looped());
        }
        if self.groups[parent].children.iter().any(|c| c == child) {
            return Ok(());
        }
        let parent_ancestors = self.ancestors(parent);
        if parent_ancestors.contains(child) {
            return Err(looped());
        }
        let parent_depth = self.groups[parent].depth;
        self.groups[parent].children.push(child.to_string());
        {
            let c = &mut self.groups[child];
            c.depth = c.depth.max(parent_depth + 1);
        }
        self.propagate_depth(child)?;
        if !self.groups[child].parents.iter().any(|p| p == parent) {
            self.groups[child].parents.push(parent.to_string());
            let mut additions: Vec<String> = parent_ancestors.into_iter().collect();
            additions.sort();
            additions.push(parent.to_string());
            for host in self.group_hosts(child) {
                if let Some(h) = self.hosts.get_mut(&host) {
                    for g in &additions {
                        if !h.groups.contains(g) {
                            h.groups.push(g.clone());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Pushes depth down to descendants after a group got deeper.
    fn propagate_depth(&mut self, start: &str) -> Result<(), ModelError> {
        let mut frontier = vec![start.to_string()];
        let mut rounds = 0;
        while let Some(name) = frontier.pop() {
            rounds += 1;
            if rounds > self.groups.len() * self.groups.len() + 16 {
                return Err(ModelError::Loop {
                    parent: start.to_string(),
                    child: name,
                });
            }
            let depth = self.groups[&name].depth;
            for child in self.groups[&name].children.clone() {
                let c = &mut self.groups[&child];
                if c.depth < depth + 1 {
                    c.depth = depth + 1;
                    frontier.push(child);
                }
            }
        }
        Ok(())
    }

    /// All groups above `group` (not including itself).
    pub fn ancestors(&self, group: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = vec![group];
        while let Some(g) = todo.pop() {
            if let Some(grp) = self.groups.get(g) {
                for p in &grp.parents {
                    if seen.insert(p.clone()) {
                        todo.push(p);
                    }
                }
            }
        }
        seen
    }

    /// The group and all groups below it, breadth first, in definition order.
    pub fn descendants(&self, group: &str) -> Vec<String> {
        let mut ordered = vec![group.to_string()];
        let mut seen: HashSet<String> = ordered.iter().cloned().collect();
        let mut i = 0;
        while i < ordered.len() {
            if let Some(g) = self.groups.get(&ordered[i]) {
                for c in &g.children {
                    if seen.insert(c.clone()) {
                        ordered.push(c.clone());
                    }
                }
            }
            i += 1;
        }
        ordered
    }

    /// The hosts of a group and of its descendants, without duplicates, in inventory order.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for kid in self.descendants(group) {
            for h in &self.groups[&kid].hosts {
                if seen.insert(h.clone()) {
                    if group == "all" && self.hosts.get(h).is_some_and(|h| h.implicit) {
                        continue;
                    }
                    out.push(h.clone());
                }
            }
        }
        out
    }

    pub fn set_group_var(&mut self, group: &str, key: &str, value: Value) -> Result<(), ModelError> {
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| ModelError::Unknown(group.to_string()))?;
        if key == "ansible_group_priority" {
            g.priority = python_int(&value).ok_or_else(|| ModelError::Priority {
                group: group.to_string(),
                value: value.to_string(),
            })?;
        } else {
            g.vars.insert(key.to_string(), value);
        }
        Ok(())
    }

    pub fn set_host_var(&mut self, host: &str, key: &str, value: Value) -> Result<(), ModelError> {
        let h = self
            .hosts
            .get_mut(host)
            .ok_or_else(|| ModelError::Unknown(host.to_string()))?;
        h.vars.insert(key.to_string(), value);
        Ok(())
    }

    /// Ansible's `reconcile_inventory`: groups without a parent go under `all`, hosts without a
    /// group go to `ungrouped`, hosts with a real group leave `ungrouped`.
    pub fn reconcile(&mut self) -> Result<(), ModelError> {
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for name in names {
            if name != "all" && self.groups[&name].parents.is_empty() {
                self.add_child("all", &name)?;
            }
        }
        let hosts: Vec<String> = self.hosts.keys().cloned().collect();
        for name in hosts {
            let groups = self.hosts[&name].groups.clone();
            if groups.iter().any(|g| g == "ungrouped") {
                if groups.iter().any(|g| g != "all" && g != "ungrouped") {
                    self.groups["ungrouped"].hosts.retain(|h| h != &name);
                    self.hosts[&name].groups.retain(|g| g != "ungrouped");
                }
            } else if !self.hosts[&name].implicit && groups.iter().all(|g| g == "all") {
                self.add_child("ungrouped", &name)?;
            }
        }
        Ok(())
    }
}

impl Group {
    fn new(name: &str) -> Self {
        Group {
            name: name.to_string(),
            vars: Vars::new(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            depth: 0,
            priority: 1,
        }
    }
}

/// Python's `int(value)` for the values inventories hold.
fn python_int(value: &Value) -> Option<i64> {
    if let Some(i) = value.as_i64() {
        return Some(i);
    }
    if let Some(s) = value.as_str() {
        return s.trim().parse().ok();
    }
    if value.kind() == minijinja::value::ValueKind::Bool {
        return Some(i64::from(value.is_true()));
    }
    f64::try_from(value.clone()).ok().map(|f| f.trunc() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_without_parents_join_all_and_lonely_hosts_join_ungrouped() {
        let mut g = Graph::new();
        g.add_group("web").expect("group");
        g.add_group("prod").expect("group");
        g.add_host("w1", Some("web"), None).expect("host");
        g.add_host("solo", Some("all"), None).expect("host");
        g.add_child("prod", "web").expect("child");
        g.reconcile().expect("reconcile");
        assert_eq!(g.groups["all"].children, ["ungrouped", "prod"]);
        assert_eq!(g.groups["ungrouped"].hosts, ["solo"]);
        assert_eq!(g.groups["web"].depth, 2);
        assert_eq!(g.group_hosts("all"), ["solo", "w1"]);
        let mut groups = g.hosts["w1"].groups.clone();
        groups.sort();
        assert_eq!(groups, ["all", "prod", "web"]);
    }

    #[test]
    fn loops_are_refused() {
        let mut g = Graph::new();
        g.add_group("a").expect("group");
        g.add_group("b").expect("group");
        g.add_child("a", "b").expect("child");
        assert!(matches!(g.add_child("b", "a"), Err(ModelError::Loop { .. })));
    }
}
