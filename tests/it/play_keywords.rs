//! Play and task keywords of the executor beside ansible-playbook: controller-side modules on a
//! host that is down, and the play keywords `force_handlers`, `user`, `order`, `notify` on a
//! block, `connection` on play, block and task.

use crate::support::oracle::{ansible_recap, playhook_recap};
use crate::support::repo::TestRepo;

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("a bound socket has an address").port()
}

/// A repository whose inventory has `localhost` (local) and `down` (ssh to a closed port).
fn with_a_host_down() -> TestRepo {
    TestRepo::empty()
        .file(
            "hosts",
            &format!(
                "[web]\nlocalhost ansible_connection=local\n\
                 down ansible_host=127.0.0.1 ansible_port={} ansible_user=nobody\n",
                closed_port()
            ),
        )
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\nhost_key_checking = False\n",
        )
}

#[test]
fn controller_modules_run_for_a_host_that_is_down() {
    let repo = with_a_host_down().file(
        "deploy.yaml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    \
         - debug:\n        msg: \"hello {{ inventory_hostname }}\"\n    \
         - set_fact:\n        x: 1\n    \
         - assert:\n        that: x == 1\n    \
         - command: echo hi\n    \
         - debug:\n        msg: after\n",
    );
    let run = repo.playhook(&["deploy", "--json"]);
    let (_, theirs) = repo.ansible_playbook(&["deploy.yaml"]);
    for host in ["localhost", "down"] {
        assert_eq!(
            playhook_recap(&run, host),
            ansible_recap(&theirs, host),
            "{host}\n{theirs}\n{}",
            run.stdout()
        );
    }
    assert_eq!(
        playhook_recap(&run, "down"),
        "ok=3 changed=0 unreachable=1 failed=0 skipped=0"
    );
}
