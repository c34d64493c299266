//! The result of one task (or one loop item) on a host, as Ansible registers it: built from a
//! module's [`Outcome`] or [`ModuleError`], censored under `no_log`, stripped of `omit`.

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::ConnectionError;
use crate::modules::{ModuleError, Outcome, ResultShow};
use crate::output::HostStatus;
use crate::repo::task::Task;
use crate::value::{entries, map_of};

use super::super::vars::OMIT;
use super::scope::display;

pub(in crate::exec) const NO_LOG_MESSAGE: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// The result of one task (or one loop item) on a host.
#[derive(Debug, Default)]
pub(in crate::exec) struct ItemResult {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub unreachable: bool,
    pub result: IndexMap<String, Value>,
}

impl ItemResult {
    pub(in crate::exec) fn failure(msg: impl Into<String>) -> Self {
        let msg = msg.into();
        let mut result = IndexMap::new();
        result.insert("failed".to_string(), Value::from(true));
        result.insert("msg".to_string(), Value::from(msg));
        ItemResult {
            failed: true,
            result,
            ..ItemResult::default()
        }
    }

    pub(in crate::exec) fn skipped(reason: &str) -> Self {
        let mut result = IndexMap::new();
        result.insert("changed".to_string(), Value::from(false));
        result.insert("skipped".to_string(), Value::from(true));
        result.insert("false_condition".to_string(), Value::from(reason));
        result.insert(
            "skip_reason".to_string(),
            Value::from("Conditional result was False"),
        );
        ItemResult {
            skipped: true,
            result,
            ..ItemResult::default()
        }
    }

    pub(in crate::exec) fn status(&self) -> HostStatus {
        if self.unreachable {
            HostStatus::Unreachable
        } else if self.failed {
            HostStatus::Failed
        } else if self.skipped {
            HostStatus::Skipped
        } else if self.changed {
            HostStatus::Changed
        } else {
            HostStatus::Ok
        }
    }

    pub(in crate::exec) fn value(&self) -> Value {
        Value::from_pairs(
            self.result
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone())),
        )
    }
}

pub(in crate::exec) fn from_outcome(o: Outcome) -> ItemResult {
    let mut result = IndexMap::new();
    result.insert("changed".to_string(), Value::from(o.changed));
    for (k, v) in o.data {
        result.insert(k, v);
    }
    if let Some(msg) = o.msg {
        result
            .entry("msg".to_string())
            .or_insert_with(|| Value::from(msg));
    }
    if o.skipped {
        result.insert("skipped".to_string(), Value::from(true));
    }
    // A module that registers its diff itself (a dict, as `hostname` returns it) keeps it.
    if !o.diff.is_empty() && !result.contains_key("diff") {
        let diffs: Vec<Value> = o
            .diff
            .iter()
            .map(|d| Value::from(minijinja::value::Serde(d)))
            .collect();
        result.insert("diff".to_string(), Value::from(diffs));
    }
    if !o.skipped {
        // Ansible registers `failed: false` on every result that ran.
        result.insert("failed".to_string(), Value::from(false));
    }
    ItemResult {
        changed: o.changed,
        failed: false,
        skipped: o.skipped,
        unreachable: false,
        result,
    }
}

/// A failed task's result. Parameter and controller-file errors name the task's file and line;
/// a failure the host reported keeps Ansible's message and the fields the module registered.
pub(in crate::exec) fn from_error(e: ModuleError, task: &Task) -> ItemResult {
    match e {
        ModuleError::Connection(ConnectionError::Unreachable { message }) => {
            let mut r = ItemResult::failure(message);
            r.unreachable = true;
            r.failed = false;
            r.result.insert("unreachable".to_string(), Value::from(true));
            r
        }
        ModuleError::Params(msg) | ModuleError::Local(msg) => {
            ItemResult::failure(format!("{}: {msg}", task.loc))
        }
        ModuleError::Connection(ConnectionError::Timeout(limit)) => ItemResult::failure(format!(
            "{}: the task did not finish within {} s (--task-timeout) and was stopped",
            task.loc,
            limit.as_secs_f64()
        )),
        ModuleError::Connection(other) => ItemResult::failure(other.to_string()),
        ModuleError::Failed { msg, data } => {
            let changed = data.get("changed").is_some_and(Value::is_true);
            let mut result = IndexMap::new();
            result.insert("changed".to_string(), Value::from(changed));
            result.extend(data);
            result
                .entry("msg".to_string())
                .or_insert_with(|| Value::from(msg));
            result.insert("failed".to_string(), Value::from(true));
            ItemResult {
                changed,
                failed: true,
                result,
                ..ItemResult::default()
            }
        }
    }
}

pub(in crate::exec) fn diffs_of(v: &Value) -> Vec<crate::modules::Diff> {
    // One diff as a dict (a module's own), or a list of them.
    let items: Vec<Value> = if v.kind() == minijinja::value::ValueKind::Map {
        if v.len() == Some(0) {
            return Vec::new();
        }
        vec![v.clone()]
    } else {
        match v.try_iter() {
            Ok(items) => items.collect(),
            Err(_) => return Vec::new(),
        }
    };
    items
        .into_iter()
        .map(|d| crate::modules::Diff {
            before_header: d
                .get_attr("before_header")
                .map(|v| diff_side(&v))
                .unwrap_or_default(),
            after_header: d
                .get_attr("after_header")
                .map(|v| diff_side(&v))
                .unwrap_or_default(),
            before: d.get_attr("before").map(|v| diff_side(&v)).unwrap_or_default(),
            after: d.get_attr("after").map(|v| diff_side(&v)).unwrap_or_default(),
            prepared: d
                .get_attr("prepared")
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
                .map(|v| display(&v)),
        })
        .collect()
}

/// One side of a registered diff as Ansible's callback shows it: a mapping as sorted JSON
/// (`_serialize_diff`), null as nothing, anything else as text.
fn diff_side(v: &Value) -> String {
    if v.kind() == minijinja::value::ValueKind::Map {
        if let Ok(json) = serde_json::to_value(v) {
            return crate::modules::params::json_diff_text(&json);
        }
    }
    if v.is_none() || v.is_undefined() {
        return String::new();
    }
    display(v)
}

pub(in crate::exec) fn censored(changed: bool) -> Value {
    map_of([
        ("censored", Value::from(NO_LOG_MESSAGE)),
        ("changed", Value::from(changed)),
    ])
}

/// Removes arguments whose value is `omit`.
pub(in crate::exec) fn drop_omitted(args: &Value) -> Value {
    if !crate::value::is_map(args) {
        return args.clone();
    }
    Value::from_pairs(
        entries(args)
            .into_iter()
            .filter(|(_, v)| v.as_str() != Some(OMIT)),
    )
}

/// How the task's module wants its result shown.
pub(in crate::exec) fn result_show(task: &Task) -> ResultShow {
    match &task.action {
        crate::repo::task::Action::Module { module, .. } => module.spec().show,
        _ => ResultShow::Normal,
    }
}

pub(in crate::exec) fn is_debug(task: &Task) -> bool {
    result_show(task) == ResultShow::Debug
}

/// Modules whose message is the point of running them.
pub(in crate::exec) fn is_message_module(task: &Task) -> bool {
    result_show(task) != ResultShow::Normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_diffs_show_as_ansible_serializes_them() {
        let diff = map_of([
            ("before", map_of([("b", Value::from(1)), ("a", Value::from("x"))])),
            ("after", Value::from(())),
        ]);
        let shown = diffs_of(&diff);
        assert_eq!(shown[0].before, "{\n    \"a\": \"x\",\n    \"b\": 1\n}\n");
        assert_eq!(shown[0].after, "");
    }
}
