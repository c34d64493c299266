//! The differential test: ansible-playbook on one fresh machine, playhook on another, the same
//! play (`play.rs`); then a second run of each, which must change nothing; and `--check --diff`
//! on a third fresh machine, which must leave it as it was.

use serde_json::Value as Json;

use super::play::{self, end_state, public_key, put_local_deb, repository, results};
use crate::support::machines::Machines;
use crate::support::oracle::{Rule, Site, Twins, assert_same_results, machines_repo};
use crate::support::repo::Run;

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

/// How each place of the registered results is compared: [`EXECUTOR_KEYS`] that Ansible has are
/// not (but a `msg` both have is); [`SKIPPED_KEYS`] only need to be present on both.
fn rule(at: &Site) -> Rule {
    let k = at.key;
    if EXECUTOR_KEYS.contains(&k) && at.theirs.is_some() && (k != "msg" || at.ours.is_none()) {
        return Rule::Skip;
    }
    if SKIPPED_KEYS.iter().any(|(s, _)| *s == k) {
        return match (at.theirs, k) {
            (Some(_), "cache_update_time") => Rule::Integer,
            _ => Rule::Skip,
        };
    }
    Rule::Equal
}

/// playhook needs nothing but sh on the target: python is taken away while it runs.
fn playhook(twins: &Twins, first: bool) -> Run {
    let ours = twins.ours();
    ours.ok("chmod a-x /usr/bin/python3.11");
    let run = twins
        .repo
        .playhook(&["deploy", "--json", "-e", &format!("first={first}")]);
    ours.ok("chmod a+x /usr/bin/python3.11");
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    run
}

#[test]
fn the_package_modules_end_where_ansible_ends_and_register_the_same_results() {
    let apt_repo = repository();
    let key = public_key();
    let twins = Twins::start(2, |host| play::play(host, &apt_repo.url(), &key));
    let (theirs, ours) = (twins.theirs(), twins.ours());
    // The same start on both: Debian's lists, and python3-debian, which Ansible's
    // deb822_repository needs on its machine.
    for m in [theirs, ours] {
        m.ok("apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-debian >/dev/null");
    }
    put_local_deb(&[theirs, ours]);

    let ansible_out = twins.ansible(&["-e", "first=true"]);
    let run = playhook(&twins, true);
    let keep = std::env::temp_dir().join("playhook-packages-oracle");
    play::keep(&keep, "ansible.txt", &ansible_out);
    play::keep(&keep, "playhook.txt", &run.stdout());
    twins.assert_same_recap(&ansible_out, &run);

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
    assert_same_results("/root/results.json", &normalised(&ra), &normalised(&rb), &rule);

    // Again: nothing to do on either.
    let ansible_again = twins.ansible(&["-e", "first=false"]);
    let again = playhook(&twins, false);
    twins.assert_changed_nothing(&ansible_again, &again);
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
    let repo = machines_repo(&machines).file("deploy.yaml", &play::play(&m.name, &apt_repo.url(), &key));
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
