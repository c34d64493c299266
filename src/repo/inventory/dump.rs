//! The inventory rendered as `ansible-inventory` renders it: `--list` (the script JSON
//! format), `--host NAME` and `--graph [GROUP] [--vars]`.

use std::collections::HashSet;

use minijinja::Value;

use super::Inventory;
use super::model::{Vars, vars_to_value};
use crate::template::filters::serialization::{JsonStyle, dump_json};
use crate::template::python::python_str;

/// Variables `ansible-inventory` never shows (Ansible's internal static variables).
const INTERNAL: [&str; 33] = [
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
];

/// Python's `json.dumps(value, sort_keys=True, indent=4)`, as `ansible-inventory` prints.
fn json_dumps(value: &Value) -> String {
    let style = JsonStyle {
        indent: Some(4),
        sort_keys: true,
        ensure_ascii: true,
        item_sep: ",".into(),
        key_sep: ": ".into(),
    };
    dump_json(value, &style).expect("inventory values are plain data (no undefined values or objects)")
}

fn without_internal(mut vars: Vars) -> Vars {
    vars.retain(|k, _| !INTERNAL.contains(&k.as_str()));
    vars
}

/// A host's variables as `ansible-inventory` shows them: inventory variables, then `extra`.
pub fn shown_host_vars(inv: &Inventory, host: &str, extra: &Vars) -> Vars {
    let mut vars = inv.host_vars_map(host);
    for (k, v) in extra {
        vars.insert(k.clone(), v.clone());
    }
    without_internal(vars)
}

/// `ansible-inventory --list`: groups with hosts and children, `_meta.hostvars`. `hosts` is
/// the selection to show (all hosts, or those of a `--limit`).
pub fn list(inv: &Inventory, hosts: &[String], extra: &Vars) -> String {
    let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
    let mut out: Vec<(Value, Value)> = Vec::new();
    let mut seen = HashSet::new();
    format_group(inv, "all", &available, &mut seen, &mut out);
    let mut hostvars = Vec::new();
    for h in hosts {
        let vars = shown_host_vars(inv, h, extra);
        if !vars.is_empty() {
            hostvars.push((Value::from(h.as_str()), vars_to_value(&vars)));
        }
    }
    let meta = Value::from_pairs(vec![
        (Value::from("hostvars"), Value::from_pairs(hostvars)),
        (Value::from("profile"), Value::from("inventory_legacy")),
    ]);
    out.push((Value::from("_meta"), meta));
    json_dumps(&Value::from_pairs(out))
}

fn format_group(
    inv: &Inventory,
    name: &str,
    available: &HashSet<&str>,
    seen: &mut HashSet<String>,
    out: &mut Vec<(Value, Value)>,
) {
    let graph = inv.graph();
    let Some(group) = graph.groups.get(name) else {
        return;
    };
    let mut entry: Vec<(Value, Value)> = Vec::new();
    let mut nested = Vec::new();
    if name != "all" {
        let hosts: Vec<Value> = group
            .hosts
            .iter()
            .filter(|h| available.contains(h.as_str()))
            .map(|h| Value::from(h.as_str()))
            .collect();
        if !hosts.is_empty() {
            entry.push((Value::from("hosts"), Value::from(hosts)));
        }
    }
    let children: Vec<Value> = group.children.iter().map(|c| Value::from(c.as_str())).collect();
    for child in &group.children {
        if seen.insert(child.clone()) {
            format_group(inv, child, available, seen, &mut nested);
        }
    }
    if !children.is_empty() {
        entry.push((Value::from("children"), Value::from(children)));
    }
    if !entry.is_empty() {
        out.push((Value::from(name), Value::from_pairs(entry)));
    }
    out.extend(nested);
}

/// `ansible-inventory --host NAME`.
pub fn host(inv: &Inventory, host: &str, extra: &Vars) -> String {
    json_dumps(&vars_to_value(&shown_host_vars(inv, host, extra)))
}

/// `ansible-inventory --graph [GROUP] [--vars]`; `None` when the group does not exist.
pub fn graph(inv: &Inventory, group: &str, show_vars: bool, extra: &Vars) -> Option<String> {
    inv.graph().groups.get(group)?;
    let mut lines = Vec::new();
    graph_group(inv, group, 0, show_vars, extra, &mut lines);
    Some(lines.join("\n"))
}

fn graph_name(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}

fn show_vars(vars: &Vars, depth: usize, lines: &mut Vec<String>) {
    let mut entries: Vec<(&String, &Value)> = vars.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in entries {
        lines.push(graph_name(&format!("{{{k} = {}}}", python_str(v)), depth));
    }
}

fn graph_group(inv: &Inventory, name: &str, depth: usize, vars: bool, extra: &Vars, lines: &mut Vec<String>) {
    let graph = inv.graph();
    let Some(group) = graph.groups.get(name) else {
        return;
    };
    lines.push(graph_name(&format!("@{name}:"), depth));
    let depth = depth + 1;
    for kid in &group.children {
        graph_group(inv, kid, depth, vars, extra, lines);
    }
    if name != "all" {
        for host in &group.hosts {
            lines.push(graph_name(host, depth));
            if vars {
                show_vars(&shown_host_vars(inv, host, extra), depth + 1, lines);
            }
        }
    }
    if vars {
        let mut gvars = inv.group_vars_map(name);
        if group.priority != 1 {
            gvars.insert("ansible_group_priority".into(), Value::from(group.priority));
        }
        show_vars(&without_internal(gvars), depth, lines);
    }
}

/// `--graph [GROUP] --json`: the same tree as JSON, `{"name", "children": [...], "hosts":
/// [...]}` per group (hosts as `{"name"}`), with `"vars"` on groups and hosts when `show_vars`;
/// `None` when there is no such group.
pub fn graph_json(inv: &Inventory, group: &str, show_vars: bool, extra: &Vars) -> Option<serde_json::Value> {
    inv.graph().groups.get(group)?;
    Some(graph_json_group(inv, group, show_vars, extra))
}

fn graph_json_group(inv: &Inventory, name: &str, show_vars: bool, extra: &Vars) -> serde_json::Value {
    let graph = inv.graph();
    let mut node = serde_json::Map::new();
    node.insert("name".into(), name.into());
    let Some(group) = graph.groups.get(name) else {
        return node.into();
    };
    let children: Vec<serde_json::Value> = group
        .children
        .iter()
        .map(|kid| graph_json_group(inv, kid, show_vars, extra))
        .collect();
    node.insert("children".into(), children.into());
    let hosts: Vec<serde_json::Value> = if name == "all" {
        Vec::new()
    } else {
        group
            .hosts
            .iter()
            .map(|host| {
                let mut h = serde_json::Map::new();
                h.insert("name".into(), host.as_str().into());
                if show_vars {
                    h.insert("vars".into(), vars_json(&shown_host_vars(inv, host, extra)));
                }
                h.into()
            })
            .collect()
    };
    node.insert("hosts".into(), hosts.into());
    if show_vars {
        let mut gvars = inv.group_vars_map(name);
        if group.priority != 1 {
            gvars.insert("ansible_group_priority".into(), Value::from(group.priority));
        }
        node.insert("vars".into(), vars_json(&without_internal(gvars)));
    }
    node.into()
}

fn vars_json(vars: &Vars) -> serde_json::Value {
    serde_json::to_value(vars_to_value(vars)).unwrap_or(serde_json::Value::Null)
}
