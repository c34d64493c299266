//! Executable inventory scripts speaking Ansible's dynamic inventory protocol: `SCRIPT --list`
//! prints groups (and usually `_meta.hostvars`); without `_meta.hostvars`, `SCRIPT --host NAME`
//! prints each host's variables. The script inherits the caller's environment.

use std::path::Path;
use std::process::Command;

use minijinja::Value;
use serde_json::Value as Json;

use super::InventoryError;
use super::model::Graph;

/// Whether a file should be run as an inventory script: executable, and starting like a
/// program (`#!` or an ELF header), so a static file that happens to be executable still parses.
pub fn is_script(path: &Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return false;
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].starts_with(b"#!") || head[..n].starts_with(b"\x7fELF")
}

fn run(path: &Path, args: &[&str]) -> Result<(String, String), InventoryError> {
    // A bare relative name would be looked up in PATH; run the file itself.
    let program = if path.is_relative() {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    let output =
        Command::new(&program)
            .args(args)
            .output()
            .map_err(|source| InventoryError::ScriptSpawn {
                path: path.to_path_buf(),
                source,
            })?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        let status = match output.status.code() {
            Some(code) => code.to_string(),
            None => format!("{} (killed by a signal)", output.status),
        };
        return Err(InventoryError::ScriptFailed {
            path: path.to_path_buf(),
            args: args.join(" "),
            status,
            stderr,
        });
    }
    match String::from_utf8(output.stdout) {
        Ok(stdout) => Ok((stdout, stderr)),
        Err(_) => Err(InventoryError::ScriptJson {
            path: path.to_path_buf(),
            args: args.join(" "),
            message: "its output is not UTF-8".into(),
            stderr,
        }),
    }
}

fn parse_json(path: &Path, args: &[&str], (text, stderr): &(String, String)) -> Result<Json, InventoryError> {
    serde_json::from_str(text).map_err(|e| InventoryError::ScriptJson {
        path: path.to_path_buf(),
        args: args.join(" "),
        message: e.to_string(),
        stderr: stderr.clone(),
    })
}

/// Runs the script and adds its groups, hosts and variables to the graph.
pub fn parse(graph: &mut Graph, path: &Path, warnings: &mut Vec<String>) -> Result<(), InventoryError> {
    let data_err = |message: String| InventoryError::ScriptData {
        path: path.to_path_buf(),
        message,
    };
    let text = run(path, &["--list"])?;
    let Json::Object(top) = parse_json(path, &["--list"], &text)? else {
        return Err(data_err("`--list` must print a JSON object of groups".into()));
    };
    let mut meta_hostvars: Option<&serde_json::Map<String, Json>> = None;
    let mut hosts: Vec<String> = Vec::new();
    for (group, gdata) in &top {
        if group == "_meta" {
            match gdata.get("hostvars") {
                Some(Json::Object(m)) => meta_hostvars = Some(m),
                Some(other) => {
                    return Err(data_err(format!(
                        "`_meta.hostvars` must be an object, got {}",
                        json_type(other)
                    )));
                }
                None => {}
            }
            continue;
        }
        let model = |e: super::model::ModelError| data_err(format!("group `{group}`: {e}"));
        graph.add_group(group).map_err(model)?;
        let (ghosts, gvars, gchildren) = match gdata {
            Json::Object(m) if ["hosts", "vars", "children"].iter().any(|k| m.contains_key(*k)) => (
                m.get("hosts").cloned(),
                m.get("vars").cloned(),
                m.get("children").cloned(),
            ),
            Json::Object(m) => {
                warnings.push(format!(
                    "inventory script `{}`: group `{group}` has no `hosts`, `vars` or `children`; \
                     treating it as a host of that name with those variables",
                    path.display()
                ));
                (
                    Some(Json::Array(vec![Json::String(group.clone())])),
                    Some(Json::Object(m.clone())),
                    None,
                )
            }
            other => (Some(other.clone()), None, None),
        };
        if let Some(h) = ghosts {
            let Json::Array(list) = h else {
                return Err(data_err(format!(
                    "`{group}.hosts` must be a list, got {}",
                    json_type(&h)
                )));
            };
            for item in list {
                let Json::String(name) = item else {
                    return Err(data_err(format!(
                        "`{group}.hosts` must hold host names (strings)"
                    )));
                };
                if !hosts.contains(&name) {
                    hosts.push(name.clone());
                }
                graph.add_host(&name, Some(group), None).map_err(model)?;
            }
        }
        if let Some(v) = gvars {
            let Json::Object(vars) = v else {
                return Err(data_err(format!(
                    "`{group}.vars` must be an object, got {}",
                    json_type(&v)
                )));
            };
            for (k, v) in vars {
                graph.set_group_var(group, &k, json_to_value(&v)).map_err(model)?;
            }
        }
        if let Some(c) = gchildren {
            let Json::Array(children) = c else {
                return Err(data_err(format!(
                    "`{group}.children` must be a list, got {}",
                    json_type(&c)
                )));
            };
            for child in children {
                let Json::String(child) = child else {
                    return Err(data_err(format!(
                        "`{group}.children` must hold group names (strings)"
                    )));
                };
                graph.add_group(&child).map_err(model)?;
                graph.add_child(group, &child).map_err(model)?;
            }
        }
    }
    for host in &hosts {
        let vars = match meta_hostvars {
            Some(m) => m.get(host).cloned().unwrap_or(Json::Object(Default::default())),
            None => {
                let args = ["--host", host.as_str()];
                let text = run(path, &args)?;
                if text.0.trim().is_empty() {
                    Json::Object(Default::default())
                } else {
                    parse_json(path, &args, &text)?
                }
            }
        };
        let Json::Object(vars) = vars else {
            return Err(data_err(format!(
                "the variables of host `{host}` must be an object"
            )));
        };
        for (k, v) in vars {
            graph
                .set_host_var(host, &k, json_to_value(&v))
                .map_err(|e| data_err(e.to_string()))?;
        }
    }
    Ok(())
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// A JSON value as a runtime value: integers stay integers, `1.0` stays a float.
pub fn json_to_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(json_to_value).collect::<Vec<_>>()),
        Json::Object(m) => {
            Value::from_pairs(m.iter().map(|(k, v)| (Value::from(k.as_str()), json_to_value(v))))
        }
    }
}
