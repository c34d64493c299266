//! The integration tests: one binary, one module per area.

mod facts;
mod modules_command;
mod modules_files;
mod shell_protocol;
mod support;
