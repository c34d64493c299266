//! Walking every task of a playbook, with the play it belongs to.

use crate::repo::playbook::{Play, Playbook};
use crate::repo::task::{Node, Task};

/// Every task of `nodes`, depth first, in file order.
pub fn tasks_in<'a>(nodes: &'a [Node], out: &mut Vec<&'a Task>) {
    for node in nodes {
        match node {
            Node::Task(t) => out.push(t),
            Node::Block(b) => {
                tasks_in(&b.block, out);
                tasks_in(&b.rescue, out);
                tasks_in(&b.always, out);
            }
        }
    }
}

/// Every task of a play (sections, then handlers).
pub fn play_tasks(play: &Play) -> Vec<&Task> {
    let mut out = Vec::new();
    for section in &play.sections {
        tasks_in(section, &mut out);
    }
    tasks_in(&play.handlers, &mut out);
    out
}

/// Every task of every play.
pub fn all_tasks(playbook: &Playbook) -> Vec<(&Play, &Task)> {
    playbook
        .plays
        .iter()
        .flat_map(|p| play_tasks(p).into_iter().map(move |t| (p, t)))
        .collect()
}
