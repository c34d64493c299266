//! `cron` against ansible-core 2.19 on real machines: the same play (a certbot-style renew job,
//! a job adopted from an unmarked line, environment lines placed and removed, a `special_time`
//! job in another user's crontab with a backup, a disabled job, cron files under /etc/cron.d
//! written, emptied and removed, a cron file without its last newline) applied by
//! ansible-playbook to one fresh machine and by playhook to its twin. Compared byte for byte:
//! `crontab -l -u` of each user and every /etc/cron.d file with mode and owner; every
//! registered result key by key; a re-run changes nothing on both; `--check --diff` on a third
//! machine changes nothing and counts what Ansible counts. Bad input fails naming the task.

use serde_json::Value as Json;

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, machines_repo, playhook_fails};

/// What every machine has before the play.
const PREPARE: &str = r#"set -e
useradd -m alice
printf 'MAILTO=root\n# own line\n5 4 * * * /usr/bin/adopt-me\n' | crontab -
printf '#Ansible: gone\n* * * * * root /bin/true\n' >/etc/cron.d/old-job
printf '#Ansible: keep\n1 1 * * * root /bin/keep\n#Ansible: drop\n2 2 * * * root /bin/drop\n' >/etc/cron.d/partial
printf '#Ansible: tail\n3 3 * * * root /bin/tail' >/etc/cron.d/no-newline
"#;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - cron: {name: certbot renew, minute: "0", hour: "0,12", job: "certbot renew --quiet"}
      register: r_certbot
    - cron: {name: adopted, minute: 5, hour: 4, job: /usr/bin/adopt-me}
      register: r_adopted
    - cron: {name: PATH, env: true, job: "/usr/local/bin:/usr/bin:/bin"}
      register: r_path
    - cron: {name: SHELL, env: true, value: /bin/bash, insertbefore: MAILTO}
      register: r_shell
    - cron: {name: MAILTO, env: true, state: absent}
      register: r_mailto
    - ansible.builtin.cron: {name: nightly, special_time: daily, job: /usr/local/bin/nightly, user: alice, backup: true}
      register: r_nightly
    - cron: {name: disabled job, dow: "1-5", job: /bin/off, disabled: true, user: alice}
      register: r_disabled
    - cron: {name: dot-d job, cron_file: ph-jobs, user: root, minute: "*/5", job: "/bin/echo hi >/dev/null"}
      register: r_dotd
    - cron: {name: gone, cron_file: old-job, state: absent}
      register: r_gone
    - cron: {name: drop, cron_file: /etc/cron.d/partial, state: absent}
      register: r_drop
    - cron: {name: tail, cron_file: no-newline, user: root, minute: 3, hour: 3, job: /bin/tail}
      register: r_tail
    - cron: {name: never, state: absent}
      register: r_never
    - copy:
        dest: /root/results.json
        content: "{{ {'certbot': r_certbot, 'adopted': r_adopted, 'path': r_path, 'shell': r_shell, 'mailto': r_mailto, 'nightly': r_nightly, 'disabled': r_disabled, 'dotd': r_dotd, 'gone': r_gone, 'drop': r_drop, 'tail': r_tail, 'never': r_never} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// Not the module's, or random: Ansible's `invocation`, `_ansible_*`, and the backup's
/// temp-file name (checked by shape below).
const SKIPPED: &[&str] = &["invocation", "_ansible_no_log", "backup_file"];

/// Each user's crontab and every cron.d file, with modes and owners.
fn state(m: &Machine) -> String {
    m.ok(
        r#"for u in root alice; do echo "== $u"; crontab -l -u $u 2>&1; done
ls -ln /var/spool/cron/crontabs | tail -n +2 | awk '{print $1, $3, $4, $9}'
for f in /etc/cron.d/*; do echo "== $f $(stat -c '%a %U %G' "$f")"; cat "$f"; echo '<eof>'; done"#,
    )
}

#[test]
fn cron_entries_end_byte_for_byte_as_ansible_writes_them() {
    let trial = Differential {
        skipped: SKIPPED,
        ..Differential::new("cron", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let ours_results = trial.run().ours;
    let ours = trial.ours();
    let ours_state = state(ours);
    assert!(
        ours_state.contains("#Ansible: certbot renew\n0 0,12 * * * certbot renew --quiet\n"),
        "{ours_state}"
    );
    let backup = ours_results["nightly"]["backup_file"]
        .as_str()
        .unwrap_or_default();
    assert!(backup.starts_with("/tmp/crontab"), "{ours_results}");
    assert_eq!(ours.ok(&format!("stat -c %a {backup}")).trim(), "600");
    assert_eq!(ours_results["gone"]["changed"], Json::Bool(true));
}

#[test]
fn bad_cron_input_fails_with_ansibles_message_naming_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: both kinds of time\n      cron: {name: x, special_time: daily, hour: 3, job: /bin/true}\n",
        )
        .file(
            "nouser.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: file without user\n      cron: {name: x, cron_file: x, job: /bin/true}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("You cannot combine special_time with any of the time or day/date parameters.")
            && out.contains("both kinds of time")
            && out.contains(&m.name),
        "{out}"
    );
    let out = playhook_fails(&repo, &["deploy", "--playbook", "nouser.yaml"]);
    assert!(
        out.contains("To use cron_file=... parameter you must specify user=... as well"),
        "{out}"
    );
    assert!(m.run("test -e /etc/cron.d/x").code != 0);
    assert!(m.run("crontab -l").code != 0, "no crontab was written");
}
