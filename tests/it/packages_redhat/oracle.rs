//! The differential test: ansible-playbook on one fresh machine, playhook on another, the same
//! play (`play.rs`); then a second run of each, which must change nothing; and `--check --diff`
//! by both on two more machines that already have the repository, which must change nothing.

use super::play::{self, end_state, prepare};
use crate::packages::play::{keep, public_key, results};
use crate::support::oracle::{Rule, Site, Twins, ansible_recap, assert_same_results, playhook_ok};

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

/// How each place of the registered results is compared: [`SKIPPED_KEYS`] not at all,
/// [`UNORDERED_KEYS`] as sets.
fn rule(at: &Site) -> Rule {
    if SKIPPED_KEYS.iter().any(|(s, _)| *s == at.key) {
        Rule::Skip
    } else if UNORDERED_KEYS.contains(&at.key) {
        Rule::Unordered
    } else {
        Rule::Equal
    }
}

fn twins() -> Twins {
    Twins::start(2, play::play)
}

#[test]
fn the_redhat_package_modules_end_where_ansible_ends_and_register_the_same_results() {
    let twins = twins();
    let (theirs, ours) = (twins.theirs(), twins.ours());
    let key = public_key();
    for m in [theirs, ours] {
        prepare(m, &key);
    }

    // playhook runs the `dnf` program, which (dnf 4) is itself written in Python: unlike the
    // apt tests, python stays on the machine.
    let ansible_out = twins.ansible(&["-e", "first=true"]);
    let run = twins.playhook(&["-e", "first=true"]);
    let kept = std::env::temp_dir().join("playhook-redhat-oracle");
    keep(&kept, "ansible.txt", &ansible_out);
    keep(&kept, "playhook.txt", &run.stdout());
    twins.assert_same_recap(&ansible_out, &run);

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
    assert_same_results("/root/results.json", &ra, &rb, &rule);

    // Again: nothing to do on either.
    let ansible_again = twins.ansible(&["-e", "first=false"]);
    let again = twins.playhook(&["-e", "first=false"]);
    twins.assert_changed_nothing(&ansible_again, &again);
    assert_eq!(end_state(ours), b, "the second run changed playhook's machine");
}

#[test]
fn check_and_diff_change_nothing_as_with_ansible() {
    let twins = twins();
    let (theirs, ours) = (twins.theirs(), twins.ours());
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
    let before = (end_state(theirs), end_state(ours));
    let ansible_out = twins.ansible(&["-e", "first=true", "--check", "--diff"]);
    let run = playhook_ok(&twins.repo, &["deploy", "--check", "--diff", "-e", "first=true"]);
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
