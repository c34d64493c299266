//! INI inventory files, as Ansible's `ini` inventory plugin reads them: `[group]`,
//! `[group:vars]`, `[group:children]`, host lines with `key=value` variables whose values are
//! Python literals.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use fancy_regex::Regex;
use minijinja::Value;

use crate::loc::Loc;

use super::InventoryError;
use super::hostrange::expand_host_pattern;
use super::model::Graph;
use super::pyliteral::literal_eval;

static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$").expect("the section pattern is valid")
});
static GROUP_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").expect("the group name pattern is valid"));

enum State {
    Hosts,
    Vars,
    Children,
}

struct Pending {
    line: usize,
    vars_only: bool,
    parents: Vec<String>,
}

/// Adds the groups and hosts of an INI inventory to the graph.
pub fn parse(graph: &mut Graph, text: &str, path: &std::path::Path) -> Result<(), InventoryError> {
    let file = Arc::new(PathBuf::from(path));
    let mut pending: indexmap::IndexMap<String, Pending> = indexmap::IndexMap::new();
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (index, raw) in text.lines().enumerate() {
        let loc = Loc::new(&file, index + 1);
        let err = |m: String| InventoryError::invalid(&loc, m);
        let model = |e: super::model::ModelError| InventoryError::invalid(&loc, e.to_string());
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Ok(Some(caps)) = SECTION.captures(line) {
            group = caps.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
            let kind = caps.get(2).map(|m| m.as_str()).unwrap_or("hosts");
            state = match kind {
                "hosts" => State::Hosts,
                "vars" => State::Vars,
                "children" => State::Children,
                other => {
                    return Err(err(format!(
                        "section `[{group}:{other}]` has an unknown type `{other}`; use `hosts`, `vars` or \
                         `children`"
                    )));
                }
            };
            if !graph.groups.contains_key(&group) {
                if matches!(state, State::Vars) && !pending.contains_key(&group) {
                    pending.insert(
                        group.clone(),
                        Pending {
                            line: index + 1,
                            vars_only: true,
                            parents: Vec::new(),
                        },
                    );
                }
                graph.add_group(&group).map_err(model)?;
            }
            if !matches!(state, State::Vars) {
                if let Some(p) = pending.get(&group) {
                    if p.vars_only {
                        pending.shift_remove(&group);
                    } else {
                        add_pending_children(graph, &group, &mut pending).map_err(model)?;
                    }
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(err(format!(
                "invalid section `{line}`: a section is `[group]`, `[group:vars]` or `[group:children]`, \
                 without spaces"
            )));
        }
        match state {
            State::Hosts => {
                let tokens =
                    shlex_split(line).map_err(|m| err(format!("cannot parse host line `{line}`: {m}")))?;
                let Some(first) = tokens.first() else { continue };
                let (names, port) = expand_host_pattern(first).map_err(|e| err(e.to_string()))?;
                if first.trim().ends_with(':') && port.is_none() {
                    return Err(err(format!(
                        "invalid host `{first}`: a trailing `:` must be followed by a port"
                    )));
                }
                if names.iter().any(|n| n.trim() == "---") {
                    return Err(err("`---` is not a host; is this a YAML file?".into()));
                }
                let mut vars = Vec::new();
                for t in &tokens[1..] {
                    let Some((k, v)) = t.split_once('=') else {
                        return Err(err(format!("expected key=value host variable, got `{t}`")));
                    };
                    vars.push((k.to_string(), parse_value(v)));
                }
                for name in names {
                    graph.add_host(&name, Some(&group), port).map_err(model)?;
                    for (k, v) in &vars {
                        graph.set_host_var(&name, k, v.clone()).map_err(model)?;
                    }
                }
            }
            State::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(err(format!("expected key=value, got `{line}`")));
                };
                graph
                    .set_group_var(&group, k.trim(), parse_value(v.trim()))
                    .map_err(model)?;
            }
            State::Children => {
                let child = match GROUP_NAME.captures(line) {
                    Ok(Some(c)) => c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default(),
                    _ => return Err(err(format!("expected a group name, got `{line}`"))),
                };
                if graph.groups.contains_key(&child) {
                    graph.add_child(&group, &child).map_err(model)?;
                } else if let Some(p) = pending.get_mut(&child) {
                    p.parents.push(group.clone());
                } else {
                    pending.insert(
                        child,
                        Pending {
                            line: index + 1,
                            vars_only: false,
                            parents: vec![group.clone()],
                        },
                    );
                }
            }
        }
    }
    if let Some((name, p)) = pending.first() {
        let loc = Loc::new(&file, p.line);
        let message = if p.vars_only {
            format!("section `[{name}:vars]` is for group `{name}`, which is not defined in this file")
        } else {
            format!(
                "section `[{}:children]` includes group `{name}`, which is not defined in this file",
                p.parents.last().map(String::as_str).unwrap_or_default()
            )
        };
        return Err(InventoryError::invalid(&loc, message));
    }
    Ok(())
}

fn add_pending_children(
    graph: &mut Graph,
    group: &str,
    pending: &mut indexmap::IndexMap<String, Pending>,
) -> Result<(), super::model::ModelError> {
    let parents = pending.get(group).map(|p| p.parents.clone()).unwrap_or_default();
    for parent in parents {
        graph.add_child(&parent, group)?;
        if pending.get(&parent).is_some_and(|p| !p.vars_only) {
            add_pending_children(graph, &parent, pending)?;
        }
    }
    pending.shift_remove(group);
    Ok(())
}

/// An INI value: a Python literal when it is one, else the text itself.
fn parse_value(v: &str) -> Value {
    literal_eval(v).unwrap_or_else(|| Value::from(v))
}

/// Python's `shlex.split(line, comments=True)`.
pub fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut in_token = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    tokens.push(std::mem::take(&mut token));
                    in_token = false;
                }
            }
            '#' => break,
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => token.push(ch),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\')) => token.push(ch),
                            Some(ch) => {
                                token.push('\\');
                                token.push(ch);
                            }
                            None => return Err("no closing quotation".into()),
                        },
                        Some(ch) => token.push(ch),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '\\' => {
                in_token = true;
                match chars.next() {
                    Some(ch) => token.push(ch),
                    None => return Err("no escaped character".into()),
                }
            }
            c => {
                in_token = true;
                token.push(c);
            }
        }
    }
    if in_token {
        tokens.push(token);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_splits_like_python() {
        assert_eq!(
            shlex_split(r#"web1 a="x y" b='1' c=d#e  # comment"#).expect("ok"),
            ["web1", "a=x y", "b=1", "c=d"]
        );
        assert!(shlex_split("h a='x").is_err());
    }

    #[test]
    fn ini_builds_groups_children_and_vars() {
        let text = "solo\n[web]\nw[1:2] port_x=8080 name='a b'\n[prod:children]\nweb\ndb\n[db]\nd1 ansible_port=2222\n[prod:vars]\nflag=True\nmsg=hello world\n";
        let mut g = Graph::new();
        parse(&mut g, text, std::path::Path::new("hosts")).expect("parses");
        g.reconcile().expect("reconcile");
        assert_eq!(g.groups["ungrouped"].hosts, ["solo"]);
        assert_eq!(g.groups["prod"].children, ["web", "db"]);
        assert_eq!(g.hosts["w2"].vars["port_x"], Value::from(8080));
        assert_eq!(g.hosts["w1"].vars["name"], Value::from("a b"));
        assert_eq!(g.groups["prod"].vars["flag"], Value::from(true));
        assert_eq!(g.groups["prod"].vars["msg"], Value::from("hello world"));
    }

    #[test]
    fn undefined_child_groups_are_errors_with_lines() {
        let mut g = Graph::new();
        let err =
            parse(&mut g, "[a:children]\nmissing\n", std::path::Path::new("inv.ini")).expect_err("error");
        assert!(err.to_string().starts_with("inv.ini:2:"), "{err}");
    }
}
