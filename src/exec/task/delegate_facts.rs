//! `delegate_facts: true`: the facts a delegated task returns (`setup`, `set_fact`, ...) land on
//! the host it was delegated to, not on its own host, as in Ansible. That host's state may be
//! held by another task of the run, so they wait here until it next runs a task (or joins a
//! play); `hostvars` shows them at once.

use std::sync::Mutex;

use minijinja::Value;

use super::super::Runner;
use super::super::host::HostState;
use crate::value::{entries, merged};

/// Facts handed to hosts by delegated tasks, not yet applied to them.
#[derive(Debug, Default)]
pub struct PendingFacts {
    /// (host, facts, gathered about the host rather than set).
    facts: Mutex<Vec<(String, Value, bool)>>,
}

impl Runner<'_> {
    /// Hands `facts` to `host` (a delegated host): shown in `hostvars` now, applied to its state
    /// when it next runs a task.
    pub(in crate::exec) fn hand_facts(&self, host: &str, facts: Value, gathered: bool) {
        if let Ok(mut pending) = self.pending_facts.facts.lock() {
            pending.push((host.to_string(), facts.clone(), gathered));
        }
        match self.hostvars.get(host) {
            Some(entry) => {
                let mut over = facts.clone();
                if gathered {
                    let prefixed = entries(&facts)
                        .into_iter()
                        .map(|(k, v)| (format!("ansible_{}", k.as_str().unwrap_or_default()), v));
                    let old = entry.get_attr("ansible_facts").unwrap_or_default();
                    over = merged(
                        &merged(&facts, &crate::value::map_of(prefixed)),
                        &crate::value::map_of([("ansible_facts", merged(&old, &facts))]),
                    );
                }
                self.hostvars.set(host, merged(&entry, &over));
            }
            None => {
                // A host no play has run on yet: its inventory variables and what it was handed
                // so far (still owed to its own state, for when it joins a play).
                let owed: Vec<(Value, bool)> = match self.pending_facts.facts.lock() {
                    Ok(pending) => pending
                        .iter()
                        .filter(|(h, _, _)| h == host)
                        .map(|(_, f, g)| (f.clone(), *g))
                        .collect(),
                    Err(_) => Vec::new(),
                };
                let mut state = HostState::new(host.to_string(), self.inventory().0.host_vars(host));
                for (facts, gathered) in owed {
                    self.apply_facts(&mut state, &facts, gathered);
                }
            }
        }
    }

    /// Applies to `host` the facts delegated tasks handed to it.
    pub(in crate::exec) fn take_handed_facts(&self, host: &mut HostState) {
        let mine: Vec<(Value, bool)> = match self.pending_facts.facts.lock() {
            Ok(mut pending) => {
                let (mine, rest): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(h, _, _)| h == &host.name);
                *pending = rest;
                mine.into_iter().map(|(_, f, g)| (f, g)).collect()
            }
            Err(_) => return,
        };
        for (facts, gathered) in mine {
            self.apply_facts(host, &facts, gathered);
        }
    }
}
