//! `community.general.timezone` against the collection's module on real systemd machines: the
//! same play (a new zone, then the same zone again) run by ansible-playbook on one fresh machine
//! and by playhook on its twin; compared: /etc/localtime, /etc/timezone and timedatectl's zone,
//! the registered results key by key; the re-run changes nothing on both; `--check` on a third
//! machine changes nothing and counts what Ansible counts. An unknown zone fails with the
//! module's message.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, machines_repo, playhook_fails};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - community.general.timezone: {name: Europe/Paris}
      register: r_new
    - timezone: {name: Europe/Paris}
      register: r_same
    - copy:
        dest: /root/results.json
        content: "{{ {'new': r_new, 'same': r_same} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok("readlink /etc/localtime; cat /etc/timezone 2>&1; timedatectl status | grep -i 'time zone'")
}

#[test]
fn the_time_zone_ends_as_the_collections_module_sets_it() {
    let trial = Differential {
        check: &["--check"],
        ..Differential::new("modules_timezone", PLAY, state)
    }
    .start();
    trial.run();
    let ours_state = state(trial.ours());
    assert!(ours_state.contains("Europe/Paris"), "{ours_state}");
}

#[test]
fn an_unknown_zone_fails_with_the_modules_message_naming_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: made-up zone\n      community.general.timezone: {name: Nowhere/City}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("given timezone \\\"Nowhere/City\\\" is not available")
            || out.contains("given timezone \"Nowhere/City\" is not available"),
        "{out}"
    );
    assert!(out.contains("made-up zone") && out.contains(&m.name), "{out}");
}
