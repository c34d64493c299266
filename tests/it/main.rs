//! The integration tests: one binary, one module per area.

mod deploy;
mod deploy_errors;
mod example;
mod facts;
mod inventory;
mod modules_command;
mod modules_files;
mod shell_protocol;
mod ssh;
mod support;
