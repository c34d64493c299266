//! `meta: reset_connection` over ssh: the next task logs in again (sshd counts two logins), and
//! the recap is ansible-playbook's.

use crate::support::fleet::Fleet;
use crate::support::oracle::{ansible_recap, playhook_recap};
use crate::support::repo::TestRepo;

#[test]
fn reset_connection_logs_in_again() {
    let fleet = Fleet::start(1);
    let repo = TestRepo::empty()
        .file("ansible.cfg", "[defaults]\ninventory = hosts.yml\n")
        .file("hosts.yml", &fleet.inventory_yaml())
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n    \
             - meta: reset_connection\n    - command: id -un\n",
        );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let host = fleet.host(0);
    assert_eq!(host.accepted_auths(), 2, "{}", host.log());
    let (code, theirs) =
        repo.ansible_playbook(&["deploy.yaml", "-e", "ansible_python_interpreter=/usr/bin/python3"]);
    assert_eq!(code, 0, "{theirs}");
    assert_eq!(
        playhook_recap(&run, &host.name),
        ansible_recap(&theirs, &host.name),
        "{theirs}"
    );
}
