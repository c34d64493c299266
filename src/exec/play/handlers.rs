//! Handlers in a play: flushing the notified ones, notifying those an earlier deploy owes a
//! host, and reporting those a failed host leaves unrun.

use futures::future::join_all;

use super::super::Runner;
use super::super::handlers::{handler_indices, handler_tasks};
use super::super::host::HostState;
use super::Hosts;
use crate::output::Event;
use crate::repo::playbook::Play;

impl Runner<'_> {
    /// Notifies the handlers an earlier deploy owes `host`, once, in the first play that has them.
    pub(in crate::exec) fn notify_owed(&self, play: &Play, host: &mut HostState) {
        let Ok(mut owed) = self.owed.lock() else { return };
        let Some(names) = owed.get_mut(&host.name) else {
            return;
        };
        let included = self.included_handlers();
        names.retain(|name| {
            let found = handler_indices(play, &included, name);
            host.notified.extend(found.iter().copied());
            found.is_empty()
        });
    }

    /// Reports handlers notified on hosts that stopped before the play flushed them.
    pub(in crate::exec) fn report_unrun_handlers(&self, play: &Play, hosts: &[&mut HostState]) {
        let included = self.included_handlers();
        let handlers = handler_tasks(play, &included);
        for h in hosts
            .iter()
            .filter(|h| (h.failed || h.unreachable) && !h.notified.is_empty())
        {
            let names: Vec<String> = h
                .notified
                .iter()
                .filter_map(|&i| handlers.get(i))
                .map(|t| t.name.clone().unwrap_or_else(|| t.display_name()))
                .collect();
            self.events.send(Event::HandlersPending {
                host: h.name.clone(),
                handlers: names,
            });
        }
    }

    /// Runs notified handlers, in definition order, on the hosts that notified them.
    pub(in crate::exec) async fn flush_handlers(
        &self,
        play: &Play,
        hosts: Hosts<'_, '_>,
        play_hosts: &[String],
    ) {
        let included = self.included_handlers();
        let handlers = handler_tasks(play, &included);
        // force_handlers: a host that failed still runs what it notified (not one unreachable).
        let force = play.force_handlers.unwrap_or(self.opts.force_handlers);
        let runs = |h: &HostState| h.active() || (force && h.failed && !h.unreachable && !h.ended);
        for (index, handler) in handlers.iter().enumerate() {
            let mut notified: Vec<&mut HostState> = hosts
                .iter_mut()
                .filter(|h| runs(h) && h.notified.contains(&index))
                .map(|h| &mut **h)
                .collect();
            if notified.is_empty() {
                continue;
            }
            for h in notified.iter_mut() {
                h.notified.shift_remove(&index);
            }
            self.events.send(Event::TaskStart {
                name: handler.display_name(),
                location: handler.loc.to_string(),
                handler: true,
            });
            join_all(
                notified
                    .iter_mut()
                    .map(|h| self.run_task_on_host(play, handler, h, play_hosts)),
            )
            .await;
        }
    }
}
