//! `delegate_to` another host of the inventory, `delegate_facts`, `local_action`, `run_once` with
//! `delegate_to`, and a delegated host that is unreachable: playhook beside ansible-playbook on
//! the same sshd fleet (one run after the other, the hosts' files wiped between them), compared
//! by the files each left on the hosts and the controller, and by the recap.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::fleet::Fleet;
use crate::support::oracle::{ansible_recap, playhook_recap};
use crate::support::repo::TestRepo;

const PLAYBOOK: &str = r#"
- hosts: h11:h12
  gather_facts: false
  tasks:
    - name: write on the delegated host
      copy:
        content: "{{ inventory_hostname }} {{ group_names | join(',') }}\n"
        dest: /srv/from-{{ inventory_hostname }}
      delegate_to: h13
    - name: a fact for the delegated host, once
      set_fact:
        marked_by: "{{ inventory_hostname }}"
      run_once: true
      delegate_to: h13
      delegate_facts: true
    - name: a fact of its own, set while delegated
      set_fact:
        own_mark: "{{ inventory_hostname }}"
      delegate_to: h13
    - name: what each host sees
      copy:
        content: "{{ marked_by | default('none') }} {{ own_mark }} {{ hostvars['h13'].marked_by | default('none') }}\n"
        dest: /srv/seen
    - name: once, on the delegated host
      shell: echo {{ inventory_hostname }} >> /srv/once
      run_once: true
      delegate_to: h13
    - name: on the controller
      local_action: copy content="{{ inventory_hostname }}" dest={{ out }}/local-{{ inventory_hostname }}
    - name: a delegated host that does not answer
      command: "true"
      delegate_to: 127.0.0.99
      when: inventory_hostname == 'h12'
    - name: only h11 is left
      copy:
        content: "after\n"
        dest: /srv/after
"#;

/// Every file under each host's /srv (by host name) and under `out`.
fn state(fleet: &Fleet, out: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for host in fleet.hosts() {
        for entry in std::fs::read_dir(host.srv())
            .expect("reading a host's /srv")
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            files.insert(
                format!("{}:{}", host.name, entry.file_name().to_string_lossy()),
                text,
            );
        }
    }
    for entry in std::fs::read_dir(out).expect("reading out").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        files.insert(
            format!("controller:{}", entry.file_name().to_string_lossy()),
            text,
        );
    }
    files
}

fn wipe(fleet: &Fleet, out: &Path) {
    for dir in fleet.hosts().iter().map(|h| h.srv()).chain([out.to_path_buf()]) {
        for entry in std::fs::read_dir(&dir).expect("reading a directory").flatten() {
            std::fs::remove_file(entry.path()).expect("removing a file");
        }
    }
}

#[test]
fn delegation_runs_on_the_delegated_host_as_ansible_does() {
    let fleet = Fleet::start(3);
    let repo = TestRepo::empty()
        .file("inventory.yaml", &fleet.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yaml\ngathering = explicit\nhost_key_checking = False\n",
        )
        .file("deploy.yaml", PLAYBOOK);
    let out = repo.out();
    let out_arg = format!("out={}", out.display());

    // The fleet's hosts have their own /root: the controller's Python (under ~/.pyenv) is not
    // there, the system's is.
    let (code, ansible) = repo.ansible_playbook(&[
        "deploy.yaml",
        "-e",
        &out_arg,
        "-e",
        "ansible_python_interpreter=/usr/bin/python3",
    ]);
    assert_eq!(code, 4, "ansible-playbook: one host unreachable\n{ansible}");
    let theirs = state(&fleet, &out);
    wipe(&fleet, &out);

    let logins_before = fleet.host(2).accepted_auths();
    let run = repo.playhook(&["deploy", "--json", "-e", &out_arg]);
    // Five tasks ran on h13 for h11 and h12: one connection per original host, reused.
    assert_eq!(
        fleet.host(2).accepted_auths() - logins_before,
        2,
        "{}",
        fleet.host(2).log()
    );
    let ours = state(&fleet, &out);
    assert_eq!(
        ours,
        theirs,
        "{}{}\n--- ansible:\n{ansible}",
        run.stdout(),
        run.stderr()
    );
    // What the comparison stands on: the files are where delegation puts them.
    assert_eq!(
        theirs.get("h13:from-h11").map(String::as_str),
        Some("h11 fleet\n")
    );
    assert_eq!(theirs.get("h11:seen").map(String::as_str), Some("none h11 h11\n"));
    assert_eq!(theirs.get("h13:once").map(String::as_str), Some("h11\n"));
    assert!(theirs.contains_key("controller:local-h12"), "{theirs:?}");
    assert!(!theirs.contains_key("h12:after"), "{theirs:?}");
    for host in ["h11", "h12"] {
        assert_eq!(
            playhook_recap(&run, host),
            ansible_recap(&ansible, host),
            "{host}\n{ansible}"
        );
    }
    assert_eq!(
        ansible_recap(&ansible, "h13"),
        "",
        "the delegated host has no recap line"
    );
    assert!(run.recap("h13").is_null(), "{}", run.stdout());
    assert!(run.code() != 0, "{}", run.stdout());

    // The human output names the delegated host as Ansible does.
    wipe(&fleet, &out);
    let human = repo.playhook(&["deploy", "-e", &out_arg]);
    for line in [
        "changed: [h11 -> h13(127.0.0.13)]",
        "changed: [h12 -> localhost]",
        "fatal: [h12 -> 127.0.0.99]: UNREACHABLE!",
    ] {
        assert!(ansible.contains(line), "ansible: {line}\n{ansible}");
        assert!(
            human.stdout().contains(line),
            "playhook: {line}\n{}",
            human.stdout()
        );
    }
}
