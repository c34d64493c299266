//! The remote-shell protocol: one long-lived POSIX `sh` per host runs every command of the run.
//!
//! [`ShellSession`] drives any child's standard input, output and error (the local connection
//! spawns `sh`; the SSH connection spawns `sh` at the far end of one ssh session). Each command
//! is sent as a small script (see [`script`]) and costs one round trip; its output streams end
//! with per-command random markers, so stdout, stderr and the exit status stay apart and any
//! bytes pass through unchanged. The full protocol is described in
//! `ARCHITECTURE.md`, section "Targets, become and file modules" › "The remote-shell protocol".

mod reader;
pub(crate) mod script;

use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use self::reader::{Ending, StreamReader};
use super::r#become::{escalation, failure_message};
use super::{Command, Connection, ConnectionError, LiveLines, Output};

/// How long past a command's own timeout the controller waits before it gives the session up.
const TIMEOUT_GRACE: Duration = Duration::from_secs(15);

/// Exit statuses of coreutils `timeout` when it stopped the command (TERM, then KILL).
const TIMEOUT_STATUSES: [i32; 2] = [124, 137];

/// A running `sh` and the protocol spoken with it.
pub struct ShellSession {
    host: String,
    stdin: Box<dyn AsyncWrite + Send + Unpin>,
    stdout: StreamReader,
    stderr: StreamReader,
    user: String,
    broken: Option<String>,
}

impl ShellSession {
    /// Takes over a freshly started `sh` through its three pipes and checks that it answers.
    ///
    /// `host` names the host in messages. Anything the far side printed before the shell
    /// started (a login banner, a noisy start-up file) is discarded here. Fails with
    /// [`ConnectionError::Unreachable`] if the shell does not answer.
    pub async fn start(
        host: impl Into<String>,
        stdin: impl AsyncWrite + Send + Unpin + 'static,
        stdout: impl AsyncRead + Send + Unpin + 'static,
        stderr: impl AsyncRead + Send + Unpin + 'static,
    ) -> Result<Self, ConnectionError> {
        let mut session = ShellSession {
            host: host.into(),
            stdin: Box::new(stdin),
            stdout: StreamReader::new(Box::new(stdout)),
            stderr: StreamReader::new(Box::new(stderr)),
            user: String::new(),
            broken: None,
        };
        let out = session.exchange(&Command::new("id -un"), None, None).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let user = text.lines().last().unwrap_or("").trim().to_string();
        if out.rc != 0 || user.is_empty() {
            return Err(ConnectionError::Unreachable {
                message: format!(
                    "{}: the shell started but `id -un` failed (exit {}): {}",
                    session.host,
                    out.rc,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        session.user = user;
        Ok(session)
    }

    /// The user the shell runs as (`id -un` at start).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The host name given at start, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs one command; see [`Connection::run`].
    pub async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        let esc = cmd.privilege.as_ref().and_then(|b| escalation(b, &self.user));
        let out = match cmd.timeout {
            Some(t) => {
                match tokio::time::timeout(t + TIMEOUT_GRACE, self.exchange(cmd, esc.as_ref(), live)).await {
                    Ok(out) => out?,
                    Err(_) => {
                        self.broken = Some(format!(
                            "a command did not stop within {t:?} and the shell stopped answering"
                        ));
                        return Err(ConnectionError::Timeout(t));
                    }
                }
            }
            None => self.exchange(cmd, esc.as_ref(), live).await?,
        };
        if let Some(t) = cmd.timeout {
            if TIMEOUT_STATUSES.contains(&out.rc) {
                return Err(ConnectionError::Timeout(t));
            }
        }
        let mut out = out;
        if esc.as_ref().is_some_and(|e| e.stdin_password.is_some()) {
            // su prompts on stderr before reading the password line it was given.
            if let Some(rest) = out.stderr.strip_prefix(b"Password: ".as_slice()) {
                out.stderr = rest.to_vec();
            }
        }
        if let (Some(_), Some(b)) = (&esc, &cmd.privilege) {
            if out.rc != 0 {
                if let Some(msg) = failure_message(b.method, &String::from_utf8_lossy(&out.stderr)) {
                    return Err(ConnectionError::Become(format!(
                        "{}: cannot become `{}`: {msg}",
                        self.host, b.user
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Sends one command and collects its output and status.
    async fn exchange(
        &mut self,
        cmd: &Command,
        esc: Option<&super::r#become::Escalation>,
        live: Option<&LiveLines>,
    ) -> Result<Output, ConnectionError> {
        if let Some(reason) = &self.broken {
            return Err(self.unreachable(reason));
        }
        let nonce = format!("__ph_{:032x}", rand::random::<u128>());
        let text = script::build(cmd, &nonce, esc);
        let stdin = &mut self.stdin;
        let write = async move {
            stdin.write_all(text.as_bytes()).await?;
            stdin.flush().await
        };
        let (written, out, err) = tokio::join!(
            write,
            self.stdout.read_to_marker(&nonce, live),
            self.stderr.read_to_marker(&nonce, live)
        );
        let (out, err) = match (out, err) {
            (Ok(Ending::Marker { output, tail }), Ok(Ending::Marker { output: stderr, .. })) => {
                (output, (tail, stderr))
            }
            (out, err) => {
                let said = match err {
                    Ok(Ending::Closed(bytes)) | Ok(Ending::Marker { output: bytes, .. }) => {
                        String::from_utf8_lossy(&bytes).trim().to_string()
                    }
                    Err(e) => e.to_string(),
                };
                let reason = match (out, written) {
                    (Err(e), _) => format!("reading from the shell failed: {e}"),
                    (_, Err(e)) => format!("the shell stopped reading commands: {e}"),
                    _ => "the shell exited".to_string(),
                };
                let reason = if said.is_empty() {
                    reason
                } else {
                    format!("{reason}: {said}")
                };
                self.broken = Some(reason.clone());
                return Err(self.unreachable(&reason));
            }
        };
        let (tail, stderr) = err;
        let rc = std::str::from_utf8(&tail)
            .ok()
            .and_then(|t| t.strip_prefix(':'))
            .and_then(|t| t.trim().parse::<i32>().ok());
        let Some(rc) = rc else {
            let reason = format!(
                "the shell sent a malformed end marker: {:?}",
                String::from_utf8_lossy(&tail)
            );
            self.broken = Some(reason.clone());
            return Err(self.unreachable(&reason));
        };
        Ok(Output {
            rc,
            stdout: out,
            stderr,
        })
    }

    fn unreachable(&self, reason: &str) -> ConnectionError {
        ConnectionError::Unreachable {
            message: format!("{}: {reason}", self.host),
        }
    }

    /// Asks the shell to exit and closes its input; later commands fail as unreachable.
    pub async fn close(&mut self) {
        if self.broken.is_none() {
            let _ = self.stdin.write_all(b"exit 0\n").await;
            let _ = self.stdin.flush().await;
        }
        let _ = self.stdin.shutdown().await;
        self.broken = Some("the session was closed".to_string());
    }
}

#[async_trait]
impl Connection for ShellSession {
    async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        ShellSession::run(self, cmd, live).await
    }

    async fn close(&mut self) {
        ShellSession::close(self).await
    }
}
