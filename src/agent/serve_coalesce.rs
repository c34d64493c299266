//! Coalescing triggers: a trigger while no pass runs starts one; any number of triggers during
//! a pass lead to exactly one more pass after it.

use std::sync::{Arc, Condvar, Mutex};

/// What a trigger did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queued {
    /// A pass starts now.
    Started,
    /// A pass runs; one more follows it.
    Queued,
    /// A pass runs and one more is queued already; this trigger adds nothing.
    Coalesced,
}

impl Queued {
    pub fn as_str(self) -> &'static str {
        match self {
            Queued::Started => "started",
            Queued::Queued => "queued",
            Queued::Coalesced => "coalesced",
        }
    }
}

#[derive(Default)]
struct State {
    running: bool,
    pending: bool,
}

/// Runs `job` on its own thread, one at a time, coalescing triggers.
pub struct Coalescer {
    state: Mutex<State>,
    idle: Condvar,
    job: Box<dyn Fn() + Send + Sync>,
}

impl Coalescer {
    pub fn new(job: impl Fn() + Send + Sync + 'static) -> Arc<Coalescer> {
        Arc::new(Coalescer {
            state: Mutex::new(State::default()),
            idle: Condvar::new(),
            job: Box::new(job),
        })
    }

    /// Asks for a pass.
    pub fn trigger(self: &Arc<Self>) -> Queued {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.running {
            if state.pending {
                return Queued::Coalesced;
            }
            state.pending = true;
            return Queued::Queued;
        }
        state.running = true;
        drop(state);
        let me = Arc::clone(self);
        std::thread::spawn(move || me.work());
        Queued::Started
    }

    fn work(&self) {
        loop {
            (self.job)();
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.pending {
                state.pending = false;
            } else {
                state.running = false;
                self.idle.notify_all();
                return;
            }
        }
    }

    /// Waits until no pass runs or is queued.
    pub fn wait_idle(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while state.running {
            state = self.idle.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn triggers_during_a_pass_make_exactly_one_more() {
        let runs = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&runs);
        let c = Coalescer::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(200));
        });
        assert_eq!(c.trigger(), Queued::Started);
        assert_eq!(c.trigger(), Queued::Queued);
        assert_eq!(c.trigger(), Queued::Coalesced);
        assert_eq!(c.trigger(), Queued::Coalesced);
        c.wait_idle();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(c.trigger(), Queued::Started);
        c.wait_idle();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }
}
