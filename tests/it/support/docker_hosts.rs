//! Docker on the test machines, for plays that run `community.docker` modules on them.
//!
//! `dockerd` cannot run inside a machine: systemd-nspawn mounts the cgroup v1 hierarchies
//! read-only there, and without a network namespace of its own a machine has no
//! `CAP_NET_ADMIN`, which dockerd needs to set up even a host-network container. So each machine
//! gets a private daemon on this host ([`Daemon`], `support/docker.rs`), reached from inside the
//! machine over a relay on `127.0.0.1:PORT` (a thread copying bytes between that TCP port and the
//! daemon's unix socket; machines share the host's network), and this host's `docker` client
//! (Debian's `docker.io`) copied in as `/usr/local/libexec/docker`, behind a
//! `/usr/local/bin/docker` that points `DOCKER_HOST` at the relay: `docker` on the machine, and
//! the modules running it, see a docker host of their own. For community.docker's Python modules
//! (ansible-playbook), [`DockerHost::serve_socket`] also relays the machine's
//! `/var/run/docker.sock` to that port (a small python3 service inside the machine);
//! `python3-requests`, which the collection needs, is in the machine image. The containers run on this host, in its network namespace
//! (`network_mode: host`), so services must listen on their machine's own address.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::docker::Daemon;
use super::machines::Machine;

/// A machine's docker daemon and its relay; both stop on drop.
pub struct DockerHost {
    pub daemon: Daemon,
    port: u16,
    stop: Arc<AtomicBool>,
}

impl DockerHost {
    /// Starts a daemon for `m` and installs the client on it; checks `docker info` on the
    /// machine answers.
    pub fn attach(m: &Machine) -> DockerHost {
        let daemon = Daemon::start();
        let socket = PathBuf::from(
            daemon
                .host()
                .strip_prefix("unix://")
                .expect("the daemon listens on a unix socket"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the docker relay");
        let port = listener.local_addr().expect("a bound socket").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(client), Ok(server)) = (client, UnixStream::connect(&socket)) else {
                    continue;
                };
                relay(client, server);
            }
        });
        let host = DockerHost { daemon, port, stop };
        host.install_client(m);
        m.ok("docker info >/dev/null");
        host
    }

    fn install_client(&self, m: &Machine) {
        let client = ["/usr/bin/docker", "/usr/local/bin/docker"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("a docker client on this host (tests/setup.sh installs docker.io)");
        let root = m.root();
        let libexec = root.join("usr/local/libexec");
        std::fs::create_dir_all(&libexec).expect("creating /usr/local/libexec");
        std::fs::copy(client, libexec.join("docker")).expect("copying the docker client");
        let wrapper = root.join("usr/local/bin/docker");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\n# This machine's docker daemon runs on the test host.\n\
                 : \"${{DOCKER_HOST:=tcp://127.0.0.1:{}}}\"\nexport DOCKER_HOST\n\
                 exec /usr/local/libexec/docker \"$@\"\n",
                self.port
            ),
        )
        .expect("writing the docker wrapper");
        super::ssh_client::set_mode(&wrapper, 0o755);
    }
}

/// Inside the machine: `/var/run/docker.sock` relayed to the daemon's TCP port.
const SOCKET_RELAY: &str = r#"import os, socket, sys, threading
port = int(sys.argv[1])
path = "/var/run/docker.sock"
if os.path.exists(path):
    os.unlink(path)
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(64)
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
while True:
    client, _ = server.accept()
    daemon = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(client, daemon), daemon=True).start()
    threading.Thread(target=pipe, args=(daemon, client), daemon=True).start()
"#;

impl DockerHost {
    /// Makes the daemon reachable at the machine's `/var/run/docker.sock`, for
    /// community.docker's modules.
    pub fn serve_socket(&self, m: &Machine) {
        let script = m.root().join("usr/local/libexec/docker-socket-relay.py");
        std::fs::write(&script, SOCKET_RELAY).expect("writing the socket relay");
        m.ok(&format!(
            "systemd-run -q --unit=docker-socket-relay python3 /usr/local/libexec/docker-socket-relay.py {} && \
             for i in $(seq 50); do [ -S /var/run/docker.sock ] && break; sleep 0.1; done && \
             DOCKER_HOST=unix:///var/run/docker.sock docker info >/dev/null",
            self.port
        ));
    }
}

impl Drop for DockerHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies bytes both ways until each side closes its half.
fn relay(client: TcpStream, server: UnixStream) {
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    std::thread::spawn(move || copy(client, server, |s| s.shutdown(Shutdown::Write)));
    std::thread::spawn(move || copy(server2, client2, |s| s.shutdown(Shutdown::Write)));
}

fn copy<R: Read, W: Write>(mut from: R, mut to: W, close: impl Fn(&W) -> std::io::Result<()>) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = close(&to);
}
