//! Play and task keywords of the executor beside ansible-playbook: controller-side modules on a
//! host that is down, and the play keywords `force_handlers`, `user`, `order`, `notify` on a
//! block, `connection` on play, block and task.

use crate::support::oracle::{ansible_recap, assert_same_recaps, playhook_recap};
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
    assert_same_recaps(&theirs, &run, &["localhost", "down"]);
    assert_eq!(
        playhook_recap(&run, "down"),
        "ok=3 changed=0 unreachable=1 failed=0 skipped=0"
    );
}

/// `localhost` plus hosts `c`, `a`, `b` (in that inventory order), all local.
fn three_local_hosts() -> TestRepo {
    TestRepo::empty()
        .file(
            "hosts",
            "[web]\nc ansible_connection=local\na ansible_connection=local\nb ansible_connection=local\n",
        )
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n",
        )
}

/// Runs playhook and ansible-playbook with `args` (each writing under its own `out`); returns
/// both outputs (exit codes must agree).
fn both(
    repo: &TestRepo,
    args: &[&str],
) -> (
    crate::support::repo::Run,
    String,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let ours = repo.out().join("playhook");
    let theirs = repo.out().join("ansible");
    for d in [&ours, &theirs] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let out_ours = format!("out={}", ours.display());
    let out_theirs = format!("out={}", theirs.display());
    let mut mine = vec!["deploy", "--json", "-e", &out_ours];
    mine.extend(args);
    let run = repo.playhook(&mine);
    let mut oracle = vec!["deploy.yaml", "-e", &out_theirs];
    oracle.extend(args);
    let (code, text) = repo.ansible_playbook(&oracle);
    // Ansible exits 2 for failed hosts, 4 for unreachable ones; playhook 2 and 3.
    let expected = match code {
        4 => 3,
        c => c,
    };
    assert_eq!(run.code(), expected, "{}\n{}\n{text}", run.stdout(), run.stderr());
    (run, text, ours, theirs)
}

fn read(dir: &std::path::Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

const HANDLERS: &str = "  tasks:
    - block:
        - command: echo a
        - command: echo b
      notify: h1
    - command: echo c
      notify: h2
    - command: \"false\"
  handlers:
    - name: h1
      shell: echo h1 >> {{ out }}/handlers
    - name: h2
      shell: echo h2 >> {{ out }}/handlers
";

#[test]
fn force_handlers_run_on_a_failed_host_and_block_notify_reaches_its_tasks() {
    // The play keyword; the command-line flag; neither.
    for (keyword, args, ran) in [
        ("  force_handlers: true\n", &[][..], Some("h1\nh2\n")),
        ("", &["--force-handlers"][..], Some("h1\nh2\n")),
        ("  force_handlers: false\n", &["--force-handlers"][..], None),
        ("", &[][..], None),
    ] {
        let repo = TestRepo::local().file(
            "deploy.yaml",
            &format!("- hosts: web\n  gather_facts: false\n  user: nobody\n{keyword}{HANDLERS}"),
        );
        let (run, theirs, ours_dir, theirs_dir) = both(&repo, args);
        assert_eq!(
            read(&theirs_dir, "handlers").as_deref(),
            ran,
            "{keyword} {args:?}\n{theirs}"
        );
        assert_eq!(
            read(&ours_dir, "handlers").as_deref(),
            ran,
            "{keyword} {args:?}\n{}",
            run.stdout()
        );
        assert_eq!(
            playhook_recap(&run, "localhost"),
            ansible_recap(&theirs, "localhost"),
            "{theirs}"
        );
    }
}

#[test]
fn order_sorts_the_hosts_and_throttle_runs_one_at_a_time() {
    for (order, expected) in [
        ("inventory", "c\na\nb\n"),
        ("reverse_inventory", "b\na\nc\n"),
        ("sorted", "a\nb\nc\n"),
        ("reverse_sorted", "c\nb\na\n"),
    ] {
        let repo = three_local_hosts().file(
            "deploy.yaml",
            &format!(
                "- hosts: web\n  order: {order}\n  tasks:\n    \
                 - shell: echo {{{{ inventory_hostname }}}} >> {{{{ out }}}}/order\n"
            ),
        );
        let (run, theirs, ours, theirs_dir) = both(&repo, &["-f", "1"]);
        assert_eq!(
            read(&theirs_dir, "order").as_deref(),
            Some(expected),
            "{order}: {theirs}"
        );
        assert_eq!(
            read(&ours, "order").as_deref(),
            Some(expected),
            "{order}: {}",
            run.stdout()
        );
    }
    let repo = three_local_hosts().file(
        "deploy.yaml",
        "- hosts: web\n  order: shuffle\n  tasks:\n    \
         - shell: \"echo start >> {{ out }}/t; sleep 0.3; echo end >> {{ out }}/t\"\n      throttle: 1\n",
    );
    let (run, _, ours, theirs_dir) = both(&repo, &["-f", "5"]);
    let serial = "start\nend\n".repeat(3);
    assert_eq!(read(&theirs_dir, "t").as_deref(), Some(serial.as_str()));
    assert_eq!(
        read(&ours, "t").as_deref(),
        Some(serial.as_str()),
        "{}",
        run.stdout()
    );
}

#[test]
fn connection_local_on_a_block_and_task_meta_end_batch_and_reset_connection() {
    let repo = with_a_host_down().file(
        "deploy.yaml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    \
         - block:\n        - command: echo in block\n        - meta: reset_connection\n      connection: local\n    \
         - command: echo task\n      connection: smart\n    \
         - meta: end_batch\n    \
         - command: echo never\n\
         - hosts: localhost\n  gather_facts: false\n  connection: ssh\n  tasks:\n    \
         - shell: echo next play >> {{ out }}/next\n      connection: local\n",
    );
    let (run, theirs, ours, theirs_dir) = both(&repo, &[]);
    assert_same_recaps(&theirs, &run, &["localhost", "down"]);
    assert_eq!(
        playhook_recap(&run, "down"),
        "ok=1 changed=1 unreachable=1 failed=0 skipped=0"
    );
    assert_eq!(read(&theirs_dir, "next").as_deref(), Some("next play\n"));
    assert_eq!(read(&ours, "next").as_deref(), Some("next play\n"));
}

#[test]
fn bad_play_keywords_name_their_line() {
    for (play, needle) in [
        (
            "  order: upside_down\n",
            "order `upside_down` is not supported; supported: inventory",
        ),
        (
            "  connection: docker\n",
            "connection `docker` is not supported; supported: local",
        ),
        (
            "  remote_user: b\n  user: a\n",
            "both `user` and `remote_user` are set",
        ),
        ("  throttle: many\n", "`throttle` must be a whole number"),
        ("  force_handlers: maybe\n", "expected a boolean"),
        (
            "  tasks:\n    - command: echo\n      connection: winrm\n",
            "connection `winrm` is not supported",
        ),
    ] {
        let repo = TestRepo::local().file(
            "deploy.yaml",
            &format!("- hosts: web\n  gather_facts: false\n{play}"),
        );
        let run = repo.playhook(&["check"]);
        let line = play.lines().count() + 2;
        assert_eq!(run.code(), 4, "{play}: {}{}", run.stdout(), run.stderr());
        assert!(run.stderr().contains(needle), "{play}: {}", run.stderr());
        assert!(
            run.stderr().contains(&format!("deploy.yaml:{line}")),
            "{play}: line {line} in {}",
            run.stderr()
        );
    }
}

#[test]
fn add_host_group_by_and_pause_change_the_run_for_later_plays() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - add_host:
        name: "{{ item }}"
        groups: [added, extra]
        ansible_connection: local
        colour: blue
      loop: [n1, n2]
      register: added
    - add_host: name=n1 groups=added ansible_connection=local
      register: again
    - pause:
        seconds: 1
      register: paused
    - pause:
        prompt: Continue?
      register: asked
    - copy:
        content: "{{ added.results | map(attribute='changed') | list }} {{ again.changed }} {{ paused.stdout[:10] }} {{ paused.delta }} [{{ asked.user_input }}] {{ groups['added'] }}\n"
        dest: "{{ out }}/add"
- hosts: added
  gather_facts: false
  tasks:
    - group_by:
        key: "colour {{ colour }}"
        parents: [colours]
      register: g
    - shell: echo {{ inventory_hostname }} {{ group_names | join(',') }} {{ g.changed }} >> {{ out }}/groups
- hosts: colours
  gather_facts: false
  tasks:
    - shell: echo {{ inventory_hostname }} {{ groups['colour-blue'] | join(',') }} >> {{ out }}/blue
"#,
    );
    let (run, theirs, ours, theirs_dir) = both(&repo, &["-f", "1"]);
    for file in ["add", "groups", "blue"] {
        assert_eq!(
            read(&ours, file),
            read(&theirs_dir, file),
            "{file}\n{theirs}\n{}",
            run.stdout()
        );
    }
    assert_eq!(
        read(&ours, "add").as_deref(),
        Some("[True, True] False Paused for 1 [] ['n1', 'n2']\n")
    );
    assert_same_recaps(&theirs, &run, &["localhost", "n1", "n2"]);
}

#[test]
fn bad_add_host_group_by_and_pause_arguments() {
    for (task, needle) in [
        (
            "add_host:\n        groups: x\n",
            "missing required arguments: name",
        ),
        ("group_by:\n        parents: x\n", "key"),
        (
            "pause:\n        seconds: 1\n        minutes: 1\n",
            "mutually exclusive: minutes|seconds",
        ),
        ("pause:\n        seconds: soon\n", "unable to convert to int"),
    ] {
        let repo = TestRepo::local().file(
            "deploy.yaml",
            &format!("- hosts: web\n  gather_facts: false\n  tasks:\n    - {task}"),
        );
        let run = repo.playhook(&["deploy"]);
        let shown = format!("{}{}", run.stdout(), run.stderr());
        assert_ne!(run.code(), 0, "{task}: {shown}");
        assert!(shown.contains(needle), "{task}: {shown}");
    }
}

#[test]
fn an_unknown_ansible_connection_fails_the_task_naming_it() {
    let repo = TestRepo::empty()
        .file("hosts", "[web]\nbox ansible_connection=docker\n")
        .file("ansible.cfg", "[defaults]\ninventory = hosts\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: fine\n    - command: id\n",
        );
    let run = repo.playhook(&["deploy", "--json"]);
    let shown = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 2, "{shown}");
    assert!(
        shown.contains("box: ansible_connection `docker` is not supported; supported: local"),
        "{shown}"
    );
    assert!(shown.contains("deploy.yaml:6"), "{shown}");
    assert_eq!(
        playhook_recap(&run, "box"),
        "ok=1 changed=0 unreachable=0 failed=1 skipped=0"
    );
}

#[test]
fn async_with_poll_runs_in_the_foreground_and_stops_at_its_limit() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        r#"- hosts: web
  gather_facts: false
  tasks:
    - command: echo done
      async: 20
      poll: 1
      register: r
    - copy:
        content: "{{ r.finished }} {{ r.started }} {{ r.rc }} {{ r.stdout }} {{ r.ansible_job_id is string }} {{ r.changed }}\n"
        dest: "{{ out }}/async"
    - command: sleep 6
      async: 2
      poll: 1
      register: slow
      ignore_errors: true
    - copy:
        content: "{{ slow.failed }} {{ slow.msg }}\n"
        dest: "{{ out }}/slow"
"#,
    );
    let (run, theirs, ours, theirs_dir) = both(&repo, &[]);
    assert_eq!(
        read(&ours, "async"),
        read(&theirs_dir, "async"),
        "{theirs}\n{}",
        run.stdout()
    );
    // Ansible's message for the timed-out job is its async wrapper's when the wrapper's watchdog
    // wins the race with the poller at the limit, else the poller's own: both are Ansible's.
    let theirs_slow = read(&theirs_dir, "slow").unwrap_or_default();
    assert!(
        [
            "True Timeout exceeded\n",
            "True async task did not complete within the requested time - 2s\n"
        ]
        .contains(&theirs_slow.as_str()),
        "{theirs_slow:?}\n{theirs}"
    );
    assert_eq!(
        read(&ours, "async").as_deref(),
        Some("True True 0 done True True\n")
    );
    assert_eq!(read(&ours, "slow").as_deref(), Some("True Timeout exceeded\n"));
    assert_eq!(
        playhook_recap(&run, "localhost"),
        ansible_recap(&theirs, "localhost"),
        "{theirs}"
    );
}

#[test]
fn async_keywords_ansible_refuses_are_refused_with_what_to_do() {
    for (task, line, needle) in [
        (
            "debug: {msg: hi}\n      async: 10\n      poll: 0\n",
            6,
            "`poll: 0`: this action (debug) does not support async",
        ),
        (
            "command: sleep 1\n      async: soon\n",
            5,
            "`async` must be a whole number",
        ),
    ] {
        let repo = TestRepo::local().file(
            "deploy.yaml",
            &format!("- hosts: web\n  gather_facts: false\n  tasks:\n    - {task}"),
        );
        let run = repo.playhook(&["check"]);
        assert_eq!(run.code(), 4, "{}", run.stderr());
        assert!(
            run.stderr().contains(&format!("deploy.yaml:{line}")),
            "{}",
            run.stderr()
        );
        assert!(run.stderr().contains(needle), "{}", run.stderr());
    }
}
