//! `community.general.pam_limits` against the collection's module on real machines: the same
//! play run by ansible-playbook on one fresh machine and by playhook on its twin; compared:
//! /etc/security/limits.conf and every file of /etc/security/limits.d (bytes, mode, owner; the
//! backups by count, their names carrying a PID and a time), every registered result key by
//! key (`msg`, `diff`), the recap; the re-run changes nothing; `--check --diff` on a third
//! machine changes nothing. The edits cover Debian's own limits.conf, a file with comments,
//! odd spacing and a repeated line, `use_max`, `use_min`, a comment, a new file, a backup, and
//! the failures for a bad value and for a bad line already in the file.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

const PREPARE: &str = "printf '# mine\\n\\n@adm   hard   core   0   # no cores\\n*  soft  nproc  100\\n\
odd line here\\n*\\tsoft\\tnproc\\t300\\n@staff - maxlogins 4\\n' > /etc/security/limits.d/ph.conf \
&& printf 'root soft nofile lots\\n' > /etc/security/limits.d/bad.conf";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a new line in Debian's limits.conf
      community.general.pam_limits: {domain: "*", limit_type: soft, limit_item: nofile, value: 65535}
      register: r_new
    - name: a hard limit beside it, with a comment
      pam_limits: {domain: "*", limit_type: hard, limit_item: nofile, value: unlimited, comment: "open files"}
      register: r_comment
    - name: use_max over a repeated line
      community.general.pam_limits: {domain: "*", limit_type: soft, limit_item: nproc, value: 200, use_max: true, dest: /etc/security/limits.d/ph.conf}
      register: r_max
    - name: use_min against unlimited
      community.general.pam_limits: {domain: "@adm", limit_type: hard, limit_item: core, value: unlimited, use_min: true, dest: /etc/security/limits.d/ph.conf}
      register: r_min
    - name: a changed value, the first comment of the file carried over (a backup on the dumping run only, the re-run would add one)
      community.general.pam_limits: {domain: "@staff", limit_type: "-", limit_item: maxlogins, value: "2", dest: /etc/security/limits.d/ph.conf, backup: "{{ dump | default(false) | bool }}"}
      register: r_backup
    - name: priority in a new file
      community.general.pam_limits: {domain: "@audio", limit_type: "-", limit_item: nice, value: -10, dest: /etc/security/limits.d/audio.conf}
      register: r_file
    - name: a bad value
      community.general.pam_limits: {domain: "*", limit_type: soft, limit_item: nofile, value: "-5"}
      register: r_bad
      ignore_errors: true
    - name: a bad line already there
      community.general.pam_limits: {domain: root, limit_type: hard, limit_item: nofile, value: 10, dest: /etc/security/limits.d/bad.conf}
      register: r_badline
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'new': r_new, 'comment': r_comment, 'max': r_max, 'min': r_min, 'backup': r_backup, 'file': r_file, 'bad': r_bad, 'badline': r_badline} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok(
        "cd /etc/security && for f in limits.conf limits.d/*; do case \"$f\" in *~) continue;; esac; \
         stat -c '== %n %a %U %F' \"$f\"; cat \"$f\"; done; \
         printf 'backups: %s\\n' \"$(ls limits.d | grep -c '~$')\"",
    )
}

#[test]
fn limits_files_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception", "backup_file"],
        ..Differential::new("modules_pam_limits", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(
        ours.contains("*\tsoft\tnofile\t65535\n*\thard\tnofile\tunlimited\t#open files\n")
            && ours.contains("*\tsoft\tnproc\t200\t# no cores\n\n")
            && ours.contains("@staff\t-\tmaxlogins\t2\t# no cores\n\n")
            && ours.contains("== limits.d/audio.conf 644 root regular file\n@audio\t-\tnice\t-10\n")
            && ours.contains("backups: 1\n"),
        "{ours}"
    );
    let r = &outcome.ours;
    let backup = r["backup"]["backup_file"].as_str().unwrap_or_default();
    assert!(
        backup.starts_with("/etc/security/limits.d/ph.conf.") && backup.ends_with('~'),
        "{r}"
    );
    for failed in ["bad", "badline"] {
        assert_eq!(r[failed]["failed"], true, "{r}");
    }
}
