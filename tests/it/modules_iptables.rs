//! `iptables` against ansible-core 2.19 on real machines, each in a network namespace of its
//! own (`Differential::private_network`: the host's firewall is never touched): the same play
//! (a user chain, rules of every kind of parameter in the filter, nat and mangle tables, an
//! insert at a number, a policy, `ip_version: ipv6` and `both`, a delete, a flush, a missing
//! chain and a logging option without the LOG jump as ignored failures) applied by
//! ansible-playbook to one fresh machine and by playhook to its twin; compared: `iptables-save`
//! and `ip6tables-save` (without their dated comments and counters), the registered results key
//! by key, the recaps; a re-run changes nothing on both; `--check` on a third machine changes
//! nothing and counts what Ansible counts. Bad arguments of the firewall and init-script modules,
//! and a host without `iptables` or `ufw`, fail with the modules' own messages.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, deploy_failing, fatal};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - iptables: {chain: WEB, chain_management: true}
      register: r_chain
    - iptables: {chain: INPUT}
      register: r_chain_there
    - iptables: {chain: NOPE, state: absent, chain_management: true}
      register: r_chain_absent
    - iptables:
        chain: INPUT
        protocol: tcp
        destination_port: "22"
        ctstate: [NEW, ESTABLISHED]
        jump: ACCEPT
        comment: ssh in
      register: r_ssh
    - iptables: {chain: INPUT, action: insert, rule_num: "1", protocol: tcp, source: "!10.0.0.0/8", destination_port: "2222", jump: DROP, in_interface: lo}
      register: r_insert
    - iptables: {chain: WEB, protocol: tcp, destination_ports: ["80", "443", "8000:8080"], jump: ACCEPT}
      register: r_multiport
    - iptables: {chain: WEB, log_prefix: "web: ", log_level: info, limit: 5/min, limit_burst: 10}
      register: r_log
    - iptables: {chain: INPUT, protocol: tcp, destination_port: 25, reject_with: tcp-reset}
      register: r_reject
    - iptables: {chain: INPUT, protocol: tcp, destination_port: "8081", goto: WEB}
      register: r_goto
    - iptables: {chain: INPUT, src_range: 192.0.2.10-192.0.2.20, jump: DROP}
      register: r_range
    - iptables: {chain: OUTPUT, uid_owner: "0", gid_owner: "!100", protocol: tcp, destination_port: "9999", jump: ACCEPT}
      register: r_owner
    - iptables: {chain: INPUT, protocol: icmp, icmp_type: echo-request, jump: ACCEPT}
      register: r_icmp
    - iptables: {chain: INPUT, ip_version: ipv6, protocol: ipv6-icmp, icmp_type: echo-request, jump: ACCEPT}
      register: r_icmp6
    - iptables: {chain: INPUT, protocol: tcp, syn: match, destination_port: "23", jump: DROP}
      register: r_syn
    - iptables: {chain: INPUT, protocol: tcp, tcp_flags: {flags: [ALL], flags_set: [ACK]}, jump: ACCEPT}
      register: r_flags
    - iptables: {chain: INPUT, match: [state], ctstate: [ESTABLISHED, RELATED], jump: ACCEPT}
      register: r_state
    - iptables: {chain: INPUT, ip_version: both, protocol: udp, destination_port: "53", jump: ACCEPT, wait: "5"}
      register: r_both
    - iptables: {table: nat, chain: PREROUTING, protocol: tcp, destination_port: "8080", jump: REDIRECT, to_ports: "80"}
      register: r_redirect
    - iptables: {table: nat, chain: OUTPUT, protocol: tcp, destination: 192.0.2.1, destination_port: "80", jump: DNAT, to_destination: "192.0.2.2:8080"}
      register: r_dnat
    - iptables: {table: nat, chain: POSTROUTING, source: 192.0.2.0/24, out_interface: lo, jump: SNAT, to_source: 192.0.2.1}
      register: r_snat
    - iptables: {table: mangle, chain: OUTPUT, protocol: tcp, destination_port: "5000", jump: DSCP, set_dscp_mark: "8"}
      register: r_dscp
    - iptables: {table: mangle, chain: OUTPUT, protocol: tcp, destination_port: "5001", jump: DSCP, set_dscp_mark_class: CS1}
      register: r_dscp_class
    - iptables: {chain: INPUT, protocol: tcp, destination_port: "24", jump: DROP}
      when: dump | default(false) | bool
    - iptables: {chain: INPUT, protocol: tcp, destination_port: "24", jump: DROP, state: absent}
      register: r_delete
    - iptables: {chain: FORWARD, policy: DROP}
      register: r_policy
    - iptables: {chain: FORWARD, policy: DROP, numeric: true}
      register: r_policy_again
    - iptables: {chain: INPUT, ip_version: ipv6, policy: ACCEPT}
      register: r_policy6
    - iptables: {table: raw, chain: OUTPUT, flush: true}
      register: r_flush
      when: dump | default(false) | bool
    - iptables: {chain: MISSING, protocol: tcp, jump: ACCEPT}
      register: r_missing
      ignore_errors: true
    - iptables: {chain: INPUT, log_prefix: "x", jump: ACCEPT}
      register: r_log_bad
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'chain': r_chain, 'chain_there': r_chain_there, 'chain_absent': r_chain_absent, 'ssh': r_ssh, 'insert': r_insert, 'multiport': r_multiport, 'log': r_log, 'reject': r_reject, 'goto': r_goto, 'range': r_range, 'owner': r_owner, 'icmp': r_icmp, 'icmp6': r_icmp6, 'syn': r_syn, 'flags': r_flags, 'state': r_state, 'both': r_both, 'redirect': r_redirect, 'dnat': r_dnat, 'snat': r_snat, 'dscp': r_dscp, 'dscp_class': r_dscp_class, 'delete': r_delete, 'policy': r_policy, 'policy_again': r_policy_again, 'policy6': r_policy6, 'flush': r_flush, 'missing': r_missing, 'log_bad': r_log_bad} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// Both address families' rules, without the dated comments and the counters.
pub fn rules(m: &Machine) -> String {
    m.ok("for t in iptables-save ip6tables-save; do $t | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'; done")
}

#[test]
fn iptables_rules_end_as_ansible_leaves_them() {
    let trial = Differential {
        private_network: true,
        // Ansible 2.19's "(traceback unavailable)" of a failed module.
        skipped: &["invocation", "_ansible_no_log", "exception"],
        ..Differential::new("iptables", PLAY, rules)
    }
    .start();
    let outcome = trial.run();
    let ours = rules(trial.ours());
    for rule in [
        "-A INPUT ! -s 10.0.0.0/8 -i lo -p tcp -m tcp --dport 2222 -j DROP",
        "-A WEB -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT",
        "-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment \"ssh in\" -j ACCEPT",
        ":FORWARD DROP",
    ] {
        assert!(ours.contains(rule), "{rule} missing from:\n{ours}");
    }
    assert!(!ours.contains("--dport 24"), "the deleted rule is back:\n{ours}");
    assert_eq!(outcome.ours["missing"]["failed"], true);
    assert_eq!(
        outcome.ours["log_bad"]["msg"],
        "Logging options can only be used with the LOG jump target."
    );
}

#[test]
fn bad_arguments_and_missing_programs_fail_with_the_modules_messages() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let msg = |task: &str| {
        let text = deploy_failing(&machines, task);
        assert!(
            m.read("/root/finished").is_none(),
            "the play went on after {task}"
        );
        fatal(&text, &m.name)["msg"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // The argument-spec messages, checked against ansible-core's own.
    for (task, expected) in [
        (
            "ufw: {rule: allow, interface: eth0}",
            "missing parameter(s) required by 'interface': direction",
        ),
        (
            "ufw: {rule: allow, name: x, proto: tcp}",
            "parameters are mutually exclusive: name|proto|logging",
        ),
        (
            "iptables: {protocol: tcp, jump: ACCEPT}",
            "flush is False but all of the following are missing: chain",
        ),
        (
            "iptables: {chain: INPUT, set_dscp_mark: '8'}",
            "missing parameter(s) required by 'set_dscp_mark': jump",
        ),
        (
            "sysvinit: {name: cron}",
            "one of the following is required: state, enabled",
        ),
    ] {
        assert_eq!(msg(task), expected, "{task}");
    }
    m.ok("mv /usr/sbin/ufw /root/ufw.away && mv /usr/sbin/iptables /root/iptables.away");
    for (task, program) in [
        ("ufw: {state: enabled}", "ufw"),
        ("iptables: {chain: INPUT, policy: DROP}", "iptables"),
    ] {
        let line = msg(task);
        assert!(
            line.starts_with(&format!(
                "Failed to find required executable \"{program}\" in paths: "
            )),
            "{task}: {line}"
        );
    }
}
