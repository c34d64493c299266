//! YAML (and JSON) inventory files, as Ansible's `yaml` inventory plugin reads them:
//! top-level groups, each with `hosts`, `vars` and `children`, host keys with ranges and ports.

use std::path::Path;

use crate::yaml::{Node, NodeKind};

use super::InventoryError;
use super::hostrange::expand_host_pattern;
use super::model::Graph;

/// Adds the groups and hosts of a parsed YAML inventory to the graph.
pub fn parse(graph: &mut Graph, root: &Node, warnings: &mut Vec<String>) -> Result<(), InventoryError> {
    let Some(entries) = root.as_map() else {
        return Err(InventoryError::invalid(
            &root.loc,
            format!(
                "a YAML inventory must be a mapping of group names, got {}",
                root.type_name()
            ),
        ));
    };
    if let Some(plugin) = root.get("plugin") {
        return Err(InventoryError::invalid(
            &plugin.loc,
            "inventory plugin configuration files (`plugin:`) are not supported; use a YAML or INI \
             inventory or an executable inventory script",
        ));
    }
    for (name, data) in entries {
        parse_group(graph, name, data, warnings)?;
    }
    Ok(())
}

fn parse_group(
    graph: &mut Graph,
    group: &str,
    data: &Node,
    warnings: &mut Vec<String>,
) -> Result<bool, InventoryError> {
    let model = |e: super::model::ModelError| InventoryError::invalid(&data.loc, e.to_string());
    let Some(entries) = data.as_map() else {
        if data.is_null() {
            graph.add_group(group).map_err(model)?;
            return Ok(true);
        }
        warnings.push(format!(
            "{}: skipping `{group}`: a group must be a mapping, got {}",
            data.loc,
            data.type_name()
        ));
        return Ok(false);
    };
    graph.add_group(group).map_err(model)?;
    for (key, value) in entries {
        if !matches!(key.as_str(), "vars" | "children" | "hosts") {
            warnings.push(format!(
                "{}: skipping unexpected key `{key}` in group `{group}`; only `vars`, `children` and \
                 `hosts` are valid",
                value.loc
            ));
            continue;
        }
        // A bare string stands for a mapping with one key.
        let single;
        let items: &[(String, Node)] = match &value.kind {
            NodeKind::Map(items) => items,
            NodeKind::Scalar(v) if v.is_none() => continue,
            NodeKind::Scalar(v) if v.as_str().is_some() => {
                single = [(
                    v.as_str().unwrap_or_default().to_string(),
                    Node {
                        kind: NodeKind::Scalar(minijinja::Value::from(())),
                        loc: value.loc.clone(),
                        key_lines: Vec::new(),
                    },
                )];
                &single
            }
            _ => {
                return Err(InventoryError::invalid(
                    &value.loc,
                    format!(
                        "`{key}` of group `{group}` must be a mapping, got {}",
                        value.type_name()
                    ),
                ));
            }
        };
        match key.as_str() {
            "vars" => {
                for (name, v) in items {
                    graph
                        .set_group_var(group, name, v.to_value())
                        .map_err(|e| InventoryError::invalid(&v.loc, e.to_string()))?;
                }
            }
            "children" => {
                for (child, cdata) in items {
                    if parse_group(graph, child, cdata, warnings)? {
                        graph
                            .add_child(group, child)
                            .map_err(|e| InventoryError::invalid(&cdata.loc, e.to_string()))?;
                    }
                }
            }
            _ => {
                for (pattern, hvars) in items {
                    let bad = |m: String| InventoryError::invalid(&hvars.loc, m);
                    let (names, port) =
                        expand_host_pattern(pattern).map_err(|e| bad(format!("host `{pattern}`: {e}")))?;
                    let vars: &[(String, Node)] = match &hvars.kind {
                        NodeKind::Map(v) => v,
                        NodeKind::Scalar(v) if v.is_none() => &[],
                        _ => {
                            return Err(bad(format!(
                                "the variables of host `{pattern}` must be a mapping, got {}",
                                hvars.type_name()
                            )));
                        }
                    };
                    for name in names {
                        graph
                            .add_host(&name, Some(group), port)
                            .map_err(|e| bad(e.to_string()))?;
                        for (k, v) in vars {
                            graph
                                .set_host_var(&name, k, v.to_value())
                                .map_err(|e| InventoryError::invalid(&v.loc, e.to_string()))?;
                        }
                    }
                }
            }
        }
    }
    Ok(true)
}

/// Whether Ansible's `yaml` plugin would try this file (by extension).
pub fn wants(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) => matches!(ext, "yaml" | "yml" | "json"),
    }
}
