//! System modules: `reboot` and `wait_for_connection`, which close and reopen the host's
//! connection while it goes away and comes back (`ModuleCtx::reconnect`); `retry.rs` is their
//! shared wait loop.

pub mod reboot;
pub mod retry;
pub mod wait_for_connection;
