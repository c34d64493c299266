//! Helpers shared by the integration tests.

pub mod ansible;
pub mod ansible_tasks;
pub mod apt_repo;
pub mod become_users;
pub mod docker;
pub mod docker_hosts;
pub mod fleet;
pub mod git;
pub mod git_daemon;
pub mod http_server;
pub mod load_balancer;
pub mod local;
pub mod machines;
pub mod modules;
pub mod oracle;
pub mod repo;
pub mod rpm_repo;
pub mod ssh_client;
pub mod syslog_sink;
pub mod tree;
