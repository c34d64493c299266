//! The integration tests: one binary, one module per area.

mod modules_files;
mod shell_protocol;
mod support;
