//! Password login (`ansible_ssh_pass` from playhook's secrets, `ansible_become_pass` for sudo)
//! against an sshd with `PasswordAuthentication yes`, beside ansible-playbook with the same
//! password in plain text; the password never shows in any process's arguments or environment
//! while the deploy runs, nor in its output.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::support::ansible_tasks::ansible_command;
use crate::support::become_users::{SUDO_PASSWORD, SUDO_USER, ensure_become_users};
use crate::support::fleet::Fleet;
use crate::support::repo::TestRepo;

const PLAYBOOK: &str = "\
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - command: id -un
      become: true
      register: root
    - command: sleep 2
    - debug:
        msg: \"{{ who.stdout }} then {{ root.stdout }}\"
";

/// An inventory of the fleet's first host logging in as [`SUDO_USER`] with `password` (any
/// YAML scalar text), never with a key.
fn inventory(fleet: &Fleet, password: &str) -> String {
    let host = fleet.host(0);
    format!(
        "all:\n  hosts:\n    {name}:\n      ansible_host: {address}\n      ansible_port: {port}\n      \
         ansible_user: {SUDO_USER}\n      ansible_ssh_pass: {password}\n      \
         ansible_become_pass: {password}\n      ansible_ssh_common_args: \"-o UserKnownHostsFile={kh} \
         -o GlobalKnownHostsFile=/dev/null -o PubkeyAuthentication=no\"\n",
        name = host.name,
        address = host.address,
        port = host.port,
        kh = fleet.known_hosts().display(),
    )
}

/// Watches every process's command line and environment for `needle` until stopped; returns
/// what it found (`pid: cmdline` or `pid: environ`).
struct Watch {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<String>>,
}

impl Watch {
    fn start(needle: &str) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let needle = needle.as_bytes().to_vec();
        let me = std::process::id().to_string();
        let thread = std::thread::spawn(move || {
            let mut found = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let pid = entry.file_name().to_string_lossy().into_owned();
                    if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
                        continue;
                    }
                    for what in ["cmdline", "environ"] {
                        let bytes = std::fs::read(entry.path().join(what)).unwrap_or_default();
                        if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                            let text = String::from_utf8_lossy(&bytes).replace('\0', " ");
                            found.push(format!("{pid} {what}: {text}"));
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            found
        });
        Watch { stop, thread }
    }

    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the watcher thread")
    }
}

fn debug_msgs(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("\"msg\": \"")?.strip_suffix('"'))
        .map(str::to_string)
        .collect()
}

#[test]
fn logs_in_with_a_password_from_secrets_and_never_shows_it() {
    ensure_become_users();
    let fleet = Fleet::start_with_password_login(1);
    let repo = TestRepo::empty()
        .file("ansible.cfg", "[defaults]\ninventory = hosts.yml\n")
        .file("hosts.yml", &inventory(&fleet, "\"{{ secrets.ssh_pw }}\""))
        .file(
            "oracle.yml",
            &format!(
                "{}      ansible_python_interpreter: /usr/bin/python3\n",
                inventory(&fleet, SUDO_PASSWORD)
            ),
        )
        .file("deploy.yaml", PLAYBOOK);
    let init = repo.playhook_with_stdin(&["secrets", "init"], "");
    assert_eq!(init.code(), 0, "{}", init.stderr());
    let set = repo.playhook_with_stdin(&["secrets", "set", "ssh_pw", "--raw"], SUDO_PASSWORD);
    assert_eq!(set.code(), 0, "{}", set.stderr());

    // The watcher sees a process that has the password in its environment.
    let canary = Watch::start(SUDO_PASSWORD);
    let status = std::process::Command::new("sleep")
        .arg("0.3")
        .env("PH_CANARY", SUDO_PASSWORD)
        .status()
        .expect("sleep runs");
    assert!(status.success());
    let seen = canary.finish();
    assert!(seen.iter().any(|s| s.contains("environ")), "{seen:?}");

    let watch = Watch::start(SUDO_PASSWORD);
    let run = repo.playhook(&["deploy", "-v"]);
    let exposed = watch.finish();
    let shown = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{shown}");
    assert!(exposed.is_empty(), "the password is visible in: {exposed:#?}");
    assert!(!shown.contains(SUDO_PASSWORD), "{shown}");
    let log = fleet.host(0).log();
    assert!(
        log.contains(&format!("Accepted password for {SUDO_USER}")),
        "{log}"
    );
    // No askpass socket is left behind in the ssh session dirs.
    assert!(!shown.contains("askpass"), "{shown}");

    let oracle = ansible_command("ansible-playbook")
        .args(["-i", "oracle.yml", "deploy.yaml", "-v"])
        .current_dir(repo.path())
        .output()
        .expect("ansible-playbook runs");
    let theirs = String::from_utf8_lossy(&oracle.stdout).into_owned();
    assert!(oracle.status.success(), "{theirs}");
    let expected = vec![format!("{SUDO_USER} then root")];
    assert_eq!(debug_msgs(&theirs), expected, "{theirs}");
    assert_eq!(debug_msgs(&run.stdout()), expected, "{shown}");
    let host = &fleet.host(0).name;
    let recap = |text: &str| {
        text.lines()
            .find(|l| l.starts_with(host.as_str()) && l.contains("ok="))
            .map(|l| l.split_whitespace().skip(2).take(4).collect::<Vec<_>>().join(" "))
    };
    assert_eq!(recap(&run.stdout()), recap(&theirs), "{shown}\n{theirs}");
}

#[test]
fn a_wrong_password_is_refused_once_and_named_not_shown() {
    ensure_become_users();
    let fleet = Fleet::start_with_password_login(1);
    let wrong = "wrong-pw-0815";
    let repo = TestRepo::empty()
        .file("ansible.cfg", "[defaults]\ninventory = hosts.yml\n")
        .file("hosts.yml", &inventory(&fleet, wrong))
        .file("deploy.yaml", PLAYBOOK);
    let run = repo.playhook(&["deploy"]);
    let shown = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 3, "{shown}");
    assert!(shown.contains("refused the password"), "{shown}");
    assert!(shown.contains(&fleet.host(0).name), "{shown}");
    assert!(!shown.contains(wrong), "{shown}");
    let log = fleet.host(0).log();
    let failed = log.matches("Failed password").count();
    assert_eq!(failed, 1, "tried once, not retried: {log}");
}

/// `synchronize` to a host that logs in with a password: rsync rides the connection that already
/// logged in (one authentication for the whole run), the password shows in no process's
/// arguments or environment, and `become` with a sudo password is refused with a message,
/// never left waiting at sudo's prompt.
#[test]
fn synchronize_rides_the_password_login() {
    ensure_become_users();
    let fleet = Fleet::start_with_password_login(1);
    let dest = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dest.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .expect("chmod");
    let repo = TestRepo::empty()
        .file("ansible.cfg", "[defaults]\ninventory = hosts.yml\n")
        .file("hosts.yml", &inventory(&fleet, "\"{{ secrets.ssh_pw }}\""))
        .file("files/tree/a.txt", "alpha\n")
        .file("files/tree/sub/b.txt", "beta\n")
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n    \
                 - synchronize: {{src: tree/, dest: {0}/tree}}\n      register: pushed\n    \
                 - synchronize: {{src: tree/, dest: {0}/root}}\n      become: true\n      \
                 ignore_errors: true\n    - debug: {{msg: \"{{{{ pushed.stdout_lines | length }}}}\"}}\n",
                dest.path().display()
            ),
        );
    let init = repo.playhook_with_stdin(&["secrets", "init"], "");
    assert_eq!(init.code(), 0, "{}", init.stderr());
    let set = repo.playhook_with_stdin(&["secrets", "set", "ssh_pw", "--raw"], SUDO_PASSWORD);
    assert_eq!(set.code(), 0, "{}", set.stderr());

    let watch = Watch::start(SUDO_PASSWORD);
    let run = repo.playhook(&["deploy", "-v"]);
    let exposed = watch.finish();
    let shown = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{shown}");
    assert!(exposed.is_empty(), "the password is visible in: {exposed:#?}");
    assert!(!shown.contains(SUDO_PASSWORD), "{shown}");
    for (path, text) in [("tree/a.txt", "alpha\n"), ("tree/sub/b.txt", "beta\n")] {
        let got = std::fs::read_to_string(dest.path().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}\n{shown}"));
        assert_eq!(got, text);
    }
    let owner = std::process::Command::new("stat")
        .args(["-c", "%U"])
        .arg(dest.path().join("tree/a.txt"))
        .output()
        .expect("stat");
    assert_eq!(String::from_utf8_lossy(&owner.stdout).trim(), SUDO_USER);
    assert!(
        shown.contains("cannot ask for the become password"),
        "become with a sudo password is refused: {shown}"
    );
    assert!(!dest.path().join("root").exists(), "{shown}");
    assert_eq!(
        fleet.host(0).accepted_auths(),
        1,
        "one login: {}",
        fleet.host(0).log()
    );
}
