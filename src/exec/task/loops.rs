//! Loops: `loop`, `with_items` (flattened one level), `with_list`, `with_dict`, with
//! `loop_control`, each item run and reported on its own and the results gathered.

use std::sync::Arc;

use minijinja::Value;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::result::ItemResult;
use super::scope::{condition_text, display};
use crate::repo::playbook::Play;
use crate::repo::task::{LoopKind, Task};
use crate::value::{entries, map_of, merged};

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
        total
            .result
            .insert("changed".to_string(), Value::from(total.changed));
        if total.failed {
            total.result.insert("failed".to_string(), Value::from(true));
            total
                .result
                .insert("msg".to_string(), Value::from("One or more items failed"));
        }
        if total.skipped {
            total.result.insert("skipped".to_string(), Value::from(true));
        }
        total.result.insert("results".to_string(), Value::from(results));
        total
            .result
            .insert("__loop_reported".to_string(), Value::from(true));
        total
    }

    pub(in crate::exec) fn loop_items(
        &self,
        kind: LoopKind,
        items: &Value,
        lazy: &Arc<LazyVars>,
    ) -> Result<Vec<Value>, String> {
        let value = self
            .engine
            .template_value(items, &lazy.context())
            .map_err(|e| self.explain(lazy, &format!("loop: {e}")))?;
        if value.is_none() || value.is_undefined() {
            return Ok(Vec::new());
        }
        match kind {
            LoopKind::Dict => {
                if !crate::value::is_map(&value) {
                    return Err("with_dict expects a mapping".to_string());
                }
                Ok(entries(&value)
                    .into_iter()
                    .map(|(k, v)| map_of([("key", k), ("value", v)]))
                    .collect())
            }
            _ => {
                if value.as_str().is_some() || value.kind() == minijinja::value::ValueKind::Map {
                    return Err(format!("the loop needs a list, got {}", value.kind()));
                }
                let list: Vec<Value> = value.try_iter().map_err(|e| e.to_string())?.collect();
                if kind == LoopKind::Items {
                    let mut flat = Vec::new();
                    for item in list {
                        if item.kind() == minijinja::value::ValueKind::Seq {
                            flat.extend(item.try_iter().map_err(|e| e.to_string())?);
                        } else {
                            flat.push(item);
                        }
                    }
                    return Ok(flat);
                }
                Ok(list)
            }
        }
    }
}
