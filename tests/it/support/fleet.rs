//! A fleet of real `sshd` hosts on loopback addresses, for tests that deploy over SSH.
//!
//! `Fleet::start(n)` starts n sshd processes listening on 127.0.0.11, 127.0.0.12, ... (inventory
//! names h11, h12, ...), all on one free port, each inside its own mount namespace
//! (`unshare --mount --propagation private`) where a per-host directory is bind-mounted over `/srv`
//! and another over `/root`: every host has its own files and its own root home (shell start-up
//! files, `~/.ansible`), while the controller reaches them through [`FleetHost::srv`] and
//! [`FleetHost::root_home`]. A throwaway client key, a known_hosts file, an ssh_config (Host
//! aliases h11, ...) and a YAML inventory tie them together. sshd logs at VERBOSE level to a file
//! per host, so tests can count accepted authentications. Dropping the fleet kills every process
//! of every host (found by mount namespace) and removes the files.

use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use super::ssh_client::{Endpoint, SshClient, keygen, set_mode, which};

/// First address and name suffix: host i listens on 127.0.0.(11 + i) and is called h(11 + i).
const FIRST_HOST: usize = 11;
/// Runs inside the new mount namespace: private /srv and /root, then sshd in the foreground; when
/// the test process goes away (stdin closes) sshd goes too.
const WRAPPER: &str = r#"mount --bind "$1" /srv && mount --bind "$2" /root || exit 1
"$3" -D -f "$4" -E "$5" </dev/null &
echo $! > "$6"
cat >/dev/null
kill -9 $! 2>/dev/null"#;

/// N real sshd hosts; see the module docs.
pub struct Fleet {
    hosts: Vec<FleetHost>,
    client: SshClient,
    // Dropped last: the hosts' processes must be gone before their files are removed.
    root: TempDir,
}

/// One sshd of the fleet.
pub struct FleetHost {
    /// Inventory name and ssh_config alias: `h11`, `h12`, ...
    pub name: String,
    /// Loopback address sshd listens on: `127.0.0.11`, ...
    pub address: String,
    pub port: u16,
    dir: PathBuf,
    wrapper: Child,
    sshd_pid: i32,
    mount_ns: PathBuf,
}

impl Fleet {
    /// Starts `n` hosts (at most 200). Panics with a message saying what to install when a tool
    /// is missing.
    pub fn start(n: usize) -> Fleet {
        Fleet::start_with(n, false)
    }

    /// Starts `n` hosts whose sshd also accepts password logins (`PasswordAuthentication yes`,
    /// root still by key only): for users with a known password, like
    /// [`super::become_users::SUDO_USER`].
    pub fn start_with_password_login(n: usize) -> Fleet {
        Fleet::start_with(n, true)
    }

    fn start_with(n: usize, password_login: bool) -> Fleet {
        assert!((1..=200).contains(&n), "a fleet has 1 to 200 hosts, not {n}");
        let sshd = ensure_tools();
        fs::create_dir_all("/run/sshd").expect("creating sshd's privilege separation dir /run/sshd");
        let root = tempfile::Builder::new()
            .prefix("playhook-fleet-")
            .tempdir()
            .expect("creating the fleet's temp dir");
        // Readable by the non-root users whose authorized keys live here.
        set_mode(root.path(), 0o755);
        let client_key = SshClient::client_key_in(root.path(), "playhook-fleet-client");
        let authorized_keys = root.path().join("authorized_keys");
        fs::copy(client_key.with_extension("pub"), &authorized_keys).expect("writing authorized_keys");
        set_mode(&authorized_keys, 0o644);

        let mut starting = Vec::new();
        for i in 0..n {
            let name = format!("h{}", FIRST_HOST + i);
            let dir = root.path().join(&name);
            for sub in ["srv", "home"] {
                fs::create_dir_all(dir.join(sub)).expect("creating a fleet host's dirs");
            }
            set_mode(&dir.join("home"), 0o700);
            keygen(&dir.join("host_key"), &name);
            starting.push((name, format!("127.0.0.{}", FIRST_HOST + i), dir));
        }
        let hosts = start_all(&sshd, starting, &authorized_keys, password_login);

        let endpoints: Vec<Endpoint> = hosts
            .iter()
            .map(|h| Endpoint {
                name: h.name.clone(),
                address: h.address.clone(),
                port: h.port,
                host_key: h.host_public_key(),
            })
            .collect();
        let client = SshClient::write(root.path(), client_key, "fleet", &endpoints, "", "");
        Fleet { client, hosts, root }
    }

    pub fn hosts(&self) -> &[FleetHost] {
        &self.hosts
    }

    /// Host `i` (0-based: host 0 is h11).
    pub fn host(&self, i: usize) -> &FleetHost {
        &self.hosts[i]
    }

    /// The port every host listens on (each on its own address).
    pub fn port(&self) -> u16 {
        self.hosts[0].port
    }

    /// The last octet of the first host's address: hosts are 127.0.0.F, 127.0.0.F+1, ...
    pub fn first_octet(&self) -> usize {
        FIRST_HOST
    }

    /// The fleet's temp dir (owned by the fleet, removed on drop).
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl std::ops::Deref for Fleet {
    type Target = SshClient;

    /// The client files: key, known_hosts, ssh_config, inventory, targets.
    fn deref(&self) -> &SshClient {
        &self.client
    }
}

impl FleetHost {
    /// The host's `/srv`, seen from the controller.
    pub fn srv(&self) -> PathBuf {
        self.dir.join("srv")
    }

    /// The host's `/root` (root's home), seen from the controller.
    pub fn root_home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// `[127.0.0.11]:PORT,[h11]:PORT`: how known_hosts names this host.
    pub fn known_hosts_patterns(&self) -> String {
        format!("[{}]:{},[{}]:{}", self.address, self.port, self.name, self.port)
    }

    /// The path of this host's public host key.
    pub fn host_public_key(&self) -> PathBuf {
        self.dir.join("host_key.pub")
    }

    /// sshd's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// How many users this sshd authenticated so far (any method).
    pub fn accepted_auths(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.starts_with("Accepted ") && !l.starts_with("Accepted key "))
            .count()
    }

    /// How many sessions (commands, shells, subsystems) sshd started so far.
    pub fn sessions(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.starts_with("Starting session:"))
            .count()
    }

    /// Freezes the listening sshd (SIGSTOP): new connections hang before the banner.
    pub fn freeze(&self) {
        signal(self.sshd_pid, Signal::STOP);
    }

    /// Undoes [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        signal(self.sshd_pid, Signal::CONT);
    }

    /// Pids of every process of this host except the wrapper and its children (the listener):
    /// per-connection sshd processes and everything running in sessions.
    pub fn session_pids(&self) -> Vec<i32> {
        let wrapper = i32::try_from(self.wrapper.id()).expect("pids fit in i32");
        namespace_pids(&self.mount_ns)
            .into_iter()
            .filter(|&p| p != wrapper && parent_pid(p) != Some(wrapper))
            .collect()
    }

    /// Command lines of the processes of [`session_pids`](Self::session_pids).
    pub fn session_commands(&self) -> Vec<String> {
        self.session_pids()
            .into_iter()
            .filter_map(|p| fs::read(format!("/proc/{p}/cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " ").trim().to_string())
            .collect()
    }

    /// Freezes every process of this host (SIGSTOP): the listener, the per-connection sshd and
    /// everything running in sessions; established connections stall.
    pub fn freeze_all(&self) {
        self.freeze();
        for p in self.session_pids() {
            signal(p, Signal::STOP);
        }
    }

    /// Undoes [`freeze_all`](Self::freeze_all).
    pub fn thaw_all(&self) {
        for p in self.session_pids() {
            signal(p, Signal::CONT);
        }
        self.thaw();
    }

    /// Runs `sh -c SCRIPT` inside this host's mount namespace (to mount over its `/tmp`, ...);
    /// panics when it fails.
    pub fn in_namespace(&self, script: &str) -> String {
        let out = Command::new("nsenter")
            .arg(format!("--mount=/proc/{}/ns/mnt", self.sshd_pid))
            .args(["sh", "-c", script])
            .output()
            .expect("running nsenter (util-linux)");
        assert!(
            out.status.success(),
            "`{script}` in {}'s namespace: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Kills every per-connection sshd of this host (the network dropping, seen from the client);
    /// the listener keeps running.
    pub fn drop_connections(&self) {
        for p in self.session_pids() {
            let cmdline = fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).starts_with("sshd") {
                signal(p, Signal::KILL);
            }
        }
    }
}

impl Drop for FleetHost {
    fn drop(&mut self) {
        drop(self.wrapper.stdin.take());
        kill_namespace(&self.mount_ns);
        let _ = self.wrapper.kill();
        let _ = self.wrapper.wait();
    }
}

/// Starts one sshd per host, all on one port (free on every address), retrying with another
/// port when someone else took it meanwhile.
fn start_all(
    sshd: &Path,
    hosts: Vec<(String, String, PathBuf)>,
    authorized_keys: &Path,
    password_login: bool,
) -> Vec<FleetHost> {
    let addresses = hosts.iter().map(|(_, a, _)| a.as_str()).collect::<Vec<_>>();
    let mut last_log = String::new();
    for _attempt in 0..20 {
        let port = common_free_port(&addresses);
        let spawned = hosts
            .iter()
            .map(|(_, address, dir)| spawn_sshd(sshd, dir, address, port, authorized_keys, password_login))
            .collect::<Vec<_>>();
        let mut started = Vec::new();
        let mut failed = Vec::new();
        for ((name, address, dir), mut wrapper) in hosts.iter().cloned().zip(spawned) {
            match wait_listening(&mut wrapper, &dir.join("sshd.log"), &dir.join("sshd.pid")) {
                Ok(sshd_pid) => {
                    let mount_ns = mount_namespace(wrapper.id())
                        .unwrap_or_else(|| panic!("sshd for {name} did not get its own mount namespace"));
                    started.push(FleetHost {
                        name,
                        address,
                        port,
                        dir,
                        wrapper,
                        sshd_pid,
                        mount_ns,
                    });
                }
                Err(text) => failed.push((name, wrapper, text)),
            }
        }
        if failed.is_empty() {
            return started;
        }
        drop(started);
        let mut retry = true;
        last_log.clear();
        for (name, mut wrapper, text) in failed {
            if let Some(ns) = mount_namespace(wrapper.id()) {
                kill_namespace(&ns);
            }
            let _ = wrapper.kill();
            let mut stderr = String::new();
            if let Some(mut e) = wrapper.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
            }
            let _ = wrapper.wait();
            // SIGKILL: another fleet cleaning up a namespace whose id ours reused (see
            // `kill_namespace`; fleets built before it checked start times do this).
            retry &= text.contains("Address already in use") || text.contains("SIGKILL");
            last_log.push_str(&format!("--- {name} ---\n{text}{stderr}\n"));
        }
        if !retry {
            break;
        }
    }
    panic!("the fleet's sshd did not start:\n{last_log}");
}

/// Starts sshd for one host in its own mount namespace (see [`WRAPPER`]).
fn spawn_sshd(
    sshd: &Path,
    dir: &Path,
    address: &str,
    port: u16,
    authorized_keys: &Path,
    password_login: bool,
) -> Child {
    write_sshd_config(dir, address, port, authorized_keys, password_login);
    let log = dir.join("sshd.log");
    let _ = fs::remove_file(&log);
    let pid_file = dir.join("sshd.pid");
    let _ = fs::remove_file(&pid_file);
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", WRAPPER, "sh"])
        .arg(dir.join("srv"))
        .arg(dir.join("home"))
        .arg(sshd)
        .arg(dir.join("sshd_config"))
        .arg(&log)
        .arg(&pid_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running unshare (util-linux) to start sshd")
}

/// A port that is free on every one of `addresses` right now.
fn common_free_port(addresses: &[&str]) -> u16 {
    loop {
        let first =
            TcpListener::bind((addresses[0], 0)).expect("binding a loopback address to find a free port");
        let port = first.local_addr().expect("a bound socket has an address").port();
        let others = addresses[1..]
            .iter()
            .map(|a| TcpListener::bind((*a, port)))
            .collect::<Vec<_>>();
        if others.iter().all(Result::is_ok) {
            return port;
        }
    }
}

/// Installs what the fleet needs when it is missing; returns the absolute path of sshd.
fn ensure_tools() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        which("unshare"),
        "the fleet needs `unshare`: apt-get install util-linux"
    );
    let find = || {
        ["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    };
    if let Some(sshd) = find().filter(|_| which("ssh") && which("ssh-keygen")) {
        return sshd;
    }
    apt_install(&["openssh-server", "openssh-client"]);
    find().expect("sshd is still missing after `apt-get install openssh-server`")
}

/// `apt-get install -y PACKAGES` (with `apt-get update` first when the install fails).
pub fn apt_install(packages: &[&str]) {
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if install() {
        return;
    }
    let _ = Command::new("apt-get")
        .args(["update", "-q"])
        .stdout(Stdio::null())
        .status();
    assert!(
        install(),
        "could not install {packages:?}; install them by hand: apt-get install {}",
        packages.join(" ")
    );
}

fn write_sshd_config(dir: &Path, address: &str, port: u16, authorized_keys: &Path, password_login: bool) {
    let config = format!(
        "ListenAddress {address}:{port}\n\
         HostKey {host_key}\n\
         PidFile none\n\
         AuthorizedKeysFile {authorized_keys}\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication {password}\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         StrictModes no\n\
         LogLevel VERBOSE\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         AllowTcpForwarding yes\n\
         MaxStartups 100:30:200\n\
         Subsystem sftp internal-sftp\n",
        host_key = dir.join("host_key").display(),
        authorized_keys = authorized_keys.display(),
        password = if password_login { "yes" } else { "no" },
    );
    let mut f = fs::File::create(dir.join("sshd_config")).expect("writing sshd_config");
    f.write_all(config.as_bytes()).expect("writing sshd_config");
}

/// Waits until sshd logs that it listens; returns its pid, or the log when it failed.
fn wait_listening(wrapper: &mut Child, log: &Path, pid_file: &Path) -> Result<i32, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = fs::read_to_string(log).unwrap_or_default();
        if text.contains("Server listening on") {
            let pid = fs::read_to_string(pid_file).unwrap_or_default();
            if let Ok(pid) = pid.trim().parse() {
                return Ok(pid);
            }
        }
        if text.contains("Cannot bind") || text.contains("fatal") || text.contains("Bad configuration") {
            return Err(text);
        }
        if let Ok(Some(status)) = wrapper.try_wait() {
            return Err(format!("{text}\nthe sshd wrapper exited: {status}\n"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{text}\nsshd did not log `Server listening` within 15 s\n"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The mount namespace of `pid`, if it is not ours.
fn mount_namespace(pid: u32) -> Option<PathBuf> {
    let ns = fs::read_link(format!("/proc/{pid}/ns/mnt")).ok()?;
    let own = fs::read_link("/proc/self/ns/mnt").expect("reading our mount namespace");
    (ns != own).then_some(ns)
}

fn namespace_pids(mount_ns: &Path) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| fs::read_link(format!("/proc/{p}/ns/mnt")).is_ok_and(|ns| ns == mount_ns))
        .collect()
}

fn parent_pid(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// SIGKILLs every process in the mount namespace, until none is left (or 5 s passed).
///
/// Once its last process is gone the kernel may give the namespace's id to a new namespace (of
/// another fleet starting meanwhile): a process is only killed if it started before this call,
/// or is the child of one already killed.
fn kill_namespace(mount_ns: &Path) {
    let own = fs::read_link("/proc/self/ns/mnt").expect("reading our mount namespace");
    assert_ne!(own, mount_ns, "refusing to kill our own mount namespace");
    let begin = uptime_ticks();
    let mut killed = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids: Vec<i32> = namespace_pids(mount_ns)
            .into_iter()
            .filter(|&p| {
                start_ticks(p).is_some_and(|t| t <= begin)
                    || parent_pid(p).is_some_and(|pp| killed.contains(&pp))
            })
            .collect();
        if pids.is_empty() || Instant::now() > deadline {
            return;
        }
        for p in pids {
            signal(p, Signal::KILL);
            killed.insert(p);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// When `pid` started, in clock ticks since boot (`/proc/PID/stat` field 22).
fn start_ticks(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

/// Now, in the clock ticks of [`start_ticks`] (100 per second on Linux).
fn uptime_ticks() -> u64 {
    let text = fs::read_to_string("/proc/uptime").unwrap_or_default();
    let secs: f64 = text
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    (secs * 100.0).ceil() as u64 + 1
}

fn signal(pid: i32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}
