//! A real public role beside Ansible: geerlingguy.redis (vendored unchanged with its licence in
//! `tests/fixtures/roles/geerlingguy.redis`, see its `SOURCE`) applied with a few variables by
//! ansible-playbook to one fresh machine and by `playhook deploy` to its twin. Packages come from
//! Debian's mirror. The twins share the host's network, so redis binds each machine's own
//! address (`ansible_host`). Compared: `playhook check` accepts the repository, the recaps, the end state
//! (packages and their status, the config directory's and file's modes and owners, the config
//! file's bytes, the service enabled and active and answering on the configured port),
//! `changed=0` on a re-run of both, and before that a `--check --diff` run on the fresh twins
//! (same recap, nothing changed).

use std::path::Path;

use crate::support::machines::Machine;
use crate::support::oracle::{Twins, ansible_recap, playhook_recap};

/// The play, for the machine named `host`.
fn play(host: &str) -> String {
    format!(
        "- hosts: {host}\n  gather_facts: true\n  vars:\n    redis_port: 6380\n    \
         redis_bind_interface: \"{{{{ ansible_host }}}}\"\n    \
         redis_maxmemory: 64mb\n    redis_maxmemory_policy: allkeys-lru\n    \
         redis_save: ['600 5']\n  roles:\n    - geerlingguy.redis\n"
    )
}

/// What the role leaves on a machine (its own address, which redis binds, written `ADDR`).
fn state(m: &Machine) -> String {
    let text = m.ok(&format!(
        "dpkg-query -W -f '${{Package}} ${{Version}} ${{Status}}\\n' redis-server redis-tools 2>&1; \
         stat -c '%n %F %a %U:%G' /etc/redis /etc/redis/redis.conf /var/lib/redis /var/log/redis 2>&1; \
         cat /etc/redis/redis.conf; \
         systemctl is-enabled redis-server 2>&1; systemctl is-active redis-server 2>&1; \
         redis-cli -h {} -p 6380 ping 2>&1; true",
        m.address
    ));
    text.replace(&m.address, "ADDR")
}

#[test]
fn geerlingguy_redis_deploys_as_ansible_does() {
    let twins = Twins::start(2, play);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles/geerlingguy.redis");
    twins.repo.tree("roles/geerlingguy.redis", &fixture);
    // The image has no package lists; the role expects a host that has them.
    for m in [twins.theirs(), twins.ours()] {
        m.ok("apt-get update -qq");
    }
    let check = twins.repo.playhook(&["check"]);
    assert_eq!(
        check.code(),
        0,
        "playhook check refused the role:\n{}{}",
        check.stdout(),
        check.stderr()
    );

    // Check mode on the fresh twins: both stop at the service the package would bring
    // ("Could not find the requested service"), with the same recap, and change nothing.
    let fresh = (state(twins.theirs()), state(twins.ours()));
    let ansible_check = crate::support::ansible_tasks::ansible_command("ansible-playbook")
        .arg("-i")
        .arg(twins.machines.inventory())
        .args(["ansible.yaml", "--check", "--diff"])
        .current_dir(twins.repo.path())
        .env("HOME", twins.repo.path())
        .output()
        .expect("ansible-playbook runs");
    let ansible_check = String::from_utf8_lossy(&ansible_check.stdout).into_owned();
    let our_check = twins.repo.playhook(&["deploy", "--check", "--diff", "--json"]);
    assert_eq!(
        playhook_recap(&our_check, &twins.ours().name),
        ansible_recap(&ansible_check, &twins.theirs().name),
        "check-mode recaps:\n{ansible_check}\n{}",
        our_check.stdout()
    );
    assert_eq!(
        (state(twins.theirs()), state(twins.ours())),
        fresh,
        "check mode changed a machine"
    );
    assert!(
        fresh.1.contains("no packages found matching redis-server"),
        "{}",
        fresh.1
    );

    let theirs = twins.ansible(&[]);
    let ours = twins.playhook(&[]);
    twins.assert_same_recap(&theirs, &ours);
    let (ansible_state, our_state) = (state(twins.theirs()), state(twins.ours()));
    assert_eq!(our_state, ansible_state, "end state");
    for want in [
        "redis-server ",
        " install ok installed",
        "port 6380",
        "bind ADDR",
        "maxmemory 64mb",
        "maxmemory-policy allkeys-lru",
        "save 600 5",
        "\nenabled\nactive\nPONG",
    ] {
        assert!(our_state.contains(want), "{want:?} in\n{our_state}");
    }

    let theirs = twins.ansible(&[]);
    let ours = twins.playhook(&[]);
    twins.assert_changed_nothing(&theirs, &ours);
    assert_eq!(
        state(twins.ours()),
        state(twins.theirs()),
        "end state after the re-runs"
    );
}
