//! `community.general.pamd` against the collection's module on real machines, on Debian's own
//! pam.d files: the same play run by ansible-playbook on one fresh machine and by playhook on
//! its twin; compared: every file of /etc/pam.d (bytes, mode, owner; the module's
//! `# Updated by Ansible - TIME` mark with its time masked, the backups by count), every
//! registered result key by key, the recap; the re-run changes nothing; `--check --diff` on a
//! third machine changes nothing. The edits cover each state: two rules removed, a rule
//! inserted before the first rule and after another (dropping the comments between, as the
//! module does), two rules updated, arguments added, replaced and removed, an edit that finds
//! no rule, and the failures for a missing file and a bracketed argument with args_present.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: both pam_motd rules out of sshd
      community.general.pamd: {name: sshd, type: session, control: optional, module_path: pam_motd.so, state: absent}
      register: r_absent
    - name: a rule before the first rule of common-auth
      community.general.pamd:
        name: common-auth
        type: auth
        control: "[success=1 default=ignore]"
        module_path: pam_unix.so
        new_type: auth
        new_control: required
        new_module_path: pam_faildelay.so
        module_arguments: delay=4000000
        state: before
      register: r_before
    - name: pam_wheel after pam_rootok in su, with a backup
      pamd:
        name: su
        type: auth
        control: sufficient
        module_path: pam_rootok.so
        new_type: auth
        new_control: required
        new_module_path: pam_wheel.so
        module_arguments: [use_uid, group=sudo]
        state: after
        backup: true
      register: r_after
    - name: both pam_motd rules of login updated
      community.general.pamd: {name: login, type: session, control: optional, module_path: pam_motd.so, new_control: required, module_arguments: noupdate}
      register: r_updated
    - name: arguments added and one replaced
      community.general.pamd:
        name: common-password
        type: password
        control: "[success=1 default=ignore]"
        module_path: pam_unix.so
        module_arguments: "obscure,remember=5"
        state: args_present
      register: r_present
    - name: an argument replaced
      community.general.pamd: {name: login, type: auth, control: optional, module_path: pam_faildelay.so, module_arguments: delay=2000000, state: args_present}
      register: r_replaced
    - name: an argument removed
      community.general.pamd: {name: common-auth, type: auth, control: "[success=1 default=ignore]", module_path: pam_unix.so, module_arguments: [nullok], state: args_absent}
      register: r_args_absent
    - name: no such rule
      community.general.pamd: {name: other, type: auth, control: required, module_path: pam_nothing.so, new_control: optional}
      register: r_none
    - name: no such file
      community.general.pamd: {name: ph-missing, type: auth, control: required, module_path: pam_deny.so, state: absent}
      register: r_missing
      ignore_errors: true
    - name: brackets with args_present
      community.general.pamd: {name: login, type: auth, control: requisite, module_path: pam_nologin.so, module_arguments: "[x=y]", state: args_present}
      register: r_brackets
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'absent': r_absent, 'before': r_before, 'after': r_after, 'updated': r_updated, 'present': r_present, 'replaced': r_replaced, 'args_absent': r_args_absent, 'none': r_none, 'missing': r_missing, 'brackets': r_brackets} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok(
        "cd /etc/pam.d && for f in *; do case \"$f\" in *~) continue;; esac; \
         stat -c '== %n %a %U %F' \"$f\"; sed 's/^# Updated by Ansible - .*/# Updated by Ansible - TIME/' \"$f\"; done; \
         printf 'backups: %s\\n' \"$(ls | grep -c '~$')\"",
    )
}

#[test]
fn pam_service_files_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception", "backupdest"],
        ..Differential::new("modules_pamd", PLAY, state)
    }
    .start();
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(
        ours.contains("== su 644 root regular file\n#\n# Updated by Ansible - TIME\n")
            && ours.contains("auth       sufficient pam_rootok.so\nauth       required pam_wheel.so use_uid group=sudo\n")
            && ours.contains("auth       required pam_faildelay.so delay=4000000\nauth       [success=1 default=ignore] pam_unix.so\n")
            && ours.contains("session    required pam_motd.so noupdate\nsession    required pam_motd.so noupdate\n")
            && ours.contains("pam_unix.so obscure yescrypt remember=5\n")
            && ours.contains("auth       optional pam_faildelay.so delay=2000000\n")
            && !ours.contains("pam_motd.so  motd=/run/motd.dynamic")
            && ours.contains("backups: 1\n"),
        "{ours}"
    );
    let mark = trial.ours().ok("sed -n 2p /etc/pam.d/su");
    let time = mark.trim().trim_start_matches("# Updated by Ansible - ");
    assert!(
        time.len() >= 19 && time.as_bytes()[10] == b'T' && time.starts_with("20"),
        "{mark}"
    );
    let r = &outcome.ours;
    assert_eq!(r["absent"]["change_count"], 2, "{r}");
    assert_eq!(r["updated"]["change_count"], 2, "{r}");
    assert_eq!(r["none"]["changed"], false, "{r}");
    let backup = r["after"]["backupdest"].as_str().unwrap_or_default();
    assert!(
        backup.starts_with("/etc/pam.d/su.") && backup.ends_with('~'),
        "{r}"
    );
    for failed in ["missing", "brackets"] {
        assert_eq!(r[failed]["failed"], true, "{r}");
    }
}
