//! Everything the run reports: events from the engine, and the one printer that owns the terminal.

pub mod diff;
pub mod event;
pub mod printer;
pub mod recap;

pub use event::{Counts, Event, HostStatus};
pub use printer::{Mask, Printer, Style};
