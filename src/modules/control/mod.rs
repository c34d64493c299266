//! Modules about the run itself rather than the host's state: `debug`, `set_fact`,
//! `include_vars`, `assert`, `fail`, `add_host`, `group_by` and `pause` run on the controller;
//! `ping` only checks that the host answers; `async_status` reads a background job's status.

pub mod add_host;
pub mod assert;
pub mod async_status;
pub mod debug;
pub mod fail;
pub mod group_by;
pub mod include_vars;
pub mod pause;
pub mod ping;
pub mod set_fact;
