//! SELinux on Debian machines, where it is absent: the file modules' context arguments
//! (`seuser`, `serole`, `setype`, `selevel`) are ignored as Ansible ignores them — the files end
//! alike, `changed` and the registered results key by key as ansible-playbook's on the twin
//! machine, the re-run changes nothing, `--check --diff` changes nothing.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

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
