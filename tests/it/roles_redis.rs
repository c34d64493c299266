//! A real public role beside Ansible: geerlingguy.redis (vendored unchanged with its licence in
//! `tests/fixtures/roles/geerlingguy.redis`, see its `SOURCE`) applied with a few variables by
//! ansible-playbook to one fresh machine and by `playhook deploy` to its twin. Packages come from
//! Debian's mirror. The twins share the host's network, so redis binds each machine's own
//! address (`ansible_host`). Compared: `playhook check` accepts the repository, the recaps, the end state
//! (packages and their status, the config directory's and file's modes and owners, the config
//! file's bytes, the service enabled and active and answering on the configured port), and
//! `changed=0` on a re-run of both.

use std::path::Path;

use crate::support::machines::Machine;
use crate::support::oracle::Twins;

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
