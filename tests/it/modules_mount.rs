//! `ansible.posix.mount` against the collection's module on real machines (systemd-nspawn
//! containers, where tmpfs and bind mounts work inside the container's own mount namespace):
//! the same play run by ansible-playbook on one fresh machine and by playhook on its twin, then
//! compared: /etc/fstab and another fstab byte for byte, the live mounts under /mnt
//! (`findmnt`), the mount points left, the backups made, every registered result key by key
//! (the backup's name with its pid and time made neutral; `deprecations`, which ansible-core
//! adds because the module passes `warnings` to `exit_json`, skipped). States covered: present
//! (with `boot: false`, and `noauto` with its warning), mounted (directories made, a bind mount,
//! changed options remounted with a backup), unmounted, absent, absent_from_fstab, another
//! fstab created on the way, and a mount that fails (both tools restore the fstab, remove the
//! directories they made and fail with the same message). The re-run changes nothing;
//! `--check --diff` on a third machine changes nothing. `remounted` and `ephemeral`, which
//! always report a change, are compared in a second play without the re-run.

use serde_json::Value as Json;

use crate::support::machines::Machine;
use crate::support::oracle::{Differential, RESULTS, read_json};

const PREPARE: &str = "mkdir -p /srv/ph-data /mnt/ph-old /mnt/ph-unmount /mnt/ph-absent /mnt/ph-keep \
    && echo data > /srv/ph-data/f \
    && printf 'tmpfs /mnt/ph-old tmpfs size=1m 0 0\\ntmpfs /mnt/ph-unmount tmpfs defaults 0 0\\n\
tmpfs  /mnt/ph-absent tmpfs defaults 0 0\\ntmpfs /mnt/ph-keep tmpfs defaults 0 0\\n' >> /etc/fstab \
    && mount /mnt/ph-old && mount /mnt/ph-unmount && mount /mnt/ph-absent";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: present, not mounted at boot
      ansible.posix.mount: {path: /mnt/ph-present, src: tmpfs, fstype: tmpfs, opts: size=1m, state: present, boot: false}
      register: r_present
    - name: noauto makes the module ignore boot
      mount: {path: /mnt/ph-noauto, src: tmpfs, fstype: tmpfs, opts: noauto, state: present}
      register: r_noauto
    - name: mounted, its directories made
      ansible.posix.mount: {path: /mnt/ph-mounted/deep, src: tmpfs, fstype: tmpfs, opts: "size=2m,mode=0750", state: mounted}
      register: r_mounted
    - name: a bind mount
      ansible.posix.mount: {path: /mnt/ph-bind, src: /srv/ph-data, fstype: none, opts: bind, state: mounted}
      register: r_bind
    - name: changed options are remounted, the fstab backed up
      ansible.posix.mount: {path: /mnt/ph-old, src: tmpfs, fstype: tmpfs, opts: size=3m, state: mounted, backup: true}
      register: r_remount
    - name: unmounted keeps the entry
      ansible.posix.mount: {path: /mnt/ph-unmount, state: unmounted}
      register: r_unmounted
    - name: absent unmounts and removes the mount point
      ansible.posix.mount: {path: /mnt/ph-absent, state: absent}
      register: r_absent
    - name: absent_from_fstab leaves the directory
      ansible.posix.mount: {path: /mnt/ph-keep, state: absent_from_fstab}
      register: r_keep
    - name: another fstab, made on the way
      ansible.posix.mount: {path: "/mnt/ph alt", src: "LABEL=x&y", fstype: ext4, state: present, fstab: /etc/ph-fstab.d/fstab, dump: 1, passno: 2}
      register: r_alt
    - name: a mount that fails
      ansible.posix.mount: {path: /mnt/ph-fail/sub, src: /dev/ph-missing, fstype: ext4, state: mounted}
      register: r_fail
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'present': r_present, 'noauto': r_noauto, 'mounted': r_mounted, 'bind': r_bind, 'remount': r_remount, 'unmounted': r_unmounted, 'absent': r_absent, 'keep': r_keep, 'alt': r_alt, 'fail': r_fail} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// What the play changes: the fstabs, the mounts under /mnt (without the options of the
/// machine's own overlay a bind mount shows), the mount points, the backups.
fn state(m: &Machine) -> String {
    m.ok(
        "cat /etc/fstab; echo ---; cat /etc/ph-fstab.d/fstab 2>/dev/null; echo ---; \
          findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep '^/mnt' | sed 's/,lowerdir=.*//' | sort; echo ---; \
          find /mnt | sort; ls /etc | grep -c '^fstab\\.' || true; stat -c '%a %U' /etc/fstab",
    )
}

/// The dumped results with the backup's name made neutral (`/etc/fstab.PID.DATE~`), after
/// checking it has Ansible's form.
fn results(m: &Machine) -> Json {
    let mut r = read_json(m, RESULTS);
    let backup = r["remount"]["backup_file"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let tail = backup.strip_prefix("/etc/fstab.").unwrap_or_default();
    let (pid, stamp) = tail.split_once('.').unwrap_or_default();
    assert!(
        pid.parse::<u32>().is_ok() && stamp.len() == 20 && stamp.ends_with('~') && stamp.contains('@'),
        "backup_file on {}: {backup}",
        m.name
    );
    r["remount"]["backup_file"] = Json::from("/etc/fstab.PID.DATE~");
    r
}

const SKIPPED: &[&str] = &["invocation", "_ansible_no_log", "deprecations", "exception"];

#[test]
fn fstab_and_mounts_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        skipped: SKIPPED,
        results,
        ..Differential::new("modules_mount", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    for expected in [
        "tmpfs /mnt/ph-present tmpfs size=1m,noauto 0 0\n",
        "tmpfs /mnt/ph-old tmpfs size=3m 0 0\n",
        "LABEL=x\\046y /mnt/ph\\040alt ext4 defaults 1 2\n",
        "/mnt/ph-mounted/deep tmpfs tmpfs rw,relatime,size=2048k,mode=750",
        "/mnt/ph-unmount\n",
    ] {
        assert!(ours.contains(expected), "{expected:?} in\n{ours}");
    }
    assert!(
        !ours.contains("ph-absent") && !ours.contains("ph-fail") && !ours.contains("tmpfs /mnt/ph-keep"),
        "{ours}"
    );
    assert_eq!(
        outcome.ours["noauto"]["warnings"][0],
        "Ignore the 'boot' due to 'opts' contains 'noauto'."
    );
    let fail = outcome.ours["fail"]["msg"].as_str().unwrap_or_default();
    assert!(
        fail.starts_with("Error mounting /mnt/ph-fail/sub: mount:"),
        "{fail}"
    );
}

const PREPARE_REMOUNT: &str = "mkdir -p /mnt/ph-old && printf 'tmpfs /mnt/ph-old tmpfs size=1m 0 0\\n' >> /etc/fstab \
    && mount /mnt/ph-old";

const PLAY_REMOUNT: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - ansible.posix.mount: {path: /mnt/ph-old, state: remounted}
      register: r_plain
    - ansible.posix.mount: {path: /mnt/ph-old, state: remounted, opts: size=5m}
      register: r_opts
    - ansible.posix.mount: {path: /mnt/ph-eph, src: tmpfs, fstype: tmpfs, opts: size=1m, state: ephemeral}
      register: r_eph
    - ansible.posix.mount: {path: /mnt/ph-eph, src: tmpfs, fstype: tmpfs, opts: size=2m, state: ephemeral}
      register: r_eph_again
    - ansible.posix.mount: {path: /mnt/ph-old, src: /dev/ph-other, fstype: ext4, state: ephemeral}
      register: r_eph_other
      ignore_errors: true
    - ansible.posix.mount: {path: /mnt/ph-none, state: remounted}
      register: r_none
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'plain': r_plain, 'opts': r_opts, 'eph': r_eph, 'eph_again': r_eph_again, 'eph_other': r_eph_other, 'none': r_none} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn mounts(m: &Machine) -> String {
    m.ok(
        "cat /etc/fstab; findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep '^/mnt' | sort; find /mnt | sort",
    )
}

#[test]
fn remounted_and_ephemeral_mount_as_the_collections_module_does() {
    let trial = Differential {
        skipped: SKIPPED,
        ..Differential::new("modules_mount remount", PLAY_REMOUNT, mounts)
    }
    .start();
    trial.prepare(PREPARE_REMOUNT);
    trial.run_check();
    // Both report a change on every run, so there is no re-run to compare.
    let outcome = trial.run_apply();
    let ours = mounts(trial.ours());
    assert!(
        ours.contains("/mnt/ph-old tmpfs tmpfs rw,relatime,size=5120k")
            && ours.contains("/mnt/ph-eph tmpfs tmpfs rw,relatime,size=2048k")
            && !ours.contains("ph-eph tmpfs tmpfs size"),
        "{ours}"
    );
    assert_eq!(outcome.ours["eph_again"]["changed"], true);
    assert!(
        outcome.ours["eph_other"]["msg"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Ephemeral mount point is already mounted with a different source"),
        "{}",
        outcome.ours["eph_other"]
    );
}
