//! Running a play: host selection, then its sections under the play's strategy. The parts
//! follow ansible-core's play iterator and strategies: [`setup`] (vars_files and facts before
//! the first task), [`nodes`] (the linear and free strategies over tasks and blocks with
//! rescue and always), [`meta`], [`includes`] (dynamic includes, run per host and item) and
//! [`handlers`] (flushing, owed and unrun handlers), and [`batch`] (`serial` batches,
//! `max_fail_percentage`).

mod batch;
mod handlers;
mod includes;
mod meta;
mod nodes;
mod setup;

use std::pin::Pin;

use futures::future::join_all;

pub(in crate::exec) use batch::{Batch, Stop};

use super::Runner;
use super::host::HostState;
use crate::output::Event;
use crate::repo::playbook::{HostOrder, Play, Strategy};

type Hosts<'h, 'x> = &'x mut [&'h mut HostState];
type Boxed<'f> = Pin<Box<dyn std::future::Future<Output = ()> + 'f>>;

impl Runner<'_> {
    /// Runs one play on the hosts its pattern (and `--limit`) select, in the batches its
    /// `serial` asks for; says why it stopped early, if it did.
    pub(in crate::exec) async fn run_play(&self, play: &Play, all: &mut Vec<HostState>) -> Option<Stop> {
        self.reset_included_handlers();
        let names = match self.select_hosts(&play.hosts) {
            Ok(n) => ordered(n, play.order),
            Err(message) => {
                self.events.send(Event::Warning {
                    message: format!("{}: {message}", play.loc),
                });
                Vec::new()
            }
        };
        if names.is_empty() {
            self.events.send(Event::PlayStart {
                name: play.name.clone(),
                hosts: names,
            });
            self.events.send(Event::Warning {
                message: "no hosts matched, skipping this play".to_string(),
            });
            return None;
        }
        // Hosts that failed or were unreachable in an earlier play take no part.
        let gone = |n: &String| all.iter().any(|h| &h.name == n && (h.failed || h.unreachable));
        let live: Vec<String> = names.iter().filter(|n| !gone(n)).cloned().collect();
        if live.is_empty() {
            self.events.send(Event::PlayStart {
                name: play.name.clone(),
                hosts: names,
            });
            return None;
        }
        let mut dropped = std::collections::HashSet::new();
        for batch in play.serial.batches(live.clone()) {
            self.start_batch(&batch, &live, dropped.clone());
            self.run_batch(play, all, &batch).await;
            for n in &batch {
                if all.iter().any(|h| &h.name == n && (h.failed || h.unreachable)) {
                    dropped.insert(n.clone());
                }
            }
            let whole_batch_failed = batch
                .iter()
                .all(|n| all.iter().any(|h| &h.name == n && (h.failed || h.unreachable)));
            match self.batch_stop() {
                Some(stop) => return Some(stop),
                None if whole_batch_failed => return Some(Stop::Playbook),
                None => {}
            }
        }
        None
    }

    /// Runs the play on one batch of its hosts: facts, sections, handlers flushed after each.
    async fn run_batch(&self, play: &Play, all: &mut Vec<HostState>, names: &[String]) {
        self.events.send(Event::PlayStart {
            name: play.name.clone(),
            hosts: names.to_vec(),
        });
        for name in names {
            if !all.iter().any(|h| &h.name == name) {
                let vars = self.inventory().0.host_vars(name);
                let mut host = HostState::new(name.clone(), vars);
                self.take_handed_facts(&mut host);
                self.hostvars.set(name, self.hostvars_entry(&host));
                all.push(host);
            }
        }
        let mut hosts: Vec<&mut HostState> = all
            .iter_mut()
            .filter(|h| names.contains(&h.name) && !h.failed && !h.unreachable)
            .collect();
        hosts.sort_by_key(|h| names.iter().position(|n| n == &h.name));
        for h in hosts.iter_mut() {
            h.ended = false;
            h.notified.clear();
            self.notify_owed(play, h);
        }
        let play_hosts: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        self.load_vars_files(play, &mut hosts, &play_hosts);
        if play.gather_facts.unwrap_or(self.opts.gather_by_default) {
            self.gather_facts(play, &mut hosts).await;
        }
        match play.strategy {
            Strategy::Linear => {
                for section in &play.sections {
                    self.run_nodes(play, section, &mut hosts, &play_hosts).await;
                    if self.batch_stop().is_none() {
                        self.flush_handlers(play, &mut hosts, &play_hosts).await;
                    }
                }
            }
            Strategy::Free => {
                let play_hosts = &play_hosts;
                join_all(hosts.iter_mut().map(|h| async move {
                    let mut one = [&mut **h];
                    for section in &play.sections {
                        self.run_nodes(play, section, &mut one, play_hosts).await;
                        self.flush_handlers(play, &mut one, play_hosts).await;
                    }
                }))
                .await;
            }
        }
        self.report_unrun_handlers(play, &hosts);
    }

    pub(in crate::exec) fn select_hosts(&self, pattern: &str) -> Result<Vec<String>, String> {
        self.inventory()
            .0
            .select_limited(pattern, self.opts.limit.as_deref(), &self.playbook.dir)
            .map_err(|e| e.to_string())
    }
}

/// The play's hosts in the order its `order` keyword asks for (`names` are in inventory order).
fn ordered(mut names: Vec<String>, order: HostOrder) -> Vec<String> {
    match order {
        HostOrder::Inventory => {}
        HostOrder::ReverseInventory => names.reverse(),
        HostOrder::Sorted => names.sort(),
        HostOrder::ReverseSorted => {
            names.sort();
            names.reverse();
        }
        HostOrder::Shuffle => rand::seq::SliceRandom::shuffle(names.as_mut_slice(), &mut rand::rng()),
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_hosts_as_the_play_asks() {
        let names = || ["web2", "db1", "web10"].map(String::from).to_vec();
        assert_eq!(ordered(names(), HostOrder::Inventory), names());
        assert_eq!(
            ordered(names(), HostOrder::ReverseInventory),
            ["web10", "db1", "web2"]
        );
        // Python's string sort, as Ansible's: web10 before web2.
        assert_eq!(ordered(names(), HostOrder::Sorted), ["db1", "web10", "web2"]);
        assert_eq!(
            ordered(names(), HostOrder::ReverseSorted),
            ["web2", "web10", "db1"]
        );
        let mut shuffled = ordered(names(), HostOrder::Shuffle);
        shuffled.sort();
        assert_eq!(shuffled, ordered(names(), HostOrder::Sorted));
    }
}
