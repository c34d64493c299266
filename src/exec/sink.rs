//! Where the executor sends its events.

use tokio::sync::mpsc::UnboundedSender;

use crate::output::Event;

/// A cheap, clonable handle to the printer's queue.
#[derive(Clone, Debug)]
pub struct EventSink(UnboundedSender<Event>);

impl EventSink {
    pub fn new(tx: UnboundedSender<Event>) -> Self {
        EventSink(tx)
    }

    /// Queues an event; a printer that has gone away is not the run's problem.
    pub fn send(&self, event: Event) {
        let _ = self.0.send(event);
    }
}
