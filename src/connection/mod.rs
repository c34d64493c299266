//! Connections to hosts: one per host per run, running every task through one long-lived `sh`.
//!
//! Modules never talk to a transport directly: they build POSIX shell scripts and run them with
//! [`Connection::run`]. A local connection and an SSH connection differ only in how that `sh` is
//! started, so every module works unchanged over both.

pub mod r#become;
pub mod files;
pub mod local;
pub mod none;
pub mod quote;
pub mod shell;
pub mod ssh;

use std::time::Duration;

use async_trait::async_trait;

use crate::secrets::SecretString;

/// How to reach a host, from its inventory variables and the command line.
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// The inventory name, used in messages.
    pub name: String,
    /// `ansible_connection`: `local` or `ssh`.
    pub kind: ConnectionKind,
    /// `ansible_host`, else the inventory name.
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub private_key_file: Option<String>,
    /// `ansible_password` (`ansible_ssh_pass`, `ansible_ssh_password`): log in with it through
    /// ssh's askpass mechanism (see `ssh::askpass`), never on a command line.
    pub password: Option<SecretString>,
    /// Extra ssh options: `ansible.cfg` `ssh_args` and `ansible_ssh_common_args`, split like a shell.
    pub ssh_args: Vec<String>,
    /// Accept and record unknown host keys instead of failing.
    pub accept_new_host_keys: bool,
    /// `host_key_checking = False`: do not verify host keys at all.
    pub skip_host_key_checking: bool,
    pub connect_timeout: Duration,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConnectionKind {
    #[default]
    Ssh,
    Local,
}

/// Privilege escalation for one command.
#[derive(Clone, Debug)]
pub struct Become {
    pub user: String,
    pub method: BecomeMethod,
    pub password: Option<SecretString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BecomeMethod {
    Sudo,
    Su,
}

/// One command to run on the host: a POSIX `sh` script and what it needs around it.
#[derive(Clone, Debug, Default)]
pub struct Command {
    pub script: String,
    /// Bytes the script reads on its standard input; none means `/dev/null`.
    pub stdin: Option<Vec<u8>>,
    /// The script reads `stdin` as base64 text and decodes it itself, so the decoder's exit
    /// status tells it whether all of the data arrived (see `shell::script`).
    pub stdin_base64: bool,
    pub env: Vec<(String, String)>,
    pub chdir: Option<String>,
    pub privilege: Option<Become>,
    /// Kill the command after this long.
    pub timeout: Option<Duration>,
}

impl Command {
    pub fn new(script: impl Into<String>) -> Self {
        Command {
            script: script.into(),
            ..Command::default()
        }
    }
}

/// How the commands of one task reach the host: its `become`, its `environment` and its
/// timeout, applied to every command a module runs for the task.
#[derive(Clone, Debug, Default)]
pub struct Via {
    pub privilege: Option<Become>,
    pub env: Vec<(String, String)>,
    /// `--task-timeout`: each command is stopped on the host after this long.
    pub timeout: Option<Duration>,
}

impl Via {
    /// Commands with no `become`, environment or timeout.
    pub fn plain() -> Self {
        Via::default()
    }

    /// Commands run as `privilege` says, and nothing else.
    pub fn privileged(privilege: Option<Become>) -> Self {
        Via {
            privilege,
            ..Via::default()
        }
    }

    /// A command running `script` with the task's become, environment and timeout.
    pub fn command(&self, script: impl Into<String>) -> Command {
        Command {
            script: script.into(),
            env: self.env.clone(),
            privilege: self.privilege.clone(),
            timeout: self.timeout,
            ..Command::default()
        }
    }
}

/// What a finished command left: exit status and both output streams, kept apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Lines of a running command, sent as they arrive (for live output).
pub type LiveLines = tokio::sync::mpsc::UnboundedSender<String>;

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The host cannot be reached or the session broke; the host is then unreachable for the run.
    #[error("{message}")]
    Unreachable { message: String },
    /// The command ran longer than its timeout and was stopped.
    #[error("command timed out after {0:?}")]
    Timeout(Duration),
    #[error("become failed: {0}")]
    Become(String),
    /// The host asks for a connection playhook does not have (`ansible_connection: docker`).
    #[error("{0}")]
    Unsupported(String),
}

/// How a program run on the controller (rsync for `synchronize`) reaches the host's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteShell {
    /// The host is this machine: its paths are local paths.
    Local,
    /// Through the connection's own ssh master, already logged in: `ssh -S CONTROL` reaches the
    /// host with every option the connection used (port, user, key, ssh_config, ProxyJump,
    /// password); `address`, `user` and `port` are the connection's, for the program's command
    /// line and messages.
    Ssh {
        control: std::path::PathBuf,
        address: String,
        user: Option<String>,
        port: Option<u16>,
    },
    /// This connection cannot carry another program's session.
    Unsupported,
}

/// A session with one host.
#[async_trait]
pub trait Connection: Send {
    /// Runs one command and waits for it; output lines go to `live` as they arrive.
    async fn run(&mut self, cmd: &Command, live: Option<&LiveLines>) -> Result<Output, ConnectionError>;

    /// Ends the session, stopping anything still running on the host.
    async fn close(&mut self);

    /// Closes the session and opens a new one to the same target, once: what `reboot` and
    /// `wait_for_connection` need while the host goes away and comes back. `connect_timeout`
    /// replaces the target's for this and later logins. Fails as [`Connection::run`] does when
    /// the host does not answer; the connection then stays closed until a later `reopen`
    /// succeeds. Connections that cannot be reopened say so.
    async fn reopen(&mut self, connect_timeout: Option<Duration>) -> Result<(), ConnectionError> {
        let _ = connect_timeout;
        Err(ConnectionError::Unreachable {
            message: "this connection cannot be reopened".into(),
        })
    }

    /// How a controller program reaches the host over this connection; see [`RemoteShell`].
    fn remote_shell(&self) -> RemoteShell {
        RemoteShell::Unsupported
    }
}

/// Opens the connection `target` asks for: a local `sh`, or `sh` over one SSH session.
pub async fn connect(target: &Target) -> Result<Box<dyn Connection>, ConnectionError> {
    match target.kind {
        ConnectionKind::Local => Ok(Box::new(local::LocalConnection::start(&target.name).await?)),
        ConnectionKind::Ssh => Ok(Box::new(ssh::SshConnection::connect(target).await?)),
    }
}
