//! The integration tests: one binary, one module per area.

mod hook;
mod modules_files;
mod shell_protocol;
mod support;
