//! `getent` against ansible-core 2.19 on real machines: the same play (one account, a whole
//! database, hosts and services with repeated keys, shadow, a custom `split`, a missing key
//! with `fail_key: false`) run by ansible-playbook on one fresh machine and by playhook on its
//! twin; every registered result and every `getent_*` fact (read back both as top-level
//! variables and under `ansible_facts`) compared key by key, the machines' own names blanked;
//! `--check` and the re-run change nothing. Bad input fails with Ansible's messages.

use serde_json::Value as Json;

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, RESULTS, machines_repo, playhook_fails};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - getent: {database: passwd, key: root}
      register: r_root
    - ansible.builtin.getent: {database: group}
      register: r_groups
    - getent: {database: hosts}
      register: r_hosts
    - getent: {database: services}
      register: r_services
    - getent: {database: shadow, key: root}
      register: r_shadow
    - getent: {database: protocols, key: tcp, split: " "}
      register: r_split
    - getent: {database: passwd, key: nobody-here, fail_key: false}
      register: r_missing
    - copy:
        dest: /root/results.json
        content: "{{ {'root': r_root, 'groups': r_groups, 'hosts': r_hosts, 'services': r_services, 'shadow': r_shadow, 'split': r_split, 'missing': r_missing, 'facts': {'passwd': getent_passwd, 'group': ansible_facts.getent_group, 'protocols': getent_protocols}} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// The dumped results with the machine's own name and address blanked.
fn blanked(m: &Machine) -> Json {
    let text = m
        .read(RESULTS)
        .expect("dumped")
        .replace(&m.name, "<machine>")
        .replace(&m.address, "<address>");
    serde_json::from_str(&text).expect("JSON")
}

/// The databases the play reads, which nothing may change.
fn state(m: &Machine) -> String {
    m.ok("getent passwd; getent group; getent services; getent protocols")
}

#[test]
fn getent_facts_are_structured_as_ansible_structures_them() {
    let trial = Differential {
        check: &["--check"],
        results: blanked,
        ..Differential::new("modules_getent", PLAY, state)
    }
    .start();
    let ours_results = trial.run().ours;
    let facts = &ours_results["root"]["ansible_facts"]["getent_passwd"]["root"];
    assert_eq!(facts[4], "/root", "{ours_results}");
    assert!(
        ours_results["services"]["ansible_facts"]["getent_services"]
            .as_object()
            .is_some_and(|m| m.len() > 10)
    );
    assert_eq!(
        ours_results["missing"]["ansible_facts"]["getent_passwd"]["nobody-here"],
        Json::Null
    );
}

#[test]
fn an_unknown_database_and_a_missing_key_fail_with_ansibles_messages() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: no such database\n      getent: {database: nosuchdb}\n      ignore_errors: true\n    - name: no such user\n      getent: {database: passwd, key: nobody-here}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("Missing arguments, or database unknown.")
            && out.contains("no such database")
            && out.contains("One or more supplied key could not be found in the database.")
            && out.contains("no such user")
            && out.contains(&m.name),
        "{out}"
    );
}
