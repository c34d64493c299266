//! A finished task applied to its host (register, facts, notifications, counts) and reported
//! as an event, censored under `no_log`.

use super::super::Runner;
use super::super::handlers::handler_indices;
use super::super::host::HostState;
use super::result::{ItemResult, NO_LOG_MESSAGE, censored, diffs_of, is_debug, is_message_module};
use super::scope::display;
use minijinja::Value;

use crate::output::Event;
use crate::repo::playbook::Play;
use crate::repo::task::Task;
use crate::value::entries;

impl Runner<'_> {
    /// Applies a finished task to the host: register, facts, notifications, counts, event.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::exec) fn record(
        &self,
        play: &Play,
        task: &Task,
        host: &mut HostState,
        mut outcome: ItemResult,
        no_log: bool,
        ignore_errors: bool,
        label: Option<String>,
    ) {
        let loop_reported = outcome.result.shift_remove("__loop_reported").is_some();
        if let Some(name) = &task.register {
            let value = if no_log {
                censored(outcome.changed)
            } else {
                outcome.value()
            };
            host.host_vars.insert(name.clone(), value);
        }
        if !outcome.failed && !outcome.skipped {
            let gathered = is_fact_gathering(task);
            let mut found: Vec<Value> = outcome.result.get("ansible_facts").cloned().into_iter().collect();
            for item in outcome
                .result
                .get("results")
                .map(|r| r.try_iter().map(|i| i.collect::<Vec<_>>()).unwrap_or_default())
                .unwrap_or_default()
            {
                if let Ok(facts) = item.get_attr("ansible_facts") {
                    found.push(facts);
                }
            }
            // Every returned fact is a variable under its own name (`packages`,
            // `ansible_os_family`); those a module gathers about the host also join
            // `ansible_facts`, without the `ansible_` prefix, as Ansible's fact cache keeps them.
            let elsewhere = host
                .delegated_to
                .clone()
                .filter(|to| task.delegate_facts && to != &host.name);
            for facts in found {
                match &elsewhere {
                    Some(to) => self.hand_facts(to, facts, gathered),
                    None => self.apply_facts(host, &facts, gathered),
                }
            }
        }
        let counts = &mut host.counts;
        if outcome.unreachable {
            counts.unreachable += 1;
            host.unreachable = true;
        } else if outcome.failed {
            if ignore_errors {
                // As Ansible's strategy counts an ignored failure: ignored, and also ok (and
                // changed when it changed something).
                counts.ignored += 1;
                counts.ok += 1;
                if outcome.changed {
                    counts.changed += 1;
                }
            } else {
                counts.failed += 1;
                host.failed = true;
            }
        } else if outcome.skipped {
            counts.skipped += 1;
        } else {
            counts.ok += 1;
            if outcome.changed {
                counts.changed += 1;
                self.notify(play, task, host);
            }
        }
        let all_items_skipped = loop_reported
            && outcome.skipped
            && outcome
                .result
                .get("results")
                .is_some_and(|r| r.len().unwrap_or(0) > 0);
        if !loop_reported || all_items_skipped {
            self.report(
                task,
                host,
                &outcome,
                no_log,
                ignore_errors && outcome.failed,
                label,
            );
        }
        outcome.result.clear();
    }

    /// Sets returned facts on `host`: each a variable under its own name, and those gathered
    /// about the host also in `ansible_facts`.
    pub(in crate::exec) fn apply_facts(&self, host: &mut HostState, facts: &Value, gathered: bool) {
        for (k, v) in entries(facts) {
            host.host_vars.insert(display(&k), v);
        }
        if gathered {
            host.facts = merge_facts(&host.facts, facts);
        }
        self.hostvars.set(&host.name, self.hostvars_entry(host));
    }

    pub(in crate::exec) fn report(
        &self,
        task: &Task,
        host: &HostState,
        outcome: &ItemResult,
        no_log: bool,
        ignored: bool,
        item: Option<String>,
    ) {
        let msg =
            if no_log {
                None
            } else {
                outcome.result.get("msg").map(display).filter(|m| {
                    outcome.failed || outcome.unreachable || !m.is_empty() && is_message_module(task)
                })
            };
        let show_result = outcome.failed
            || outcome.unreachable
            || self.opts.verbosity > 0
            || is_message_module(task)
            || outcome.result.contains_key("_ansible_verbose_always");
        if !no_log {
            if let Some(warnings) = outcome.result.get("warnings").and_then(|w| w.try_iter().ok()) {
                for warning in warnings {
                    self.events.send(Event::Warning {
                        message: format!("{}: {}", host.name, display(&warning)),
                    });
                }
            }
        }
        let result = if no_log {
            Some(serde_json::json!({ "censored": NO_LOG_MESSAGE, "changed": outcome.changed }))
        } else if show_result {
            let mut shown = outcome.result.clone();
            shown.shift_remove("diff");
            shown.retain(|k, _| !k.starts_with("_ansible"));
            if is_debug(task) {
                shown.shift_remove("changed");
                shown.shift_remove("failed");
            }
            serde_json::to_value(&shown).ok()
        } else {
            None
        };
        let diff = if no_log || !self.opts.diff && task.diff.is_none() {
            Vec::new()
        } else {
            outcome.result.get("diff").map(diffs_of).unwrap_or_default()
        };
        self.events.send(Event::HostResult {
            host: host.name.clone(),
            task: host.title.clone().unwrap_or_else(|| task.display_name()),
            status: outcome.status(),
            item: item.map(|i| if no_log { "None".to_string() } else { i }),
            msg,
            diff,
            result,
            ignored,
            delegated_to: host
                .delegated_to
                .as_ref()
                .map(|to| match &host.delegated_address {
                    Some(address) => format!("{to}({address})"),
                    None => to.clone(),
                }),
        });
    }

    /// Marks the handlers a changed task notifies: the first handler with that name (a role
    /// applied twice defines its handlers twice), and every handler listening to it.
    pub(in crate::exec) fn notify(&self, play: &Play, task: &Task, host: &mut HostState) {
        let included = self.included_handlers();
        for name in &task.notify {
            host.notified.extend(handler_indices(play, &included, name));
        }
    }
}

/// Whether the task's module reports facts about the host (`setup`, `package_facts`, ...),
/// which join the gathered facts, rather than variables (`set_fact`, `include_vars`).
fn is_fact_gathering(task: &Task) -> bool {
    match &task.action {
        crate::repo::task::Action::Module { module, .. } => {
            matches!(
                module.spec().defines,
                crate::modules::Defines::Facts(_) | crate::modules::Defines::FactNamedBy { .. }
            )
        }
        _ => false,
    }
}

/// The host's facts with `new` merged in; `ansible_`-prefixed names (as `setup` returns them)
/// are stored without the prefix, as Ansible's fact cache keeps them.
fn merge_facts(facts: &Value, new: &Value) -> Value {
    let mut merged: indexmap::IndexMap<String, Value> = entries(facts)
        .into_iter()
        .map(|(k, v)| (display(&k), v))
        .collect();
    for (k, v) in entries(new) {
        let name = display(&k);
        let name = name.strip_prefix("ansible_").unwrap_or(&name).to_string();
        merged.insert(name, v);
    }
    Value::from_pairs(merged)
}
