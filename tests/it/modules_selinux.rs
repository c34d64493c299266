//! SELinux on Debian machines, where it is absent: the file modules' context arguments
//! (`seuser`, `serole`, `setype`, `selevel`) are ignored as Ansible ignores them — the files end
//! alike, `changed` and the registered results key by key as ansible-playbook's on the twin
//! machine, the re-run changes nothing, `--check --diff` changes nothing.

use crate::support::machines::Machine;
use crate::support::oracle::{Differential, Rule, Site};

const FILES_PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - file: {path: /srv/se, state: directory, mode: "0750", setype: httpd_sys_content_t}
      register: r_dir
    - copy:
        dest: /srv/se/copied
        content: "hello\n"
        seuser: system_u
        serole: object_r
        setype: httpd_sys_content_t
        selevel: s0
      register: r_copy
    - template: {src: page.j2, dest: /srv/se/page, setype: httpd_sys_content_t, selevel: s0}
      register: r_template
    - lineinfile: {path: /srv/se/lined, line: "world", create: true, setype: etc_t}
      register: r_line
    - blockinfile: {path: /srv/se/block, create: true, block: "b", serole: object_r}
      register: r_block
    - file: {path: /srv, setype: var_t, seuser: system_u}
      register: r_same
    - copy:
        dest: /root/results.json
        content: "{{ {'dir': r_dir, 'copy': r_copy, 'template': r_template, 'line': r_line,
                      'block': r_block, 'same': r_same} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn files_state(m: &Machine) -> String {
    m.ok("cd /srv/se 2>/dev/null && stat -c '%n %F %a %U %G %s' . * && cat copied page block lined || echo absent")
}

#[test]
fn file_contexts_are_ignored_where_selinux_is_absent_as_ansible_ignores_them() {
    let trial = Differential {
        // Not about SELinux: Ansible's upload path in `src`, and the `diff` lists its file
        // modules register without --diff (tests/it/modules_files covers those).
        skipped: &["invocation", "_ansible_no_log", "src", "diff"],
        ..Differential::new("modules_selinux files", FILES_PLAY, files_state)
    }
    .start();
    let templates = trial.repo.path().join("templates");
    std::fs::create_dir_all(&templates).expect("templates dir");
    std::fs::write(
        templates.join("page.j2"),
        "page of {{ inventory_hostname | length }}\n",
    )
    .expect("template");
    let probe = trial
        .ours()
        .ok("test -e /sys/fs/selinux/enforce && echo on || echo off");
    assert_eq!(probe.trim(), "off", "the test machines run without SELinux");
    trial.run();
    let state = files_state(trial.ours());
    assert!(
        state.contains("hello\npage of 4\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n"),
        "{state}"
    );
    assert!(state.ends_with("world\n"), "{state}");
}

const MODULES_PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - ansible.posix.selinux: {state: disabled}
      register: r_disabled
      ignore_errors: true
    - ansible.posix.selinux: {state: enforcing, policy: targeted}
      register: r_enforcing
      ignore_errors: true
    - ansible.posix.seboolean: {name: httpd_can_network_connect, state: true, persistent: true}
      register: r_bool
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'disabled': r_disabled, 'enforcing': r_enforcing, 'bool': r_bool} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn selinux_state(m: &Machine) -> String {
    m.ok("ls -a /etc/selinux 2>&1; test -e /sys/fs/selinux/enforce && echo mounted || echo unmounted")
}

/// On Debian both fail, and the same tasks: Ansible because the collection's Python modules
/// cannot import libselinux, playhook with the modules' own messages for a host without SELinux
/// (`Unable to find file /etc/selinux/config`, `SELinux is disabled on this host.`): the
/// failures' keys are compared, their wording by type.
fn modules_rule(site: &Site) -> Rule {
    match site.key {
        "msg" => Rule::Type,
        "details" | "exception" | "invocation" | "_ansible_no_log" => Rule::Skip,
        _ => Rule::Equal,
    }
}

#[test]
fn selinux_and_seboolean_fail_on_debian_as_the_collections_modules_do() {
    let trial = Differential {
        rule: Some(modules_rule),
        ..Differential::new("modules_selinux modules", MODULES_PLAY, selinux_state)
    }
    .start();
    let outcome = trial.run();
    assert_eq!(
        outcome.ours["disabled"]["msg"], "Unable to find file /etc/selinux/config",
        "{}",
        outcome.ours
    );
    assert_eq!(outcome.ours["bool"]["msg"], "SELinux is disabled on this host.");
    for key in ["disabled", "enforcing", "bool"] {
        assert_eq!(outcome.theirs[key]["failed"], true, "{}", outcome.theirs);
    }
}
