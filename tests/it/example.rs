//! The bundled example (`examples/galaxy`) end to end, with `ansible-playbook` as the oracle:
//! both tools deploy it into the same root directory and must leave the same files, bytes and
//! modes; a second `playhook deploy` changes nothing; `./deploy dns` runs only the DNS role.
//!
//! Both tools write into the same `GALAXY_ROOT` path one after the other (the ansible tree is
//! moved aside before playhook runs), because the example's files name their own paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::tree;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/galaxy");
const PLAYHOOK: &str = env!("CARGO_BIN_EXE_playhook");
const INSTALL_ANSIBLE: &str = "install it with `pip install ansible-core==2.19.14` (.ci/run does)";

/// Per-host counts from a recap, in the order Ansible prints them.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    ok: u64,
    changed: u64,
    unreachable: u64,
    failed: u64,
    skipped: u64,
}

/// The installed ansible-playbook and the Python it runs on (used for its modules too, so that
/// interpreter discovery cannot pick a Python without Ansible's needs).
struct Ansible {
    program: PathBuf,
    python: String,
}

impl Ansible {
    fn find() -> Ansible {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join("ansible-playbook"))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("ansible-playbook is not on PATH: {INSTALL_ANSIBLE}"));
        let out = Command::new(&program)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("running {} --version: {e}", program.display()));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && text.contains("core 2.19."),
            "ansible-playbook --version did not report ansible-core 2.19 ({INSTALL_ANSIBLE}):\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let python = text
            .lines()
            .find(|l| l.trim_start().starts_with("python version ="))
            .and_then(|l| Some(l[l.rfind('(')? + 1..l.rfind(')')?].to_string()))
            .unwrap_or_else(|| panic!("no python path in ansible-playbook --version:\n{text}"));
        Ansible { program, python }
    }

    /// Runs the example's playbook into `root` with extra arguments; panics unless it succeeds.
    fn deploy(&self, sandbox: &Sandbox, args: &[&str]) -> Counts {
        let mut cmd = Command::new(&self.program);
        sandbox.env(&mut cmd);
        cmd.arg("deploy.yaml")
            .args(args)
            .current_dir(EXAMPLE)
            .env("ANSIBLE_CONFIG", Path::new(EXAMPLE).join("ansible.cfg"))
            .env("ANSIBLE_PYTHON_INTERPRETER", &self.python)
            .env("ANSIBLE_NOCOLOR", "1");
        let out = run(&mut cmd, "ansible-playbook");
        assert!(out.status.success(), "ansible-playbook failed:\n{}", show(&out));
        ansible_recap(&String::from_utf8_lossy(&out.stdout))
    }
}

/// A temporary directory with a HOME and the root path the example deploys into.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        std::fs::create_dir(dir.path().join("home")).expect("creating HOME");
        Sandbox { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Moves the deployed root aside, to `name`, and returns where it went.
    fn keep(&self, name: &str) -> PathBuf {
        let to = self.dir.path().join(name);
        std::fs::rename(self.root(), &to).expect("moving the deployed root aside");
        to
    }

    /// A cleared environment: PATH (for sh and the tools), a private HOME, GALAXY_ROOT.
    fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("LC_ALL", "C.UTF-8")
            .env("GALAXY_ROOT", self.root());
    }
}

fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("starting {what}: {e}"))
}

fn show(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The counts of the example's one host from ansible-playbook's PLAY RECAP.
fn ansible_recap(stdout: &str) -> Counts {
    let line = stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .find(|l| l.starts_with("milkyway"))
        .unwrap_or_else(|| panic!("no recap line for milkyway in:\n{stdout}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name}= in recap line {line:?}"))
    };
    Counts {
        ok: field("ok"),
        changed: field("changed"),
        unreachable: field("unreachable"),
        failed: field("failed"),
        skipped: field("skipped"),
    }
}

/// The JSON events playhook printed with `--json` (other lines are ignored).
fn json_events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON event {l:?}: {e}")))
        .collect()
}

/// The counts of the example's one host from the last event, which must be the recap.
fn json_recap(stdout: &str) -> Counts {
    let events = json_events(stdout);
    let last = events
        .last()
        .unwrap_or_else(|| panic!("no JSON events in:\n{stdout}"));
    assert_eq!(
        last["event"], "recap",
        "the last event is not the recap:\n{stdout}"
    );
    let host = &last["hosts"]["milkyway"];
    let field = |name: &str| {
        host[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no {name} count for milkyway in {last}"))
    };
    Counts {
        ok: field("ok"),
        changed: field("changed"),
        unreachable: field("unreachable"),
        failed: field("failed"),
        skipped: field("skipped"),
    }
}

/// Runs `playhook deploy --json` on the example into the sandbox's root; panics unless it
/// succeeds. Returns stdout.
fn playhook_deploy(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut cmd = Command::new(PLAYHOOK);
    sandbox.env(&mut cmd);
    cmd.args(["deploy", "-C", EXAMPLE, "--json", "--color", "never"])
        .args(args);
    let out = run(&mut cmd, "playhook deploy");
    assert!(out.status.success(), "playhook deploy failed:\n{}", show(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `playhook deploy` leaves exactly the tree ansible-playbook leaves, with the same recap, and a
/// second deploy changes nothing. The example itself is checked first: under ansible-playbook
/// a second run changes nothing and the certbot credentials hold what the key file says.
#[test]
fn example_deploys_like_ansible_playbook() {
    let ansible = Ansible::find();
    let sandbox = Sandbox::new();
    let want_counts = ansible.deploy(&sandbox, &[]);
    assert!(
        want_counts.changed > 0 && want_counts.failed == 0,
        "first ansible run: {want_counts:?}"
    );
    let credentials = std::fs::read_to_string(sandbox.root().join("etc/letsencrypt/credentials.ini"))
        .expect("reading credentials.ini");
    assert!(
        credentials.contains("dns_rfc2136_name = letsencrypt_wildcard\n"),
        "{credentials}"
    );
    assert!(
        credentials.contains("dns_rfc2136_algorithm = HMAC-SHA512\n"),
        "{credentials}"
    );
    let second = ansible.deploy(&sandbox, &[]);
    assert_eq!(
        (second.changed, second.failed),
        (0, 0),
        "second ansible run: {second:?}"
    );
    let expected = sandbox.keep("ansible");

    let stdout = playhook_deploy(&sandbox, &["all"]);
    let got_counts = json_recap(&stdout);
    let mut problems = tree::compare(&expected, &sandbox.root())
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    if got_counts != want_counts {
        problems.push(format!(
            "recap: expected {want_counts:?} (ansible-playbook), got {got_counts:?}"
        ));
    }

    let again = json_recap(&playhook_deploy(&sandbox, &["all"]));
    if again.changed != 0 || again.failed != 0 {
        problems.push(format!(
            "second deploy: expected changed=0 failed=0, got {again:?}"
        ));
    }
    for m in tree::compare(&expected, &sandbox.root()) {
        problems.push(format!("after the second deploy: {m}"));
    }
    assert!(
        problems.is_empty(),
        "{} difference(s) from ansible-playbook (expected tree {}, got {}):\n  {}",
        problems.len(),
        expected.display(),
        sandbox.root().display(),
        problems.join("\n  ")
    );
}

/// `./deploy dns` (the shim, finding playhook on PATH) runs the bind role and nothing else, and
/// leaves the tree `ansible-playbook --tags dns` leaves.
#[test]
fn deploy_shim_dns_runs_only_the_dns_role() {
    let ansible = Ansible::find();
    let sandbox = Sandbox::new();
    ansible.deploy(&sandbox, &["--tags", "dns"]);
    let expected = sandbox.keep("ansible");

    let bin_dir = Path::new(PLAYHOOK)
        .parent()
        .expect("the binary is in a directory");
    let mut path = vec![bin_dir.to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = Command::new(Path::new(EXAMPLE).join("deploy"));
    sandbox.env(&mut cmd);
    cmd.env(
        "PATH",
        std::env::join_paths(path).expect("PATH entries have no ':'"),
    )
    .args(["dns", "--json", "--color", "never"]);
    let out = run(&mut cmd, "./deploy dns");
    assert!(out.status.success(), "./deploy dns failed:\n{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);

    let mut roles = BTreeSet::new();
    for event in json_events(&stdout).iter().filter(|e| e["event"] == "task_start") {
        let location = event["location"].as_str().unwrap_or_default();
        match location.split_once("roles/") {
            Some((_, rest)) => {
                roles.insert(rest.split('/').next().unwrap_or_default().to_string());
            }
            None => {
                let name = event["name"].as_str().unwrap_or_default().to_lowercase();
                assert!(name.contains("fact"), "a task outside the roles ran: {event}");
            }
        }
    }
    assert_eq!(
        roles,
        BTreeSet::from(["bind".to_string()]),
        "roles that ran:\n{stdout}"
    );
    let recap = json_recap(&stdout);
    assert!(recap.changed > 0 && recap.failed == 0, "{recap:?}");

    let mismatches = tree::compare(&expected, &sandbox.root());
    assert!(
        mismatches.is_empty(),
        "{}",
        tree::report(&expected, &sandbox.root(), &mismatches)
    );
}

/// `--check` on a fresh root reports what it would change and writes nothing at all.
#[test]
fn check_mode_on_a_fresh_root_writes_nothing() {
    let sandbox = Sandbox::new();
    let recap = json_recap(&playhook_deploy(&sandbox, &["all", "--check", "--diff"]));
    assert!(recap.changed > 0 && recap.failed == 0, "{recap:?}");
    assert!(
        !sandbox.root().exists(),
        "--check created {}",
        sandbox.root().display()
    );
}

/// Hand edits on the target are put back by the next deploy: changed content and modes, a
/// removed file, a repointed symlink, an edited line, a stray file the play removes. Only the
/// handlers' logs grow.
#[test]
fn deploy_repairs_drift() {
    let sandbox = Sandbox::new();
    playhook_deploy(&sandbox, &["all"]);
    let mut want = tree::Tree::read(&sandbox.root());

    let root = sandbox.root();
    let set_mode = |rel: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    std::fs::write(root.join("etc/motd"), "edited by hand\n").expect("editing motd");
    set_mode("etc/bind/zones/db.galaxy.test", 0o600);
    set_mode("srv/blog", 0o700);
    std::fs::remove_file(root.join("srv/blog/static/logo.png")).expect("removing logo.png");
    std::fs::remove_file(root.join("etc/letsencrypt/credentials.ini")).expect("removing credentials");
    let link = root.join("etc/nginx/sites-enabled/galaxy.test.conf");
    std::fs::remove_file(&link).expect("removing a site link");
    std::os::unix::fs::symlink("/nowhere", &link).expect("repointing a site link");
    let hosts = std::fs::read_to_string(root.join("etc/hosts")).expect("reading hosts");
    std::fs::write(root.join("etc/hosts"), hosts.replace("milkyway", "saturn")).expect("editing hosts");
    std::fs::write(root.join("etc/nginx/sites-enabled/default"), "").expect("adding a default site");

    let recap = json_recap(&playhook_deploy(&sandbox, &["all"]));
    assert!(recap.changed > 0 && recap.failed == 0, "{recap:?}");
    let mut got = tree::Tree::read(&sandbox.root());
    for t in [&mut want, &mut got] {
        t.entries.retain(|path, _| !path.starts_with("var/log"));
    }
    let mismatches = tree::Tree::diff(&want, &got);
    assert!(
        mismatches.is_empty(),
        "{}",
        tree::report(&root, &root, &mismatches)
    );
}
