//! The local connection: the same shell protocol as over SSH, with `sh` started on this machine.

use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::process::Child;

use super::shell::ShellSession;
use super::{Command, Connection, ConnectionError, LiveLines, Output};

/// A `sh` child process of playhook, driven by a [`ShellSession`].
pub struct LocalConnection {
    session: ShellSession,
    child: Child,
    /// The host name given to [`LocalConnection::start`], for [`Connection::reopen`].
    host: String,
}

impl LocalConnection {
    /// Starts `sh` for the host named `host` (used in messages).
    pub async fn start(host: &str) -> Result<Self, ConnectionError> {
        let mut child = tokio::process::Command::new("sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ConnectionError::Unreachable {
                message: format!("{host}: cannot start `sh` on this machine: {e}"),
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ConnectionError::Unreachable {
                message: format!("{host}: `sh` started without its pipes"),
            });
        };
        let session = ShellSession::start(host, stdin, stdout, stderr).await?;
        Ok(LocalConnection {
            session,
            child,
            host: host.to_string(),
        })
    }

    /// The shell session, for callers that need more than [`Connection`].
    pub fn session(&self) -> &ShellSession {
        &self.session
    }

    /// The process id of the `sh` child.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

#[async_trait]
impl Connection for LocalConnection {
    async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        self.session.run(cmd, live).await
    }

    async fn close(&mut self) {
        self.session.close().await;
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }

    async fn reopen(&mut self, _connect_timeout: Option<Duration>) -> Result<(), ConnectionError> {
        self.close().await;
        *self = LocalConnection::start(&self.host).await?;
        Ok(())
    }

    fn remote_shell(&self) -> super::RemoteShell {
        super::RemoteShell::Local
    }
}
