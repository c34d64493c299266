//! Which handlers a play has, and which of them a notification runs.
//!
//! A play's handlers are its `handlers:` section and those of its roles, known before it runs,
//! followed by the handlers of roles that `include_role` brings in while it runs (Ansible makes
//! those notifiable too). Hosts remember notifications as positions in that list, which only
//! grows during a play.

use std::sync::Arc;

use super::Runner;
use crate::plan::walk::tasks_in;
use crate::repo::playbook::Play;
use crate::repo::task::{Node, Task};

impl Runner<'_> {
    /// The handlers `include_role` added to the current play so far.
    pub(super) fn included_handlers(&self) -> Arc<Vec<Node>> {
        match self.included_handlers.lock() {
            Ok(list) => Arc::clone(&list),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Forgets the included handlers of the previous play.
    pub(super) fn reset_included_handlers(&self) {
        if let Ok(mut list) = self.included_handlers.lock() {
            *list = Arc::new(Vec::new());
        }
    }

    /// Adds the handlers of a role `include_role` loaded. A handler the play already has
    /// (same file and line) is not added; one an earlier `include_role` added is replaced by this
    /// later copy in its place, so it answers with the latest role parameters, as in Ansible.
    pub(super) fn add_included_handlers(&self, play: &Play, handlers: Vec<Node>) {
        let Ok(mut list) = self.included_handlers.lock() else {
            return;
        };
        let static_locs: Vec<String> = flat(&play.handlers).iter().map(|t| t.loc.to_string()).collect();
        let list = Arc::make_mut(&mut list);
        for node in handlers {
            let locs: Vec<String> = flat(std::slice::from_ref(&node))
                .iter()
                .map(|t| t.loc.to_string())
                .collect();
            if locs.iter().any(|l| static_locs.contains(l)) {
                continue;
            }
            let earlier = list.iter().position(|n| {
                flat(std::slice::from_ref(n))
                    .iter()
                    .any(|t| locs.contains(&t.loc.to_string()))
            });
            match earlier {
                Some(i) => list[i] = node,
                None => list.push(node),
            }
        }
    }
}

/// Every handler task of `nodes`, blocks flattened, in order.
fn flat(nodes: &[Node]) -> Vec<&Task> {
    let mut out = Vec::new();
    tasks_in(nodes, &mut out);
    out
}

/// The play's handlers as one list: its own, then `included` (see [`Runner::included_handlers`]).
pub(super) fn handler_tasks<'p>(play: &'p Play, included: &'p [Node]) -> Vec<&'p Task> {
    let mut out = flat(&play.handlers);
    out.extend(flat(included));
    out
}

/// The handlers a notification of `name` runs: the last handler loaded with that name (see
/// below) and every handler listening to it.
pub(super) fn handler_indices(play: &Play, included: &[Node], name: &str) -> Vec<usize> {
    let handlers = handler_tasks(play, included);
    let named: Vec<usize> = handlers
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.name.as_deref() == Some(name)
                || h.role
                    .as_ref()
                    .zip(h.name.as_ref())
                    .is_some_and(|(r, n)| format!("{} : {n}", r.name) == name)
        })
        .map(|(i, _)| i)
        .collect();
    // The last one loaded answers, as in Ansible: the play's own over its roles' (they come
    // after them), a role's last application, a role included while the play runs.
    let mut out: Vec<usize> = named.last().copied().into_iter().collect();
    for (index, handler) in handlers.iter().enumerate() {
        if handler.listen.iter().any(|l| l == name) && !out.contains(&index) {
            out.push(index);
        }
    }
    out
}
