//! `sysvinit` against ansible-core 2.19 on real machines: the same play on Debian's
//! `/etc/init.d` scripts (cron's, under systemd, and a script of the test's own that starts a
//! daemon found with `pattern`: started with `arguments`, links per runlevel, restarted with
//! `daemonize`, a missing service as an ignored failure) applied by ansible-playbook to one
//! fresh machine and by playhook to its twin; compared: the `rc?.d` links, cron's unit state,
//! the daemon's process and arguments, the registered results key by key, the recaps; a re-run
//! changes nothing on both; `--check` on a third machine changes nothing and counts alike.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

/// An init script without LSB's init-functions (so no redirection to systemctl): a `sleep`
/// daemon, started with its first argument recorded.
const PREPARE: &str = r#"cat >/etc/init.d/phdemo <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          phdemo
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: playhook's demo daemon
### END INIT INFO
case "$1" in
  start) start-stop-daemon --start --background --make-pidfile --pidfile /run/phdemo.pid --exec /bin/sleep -- 1000
         echo "${2:-none}" >/root/phdemo.args; echo "started phdemo" ;;
  stop) start-stop-daemon --stop --oknodo --remove-pidfile --pidfile /run/phdemo.pid; echo "stopped phdemo" ;;
  reload) echo "reloaded phdemo" ;;
  status) start-stop-daemon --status --pidfile /run/phdemo.pid || { echo "phdemo is not running"; exit 3; }
          echo "phdemo is running" ;;
  *) echo "usage: $0 start|stop|reload|status" >&2; exit 2 ;;
esac
EOF
chmod 755 /etc/init.d/phdemo"#;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - sysvinit: {name: phdemo, state: started, enabled: true, pattern: "sleep 1000", arguments: hello}
      register: r_started
    - sysvinit: {service: phdemo, state: started, pattern: "sleep 1000"}
      register: r_again
    - sysvinit: {name: phdemo, enabled: false, runlevels: ["3", "5"]}
      register: r_runlevels
    - sysvinit: {name: phdemo, state: restarted, pattern: "sleep 1000", daemonize: true, sleep: 0, args: again}
      register: r_restarted
      when: dump | default(false) | bool
    - sysvinit: {name: cron, state: stopped, enabled: false}
      register: r_cron
    - sysvinit: {name: /etc/init.d/rsync, enabled: false}
      register: r_path
    - sysvinit: {name: nosuch, state: started}
      register: r_missing
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'started': r_started, 'again': r_again, 'runlevels': r_runlevels, 'restarted': r_restarted, 'cron': r_cron, 'path': r_path, 'missing': r_missing} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// The runlevel links, cron's unit, the demo daemon and its recorded argument.
fn state(m: &Machine) -> String {
    m.ok(
        "ls /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d /etc/rcS.d; \
         systemctl is-active cron || true; systemctl is-enabled cron || true; \
         ps -eo args | grep -c '^/bin/sleep 1000$' || true; cat /root/phdemo.args 2>/dev/null || true",
    )
}

#[test]
fn sysvinit_scripts_end_as_ansible_leaves_them() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "exception"],
        ..Differential::new("sysvinit", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(ours.contains("S01phdemo") && ours.contains("K01phdemo"), "{ours}");
    assert!(ours.contains("inactive"), "cron still runs:\n{ours}");
    assert_eq!(outcome.ours["started"]["changed"], true);
    assert_eq!(outcome.ours["again"]["changed"], false);
    assert_eq!(
        outcome.ours["missing"]["msg"],
        "Could not find the requested service nosuch: "
    );
}
