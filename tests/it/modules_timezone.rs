//! `community.general.timezone` against the collection's module on real systemd machines: the
//! same play (a new zone, then the same zone again) run by ansible-playbook on one fresh machine
//! and by playhook on its twin; compared: /etc/localtime, /etc/timezone and timedatectl's zone,
//! the registered results key by key; the re-run changes nothing on both; `--check` on a third
//! machine changes nothing and counts what Ansible counts. An unknown zone fails with the
//! module's message.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{
    ansible_playbook, ansible_recap, assert_same_results, machines_repo, playhook_deploy as playhook,
    playhook_recap, read_json, skipping,
};

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

const SKIPPED: &[&str] = &["invocation", "_ansible_no_log"];

fn state(m: &Machine) -> String {
    m.ok("readlink /etc/localtime; cat /etc/timezone 2>&1; timedatectl status | grep -i 'time zone'")
}

#[test]
fn the_time_zone_ends_as_the_collections_module_sets_it() {
    let machines = Machines::start(3);
    let (theirs, ours, checked) = (machines.machine(0), machines.machine(1), machines.machine(2));
    let repo = machines_repo(&machines).file("deploy.yaml", PLAY);
    let before = state(checked);
    let check = playhook(&repo, &["--check", "-l", &checked.name]);
    assert_eq!(state(checked), before, "--check changed the zone");
    let ansible_check = ansible_playbook(&repo, &machines, "deploy.yaml", &["--check", "-l", &checked.name]);
    assert_eq!(
        playhook_recap(&check, &checked.name),
        ansible_recap(&ansible_check, &checked.name),
        "{}\n{ansible_check}",
        check.stdout()
    );
    let theirs_run = ansible_playbook(
        &repo,
        &machines,
        "deploy.yaml",
        &["-l", &theirs.name, "-e", "dump=true"],
    );
    let ours_run = playhook(&repo, &["-l", &ours.name, "-e", "dump=true"]);
    assert_eq!(
        playhook_recap(&ours_run, &ours.name),
        ansible_recap(&theirs_run, &theirs.name)
    );
    let ours_state = state(ours);
    assert_eq!(ours_state, state(theirs));
    assert!(ours_state.contains("Europe/Paris"), "{ours_state}");
    assert_same_results(
        "modules_timezone",
        &read_json(theirs, "/root/results.json"),
        &read_json(ours, "/root/results.json"),
        &skipping(SKIPPED),
    );
    let theirs_again = ansible_playbook(&repo, &machines, "deploy.yaml", &["-l", &theirs.name]);
    assert!(
        ansible_recap(&theirs_again, &theirs.name).contains("changed=0"),
        "{theirs_again}"
    );
    let ours_again = playhook(&repo, &["-l", &ours.name]);
    assert_eq!(
        ours_again.recap(&ours.name)["changed"],
        0,
        "{}",
        ours_again.stdout()
    );
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
    let run = repo.playhook(&["deploy"]);
    assert_ne!(run.code(), 0);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        out.contains("given timezone \\\"Nowhere/City\\\" is not available")
            || out.contains("given timezone \"Nowhere/City\" is not available"),
        "{out}"
    );
    assert!(out.contains("made-up zone") && out.contains(&m.name), "{out}");
}
