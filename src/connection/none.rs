//! The connection of a module that runs on the controller (`debug`, `set_fact`, `assert`, ...):
//! nothing is opened, so such a task works for a host that is down, as in Ansible. A module that
//! declares itself controller-only and still runs a command gets an error naming it.

use async_trait::async_trait;

use super::{Command, Connection, ConnectionError, LiveLines, Output};

/// A connection that refuses every command; see the module docs.
pub struct NoConnection {
    /// The module, for the error.
    pub module: &'static str,
}

#[async_trait]
impl Connection for NoConnection {
    async fn run(&mut self, _cmd: &Command, _live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        Err(ConnectionError::Unreachable {
            message: format!(
                "`{}` runs on the controller and has no connection to the host (a bug in playhook: please report it)",
                self.module
            ),
        })
    }

    async fn close(&mut self) {}
}
