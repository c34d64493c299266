//! `ansible.posix.sysctl` against the collection's module on real machines: the same play run
//! by ansible-playbook on one fresh machine and by playhook on its twin; compared: every file of
//! /etc/sysctl.d and /etc/sysctl.conf (bytes, mode, owner, kind), every registered result key
//! by key; the re-run changes nothing; `--check --diff` on a third machine changes nothing.
//! The file edits cover a new file, a value changed in a file with comments, spaces and a
//! repeated key, a boolean value, an absent key and a write through the 99-sysctl.conf symlink.
//! The kernel part runs too: the machines are containers whose /proc/sys is read-only (asserted
//! first, so no test can change the host's kernel), so `reload` and `sysctl_set` fail there,
//! and both tools must fail alike, with the same message.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const PREPARE: &str = "printf '# tuning\\n kernel.panic = 10 \\nnet.core.somaxconn=128\\n\\n; old\\n\
net.core.somaxconn = 256\\nnoequals\\n' > /etc/sysctl.d/70-ph.conf";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a new file
      ansible.posix.sysctl: {name: vm.swappiness, value: 10, sysctl_file: /etc/sysctl.d/60-ph.conf, reload: false}
      register: r_new
    - name: a value changed in a file with comments and a repeated key
      ansible.posix.sysctl: {name: net.core.somaxconn, value: " 4096 ", sysctl_file: /etc/sysctl.d/70-ph.conf, reload: no}
      register: r_change
    - name: a boolean value, by the aliases
      sysctl: {key: net.ipv4.ip_forward, val: yes, sysctl_file: /etc/sysctl.d/70-ph.conf, reload: false}
      register: r_bool
    - name: absent
      ansible.posix.sysctl: {name: kernel.panic, state: absent, sysctl_file: /etc/sysctl.d/70-ph.conf, reload: false}
      register: r_absent
    - name: through the 99-sysctl.conf symlink
      ansible.posix.sysctl: {name: fs.file-max, value: 100000, sysctl_file: /etc/sysctl.d/99-sysctl.conf, reload: false}
      register: r_link
    - name: reload, which the container refuses
      ansible.posix.sysctl: {name: vm.dirty_ratio, value: 20, sysctl_file: /etc/sysctl.d/65-ph.conf}
      register: r_reload
      ignore_errors: true
    - name: set live, which the container refuses
      ansible.posix.sysctl: {name: vm.overcommit_memory, value: OVERCOMMIT, sysctl_set: true, reload: false, sysctl_file: /etc/sysctl.d/80-ph.conf}
      register: r_set
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'new': r_new, 'change': r_change, 'bool': r_bool, 'absent': r_absent, 'link': r_link, 'reload': r_reload, 'set': r_set} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok("for f in /etc/sysctl.conf /etc/sysctl.d/*; do stat -c '== %n %a %U %F' \"$f\"; cat \"$f\"; done")
}

/// Panics unless the machine's /proc/sys is mounted read-only: the kernel tasks must not reach
/// the host's kernel.
fn assert_proc_sys_read_only(m: &Machine) {
    let line = m.ok("grep ' /proc/sys ' /proc/self/mountinfo");
    let opts = line.split_whitespace().nth(5).unwrap_or_default();
    assert!(
        opts.split(',').any(|o| o == "ro"),
        "{}: /proc/sys is writable here, the sysctl test would change the host's kernel: {line}",
        m.name
    );
}

/// The play, its `sysctl_set` task asking for a value the host's kernel does not have (so both
/// tools try `sysctl -w`).
fn play() -> String {
    let now = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").unwrap_or_default();
    let other = if now.trim() == "1" { "2" } else { "1" };
    PLAY.replace("OVERCOMMIT", other)
}

#[test]
fn sysctl_files_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception"],
        ..Differential::new("modules_sysctl", play(), state)
    }
    .start();
    for m in trial.machines.machines() {
        assert_proc_sys_read_only(m);
    }
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(
        ours.contains("/etc/sysctl.d/70-ph.conf 644 root regular file\n# tuning\nnet.core.somaxconn=4096\n\n; old\nnoequals\nnet.ipv4.ip_forward=1\n")
            && ours.contains("/etc/sysctl.d/99-sysctl.conf 777 root symbolic link")
            && ours.contains("fs.file-max=100000\n")
            && ours.contains("vm.swappiness=10\n")
            && ours.contains("vm.dirty_ratio=20\n"),
        "{ours}"
    );
    for failed in ["reload", "set"] {
        assert_eq!(outcome.ours[failed]["failed"], true, "{}", outcome.ours);
    }
    let msg = outcome.ours["reload"]["msg"].as_str().unwrap_or_default();
    assert!(msg.starts_with("Failed to reload sysctl: "), "{msg}");
}
