//! The integration tests: one binary, one module per area.

mod cli;
mod deploy;
mod deploy_errors;
mod deploy_features;
mod example;
mod facts;
mod hook;
mod inventory;
mod loops_lookups;
mod machines;
mod modules_command;
mod modules_cron;
mod modules_files;
mod modules_getent;
mod modules_hostname;
mod modules_users;
mod modules_vcs;
mod packages;
mod packages_redhat;
mod secrets;
mod services;
mod shell_protocol;
mod ssh;
mod support;
mod template_includes;
mod template_oracle;
