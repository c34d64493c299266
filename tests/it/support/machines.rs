//! Real Debian 12 machines with systemd as PID 1, for tests of packages, services, users and
//! reboots.
//!
//! `Machines::start(n)` boots n machines with `systemd-nspawn`, each an overlayfs over one cached
//! root filesystem (built once by `tests/machine-image.sh`), so each starts fresh in seconds and
//! the image is never written. A machine has its own hostname (`m100`, ...), its own ssh host key,
//! root's `authorized_keys` with a throwaway client key, and sshd listening on its own loopback
//! address 127.0.0.100, ... (allocated with a lock file per address, so tests running in
//! parallel, in this process or another, never share one). Machines share the host's network:
//! they reach a test server on 127.0.0.1 and Debian's mirrors. A client ssh_config (Host
//! aliases), a known_hosts file and a YAML inventory (group `machines`, for ansible-playbook and
//! playhook) tie them together.
//!
//! The overlay and a private tmpfs `/run` are mounted inside a mount namespace of their own
//! (`unshare --mount`), so they vanish with the machine's processes. A reboot inside makes
//! systemd-nspawn exit with status 133; a watcher thread then boots the machine again on the same
//! overlay and address, as a real host comes back. Dropping the machines kills every container
//! and removes every file. `Machines::start_with_private_network` gives each machine a network
//! namespace of its own instead, for firewall tests (see there).

#![allow(
    dead_code,
    reason = "the API serves the package, service, user and reboot tests; the smoke tests use part of it"
)]

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use super::apt_repo::AptRepo;
use super::ssh_client::{Endpoint, SshClient, keygen, set_mode, which};

/// Machine i listens on 127.0.0.(FIRST_OCTET + j) for the first free j; the sshd fleet uses
/// 127.0.0.11 and up.
const FIRST_OCTET: u8 = 100;
const LAST_OCTET: u8 = 254;
/// How long a machine may take to boot (2 cores shared with compilers).
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
/// systemd-nspawn's exit status when the container rebooted.
const REBOOT_STATUS: i32 = 133;
/// Runs inside the new mount namespace: the overlay, a private /run (nspawn refuses to start
/// without one when the host runs no systemd), then the container.
const WRAPPER: &str = r#"mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/nspawn || exit 1
d=$4 m=$5 ns=$6
if [ -n "$ns" ]; then set -- --network-namespace-path="$ns" --capability=CAP_NET_ADMIN; else set --; fi
exec systemd-nspawn -q -b -D "$d" -M "$m" --register=no --keep-unit "$@""#;
/// ssh's ProxyCommand for machines with a private network: a byte relay between ssh's stdin/
/// stdout and the machine's sshd, run by `nsenter` inside the machine's network namespace.
const RELAY: &str = r#"import os, select, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
open_in = True
while True:
    r, _, _ = select.select([0, s] if open_in else [s], [], [])
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            s.sendall(data)
        else:
            open_in = False
            s.shutdown(socket.SHUT_WR)
    if s in r:
        data = s.recv(65536)
        if not data:
            break
        os.write(1, data)
"#;

/// N booted machines; see the module docs.
pub struct Machines {
    machines: Vec<Machine>,
    client: SshClient,
    // Dropped last: the machines must be gone before their files are removed.
    root: TempDir,
}

/// One machine; see the module docs.
pub struct Machine {
    /// Inventory name, ssh_config alias and hostname: `m100`, ...
    pub name: String,
    /// Loopback address its sshd listens on: `127.0.0.100`, ...
    pub address: String,
    pub port: u16,
    dir: PathBuf,
    /// The machine's own network namespace (a bind-mounted file), when it has one.
    netns: Option<PathBuf>,
    ssh_config: PathBuf,
    state: Arc<State>,
    watcher: Option<JoinHandle<()>>,
    // Held while the machine lives: the address is ours.
    _address_lock: File,
}

/// What the watcher thread shares with the test.
struct State {
    /// The running systemd-nspawn's pid, None between boots.
    nspawn: Mutex<Option<u32>>,
    /// Boots so far (1 after start, 2 after one reboot, ...).
    boots: AtomicUsize,
    stopping: AtomicBool,
    /// Set by the watcher when it stopped restarting the machine, with the last exit status.
    ended: Mutex<Option<String>>,
}

/// What a command run on a machine printed and how it exited.
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    /// The exit status (255 when ssh itself failed, -1 when killed by a signal).
    pub code: i32,
}

impl Machines {
    /// Boots `n` machines (builds the image first if needed) and waits until each one's
    /// `systemctl is-system-running --wait` says `running` (or `degraded`: its failed units are
    /// printed). Panics with the console log when one does not come up.
    pub fn start(n: usize) -> Machines {
        Machines::boot_all(n, false)
    }

    /// Like [`start`](Self::start), but each machine has a network namespace of its own (only a
    /// loopback interface, no route out) and keeps `CAP_NET_ADMIN` there, so firewall tests can
    /// change its iptables rules without touching the host's. The namespace is a file in the
    /// machines' temp dir (`unshare --net=FILE`, given to `systemd-nspawn
    /// --network-namespace-path`), so it outlives reboots; ssh reaches the machine's sshd (on the
    /// same address and port, inside it) through a `ProxyCommand` that relays the bytes from
    /// inside the namespace (`nsenter --net=FILE python3 relay.py`). The machines reach no
    /// network: nothing is downloaded on them.
    pub fn start_with_private_network(n: usize) -> Machines {
        Machines::boot_all(n, true)
    }

    fn boot_all(n: usize, private_network: bool) -> Machines {
        assert!((1..=20).contains(&n), "1 to 20 machines, not {n}");
        let image = image();
        let root = tempfile::Builder::new()
            .prefix("playhook-machines-")
            .tempdir()
            .expect("creating the machines' temp dir");
        let client_key = SshClient::client_key_in(root.path(), "playhook-machines-client");
        let authorized_key =
            fs::read_to_string(client_key.with_extension("pub")).expect("reading the client's public key");
        let ssh_config = root.path().join("ssh_config");

        let mut machines = Vec::new();
        for _ in 0..n {
            let (octet, lock) = allocate_address();
            let name = format!("m{octet}");
            let address = format!("127.0.0.{octet}");
            let port = TcpListener::bind((address.as_str(), 0))
                .and_then(|l| l.local_addr())
                .expect("finding a free port on the machine's address")
                .port();
            let dir = root.path().join(&name);
            prepare_upper(&dir, &name, &address, port, &authorized_key);
            let netns = private_network.then(|| network_namespace(root.path(), &address));
            machines.push(Machine {
                name,
                address,
                port,
                dir,
                netns,
                ssh_config: ssh_config.clone(),
                state: Arc::new(State {
                    nspawn: Mutex::new(None),
                    boots: AtomicUsize::new(0),
                    stopping: AtomicBool::new(false),
                    ended: Mutex::new(None),
                }),
                watcher: None,
                _address_lock: lock,
            });
        }
        let endpoints: Vec<Endpoint> = machines
            .iter()
            .map(|m| Endpoint {
                name: m.name.clone(),
                address: m.address.clone(),
                port: m.port,
                host_key: m.upper().join("etc/ssh/ssh_host_ed25519_key.pub"),
            })
            .collect();
        let mut ssh_options = "\n  ConnectTimeout 10\n  LogLevel ERROR".to_string();
        if private_network {
            let relay = root.path().join("relay.py");
            fs::write(&relay, RELAY).expect("writing the ssh relay");
            ssh_options.push_str(&format!(
                "\n  ProxyCommand nsenter --net={}/%h python3 {} %h %p",
                root.path().join("netns").display(),
                relay.display()
            ));
        }
        // The machines' own python3, for the oracle; playhook does not use it.
        let client = SshClient::write(
            root.path(),
            client_key,
            "machines",
            &endpoints,
            &ssh_options,
            "\n        ansible_python_interpreter: /usr/bin/python3",
        );
        let mut set = Machines {
            machines,
            client,
            root,
        };
        for m in &mut set.machines {
            m.boot(&image);
        }
        for m in &set.machines {
            m.wait_up();
        }
        set
    }

    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }

    /// Machine `i` (0-based).
    pub fn machine(&self, i: usize) -> &Machine {
        &self.machines[i]
    }

    /// The machines' temp dir (removed on drop).
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

impl std::ops::Deref for Machines {
    type Target = SshClient;

    /// The client files: key, known_hosts, ssh_config, inventory, targets.
    fn deref(&self) -> &SshClient {
        &self.client
    }
}

impl Drop for Machines {
    fn drop(&mut self) {
        // Kill every machine first, then wait for each: they go down together.
        for m in &self.machines {
            m.kill();
        }
        for m in &mut self.machines {
            m.stop();
        }
        // The network namespaces go with their bind mounts, once no machine is in them.
        for m in &self.machines {
            if let Some(netns) = &m.netns {
                let _ = Command::new("umount").arg(netns).status();
            }
        }
    }
}

/// A new network namespace kept as the file `ROOT/netns/ADDRESS` (the name ssh's
/// ProxyCommand finds it by).
fn network_namespace(root: &Path, address: &str) -> PathBuf {
    let dir = root.join("netns");
    fs::create_dir_all(&dir).expect("creating the network namespaces' dir");
    let file = dir.join(address);
    File::create(&file).expect("creating a network namespace's file");
    let status = Command::new("unshare")
        .arg(format!("--net={}", file.display()))
        .arg("true")
        .status()
        .expect("running unshare (util-linux)");
    assert!(status.success(), "unshare --net={} failed", file.display());
    file
}

impl Machine {
    /// Runs `script` with `sh -c` as root on the machine, over ssh.
    pub fn run(&self, script: &str) -> Ran {
        let out = self
            .ssh()
            .arg(script)
            .stdin(Stdio::null())
            .output()
            .expect("running ssh");
        Ran::from(out)
    }

    /// Runs `script` on the machine; panics with its output unless it succeeds. Returns stdout.
    pub fn ok(&self, script: &str) -> String {
        let ran = self.run(script);
        assert_eq!(
            ran.code, 0,
            "`{script}` failed on {}:\n{}{}",
            self.name, ran.stdout, ran.stderr
        );
        ran.stdout
    }

    /// `ssh -F <ssh_config> NAME`: add the remote command.
    pub fn ssh(&self) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F").arg(&self.ssh_config).arg(&self.name);
        cmd
    }

    /// The machine's root directory as the controller sees it (through the running
    /// systemd-nspawn's mount namespace); valid while the machine runs, not across a reboot.
    pub fn root(&self) -> PathBuf {
        let pid = self
            .state
            .nspawn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .expect("the machine is running");
        PathBuf::from(format!("/proc/{pid}/root")).join(self.merged().strip_prefix("/").expect("absolute"))
    }

    /// A file of the machine (absolute path inside it), None when it does not exist.
    pub fn read(&self, path: &str) -> Option<String> {
        fs::read_to_string(self.root().join(path.trim_start_matches('/'))).ok()
    }

    /// The overlay's upper directory: everything written on the machine since the image.
    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// How many times the machine booted: 1 after start, 2 after one reboot, ...
    pub fn boots(&self) -> usize {
        self.state.boots.load(Ordering::SeqCst)
    }

    /// Reboots the machine with `systemctl reboot` and waits until it is up again.
    pub fn reboot(&self) {
        let boots = self.boots();
        // ssh may lose the connection when sshd goes down: the status says nothing.
        let _ = self.run("systemctl reboot");
        self.wait_boots(boots + 1);
        self.wait_up();
    }

    /// Waits until the machine booted `boots` times (see [`boots`](Self::boots)).
    pub fn wait_boots(&self, boots: usize) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while self.boots() < boots {
            self.assert_alive();
            assert!(
                Instant::now() < deadline,
                "{} did not reboot:\n{}",
                self.name,
                self.console()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `systemctl is-system-running --wait` answers `running` or `degraded` over
    /// ssh; prints the failed units when degraded.
    pub fn wait_up(&self) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            self.assert_alive();
            let ran = self.run("systemctl is-system-running --wait");
            match ran.stdout.trim() {
                "running" => return,
                "degraded" => {
                    let failed = self.run("systemctl --failed --no-pager --no-legend").stdout;
                    eprintln!("{} is up but degraded; failed units:\n{failed}", self.name);
                    return;
                }
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "{} did not come up ({}{}):\n{}",
                self.name,
                ran.stdout,
                ran.stderr,
                self.console()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What the machine printed on its console (systemd's boot messages) so far, all boots.
    pub fn console(&self) -> String {
        fs::read_to_string(self.dir.join("console.log")).unwrap_or_default()
    }

    /// Adds `repo` to the machine's apt sources (`[trusted=yes]`), beside Debian's; with
    /// `only`, Debian's are removed, so `apt-get update` touches nothing but `repo`.
    pub fn add_apt_repo(&self, repo: &AptRepo, only: bool) {
        let mut script = format!(
            "echo '{}' > /etc/apt/sources.list.d/playhook-test.list",
            repo.sources_line()
        );
        if only {
            script.push_str(" && rm -f /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources");
        }
        self.ok(&script);
    }

    fn merged(&self) -> PathBuf {
        self.dir.join("merged")
    }

    /// Starts the watcher thread, which boots the machine and boots it again after a reboot.
    fn boot(&mut self, image: &Path) {
        let mut wrapper = Command::new("unshare");
        wrapper
            .args(["--mount", "--propagation", "private"])
            // When the test process dies, systemd-nspawn powers the machine off.
            .args(["setpriv", "--pdeathsig", "TERM"])
            .args(["sh", "-c", WRAPPER, "sh"])
            .arg(image)
            .arg(self.upper())
            .arg(self.dir.join("work"))
            .arg(self.merged())
            .arg(&self.name)
            .arg(self.netns.as_deref().unwrap_or(Path::new("")));
        let console = self.dir.join("console.log");
        let state = Arc::clone(&self.state);
        self.watcher = Some(std::thread::spawn(move || watch(wrapper, &console, &state)));
    }

    /// Panics with the console log when the machine stopped for good.
    fn assert_alive(&self) {
        let ended = self.state.ended.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(status) = ended {
            panic!("{} stopped ({status}):\n{}", self.name, self.console());
        }
    }

    /// Kills the container (its PID 1, which takes every process of its PID namespace along)
    /// and keeps it from booting again.
    fn kill(&self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        let nspawn = *self.state.nspawn.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(nspawn) = nspawn {
            match container_init(nspawn) {
                Some(init) => signal(init, Signal::KILL),
                // Not started yet, or gone already: nspawn powers off what is there (a killed
                // nspawn would leave its container running).
                None => signal(nspawn, Signal::TERM),
            }
        }
    }

    /// Kills the machine until its watcher ends (systemd-nspawn gone with its mount namespace).
    fn stop(&mut self) {
        let Some(watcher) = self.watcher.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        // Again and again: a machine caught rebooting may have no container to kill yet.
        while !watcher.is_finished() && Instant::now() < deadline {
            self.kill();
            std::thread::sleep(Duration::from_millis(50));
        }
        if watcher.is_finished() {
            let _ = watcher.join();
        } else {
            eprintln!("{} did not stop within 30 s:\n{}", self.name, self.console());
        }
    }
}

impl From<Output> for Ran {
    fn from(out: Output) -> Ran {
        Ran {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }
}

/// The watcher thread: runs the machine, again after each reboot, until it stops otherwise or
/// the test is done with it.
fn watch(mut wrapper: Command, console: &Path, state: &State) {
    let ended = loop {
        if state.stopping.load(Ordering::SeqCst) {
            break "stopped by the test".to_string();
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(console)
            .expect("opening the machine's console log");
        let log2 = log.try_clone().expect("duplicating a file handle");
        let mut child = match wrapper.stdin(Stdio::null()).stdout(log).stderr(log2).spawn() {
            Ok(child) => child,
            Err(e) => break format!("cannot run unshare (util-linux): {e}"),
        };
        *state.nspawn.lock().unwrap_or_else(|e| e.into_inner()) = Some(child.id());
        state.boots.fetch_add(1, Ordering::SeqCst);
        let status = child.wait();
        *state.nspawn.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match status {
            Ok(s) if s.code() == Some(REBOOT_STATUS) && !state.stopping.load(Ordering::SeqCst) => {}
            Ok(s) => break format!("systemd-nspawn exited: {s}"),
            Err(e) => break format!("waiting for systemd-nspawn: {e}"),
        }
    };
    *state.ended.lock().unwrap_or_else(|e| e.into_inner()) = Some(ended);
}

/// The container's PID 1: the process below `nspawn` that is pid 1 of its own PID namespace.
fn container_init(nspawn: u32) -> Option<i32> {
    let nspawn = i32::try_from(nspawn).ok()?;
    let entries = fs::read_dir("/proc").ok()?;
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&p| {
            let status = fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
            let is_init = status
                .lines()
                .find_map(|l| l.strip_prefix("NSpid:"))
                .is_some_and(|ids| {
                    ids.split_whitespace().count() > 1 && ids.split_whitespace().last() == Some("1")
                });
            is_init && descends_from(p, nspawn)
        })
}

fn descends_from(mut pid: i32, ancestor: i32) -> bool {
    for _ in 0..8 {
        match parent_pid(pid) {
            Some(p) if p == ancestor => return true,
            Some(p) if p > 1 => pid = p,
            _ => return false,
        }
    }
    false
}

fn parent_pid(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

fn signal(pid: impl TryInto<i32>, sig: Signal) {
    if let Some(pid) = pid.try_into().ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// The cached image's path: `tests/machine-image.sh` builds it the first time (it installs
/// nothing: `tests/setup.sh` does that, and builds the image too).
fn image() -> PathBuf {
    static BUILD: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut built = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(image) = &*built {
        return image.clone();
    }
    for tool in ["systemd-nspawn", "unshare", "setpriv", "ssh", "ssh-keygen"] {
        assert!(
            which(tool),
            "the test machines need `{tool}`: run tests/setup.sh (as root), which installs it"
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/machine-image.sh");
    let out = Command::new(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("running tests/machine-image.sh");
    assert!(out.status.success(), "tests/machine-image.sh failed");
    let image = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        image.join("usr/lib/systemd/systemd").exists(),
        "{} is no image",
        image.display()
    );
    *built = Some(image.clone());
    image
}

/// The first free machine address (100 to 254), locked for as long as the returned file is open
/// (`flock` on a lock file per address: free again when the process dies).
fn allocate_address() -> (u8, File) {
    for octet in FIRST_OCTET..=LAST_OCTET {
        // Not $TMPDIR: every test process on this host must see the same lock files.
        let path = PathBuf::from(format!("/tmp/playhook-machine-127.0.0.{octet}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .expect("opening a machine address lock file");
        if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok() {
            return (octet, file);
        }
    }
    panic!("every machine address 127.0.0.{FIRST_OCTET}..{LAST_OCTET} is taken");
}

/// The machine's own files, written into its overlay's upper directory before the first boot.
fn prepare_upper(dir: &Path, name: &str, address: &str, port: u16, authorized_key: &str) {
    let upper = dir.join("upper");
    for d in ["upper/etc/ssh/sshd_config.d", "upper/root/.ssh", "work", "merged"] {
        fs::create_dir_all(dir.join(d)).expect("creating a machine's dirs");
    }
    for d in ["root", "root/.ssh"] {
        set_mode(&upper.join(d), 0o700);
    }
    fs::write(upper.join("etc/hostname"), format!("{name}\n")).expect("writing /etc/hostname");
    fs::write(
        upper.join("etc/hosts"),
        format!("127.0.0.1 localhost\n{address} {name}\n::1 localhost ip6-localhost ip6-loopback\n"),
    )
    .expect("writing /etc/hosts");
    fs::write(
        upper.join("etc/ssh/sshd_config.d/50-listen.conf"),
        format!("ListenAddress {address}:{port}\n"),
    )
    .expect("writing sshd's ListenAddress");
    keygen(
        &upper.join("etc/ssh/ssh_host_ed25519_key"),
        &format!("root@{name}"),
    );
    let keys = upper.join("root/.ssh/authorized_keys");
    fs::write(&keys, authorized_key).expect("writing authorized_keys");
    set_mode(&keys, 0o600);
}
