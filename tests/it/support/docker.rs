//! Docker daemons and images for the community.docker tests, with no registry and nothing
//! left behind.
//!
//! [`Daemon::start`] runs a private `dockerd` (Debian's `docker.io`, `tests/setup.sh` installs
//! it) on this machine: its own `--data-root`, `--exec-root`, `--pidfile` and socket in a temp
//! dir, the `vfs` storage driver, and `--iptables=false --ip-masq=false --bridge=none` so it
//! never touches this machine's firewall; its containers' cgroups are under a parent of its
//! own, removed with it. Containers in tests use `network_mode: host`. Point a
//! play at it with `DOCKER_HOST` ([`Daemon::host`], e.g. in the play's `environment:`); dropping
//! the `Daemon` removes its containers and networks, stops it and deletes its directory.
//!
//! [`Daemon::import_busybox`] makes a small image from this machine's static busybox
//! (`tar -C root -c . | docker import - NAME`), so no image is ever pulled.
//! [`FakeRegistry`] answers `docker login` (`/v2/` behind Basic auth) on 127.0.0.1, which the
//! daemon treats as an insecure (plain HTTP) registry.
//!
//! The daemons run on this machine rather than inside a test machine: in a systemd-nspawn
//! machine (cgroup v1 host) `dockerd` starts (vfs, `/var/lib/docker` on a tmpfs, no iptables,
//! no bridge) but no container does — first `failed to create default sandbox: operation not
//! permitted` (gone with `--capability=all`), then `runc create failed: unable to start
//! container process: unable to apply cgroup configuration: mkdir
//! /sys/fs/cgroup/cpuset/docker/<id>: read-only file system`: nspawn mounts the cgroup v1
//! hierarchies read-only, and neither `SYSTEMD_NSPAWN_API_VFS_WRITABLE=1` nor remounting them
//! inside made them writable.
//!
//! ```ignore
//! let daemon = Daemon::start();
//! daemon.import_busybox("local/bb:1");
//! // play: environment: { DOCKER_HOST: "{{ docker_host }}" }, -e docker_host=<daemon.host()>
//! let c = daemon.inspect("web").expect("the container exists");
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// Busybox applets linked in the test image.
const APPLETS: &[&str] = &[
    "sh", "sleep", "env", "cat", "true", "false", "echo", "ls", "httpd", "wget",
];

/// A private Docker daemon, stopped and removed on drop.
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Child,
}

impl Daemon {
    /// Starts `dockerd` and waits until it answers (fails the test with its log if it does not).
    pub fn start() -> Daemon {
        super::local::require_tool("dockerd", "docker.io");
        let dir = tempfile::Builder::new()
            .prefix("dk")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let p = dir.path();
        let log = std::fs::File::create(p.join("dockerd.log")).expect("log file");
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(p.join("data"))
            .arg("--exec-root")
            .arg(p.join("exec"))
            .arg("--pidfile")
            .arg(p.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", p.join("docker.sock").display()))
            .args([
                "--iptables=false",
                "--ip-masq=false",
                "--ip6tables=false",
                "--bridge=none",
            ])
            .args(["--storage-driver=vfs", "--userland-proxy=false"])
            .arg(format!("--cgroup-parent=/{}", cgroup_parent(p)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        let daemon = Daemon { dir, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = daemon.docker(&["version", "--format", "{{.Server.Version}}"]);
            if out.status.success() {
                return daemon;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd did not come up:\n{}",
                std::fs::read_to_string(daemon.dir.path().join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `unix://…/docker.sock`, the value for `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    /// A scratch directory of this daemon's (removed with it).
    pub fn scratch(&self) -> PathBuf {
        let p = self.dir.path().join("scratch");
        std::fs::create_dir_all(&p).expect("scratch dir");
        p
    }

    /// Runs `docker ARGS` against this daemon (with its own client configuration).
    pub fn docker(&self, args: &[&str]) -> Output {
        self.docker_command(args).output().expect("run docker")
    }

    fn docker_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("docker");
        cmd.args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.dir.path().join("client"));
        cmd
    }

    /// `docker ARGS`, which must succeed; its standard output.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Imports an image `name` holding busybox and a few applet links (`sh`, `sleep`, ...).
    pub fn import_busybox(&self, name: &str) {
        let root = self
            .dir
            .path()
            .join(format!("root-{}", name.replace(['/', ':'], "_")));
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).expect("image root");
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("busybox is installed (apt-get install -y busybox-static)");
        std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet link");
        }
        let mut tar = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .args(["-c", "."])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run tar");
        let out = self
            .docker_command(&["import", "-c", "ENV PATH=/bin", "-", name])
            .stdin(tar.stdout.take().expect("tar's stdout"))
            .output()
            .expect("docker import");
        assert!(
            tar.wait().expect("tar ends").success(),
            "tar of the image root failed"
        );
        assert!(
            out.status.success(),
            "docker import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `docker inspect` of a container, or `None` when there is none by that name.
    pub fn inspect(&self, name: &str) -> Option<Json> {
        let out = self.docker(&["inspect", "--type", "container", name]);
        if !out.status.success() {
            return None;
        }
        let list: Json = serde_json::from_slice(&out.stdout).expect("inspect JSON");
        list.get(0).cloned()
    }

    /// The names of all containers, sorted.
    pub fn containers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .docker_ok(&["ps", "-a", "--format", "{{.Names}}"])
            .lines()
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let ids = self.docker(&["ps", "-aq"]);
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            let _ = self.docker(&args);
        }
        let _ = self.docker(&["network", "prune", "-f"]);
        let _ = self.docker(&["volume", "prune", "-f"]);
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The daemon's namespaces and layers may still be mounted under its directory.
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let root = self.dir.path().display().to_string();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(1))
            .filter(|m| m.starts_with(&root))
            .collect();
        points.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in points {
            let _ = Command::new("umount").args(["-l", m]).status();
        }
        // The daemon's cgroups (its containers' are gone with them).
        let parent = cgroup_parent(self.dir.path());
        for controller in std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::remove_dir(controller.path().join(&parent));
        }
    }
}

/// The cgroup every container of the daemon in `dir` is put under.
fn cgroup_parent(dir: &Path) -> String {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("dk");
    format!("playhook-test-{name}")
}

/// A stand-in registry for `docker login`: `/v2/` answers 200 to Basic auth with
/// [`FakeRegistry::USER`]/[`FakeRegistry::PASSWORD`] and 401 with a challenge otherwise.
/// Every request's `Authorization` header is kept.
pub struct FakeRegistry {
    pub port: u16,
    pub authorizations: Arc<Mutex<Vec<String>>>,
}

impl FakeRegistry {
    pub const USER: &'static str = "tester";
    pub const PASSWORD: &'static str = "Pw-9f3e1c-not-in-argv";

    pub fn start() -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        let good = {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    Self::USER,
                    Self::PASSWORD
                ))
            )
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // The daemon tries TLS first: closing the connection makes it fall back to HTTP.
                let mut first = [0u8; 1];
                if stream
                    .peek(&mut first)
                    .map(|n| n == 0 || first[0] == 0x16)
                    .unwrap_or(true)
                {
                    continue;
                }
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut auth = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line
                        .strip_prefix("Authorization: ")
                        .or_else(|| line.strip_prefix("authorization: "))
                    {
                        auth = v.trim().to_string();
                    }
                    line.clear();
                }
                seen.lock().expect("lock").push(auth.clone());
                let response = match auth == good {
                    true => {
                        "HTTP/1.1 200 OK\r\nDocker-Distribution-API-Version: registry/2.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                    }
                    false => {
                        "HTTP/1.1 401 Unauthorized\r\nDocker-Distribution-API-Version: registry/2.0\r\nWWW-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    }
                };
                let mut stream = stream;
                let _ = stream.write_all(response.as_bytes());
            }
        });
        FakeRegistry { port, authorizations }
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}
