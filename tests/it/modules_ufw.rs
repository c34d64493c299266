//! `community.general.ufw` against the collection's module (run by ansible-core 2.19) on real
//! machines with ufw, each in a network namespace of its own (the host's firewall is never
//! touched): the same play (default policies, logging, rules of every form — ports, ranges,
//! services, app profiles, addresses of both families, interfaces, `log`, comments, `insert`
//! with `insert_relative_to`, a route rule, a delete — then `state: enabled`) applied by
//! ansible-playbook to one fresh machine and by playhook to its twin; compared: `ufw status
//! verbose`, `/etc/ufw`'s rules and settings files, `iptables-save`, the registered results key
//! by key (the `commands` run and the status), the recaps; a re-run changes nothing on both;
//! `--check` on a third machine changes nothing and counts what Ansible counts.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - ufw: {policy: deny}
      register: r_policy
    - ufw: {default: allow, direction: outgoing}
      register: r_outgoing
    - ufw: {logging: medium}
      register: r_logging
    - community.general.ufw: {rule: allow, port: domain}
      register: r_domain
    - ufw: {rule: allow, port: "60000:61000", proto: udp}
      register: r_range
    - ufw: rule=allow port={{ item }} proto=tcp
      with_items: [http, "5222"]
      register: r_loop
    - ufw: {rule: limit, port: ssh, proto: tcp, comment: ssh limited}
      register: r_limit
    - ufw: {rule: deny, from_ip: 192.0.2.0/24, to_port: "25", proto: tcp, direction: in, interface: lo, log: true}
      register: r_deny
    - ufw: {rule: allow, src: "2001:db8::/32", port: "443", proto: tcp}
      register: r_v6
    - ufw: {rule: allow, name: OpenSSH}
      register: r_app
    - ufw: {rule: reject, to_port: "23", proto: tcp, insert: 1}
      register: r_insert
      # ufw refuses a position past the last rule, and check mode added none.
      when: not ansible_check_mode
    - ufw: {rule: allow, to_port: "8081", proto: tcp, insert: 0, insert_relative_to: last-ipv4}
      register: r_relative
    - ufw: {rule: allow, route: true, interface_in: lo, interface_out: lo, to_port: "8000", proto: tcp}
      register: r_route
    - ufw: {rule: allow, to_port: "24", proto: tcp, delete: true}
      register: r_delete
    - ufw: {state: enabled}
      register: r_enabled
    - ufw: {logging: "on"}
      register: r_logging_on
    - copy:
        dest: /root/results.json
        content: "{{ {'policy': r_policy, 'outgoing': r_outgoing, 'logging': r_logging, 'domain': r_domain, 'range': r_range, 'loop': r_loop, 'limit': r_limit, 'deny': r_deny, 'v6': r_v6, 'app': r_app, 'insert': r_insert, 'relative': r_relative, 'route': r_route, 'delete': r_delete, 'enabled': r_enabled, 'logging_on': r_logging_on} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// ufw's status, its files and the rules it loaded.
fn state(m: &Machine) -> String {
    m.ok(
        "ufw status verbose; cd /etc/ufw && cat ufw.conf user.rules user6.rules /etc/default/ufw; \
         for t in iptables-save ip6tables-save; do $t | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'; done",
    )
}

#[test]
fn ufw_ends_as_the_collections_module_leaves_it() {
    let trial = Differential {
        private_network: true,
        ..Differential::new("ufw", PLAY, state)
    }
    .start();
    let outcome = trial.run();
    let ours = state(trial.ours());
    for line in [
        "Status: active",
        "Default: deny (incoming), allow (outgoing)",
        "Logging: on (medium)",
    ] {
        assert!(ours.contains(line), "{line} missing from:\n{ours}");
    }
    assert!(
        ours.contains("### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment="),
        "{ours}"
    );
    assert_eq!(outcome.ours["enabled"]["changed"], true);
    assert!(
        outcome.ours["enabled"]["commands"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c == "/usr/sbin/ufw -f enable")),
        "{}",
        outcome.ours["enabled"]
    );
}
