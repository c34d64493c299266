//! The integration tests: one binary, one module per area.

mod example;
mod hook;
mod modules_files;
mod shell_protocol;
mod ssh;
mod support;
