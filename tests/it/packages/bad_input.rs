//! Bad input on real machines: a package that does not exist, a dpkg lock that stays held, a
//! host without apt-get. Each fails its host with one clear line naming what and where; the
//! other hosts finish the play.

use super::play::repository;
use crate::support::machines::Machines;
use crate::support::oracle::{deploy_failing, fatal};

#[test]
fn missing_packages_held_locks_and_hosts_without_apt_fail_clearly_and_alone() {
    let apt_repo = repository();
    let machines = Machines::start(4);
    let [nope, locked, no_apt, fine] = [0, 1, 2, 3].map(|i| machines.machine(i));
    for m in machines.machines() {
        m.add_apt_repo(&apt_repo, true);
        m.ok("apt-get update -q >/dev/null");
    }
    // apt takes its locks with fcntl: hold the frontend lock the same way, for the whole test
    // (the machine goes with it): a shorter hold can end between apt giving up and playhook
    // asking who held the lock when the machine is slow.
    locked.ok(
        "systemd-run --unit=hold-dpkg-lock python3 -c 'import fcntl, time; f = open(\"/var/lib/dpkg/lock-frontend\", \"w\"); \
         fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(3600)' && sleep 1",
    );
    no_apt.ok("mv /usr/bin/apt-get /usr/bin/apt-get.away");
    let text = deploy_failing(
        &machines,
        &format!(
            "apt: {{name: \"{{{{ 'ph-does-not-exist' if inventory_hostname == '{nope}' else 'ph-tool' }}}}\", lock_timeout: 3}}",
            nope = nope.name
        ),
    );
    // The failure's message: one line, in the result printed after `fatal: [HOST]: FAILED! =>`.
    let message = |host: &str| fatal(&text, host)["msg"].as_str().unwrap_or_default().to_string();
    let line = message(&nope.name);
    assert!(
        line.contains("No package matching 'ph-does-not-exist' is available"),
        "{line}"
    );
    let line = message(&locked.name);
    assert!(
        line.contains("/var/lib/dpkg/lock-frontend on ")
            && line.contains("held by process")
            && line.contains("python3"),
        "{line}"
    );
    assert!(line.contains("3 s (lock_timeout)"), "{line}");
    let line = message(&no_apt.name);
    assert!(
        line.contains(&format!("apt-get is not installed on {}", no_apt.name)),
        "{line}"
    );
    assert_eq!(
        fine.read("/root/finished").as_deref(),
        Some("finished\n"),
        "{text}"
    );
    assert!(
        fine.ok("dpkg-query -W -f '${Status}' ph-tool")
            .contains("installed")
    );
    for m in [nope, locked, no_apt] {
        assert_eq!(m.read("/root/finished"), None, "{} went on after failing", m.name);
    }
    assert!(
        locked.run("dpkg-query -W ph-tool").code != 0,
        "installed despite the held lock"
    );
}
