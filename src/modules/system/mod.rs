//! Modules about the host as a whole: `setup` (facts as a task), `reboot` and
//! `wait_for_connection`, which close and reopen the host's connection while it goes away and
//! comes back (`ModuleCtx::reconnect`; `retry.rs` is their shared wait loop), and room for users,
//! groups, cron, hostname, sysctl and friends.

pub mod reboot;
pub mod retry;
pub mod setup;
pub mod wait_for_connection;
