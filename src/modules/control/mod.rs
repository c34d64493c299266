//! Modules about the run itself rather than the host's state: `debug`, `set_fact`,
//! `include_vars`, `assert` and `fail` run on the controller; `ping` only checks that the host
//! answers.

pub mod assert;
pub mod debug;
pub mod fail;
pub mod include_vars;
pub mod ping;
pub mod set_fact;
