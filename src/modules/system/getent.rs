//! `getent`: a name-service database (`passwd`, `group`, `hosts`, `services`, ...) read with
//! `getent`, set as the fact `getent_<database>` exactly as ansible-core 2.19 structures it:
//! each line split (on `:` for the colon databases, else on `split` or whitespace), keyed by
//! its first field, a list of the rest — a list of such lists when a key repeats.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::commands::words::python_splitlines;
use crate::modules::params::map_value;
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `getent` module.
pub struct Getent;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    database: String,
    key: Option<String>,
    service: Option<String>,
    split: Option<String>,
    fail_key: Option<bool>,
}

/// The databases whose lines are split on `:` unless `split` says otherwise.
const COLON: &[&str] = &["passwd", "shadow", "group", "gshadow"];

#[async_trait]
impl TypedModule for Getent {
    type Params = Params;

    const SPEC: Spec = Spec::host("getent").defines(Defines::FactNamedBy {
        prefix: "getent_",
        param: "database",
    });

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let mut words = vec!["getent".to_string(), quote(&p.database)];
        if let Some(key) = &p.key {
            words.push(quote(key));
        }
        if let Some(service) = &p.service {
            words.extend(["-s".to_string(), quote(service)]);
        }
        let script = format!(
            "command -v getent >/dev/null 2>&1 || {{ echo 'getent: not found' >&2; exit 127; }}\n{}",
            words.join(" ")
        );
        let out = ctx.run(script).await?;
        let split = p
            .split
            .clone()
            .or_else(|| COLON.contains(&p.database.as_str()).then(|| ":".to_string()));
        let tree = format!("getent_{}", p.database);
        let msg = match out.rc {
            0 => {
                let text = String::from_utf8_lossy(&out.stdout);
                let facts = map_value([(tree.as_str(), records(&text, split.as_deref()))]);
                return Ok(Outcome::ok().with("ansible_facts", facts));
            }
            127 => {
                return Err(ModuleError::failed(format!(
                    "Failed to find required executable \"getent\" on {} (glibc's libc-bin provides it)",
                    ctx.host
                )));
            }
            1 => "Missing arguments, or database unknown.",
            2 => {
                let msg = "One or more supplied key could not be found in the database.";
                if p.fail_key == Some(false) {
                    let key = p.key.clone().unwrap_or_else(|| "None".into());
                    let facts = map_value([(tree.as_str(), map_value([(key.as_str(), Value::from(()))]))]);
                    let mut o = Outcome::ok().with("ansible_facts", facts).with("msg", msg);
                    o.msg = Some(msg.to_string());
                    return Ok(o);
                }
                msg
            }
            3 => "Enumeration not supported on this database.",
            _ => "Unexpected failure!",
        };
        Err(ModuleError::failed(msg))
    }
}

/// The lines as Ansible's dict: first field → the other fields, or a list of those when the
/// first field repeats.
fn records(text: &str, split: Option<&str>) -> Value {
    let mut tree: IndexMap<String, (usize, Vec<Value>)> = IndexMap::new();
    for line in python_splitlines(text) {
        let fields: Vec<String> = match split {
            Some(sep) if !sep.is_empty() => line.split(sep).map(str::to_string).collect(),
            _ => line.split_whitespace().map(str::to_string).collect(),
        };
        let Some((first, rest)) = fields.split_first() else {
            // Python's "".split() is []: record[0] fails; Ansible would crash, playhook skips.
            continue;
        };
        let rest = Value::from(rest.iter().map(|f| Value::from(f.as_str())).collect::<Vec<_>>());
        tree.entry(first.clone())
            .and_modify(|(n, seen)| {
                *n += 1;
                seen.push(rest.clone());
            })
            .or_insert((1, vec![rest]));
    }
    map_value(tree.into_iter().map(|(k, (n, mut v))| {
        let value = if n == 1 { v.remove(0) } else { Value::from(v) };
        (k, value)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_ansibles_tree() {
        let v = records("root:x:0:0:root:/root:/bin/bash\n", Some(":"));
        assert_eq!(
            serde_json::to_string(&v).expect("json"),
            r#"{"root":["x","0","0","root","/root","/bin/bash"]}"#
        );
        let v = records("http 80/tcp www\nhttp 80/udp\n", None);
        assert_eq!(
            serde_json::to_string(&v).expect("json"),
            r#"{"http":[["80/tcp","www"],["80/udp"]]}"#
        );
    }
}
