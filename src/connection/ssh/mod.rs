//! The SSH connection: one authentication per host per run, and one long-lived remote `sh`.
//!
//! [`SshConnection::connect`] starts the system `ssh` as a control master (so `~/.ssh/config`,
//! `-F`, ProxyJump, agents and keys behave as users expect): it authenticates once and forks into
//! the background, serving sessions through a control socket in a private temp dir. The `openssh`
//! crate then opens exactly one session over it, running `sh` behind a small guard (see
//! [`REMOTE_SHELL`]), and [`ShellSession`] drives that shell for every command of the run.
//! Closing (or dropping) the connection stops the remote shell, everything it started, and the
//! master.

mod args;
pub mod askpass;
mod failure;
mod session_dir;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use openssh::{Session, Stdio};

use super::shell::ShellSession;
use super::{Command, Connection, ConnectionError, LiveLines, Output, RemoteShell, Target};

/// The remote command of the one session. `sh` reads the protocol from `cat`; when the session's
/// input ends (the controller closed it, or the connection dropped) the guard stops every process
/// of the session's process group, so nothing started by the run outlives it. sshd runs it through
/// the user's login shell, so it is written to parse in any shell as `exec sh -c '...'`.
pub const REMOTE_SHELL: &str =
    "exec sh -c '{ cat; exec >/dev/null 2>&1; trap \"\" TERM; kill -TERM 0; sleep 1; kill -KILL 0; } | sh'";

/// The least time the remote shell gets to answer after login (start-up files run first).
const MIN_SHELL_START: Duration = Duration::from_secs(5);

/// An SSH connection to one host; see the module docs.
pub struct SshConnection {
    // Field order is drop order: the shell's pipes close first, then the remote child's local ssh
    // process is killed, then the master is told to exit.
    shell: Option<ShellSession>,
    child: Option<openssh::Child<Arc<Session>>>,
    master: Option<Arc<Session>>,
    /// The master's log (in the session dir the master owns), read when the connection is lost.
    log: PathBuf,
    /// The inventory name and `user@address port N`, for messages.
    name: String,
    whom: String,
    /// Where it connected, for [`Connection::reopen`].
    target: Target,
}

impl SshConnection {
    /// Connects to `target`, authenticates once and starts the remote shell.
    ///
    /// Fails with [`ConnectionError::Unreachable`] and a message naming the host and what to do:
    /// unknown or changed host key, refused authentication, timeout, no shell.
    pub async fn connect(target: &Target) -> Result<Self, ConnectionError> {
        let master = Arc::new(launch_master(target).await?);
        let log = master.control_socket().with_file_name("log");
        let mut child = Session::arc_raw_command(master.clone(), REMOTE_SHELL)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
            .map_err(|e| {
                unreachable(
                    target,
                    format!(
                        "cannot start the remote shell: {}",
                        crate::error_chain::render(&e)
                    ),
                )
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin().take(), child.stdout().take(), child.stderr().take())
        else {
            return Err(unreachable(
                target,
                "the remote shell started without its pipes".into(),
            ));
        };
        let shell = start_shell(target, stdin, stdout, stderr).await?;
        Ok(SshConnection {
            shell: Some(shell),
            child: Some(child),
            master: Some(master),
            log,
            name: target.name.clone(),
            whom: failure::destination(target),
            target: target.clone(),
        })
    }

    /// Rewords a broken session as a lost connection when the master is gone, with ssh's reason.
    async fn explain_loss(&mut self, err: ConnectionError) -> ConnectionError {
        let ConnectionError::Unreachable { message } = err else {
            return err;
        };
        let master_alive = match &self.master {
            Some(master) => Arc::clone(master).check().await.is_ok(),
            None => false,
        };
        if master_alive {
            return ConnectionError::Unreachable { message };
        }
        let said = failure::ssh_said(&std::fs::read_to_string(&self.log).unwrap_or_default());
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        ConnectionError::Unreachable {
            message: format!("{}: lost the ssh connection to {}{said}", self.name, self.whom),
        }
    }

    /// The shell session, for callers that need more than [`Connection`].
    pub fn session(&self) -> Option<&ShellSession> {
        self.shell.as_ref()
    }
}

#[async_trait]
impl Connection for SshConnection {
    async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError> {
        let result = match &mut self.shell {
            Some(shell) => shell.run(cmd, live).await,
            None => {
                return Err(ConnectionError::Unreachable {
                    message: format!("{}: the ssh connection was closed", self.name),
                });
            }
        };
        match result {
            Err(e @ ConnectionError::Unreachable { .. }) => Err(self.explain_loss(e).await),
            other => other,
        }
    }

    async fn close(&mut self) {
        if let Some(mut shell) = self.shell.take() {
            shell.close().await;
        }
        drop(self.child.take());
        if let Some(master) = self.master.take() {
            match Arc::try_unwrap(master) {
                // Errors here say the master is gone already, which is what closing wants.
                Ok(master) => drop(master.close().await),
                Err(shared) => drop(shared),
            }
        }
    }

    async fn reopen(&mut self, connect_timeout: Option<Duration>) -> Result<(), ConnectionError> {
        self.close().await;
        if let Some(timeout) = connect_timeout {
            self.target.connect_timeout = timeout;
        }
        *self = SshConnection::connect(&self.target).await?;
        Ok(())
    }

    fn remote_shell(&self) -> RemoteShell {
        match &self.master {
            Some(master) => RemoteShell::Ssh {
                control: master.control_socket().to_path_buf(),
                address: self.target.address.clone(),
                user: self.target.user.clone(),
                port: self.target.port,
            },
            None => RemoteShell::Unsupported,
        }
    }
}

/// Hands the remote shell's pipes to [`ShellSession`]. The login shell runs the user's start-up
/// files first; one that waits for input must not hang the run.
async fn start_shell(
    target: &Target,
    stdin: openssh::ChildStdin,
    stdout: openssh::ChildStdout,
    stderr: openssh::ChildStderr,
) -> Result<ShellSession, ConnectionError> {
    let deadline = (args::connect_timeout(target) * 3).max(MIN_SHELL_START);
    match tokio::time::timeout(deadline, ShellSession::start(&target.name, stdin, stdout, stderr)).await {
        Ok(started) => started,
        Err(_) => Err(unreachable(
            target,
            format!(
                "logged in, but the shell did not answer within {deadline:?}: check the login shell's \
                 start-up files (~/.bashrc, ~/.profile) for commands that wait"
            ),
        )),
    }
}

/// Starts the master connection and waits until it authenticated and went to the background.
async fn launch_master(target: &Target) -> Result<Session, ConnectionError> {
    let dir = session_dir::create().map_err(|e| {
        unreachable(
            target,
            format!("cannot create a temp dir for the ssh control socket: {e}"),
        )
    })?;
    // The names the openssh crate expects in its session dir.
    let control = dir.path().join("master");
    let log = dir.path().join("log");
    let stderr_path = dir.path().join("stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .map_err(|e| unreachable(target, format!("cannot create {}: {e}", stderr_path.display())))?;
    let master_args = args::master_args(target, &control, &log);
    tracing::debug!(host = %target.name, "ssh {}", shown(&master_args));
    let mut ssh = tokio::process::Command::new("ssh");
    // Lives while the master logs in; dropped (socket removed) before this function returns.
    let askpass = match &target.password {
        Some(password) => {
            let server = askpass::AskpassServer::start(dir.path(), password.clone())
                .map_err(|e| unreachable(target, format!("cannot serve the ssh password to ssh: {e}")))?;
            let program = std::env::current_exe().map_err(|e| {
                unreachable(
                    target,
                    format!("cannot find the playhook binary to answer ssh's password prompt: {e}"),
                )
            })?;
            ssh.envs(server.env(&program));
            Some(server)
        }
        None => None,
    };
    ssh.args(&master_args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true);
    // ssh's ConnectTimeout covers each connect and banner; this bounds the whole login (jump
    // hosts, a server that stalls after the banner).
    let deadline = args::connect_timeout(target) * 2 + Duration::from_secs(5);
    let status = match tokio::time::timeout(deadline, ssh.status()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => {
            return Err(unreachable(
                target,
                format!("cannot run `ssh` on this machine: {e}; install the OpenSSH client"),
            ));
        }
        Err(_) => {
            return Err(unreachable(
                target,
                format!(
                    "no ssh login within {deadline:?}; check the host and any jump host, or raise --timeout"
                ),
            ));
        }
    };
    drop(askpass);
    if status.success() {
        return Ok(Session::new_process_mux(dir));
    }
    let mut text = std::fs::read_to_string(&log).unwrap_or_default();
    text.push_str(&std::fs::read_to_string(&stderr_path).unwrap_or_default());
    Err(ConnectionError::Unreachable {
        message: explain(target, &text).await,
    })
}

/// Words a failed login: host key problems get the key, the file and the way out.
async fn explain(target: &Target, text: &str) -> String {
    let Some(mut problem) = failure::host_key_problem(text) else {
        return failure::connect_message(target, text);
    };
    let connection = args::connection_args(target);
    if problem.fingerprint.is_none() {
        // ssh does not print the offered key when it is unknown: ask again, verbosely; the
        // connection stops at the host key check, before any authentication.
        let mut probe = tokio::process::Command::new("ssh");
        probe
            .arg("-v")
            .args(["-o", "StrictHostKeyChecking=yes"])
            .args(&connection)
            .arg("true")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let deadline = args::connect_timeout(target) * 2;
        if let Ok(Ok(out)) = tokio::time::timeout(deadline, probe.output()).await {
            if let Some((kind, fp)) = failure::server_host_key(&String::from_utf8_lossy(&out.stderr)) {
                problem.fingerprint = Some(fp);
                problem.key_type.get_or_insert(kind);
            }
        }
    }
    let mut config = tokio::process::Command::new("ssh");
    config
        .arg("-G")
        .args(&connection)
        .stdin(std::process::Stdio::null());
    let files = match config.output().await {
        Ok(out) => failure::known_hosts_files(&String::from_utf8_lossy(&out.stdout)),
        Err(_) => Vec::new(),
    };
    failure::host_key_message(target, &problem, &files)
}

fn unreachable(target: &Target, reason: String) -> ConnectionError {
    ConnectionError::Unreachable {
        message: format!("{}: {reason}", target.name),
    }
}

/// A command line for a debug log.
fn shown(args: &[std::ffi::OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
