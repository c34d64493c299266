//! Modules that run programs on the host: `command`, `shell`, `raw`, `script`, and the word
//! and line handling they share with Python's behaviour.

pub mod command;
pub(crate) mod low_level;
pub mod raw;
pub mod script;
pub mod shell;
pub(crate) mod words;
