//! `add_host`: adds a host (and groups) to the run's inventory, for later plays. Like Ansible's
//! action, it returns `add_host: {host_name, groups, host_vars}` and the executor applies it
//! (and decides `changed`: whether the inventory changed). It runs once per task, for the first
//! host (per loop item in a loop), as Ansible's bypasses the host loop.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::params::value_to_text;
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `add_host` module.
pub struct AddHost;

const NAME_KEYS: &[&str] = &["name", "host", "hostname"];
const GROUP_KEYS: &[&str] = &["groups", "group", "groupname"];

#[async_trait]
impl TypedModule for AddHost {
    /// `name` (`host`, `hostname`), `groups` (`group`, `groupname`); every other key is a
    /// variable of the host.
    type Params = IndexMap<String, Value>;

    // Its variables become variables of the added host (its name and groups keys too, which is
    // harmless for the pre-run check of undefined names).
    const SPEC: Spec = Spec::controller("add_host").defines(Defines::ArgumentKeys);

    async fn run(&self, args: Self::Params, _ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let mut name = None;
        let mut groups = Vec::new();
        let mut vars: Vec<(String, Value)> = Vec::new();
        for (key, value) in args {
            if NAME_KEYS.contains(&key.as_str()) {
                name = Some(value_to_text(&value));
            } else if GROUP_KEYS.contains(&key.as_str()) {
                groups.extend(text_list(&value));
            } else {
                vars.push((key, value));
            }
        }
        let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
            return Err(ModuleError::Params(
                "add_host: missing required arguments: name (the host to add)".into(),
            ));
        };
        let (host, port) = split_port(name.trim());
        if let Some(port) = port {
            vars.push(("ansible_port".into(), Value::from(port)));
        }
        let added = Value::from_pairs([
            (Value::from("host_name"), Value::from(host)),
            (
                Value::from("groups"),
                Value::from(groups.into_iter().map(Value::from).collect::<Vec<_>>()),
            ),
            (
                Value::from("host_vars"),
                Value::from_pairs(vars.into_iter().map(|(k, v)| (Value::from(k), v))),
            ),
        ]);
        Ok(Outcome::ok().with("add_host", added))
    }
}

/// A list of names: a list, or one comma-separated string (empty names dropped).
pub fn text_list(value: &Value) -> Vec<String> {
    let items: Vec<String> = match value.try_iter() {
        Ok(iter) if value.as_str().is_none() => iter.map(|v| value_to_text(&v)).collect(),
        _ => vec![value_to_text(value)],
    };
    items
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `web1:2222` is host `web1`, port 2222 (an IPv6 address keeps its colons).
fn split_port(name: &str) -> (String, Option<u16>) {
    if let Some((host, port)) = name.rsplit_once(':') {
        if !host.contains(':') {
            if let Ok(port) = port.parse() {
                return (host.to_string(), Some(port));
            }
        }
    }
    (name.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ports_and_group_lists() {
        assert_eq!(split_port("web1:2222"), ("web1".into(), Some(2222)));
        assert_eq!(split_port("web1"), ("web1".into(), None));
        assert_eq!(split_port("fe80::1"), ("fe80::1".into(), None));
        assert_eq!(text_list(&Value::from("a, b,,c")), ["a", "b", "c"]);
        assert_eq!(
            text_list(&Value::from(vec![Value::from("a"), Value::from("b")])),
            ["a", "b"]
        );
    }
}
