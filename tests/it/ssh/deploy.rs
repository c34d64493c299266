//! The bundled example (`examples/galaxy`) deployed over SSH to ten fleet hosts, with
//! `ansible-playbook` as the oracle: the same files, bytes and modes on every host, the same
//! recap, one SSH authentication per host per run, and nothing left to change on a second run.
//!
//! Every file the example writes goes under `GALAXY_ROOT`, here `/srv/galaxy`: each fleet host
//! has its own `/srv`, so each host's result is read from the controller through `FleetHost::srv`.
//! ansible-playbook runs first; its trees are moved aside before playhook deploys the same paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::fleet::Fleet;
use crate::support::tree;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/galaxy");
const PLAYHOOK: &str = env!("CARGO_BIN_EXE_playhook");
const HOSTS: usize = 10;

/// `ok, changed, unreachable, failed` of one host.
type Counts = [u64; 4];

/// The environment both tools run in: the example's inventory script describes the fleet.
fn env(cmd: &mut Command, fleet: &Fleet, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LC_ALL", "C.UTF-8")
        .env("GALAXY_ROOT", "/srv/galaxy")
        .env("GALAXY_SSH_HOSTS", HOSTS.to_string())
        .env("GALAXY_SSH_FIRST", fleet.first_octet().to_string())
        .env("GALAXY_SSH_PORT", fleet.port().to_string())
        .env("GALAXY_SSH_USER", "root")
        .env("GALAXY_SSH_KEY", fleet.client_key())
        .current_dir(EXAMPLE);
}

/// Where ssh finds the fleet's host keys, as an extra variable both tools understand.
fn known_hosts_var(fleet: &Fleet) -> String {
    serde_json::json!({
        "ansible_ssh_common_args": format!("-o UserKnownHostsFile={}", fleet.known_hosts().display())
    })
    .to_string()
}

fn show(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ansible_playbook(fleet: &Fleet, home: &Path) -> BTreeMap<String, Counts> {
    let mut cmd = Command::new("ansible-playbook");
    env(&mut cmd, fleet, home);
    cmd.args(["deploy.yaml", "-e", &known_hosts_var(fleet)])
        .env("ANSIBLE_CONFIG", Path::new(EXAMPLE).join("ansible.cfg"))
        .env("ANSIBLE_NOCOLOR", "1");
    let out = cmd
        .output()
        .expect("running ansible-playbook (pip install ansible-core==2.19.14)");
    assert!(out.status.success(), "ansible-playbook failed:\n{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut recap = BTreeMap::new();
    for line in stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .skip(1)
    {
        let Some((host, counts)) = line.split_once(" : ") else {
            continue;
        };
        let field = |name: &str| {
            counts
                .split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
                .unwrap_or_else(|| panic!("no {name}= in recap line {line:?}"))
        };
        recap.insert(
            host.trim().to_string(),
            [
                field("ok"),
                field("changed"),
                field("unreachable"),
                field("failed"),
            ],
        );
    }
    recap
}

fn playhook_deploy(fleet: &Fleet, home: &Path) -> BTreeMap<String, Counts> {
    let mut cmd = Command::new(PLAYHOOK);
    env(&mut cmd, fleet, home);
    cmd.args([
        "deploy",
        "all",
        "--json",
        "--color",
        "never",
        "-e",
        &known_hosts_var(fleet),
    ]);
    let out = cmd.output().expect("running playhook deploy");
    assert!(out.status.success(), "playhook deploy failed:\n{}", show(&out));
    recap_counts(&String::from_utf8_lossy(&out.stdout))
}

/// Per-host counts from the recap event of `playhook deploy --json` output.
fn recap_counts(stdout: &str) -> BTreeMap<String, Counts> {
    let recap = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("invalid JSON event {l:?}: {e}")))
        .rfind(|e| e["event"] == "recap")
        .unwrap_or_else(|| panic!("no recap event in:\n{stdout}"));
    let hosts = recap["hosts"]
        .as_object()
        .unwrap_or_else(|| panic!("no hosts in the recap {recap}"));
    hosts
        .iter()
        .map(|(host, c)| {
            let field = |name: &str| {
                c[name]
                    .as_u64()
                    .unwrap_or_else(|| panic!("no {name} for {host} in {recap}"))
            };
            (
                host.clone(),
                [
                    field("ok"),
                    field("changed"),
                    field("unreachable"),
                    field("failed"),
                ],
            )
        })
        .collect()
}

#[test]
fn the_example_deploys_over_ssh_to_ten_hosts_like_ansible_playbook() {
    let fleet = Fleet::start(HOSTS);
    let home = tempfile::tempdir().expect("creating a HOME");

    let want = ansible_playbook(&fleet, home.path());
    assert_eq!(want.len(), HOSTS, "ansible-playbook's recap: {want:?}");
    let expected: Vec<PathBuf> = fleet
        .hosts()
        .iter()
        .map(|h| {
            let aside = h.srv().join("galaxy-ansible");
            std::fs::rename(h.srv().join("galaxy"), &aside).expect("moving ansible's tree aside");
            aside
        })
        .collect();
    let auths_before: Vec<usize> = fleet.hosts().iter().map(|h| h.accepted_auths()).collect();

    let got = playhook_deploy(&fleet, home.path());
    let mut problems = Vec::new();
    if got != want {
        problems.push(format!("recap: ansible-playbook {want:?}, playhook {got:?}"));
    }
    for (host, expected) in fleet.hosts().iter().zip(&expected) {
        for m in tree::compare(expected, &host.srv().join("galaxy")) {
            problems.push(format!("{}: {m}", host.name));
        }
    }
    let again = playhook_deploy(&fleet, home.path());
    for (host, counts) in &again {
        if counts[1] != 0 || counts[2] != 0 || counts[3] != 0 {
            problems.push(format!(
                "second deploy on {host}: ok/changed/unreachable/failed = {counts:?}"
            ));
        }
    }
    for ((host, expected), before) in fleet.hosts().iter().zip(&expected).zip(auths_before) {
        for m in tree::compare(expected, &host.srv().join("galaxy")) {
            problems.push(format!("{} after the second deploy: {m}", host.name));
        }
        let auths = host.accepted_auths() - before;
        if auths != 2 {
            problems.push(format!(
                "{}: {auths} ssh authentications for two deploys, expected 2",
                host.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// A host that stops answering (SIGSTOPped sshd) is reported unreachable after `--timeout`; the
/// other hosts deploy completely, and the exit code says a host was unreachable.
#[test]
fn a_frozen_host_is_unreachable_while_the_others_deploy() {
    let fleet = Fleet::start(3);
    let home = tempfile::tempdir().expect("creating a HOME");
    fleet.host(1).freeze();
    let mut cmd = Command::new(PLAYHOOK);
    env(&mut cmd, &fleet, home.path());
    cmd.env("GALAXY_SSH_HOSTS", "3").args([
        "deploy",
        "all",
        "--json",
        "--color",
        "never",
        "--timeout",
        "2",
        "-e",
        &known_hosts_var(&fleet),
    ]);
    let out = cmd.output().expect("running playhook deploy");
    fleet.host(1).thaw();
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit code for an unreachable host:\n{}",
        show(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("galaxy-002") && stdout.contains("timed out"),
        "{}",
        show(&out)
    );
    assert!(
        !stdout.contains("galaxy-002: galaxy-002:"),
        "the host is named twice:\n{stdout}"
    );
    let recap = recap_counts(&stdout);
    assert_eq!(recap["galaxy-002"][2], 1, "galaxy-002 unreachable in {recap:?}");
    for (i, name) in [(0, "galaxy-001"), (2, "galaxy-003")] {
        let [_, changed, unreachable, failed] = recap[name];
        assert!(
            changed > 0 && unreachable == 0 && failed == 0,
            "{name}: {:?}",
            recap[name]
        );
        assert!(
            fleet.host(i).srv().join("galaxy/etc/nginx/nginx.conf").is_file(),
            "{name} was not deployed"
        );
    }
    assert!(
        !fleet.host(1).srv().join("galaxy").exists(),
        "the frozen host got files"
    );
}

/// An unknown host key stops the deploy for that host with the way out; `--accept-new-host-keys`
/// records the key and deploys.
#[test]
fn an_unknown_host_key_needs_accept_new_host_keys() {
    let fleet = Fleet::start(1);
    let home = tempfile::tempdir().expect("creating a HOME");
    let known_hosts = home.path().join("known_hosts");
    std::fs::write(&known_hosts, "").expect("writing an empty known_hosts");
    let extra = serde_json::json!({
        "ansible_ssh_common_args": format!("-o UserKnownHostsFile={}", known_hosts.display())
    })
    .to_string();
    let deploy = |accept: bool| {
        let mut cmd = Command::new(PLAYHOOK);
        env(&mut cmd, &fleet, home.path());
        cmd.env("GALAXY_SSH_HOSTS", "1")
            .args(["deploy", "all", "--color", "never", "-e", &extra]);
        if accept {
            cmd.arg("--accept-new-host-keys");
        }
        cmd.output().expect("running playhook deploy")
    };
    let refused = deploy(false);
    assert_eq!(refused.status.code(), Some(3), "{}", show(&refused));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(said.contains("galaxy-001: the host key of"), "{said}");
    assert!(said.contains("--accept-new-host-keys"), "{said}");
    assert_eq!(fleet.host(0).accepted_auths(), 0);

    let accepted = deploy(true);
    assert!(accepted.status.success(), "{}", show(&accepted));
    let recorded = std::fs::read_to_string(&known_hosts).expect("reading known_hosts");
    assert!(
        recorded.contains("ssh-ed25519"),
        "the key was not recorded: {recorded:?}"
    );
    assert!(fleet.host(0).srv().join("galaxy/etc/nginx/nginx.conf").is_file());
}
