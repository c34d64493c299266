//! `community.general.modprobe` against the collection's module on real machines: the same play
//! run by ansible-playbook on one fresh machine and by playhook on its twin; compared: every
//! file of /etc/modules-load.d and /etc/modprobe.d (and /etc/modules, which modules.conf links
//! to), every registered result key by key; the re-run changes nothing; `--check --diff` on a
//! third machine changes nothing.
//!
//! The machines are containers sharing the host's kernel: nothing here loads or unloads a
//! kernel module. The modules the play names are made "built in" by a `modules.builtin` file of
//! the running kernel's release inside the machine (the module reads loaded state from
//! `/proc/modules`, then that file), so `persistent: present/absent` edits the configuration
//! without `modprobe` touching the kernel, and a module that is neither fails in `modprobe`
//! alike on both (no /lib/modules tree in the image). Where the kernel has no `/proc/modules`
//! (module support compiled out, as on some VMs), the module fails before anything else with
//! Python's `[Errno 2]` message: the test then asserts that both tools fail every task with
//! that same message and leave the files alone — the outcome is compared either way.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const PREPARE: &str = "d=/lib/modules/$(uname -r) && mkdir -p \"$d\" \
    && printf 'kernel/drivers/ph/phfake.ko\\nkernel/drivers/ph/phgone.ko\\n' > \"$d/modules.builtin\" \
    && printf '# mine\\nphgone\\nloop\\n' > /etc/modules-load.d/ph.conf \
    && printf 'options phgone x=1\\noptions loop max_loop=8\\n' > /etc/modprobe.d/ph.conf \
    && printf 'options phfake old=1\\n' > /etc/modprobe.d/phfake-old.conf";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: persistent, with its parameters
      community.general.modprobe: {name: phfake, params: "a=1 b=two", persistent: present}
      register: r_present
      ignore_errors: true
    - name: persistence removed
      community.general.modprobe: {name: phgone, persistent: absent}
      register: r_absent
      ignore_errors: true
    - name: a module that is nowhere
      modprobe: {name: ph-nowhere}
      register: r_missing
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'present': r_present, 'absent': r_absent, 'missing': r_missing} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok(
        "for f in /etc/modules /etc/modules-load.d/* /etc/modprobe.d/*; do \
          stat -c '== %n %a %U %F' \"$f\"; cat \"$f\"; done",
    )
}

#[test]
fn modprobe_configuration_ends_as_the_collections_module_leaves_it() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception"],
        ..Differential::new("modules_modprobe", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let before = state(trial.ours());
    let outcome = trial.run();
    let ours = state(trial.ours());
    let r = &outcome.ours;
    if trial.ours().run("test -r /proc/modules").code == 0 {
        assert!(
            ours.contains("== /etc/modules-load.d/phfake.conf 644 root regular file\nphfake\n")
                && ours.contains("== /etc/modprobe.d/phfake.conf 644 root regular file\noptions phfake a=1\noptions phfake b=two\n")
                && ours.contains("#options phfake old=1\n")
                && ours.contains("# mine\n\n#phgone\n\nloop\n")
                && ours.contains("#options phgone x=1\n\noptions loop max_loop=8\n"),
            "{ours}"
        );
        assert_eq!(r["present"]["changed"], true, "{r}");
        assert_eq!(r["absent"]["changed"], true, "{r}");
        let msg = r["missing"]["msg"].as_str().unwrap_or_default();
        assert!(msg.contains("ph-nowhere"), "{msg}");
    } else {
        assert_eq!(ours, before, "nothing is written when /proc/modules is missing");
        for task in ["present", "absent", "missing"] {
            assert_eq!(
                r[task]["msg"], "[Errno 2] No such file or directory: '/proc/modules'",
                "{task}: {r}"
            );
        }
    }
}
