//! `git daemon` serving a directory of bare repositories on 127.0.0.1 over `git://`, pushes
//! allowed (receive-pack), as a git server the test machines fetch from and push notes to; or
//! read-only, as an origin the machines cannot write. Dropping it stops the daemon.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct GitDaemon {
    child: Child,
    pub port: u16,
}

impl GitDaemon {
    /// Serves every repository under `base` (`git://127.0.0.1:PORT/<name>.git`).
    pub fn serve(base: &Path) -> GitDaemon {
        GitDaemon::start(base, true)
    }

    /// Serves every repository under `base` for fetching only: pushes are refused.
    pub fn serve_read_only(base: &Path) -> GitDaemon {
        GitDaemon::start(base, false)
    }

    fn start(base: &Path, receive_pack: bool) -> GitDaemon {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("git")
            .args([
                "daemon",
                "--export-all",
                if receive_pack {
                    "--enable=receive-pack"
                } else {
                    "--disable=receive-pack"
                },
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts (apt-get install git)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        GitDaemon { child, port }
    }

    /// The URL of repository `name` (`bare.git`).
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
