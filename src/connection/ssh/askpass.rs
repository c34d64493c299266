//! Password login without a prompt and without the password in any argument list or environment.
//!
//! When a host has `ansible_password` (`ansible_ssh_pass`, `ansible_ssh_password`), the master
//! `ssh` runs with `SSH_ASKPASS_REQUIRE=force` and `SSH_ASKPASS` naming the playhook binary itself,
//! and [`ASKPASS_SOCKET_ENV`] naming a Unix socket in the master's private session dir (mode 0700,
//! created by `tempfile`, so only this user and root can reach it). ssh runs the binary with its
//! prompt as the one argument; in that mode ([`answer`]) the binary connects to the socket, sends
//! the prompt and prints what comes back. The controller ([`AskpassServer`]) answers with the
//! password only a peer of its own user id (`SO_PEERCRED`) whose prompt contains `assword`
//! (Ansible's default `sshpass_prompt` for its own askpass), so a host key question or a key
//! passphrase prompt never receives it. The server lives only while the master logs in; the
//! socket is removed with it.
//!
//! Why not the alternatives: ssh closes every inherited descriptor above stderr when it starts
//! (`closefrom`), so a pipe cannot reach the askpass program; a file would put the password on
//! a disk, where a killed run leaves it. Ansible 2.19 uses the same `SSH_ASKPASS` mechanism with a
//! shared-memory segment.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixListener;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::secrets::SecretString;

/// The environment variable that puts the playhook binary in askpass mode: the socket's path.
pub const ASKPASS_SOCKET_ENV: &str = "PLAYHOOK_ASKPASS_SOCKET";

/// The part of a prompt that asks for the login password (Ansible's default `sshpass_prompt`).
const PASSWORD_PROMPT: &str = "assword";

/// The longest prompt read from the helper.
const MAX_PROMPT: u64 = 4096;

/// Serves the password to the askpass helper while the master logs in; stops on drop.
pub(crate) struct AskpassServer {
    socket: PathBuf,
    task: JoinHandle<()>,
}

impl AskpassServer {
    /// Listens on `dir/askpass` (`dir` must be private to this user).
    pub(crate) fn start(dir: &Path, password: SecretString) -> std::io::Result<Self> {
        let socket = dir.join("askpass");
        let listener = UnixListener::bind(&socket)?;
        let me = rustix::process::geteuid().as_raw();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let same_user = stream.peer_cred().is_ok_and(|c| c.uid() == me);
                if !same_user {
                    continue;
                }
                let mut prompt = Vec::new();
                if (&mut stream)
                    .take(MAX_PROMPT)
                    .read_to_end(&mut prompt)
                    .await
                    .is_err()
                {
                    continue;
                }
                if String::from_utf8_lossy(&prompt).contains(PASSWORD_PROMPT) {
                    // A helper that went away meanwhile makes ssh fail the login, which it reports.
                    let _ = stream.write_all(password.expose().as_bytes()).await;
                }
                let _ = stream.shutdown().await;
            }
        });
        Ok(AskpassServer { socket, task })
    }

    /// The environment the master `ssh` needs to ask this server, with `program` as the helper.
    pub(crate) fn env(&self, program: &Path) -> [(&'static str, std::ffi::OsString); 3] {
        [
            ("SSH_ASKPASS", program.as_os_str().to_owned()),
            ("SSH_ASKPASS_REQUIRE", "force".into()),
            (ASKPASS_SOCKET_ENV, self.socket.as_os_str().to_owned()),
        ]
    }
}

impl Drop for AskpassServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// The askpass helper's side: asks the server at `socket` with ssh's `prompt` and returns the
/// answer, empty when the prompt is not for the password.
pub fn answer(socket: &Path, prompt: &str) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
    stream.write_all(prompt.as_bytes())?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reply = Zeroizing::new(Vec::new());
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_password_prompts_only_and_stops_on_drop() {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = AskpassServer::start(dir.path(), SecretString::new("s3cret".into())).expect("listen");
        let socket = dir.path().join("askpass");
        let ask = |prompt: &'static str| {
            let socket = socket.clone();
            tokio::task::spawn_blocking(move || answer(&socket, prompt))
        };
        let reply = ask("root@h11's password: ").await.expect("join").expect("answer");
        assert_eq!(reply.as_slice(), b"s3cret");
        let reply = ask("Are you sure you want to continue connecting (yes/no)? ")
            .await
            .expect("join")
            .expect("answer");
        assert!(reply.is_empty());
        let env = server.env(Path::new("/usr/bin/playhook"));
        assert_eq!(env[1], ("SSH_ASKPASS_REQUIRE", "force".into()));
        drop(server);
        assert!(!socket.exists());
        assert!(answer(&socket, "password: ").is_err());
    }
}
