//! The differential test: ansible-playbook on one fresh machine, playhook on another, the same
//! play (`play.rs`); then a second run of each, which must change nothing; and `--check --diff`
//! on a third fresh machine, which must leave it as it was.

use serde_json::Value as Json;

use super::play::{self, end_state, public_key, put_local_deb, repository, results};
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
        "cache_update_time",
        "the time of each machine's own apt-get update (its type is compared)",
    ),
    (
        "warnings",
        "Ansible's deprecation notes about apt-key; playhook puts that into the docs",
    ),
    ("deprecations", "as warnings"),
];

/// apt-get's download speed and time (`Fetched 552 B in 0s (11.2 kB/s)`) differ from run to
/// run: `stdout`, `stdout_lines` and `diff` are compared without them.
fn normalised(v: &Json) -> Json {
    match v {
        Json::String(s) => Json::String(
            s.split('\n')
                .map(|l| match l.strip_prefix("Fetched ") {
                    Some(rest) => format!("Fetched {}", rest.split(" in ").next().unwrap_or(rest)),
                    None => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Json::Array(items) => Json::Array(items.iter().map(normalised).collect()),
        Json::Object(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), normalised(v))).collect()),
        other => other.clone(),
    }
}

/// Keys the executor registers around every module, not the package modules' own: playhook's
/// executor leaves out `failed: false` and a loop's summary `msg`/`skipped`, and words a skipped
/// task's `false_condition`/`skip_reason` differently. Not compared here (the executor's tests
/// own them).
const EXECUTOR_KEYS: &[&str] = &["failed", "msg", "skipped", "false_condition", "skip_reason"];

/// Compares two registered values key by key; skipped keys only need to be present on both.
fn compare(path: &str, theirs: &Json, ours: &Json, problems: &mut Vec<String>) {
    match (theirs, ours) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, va) in a {
                let here = format!("{path}.{k}");
                if EXECUTOR_KEYS.contains(&k.as_str()) && (k != "msg" || !b.contains_key(k)) {
                    continue;
                }
                if SKIPPED_KEYS.iter().any(|(s, _)| s == k) {
                    if !b.contains_key(k) && !matches!(k.as_str(), "invocation" | "warnings" | "deprecations")
                    {
                        problems.push(format!("{here}: missing in playhook's result"));
                    }
                    if k == "cache_update_time" && b.get(k).is_some_and(|v| !v.is_i64()) {
                        problems.push(format!("{here}: not an integer in playhook's result"));
                    }
                    continue;
                }
                match b.get(k) {
                    Some(vb) => compare(&here, va, vb, problems),
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
        _ if normalised(theirs) == normalised(ours) => {}
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

fn playhook(repo: &TestRepo, ours: &Machine, first: bool) -> Run {
    // playhook needs nothing but sh on the target: take python away while it runs.
    ours.ok("chmod a-x /usr/bin/python3.11");
    let run = repo.playhook(&["deploy", "--json", "-e", &format!("first={first}")]);
    ours.ok("chmod a+x /usr/bin/python3.11");
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

#[test]
fn the_package_modules_end_where_ansible_ends_and_register_the_same_results() {
    let apt_repo = repository();
    let machines = Machines::start(2);
    let (theirs, ours) = (machines.machine(0), machines.machine(1));
    // The same start on both: Debian's lists, and python3-debian, which Ansible's
    // deb822_repository needs on its machine.
    for m in [theirs, ours] {
        m.ok("apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-debian >/dev/null");
    }
    put_local_deb(&[theirs, ours]);
    let key = public_key();
    let repo = TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("ansible.yaml", &play::play(&theirs.name, &apt_repo.url(), &key))
        .file("deploy.yaml", &play::play(&ours.name, &apt_repo.url(), &key));

    let ansible_out = ansible(&repo, &machines, true, false);
    let run = playhook(&repo, ours, true);
    let keep = std::env::temp_dir().join("playhook-packages-oracle");
    play::keep(&keep, "ansible.txt", &ansible_out);
    play::keep(&keep, "playhook.txt", &run.stdout());
    assert_eq!(
        playhook_recap(&run, &ours.name),
        ansible_recap(&ansible_out, &theirs.name),
        "recaps differ:\n{ansible_out}\n{}",
        run.stdout()
    );

    let (a, b) = (end_state(theirs), end_state(ours));
    for ((what, ta), (_, tb)) in a.iter().zip(&b) {
        play::keep(&keep, &format!("{what}.ansible"), ta);
        play::keep(&keep, &format!("{what}.playhook"), tb);
        assert_eq!(ta, tb, "{what} differs (Ansible left, playhook right)");
    }
    assert!(a[0].1.contains("ph-base 2.0 install ok installed"), "{}", a[0].1);
    assert!(a[0].1.contains("ph-local 1.0 install ok installed"), "{}", a[0].1);
    assert!(
        a[0].1.contains("ph-glob-two 1.0 install ok installed"),
        "{}",
        a[0].1
    );
    assert!(
        !a[0].1.contains("ph-check "),
        "check mode installed nothing: {}",
        a[0].1
    );
    assert!(
        a[0].1.contains("\ngpg "),
        "the mirror's gpg is installed: {}",
        a[0].1
    );

    let (ra, rb) = (results(theirs), results(ours));
    play::keep(
        &keep,
        "results.ansible.json",
        &serde_json::to_string_pretty(&ra).unwrap_or_default(),
    );
    play::keep(
        &keep,
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
    let again = playhook(&repo, ours, false);
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
fn check_and_diff_on_a_fresh_machine_change_nothing() {
    let apt_repo = repository();
    let machines = Machines::start(1);
    let m = machines.machine(0);
    m.add_apt_repo(&apt_repo, false);
    m.ok("apt-get update -q >/dev/null");
    let key = public_key();
    let repo = TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("deploy.yaml", &play::play(&m.name, &apt_repo.url(), &key));
    let before = end_state(m);
    let stamp = m.ok(
        "find /etc/apt /var/lib/dpkg /var/lib/apt/extended_states -newer /etc/hostname 2>/dev/null | sort",
    );
    let run = repo.playhook(&["deploy", "--check", "--diff", "-e", "first=true"]);
    let text = run.stdout();
    assert_eq!(run.code(), 0, "{text}{}", run.stderr());
    assert_eq!(end_state(m), before, "--check changed the machine:\n{text}");
    assert_eq!(
        m.ok(
            "find /etc/apt /var/lib/dpkg /var/lib/apt/extended_states -newer /etc/hostname 2>/dev/null | sort"
        ),
        stamp,
        "--check wrote under /etc/apt or /var/lib/dpkg"
    );
    // The diff shows the package lists apt-get prepared, and the new sources file (the one-line
    // source is there already: the machine was set up with it).
    assert!(
        text.contains("The following NEW packages will be installed:"),
        "{text}"
    );
    assert!(text.contains("ph-app"), "{text}");
    assert!(
        text.contains("+++ after: /etc/apt/sources.list.d/ph-local-repo.sources"),
        "{text}"
    );
}
