//! `hostname` against ansible-core 2.19 on real machines: the same play (a new name with a
//! domain known to /etc/hosts, then the same name again through `use: systemd` and `use:
//! debian`, then the facts it set) applied by ansible-playbook to one fresh machine and by
//! playhook to its twin; compared: the transient, static and pretty names, /etc/hostname, the
//! registered results and the facts key by key (the machines' own names blanked); a re-run
//! changes nothing on both; `--check` on a third machine changes nothing and counts what
//! Ansible counts. Bad input fails naming the task.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, RESULTS, machines_repo, playhook_fails};

const PREPARE: &str = "printf '127.0.1.1 web1.example.test web1\\n' >>/etc/hosts";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - hostname: {name: web1.example.test}
      register: r_new
    - hostname: {name: web1.example.test, use: systemd}
      register: r_same
    - ansible.builtin.hostname: {name: web1.example.test, use: debian}
      register: r_debian
    - copy:
        dest: /root/results.json
        content: "{{ {'new': r_new, 'same': r_same, 'debian': r_debian, 'facts': {'hostname': ansible_hostname, 'nodename': ansible_nodename, 'fqdn': ansible_fqdn, 'domain': ansible_domain}} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// The names as systemd and the files hold them.
fn state(m: &Machine) -> String {
    m.ok("hostnamectl --transient status; hostnamectl --static status; hostnamectl --pretty status; cat /etc/hostname; hostname")
}

/// The dumped results with the machine's own name blanked.
fn blanked(m: &Machine) -> serde_json::Value {
    let text = m.read(RESULTS).expect("dumped").replace(&m.name, "<machine>");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn hostname_ends_as_ansible_sets_it_with_the_same_facts() {
    let trial = Differential {
        results: blanked,
        ..Differential::new("hostname", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours_state = state(trial.ours());
    assert!(ours_state.starts_with("web1.example.test\n"), "{ours_state}");
    assert_eq!(outcome.ours["facts"]["fqdn"], "web1.example.test");
}

#[test]
fn a_name_too_long_for_systemd_and_an_unsupported_strategy_fail_naming_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let long = "a".repeat(70);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: too long\n      hostname: {{name: {long}}}\n"),
        )
        .file(
            "bsd.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: on bsd\n      hostname: {name: x, use: freebsd}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("name cannot be longer than 64 characters on systemd servers")
            && out.contains("too long")
            && out.contains(&m.name),
        "{out}"
    );
    let out = playhook_fails(&repo, &["deploy", "--playbook", "bsd.yaml"]);
    assert!(out.contains("use: freebsd") && out.contains("on bsd"), "{out}");
    assert_eq!(m.ok("hostname").trim(), m.name, "the name did not change");
}
