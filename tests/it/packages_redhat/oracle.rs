//! The differential test: ansible-playbook on one fresh machine, playhook on another, the same
//! play (`play.rs`); then a second run of each, which must change nothing; and `--check --diff`
//! by both on two more machines that already have the repository, which must change nothing.

use serde_json::Value as Json;

use super::play::{self, end_state, prepare};
use crate::packages::play::{keep, public_key, results};
use crate::support::ansible_tasks::ansible_command;
use crate::support::machines::{Machine, Machines};
use crate::support::repo::{Run, TestRepo};

/// Result keys not compared, and why.
const SKIPPED_KEYS: &[(&str, &str)] = &[
    (
        "invocation",
        "Ansible echoes the module's arguments; playhook registers no invocation",
    ),
    (
        "warnings",
        "Ansible's dnf warns that Debian has no release version (no system-release package); playhook lets dnf decide",
    ),
    ("deprecations", "as warnings"),
    (
        "failed",
        "playhook's executor registers `failed` only when true, for every module (not this family's doing)",
    ),
];

/// Keys whose lists are compared as sets: Ansible lists dnf's transaction from a Python set.
const UNORDERED_KEYS: &[&str] = &["results"];

/// Compares two registered values key by key.
fn compare(path: &str, theirs: &Json, ours: &Json, problems: &mut Vec<String>) {
    match (theirs, ours) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, va) in a {
                let here = format!("{path}.{k}");
                if SKIPPED_KEYS.iter().any(|(s, _)| s == k) {
                    continue;
                }
                let sorted = |v: &Json| match v {
                    Json::Array(items) if UNORDERED_KEYS.contains(&k.as_str()) => {
                        let mut items = items.clone();
                        items.sort_by_key(|i| i.to_string());
                        Json::Array(items)
                    }
                    other => other.clone(),
                };
                match b.get(k) {
                    Some(vb) => compare(&here, &sorted(va), &sorted(vb), problems),
                    None => problems.push(format!("{here}: missing in playhook's result (Ansible: {va})")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                if !SKIPPED_KEYS.iter().any(|(s, _)| s == k) {
                    problems.push(format!("{path}.{k}: only in playhook's result ({})", b[k]));
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), va, vb, problems);
            }
        }
        _ if theirs == ours => {}
        _ => problems.push(format!("{path}: Ansible {theirs} / playhook {ours}")),
    }
}

fn ansible(repo: &TestRepo, machines: &Machines, first: bool, check: bool) -> String {
    let mut cmd = ansible_command("ansible-playbook");
    cmd.arg("-i")
        .arg(machines.inventory())
        .arg("ansible.yaml")
        .args(["-e", &format!("first={first}")])
        .current_dir(repo.path())
        .env("HOME", repo.path());
    if check {
        cmd.args(["--check", "--diff"]);
    }
    let out = cmd.output().expect("running ansible-playbook");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// playhook runs the `dnf` program, which (dnf 4) is itself written in Python: unlike the apt
/// tests, python stays on the machine.
fn playhook(repo: &TestRepo, ours: &Machine, args: &[&str]) -> Run {
    let _ = ours;
    let run = repo.playhook(args);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    run
}

/// The recap counts Ansible printed for `host`.
fn ansible_recap(text: &str, host: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(&format!("{host} ")))
        .unwrap_or_default()
        .split_whitespace()
        .skip(2)
        .take(5)
        .collect::<Vec<_>>()
        .join(" ")
}

fn playhook_recap(run: &Run, host: &str) -> String {
    let recap = run.recap(host);
    ["ok", "changed", "unreachable", "failed", "skipped"]
        .map(|k| format!("{k}={}", recap[k]))
        .join(" ")
}

fn test_repo(machines: &Machines, theirs: &Machine, ours: &Machine) -> TestRepo {
    TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("ansible.yaml", &play::play(&theirs.name))
        .file("deploy.yaml", &play::play(&ours.name))
}

#[test]
fn the_redhat_package_modules_end_where_ansible_ends_and_register_the_same_results() {
    let machines = Machines::start(2);
    let (theirs, ours) = (machines.machine(0), machines.machine(1));
    let key = public_key();
    for m in [theirs, ours] {
        prepare(m, &key);
    }
    let repo = test_repo(&machines, theirs, ours);

    let ansible_out = ansible(&repo, &machines, true, false);
    let run = playhook(&repo, ours, &["deploy", "--json", "-e", "first=true"]);
    let kept = std::env::temp_dir().join("playhook-redhat-oracle");
    keep(&kept, "ansible.txt", &ansible_out);
    keep(&kept, "playhook.txt", &run.stdout());
    assert_eq!(
        playhook_recap(&run, &ours.name),
        ansible_recap(&ansible_out, &theirs.name),
        "recaps differ:\n{ansible_out}\n{}",
        run.stdout()
    );

    let (a, b) = (end_state(theirs), end_state(ours));
    for ((what, ta), (_, tb)) in a.iter().zip(&b) {
        keep(&kept, &format!("{what}.ansible"), ta);
        keep(&kept, &format!("{what}.playhook"), tb);
        assert_eq!(ta, tb, "{what} differs (Ansible left, playhook right)");
    }
    let packages = &a[0].1;
    for want in [
        "ph-base 2.0-1",
        "ph-app 1.0-1",
        "ph-loop-b 1.0-1",
        "ph-rel 1.5-1",
        "ph-pkg 1.0-1",
    ] {
        assert!(packages.contains(want), "{want} installed: {packages}");
    }
    for gone in ["ph-tool", "ph-check", "ph-base 1.0"] {
        assert!(!packages.contains(gone), "{gone} not installed: {packages}");
    }
    assert!(a[1].1.contains("[ph-extra]\n"), "{}", a[1].1);
    assert!(
        a[2].1.contains("playhook test <test@playhook.invalid>"),
        "the key is imported: {}",
        a[2].1
    );

    let (ra, rb) = (results(theirs), results(ours));
    keep(
        &kept,
        "results.ansible.json",
        &serde_json::to_string_pretty(&ra).unwrap_or_default(),
    );
    keep(
        &kept,
        "results.playhook.json",
        &serde_json::to_string_pretty(&rb).unwrap_or_default(),
    );
    let mut problems = Vec::new();
    compare("", &ra, &rb, &mut problems);
    assert!(
        problems.is_empty(),
        "registered results differ:\n{}",
        problems.join("\n")
    );

    // Again: nothing to do on either.
    let ansible_again = ansible(&repo, &machines, false, false);
    let again = playhook(&repo, ours, &["deploy", "--json", "-e", "first=false"]);
    assert!(
        ansible_recap(&ansible_again, &theirs.name).contains("changed=0"),
        "{ansible_again}"
    );
    assert!(
        playhook_recap(&again, &ours.name).contains("changed=0"),
        "{}",
        again.stdout()
    );
    assert_eq!(end_state(ours), b, "the second run changed playhook's machine");
}

#[test]
fn check_and_diff_change_nothing_as_with_ansible() {
    let machines = Machines::start(2);
    let (theirs, ours) = (machines.machine(0), machines.machine(1));
    let key = public_key();
    for m in [theirs, ours] {
        prepare(m, &key);
        // The repository is already configured (written by hand, another order and spacing:
        // yum_repository compares the content, not the text).
        m.ok(&format!(
            "printf '[ph]\\ngpgcheck=0\\nbaseurl={}\\nname=playhook local\\n' > /etc/yum.repos.d/ph.repo",
            crate::support::rpm_repo::url()
        ));
    }
    let repo = test_repo(&machines, theirs, ours);
    let before = (end_state(theirs), end_state(ours));
    let ansible_out = ansible(&repo, &machines, true, true);
    let run = playhook(&repo, ours, &["deploy", "--check", "--diff", "-e", "first=true"]);
    let text = run.stdout();
    assert_eq!(
        end_state(theirs),
        before.0,
        "Ansible's --check changed its machine"
    );
    assert_eq!(end_state(ours), before.1, "--check changed the machine:\n{text}");
    assert_eq!(
        ansible_recap(&text, &ours.name),
        ansible_recap(&ansible_out, &theirs.name),
        "recaps differ:\n{ansible_out}\n{text}"
    );
    assert!(text.contains("+++ after: /etc/yum.repos.d/ph.repo"), "{text}");
    assert!(text.contains("+[ph-extra]"), "{text}");
}
