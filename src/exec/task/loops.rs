//! Loops: `loop`, and `with_<lookup>` (the lookup's results on the templated terms, as Ansible's
//! `query('<lookup>', terms)`; `with_items` flattens one level), with `loop_control`, each item
//! run and reported on its own and the results gathered.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::ValueKind;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::result::ItemResult;
use super::scope::{condition_text, display};
use crate::repo::playbook::Play;
use crate::repo::task::{LoopKind, LoopSpec, Task};
use crate::value::{map_of, merged};

impl Runner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(in crate::exec) async fn run_loop(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        raw: &Value,
        items: Vec<Value>,
        no_log: bool,
        ignore_errors: bool,
    ) -> ItemResult {
        let spec = task
            .loop_spec
            .as_ref()
            .expect("run_loop is called for looping tasks");
        let mut results = Vec::new();
        let mut total = ItemResult {
            skipped: true,
            ..ItemResult::default()
        };
        for (index, item) in items.iter().enumerate() {
            let mut extra = vec![
                (spec.loop_var.clone(), item.clone()),
                (
                    "ansible_loop_var".to_string(),
                    Value::from(spec.loop_var.as_str()),
                ),
            ];
            if let Some(index_var) = &spec.index_var {
                extra.push((index_var.clone(), Value::from(index)));
                extra.push(("ansible_index_var".to_string(), Value::from(index_var.as_str())));
            }
            let item_raw = merged(raw, &map_of(extra.iter().map(|(k, v)| (k.as_str(), v.clone()))));
            let lazy = LazyVars::new(item_raw.clone(), Arc::clone(&self.engine));
            let mut outcome = match self.conditions(&task.when, &lazy) {
                Ok(true) => self.run_item(play, task, host, &item_raw, &lazy).await,
                Ok(false) => ItemResult::skipped(&condition_text(&task.when)),
                Err(msg) => ItemResult::failure(format!("{}: {msg}", task.loc)),
            };
            outcome.result.insert(spec.loop_var.clone(), item.clone());
            outcome.result.insert(
                "ansible_loop_var".to_string(),
                Value::from(spec.loop_var.as_str()),
            );
            let label = match &spec.label {
                Some(label) => self
                    .engine
                    .template_value(label, &lazy.context())
                    .map(|v| display(&v))
                    .unwrap_or_default(),
                None => display(item),
            };
            self.report(
                task,
                host,
                &outcome,
                no_log,
                ignore_errors && outcome.failed,
                Some(label),
            );
            total.changed |= outcome.changed;
            total.failed |= outcome.failed;
            total.unreachable |= outcome.unreachable;
            total.skipped &= outcome.skipped;
            results.push(outcome.value());
            if outcome.unreachable {
                break;
            }
        }
        // Ansible's aggregate: results, skipped, changed, msg, and failed when an item failed.
        let msg = if total.failed {
            "One or more items failed"
        } else if total.skipped && !results.is_empty() {
            "All items skipped"
        } else {
            "All items completed"
        };
        total.result.insert("results".to_string(), Value::from(results));
        total
            .result
            .insert("skipped".to_string(), Value::from(total.skipped));
        total
            .result
            .insert("changed".to_string(), Value::from(total.changed));
        total.result.insert("msg".to_string(), Value::from(msg));
        if total.failed {
            total.result.insert("failed".to_string(), Value::from(true));
        }
        total
            .result
            .insert("__loop_reported".to_string(), Value::from(true));
        total
    }

    pub(in crate::exec) fn loop_items(
        &self,
        spec: &LoopSpec,
        lazy: &Arc<LazyVars>,
    ) -> Result<Vec<Value>, String> {
        let value = self
            .engine
            .template_value(&spec.items, &lazy.context())
            .map_err(|e| self.explain(lazy, &format!("loop: {e}")))?;
        let name = match spec.kind {
            LoopKind::Loop => {
                if value.is_none() || value.is_undefined() {
                    return Ok(Vec::new());
                }
                if value.as_str().is_some() || value.kind() == ValueKind::Map {
                    return Err(format!("the loop needs a list, got {}", value.kind()));
                }
                return Ok(value.try_iter().map_err(|e| e.to_string())?.collect());
            }
            LoopKind::Lookup(name) => name,
        };
        if (value.is_none() || value.is_undefined()) && matches!(name, "items" | "list" | "dict") {
            return Ok(Vec::new());
        }
        // Ansible's listify_lookup_plugin_terms: a string or a mapping is one term.
        let terms: Vec<Value> = if value.kind() == ValueKind::Seq {
            value.try_iter().map_err(|e| e.to_string())?.collect()
        } else {
            vec![value]
        };
        self.engine
            .run_lookup(name, terms, &lazy.context(), spec.subdir)
            .map_err(|e| self.explain(lazy, &format!("with_{name}: {e}")))
    }
}
