//! Modules that run programs on the host: `command`, `shell`, and the word and line handling
//! they share with Python's behaviour.

pub mod command;
pub mod shell;
pub(crate) mod words;
