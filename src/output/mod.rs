//! Everything the run reports: events from the engine, and the one printer that owns the terminal.

pub mod diff;
pub mod event;

pub use event::{Counts, Event, HostStatus};
