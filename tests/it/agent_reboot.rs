//! Scheduled reboots of pull mode on a real Debian machine (systemd as PID 1) with the playhook
//! binary copied in: the reboot step of an agent pass (`playhook reboot-check`, until
//! `playhook agent run` calls it) against a repository checked out on the machine. A request
//! reboots the machine exactly once, a time long past never, a time ahead is a systemd timer
//! that a new request replaces and that reboots the machine once when it fires.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::machines::{Machine, Machines};

const STATE: &str = "/var/lib/playhook/agent/reboots.json";

/// Now, as a Unix time.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// `unix` as a request writes it: `YYYY-MM-DD HH:MM:SS` (UTC).
fn utc(unix: i64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{unix}"), "+%F %T"])
        .output()
        .expect("running date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Copies the playhook binary into the machine and checks out a repository at /srv/repo whose
/// inventory puts the machine in group `web`.
fn install(m: &Machine) {
    let bin = m.root().join("usr/local/bin/playhook");
    std::fs::copy(env!("CARGO_BIN_EXE_playhook"), &bin).expect("copying playhook into the machine");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let repo = m.root().join("srv/repo");
    std::fs::create_dir_all(&repo).expect("mkdir /srv/repo");
    std::fs::write(
        repo.join("ansible.cfg"),
        "[defaults]\ninventory = inventory.yml\n",
    )
    .expect("ansible.cfg");
    let inventory = format!(
        "all:\n  children:\n    web:\n      hosts:\n        {}:\n    db:\n      hosts:\n        db1:\n",
        m.name
    );
    std::fs::write(repo.join("inventory.yml"), inventory).expect("inventory.yml");
}

/// Makes the repository's `playhook.yaml` ask for these reboots: (id, hosts, at, grace).
fn request(m: &Machine, reboots: &[(&str, &str, i64, Option<&str>)]) {
    let mut text = String::from("rules:\n  - ref: main\nreboots:\n");
    for (id, hosts, at, grace) in reboots {
        text.push_str(&format!(
            "  - id: {id}\n    hosts: {hosts}\n    at: {}\n",
            utc(*at)
        ));
        if let Some(grace) = grace {
            text.push_str(&format!("    grace: {grace}\n"));
        }
    }
    std::fs::write(m.root().join("srv/repo/playhook.yaml"), text).expect("playhook.yaml");
}

/// One reboot step of a pass; its output (the connection may drop when it reboots).
fn pass(m: &Machine) -> String {
    let ran = m.run("playhook reboot-check -C /srv/repo 2>&1");
    format!("{}{}", ran.stdout, ran.stderr)
}

fn boot_id(m: &Machine) -> String {
    m.ok("cat /proc/sys/kernel/random/boot_id").trim().to_string()
}

/// The state's record of request `id`: (status, boot id).
fn record(m: &Machine, id: &str) -> (String, String) {
    let text = m.read(STATE).expect("the reboot state exists");
    let state: serde_json::Value = serde_json::from_str(&text).expect("the state is JSON");
    let e = &state["requests"][id];
    (
        e["status"].as_str().unwrap_or("none").to_string(),
        e["boot_id"].as_str().unwrap_or("").to_string(),
    )
}

fn timer_active(m: &Machine, id: &str) -> bool {
    m.run(&format!("systemctl is-active playhook-reboot-request-{id}.timer"))
        .stdout
        .trim()
        == "active"
}

/// The machine has not rebooted (again) for a few seconds.
fn stays_up(m: &Machine, boots: usize) {
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(m.boots(), boots, "{} rebooted:\n{}", m.name, m.console());
}

#[test]
fn a_reboot_request_reboots_once_a_time_long_past_never_and_a_time_ahead_is_a_timer() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let started = Instant::now();
    install(m);

    // A time ahead: a systemd timer, reported once more by the next pass, not scheduled twice.
    let ahead = now() + 2 * 3600;
    request(m, &[("ahead-1", "web", ahead, None)]);
    let out = pass(m);
    assert!(
        out.contains("reboot `ahead-1`: scheduled for")
            && out.contains("playhook-reboot-request-ahead-1.timer reboots at"),
        "{out}"
    );
    assert!(timer_active(m, "ahead-1"));
    let listed = m.ok("systemctl list-timers --all --no-legend 'playhook-reboot-*'");
    assert!(
        listed.contains("playhook-reboot-request-ahead-1.timer"),
        "{listed}"
    );
    let calendar = m.ok("systemctl show -p TimersCalendar playhook-reboot-request-ahead-1.timer");
    assert!(calendar.contains(&utc(ahead)), "{calendar}");
    let out = pass(m);
    assert!(
        out.contains("scheduled for") && !out.contains(".timer reboots at"),
        "{out}"
    );

    // A new id supersedes it: the old timer goes, the new one comes.
    let ahead2 = now() + 3 * 3600;
    request(m, &[("ahead-2", "web", ahead2, None)]);
    let out = pass(m);
    assert!(
        out.contains("reboot `ahead-1` for") && out.contains("cancelled"),
        "{out}"
    );
    assert!(!timer_active(m, "ahead-1"));
    assert!(timer_active(m, "ahead-2"));
    assert_eq!(record(m, "ahead-1").0, "cancelled");
    stays_up(m, 1);

    // A time long past (more than its grace, yet after the machine booted: a fresh machine
    // has booted since any earlier time), and one for a group the machine is not in: nothing.
    let up = Instant::now();
    std::thread::sleep(Duration::from_secs(25).saturating_sub(up.duration_since(started)));
    request(
        m,
        &[
            ("long-past", "web", now() - 20, Some("10s")),
            ("others", "db", now() - 5, None),
            ("ahead-2", "web", ahead2, None),
        ],
    );
    let out = pass(m);
    assert!(
        out.contains("reboot `long-past` for")
            && out.contains("not done, ")
            && out.contains("late, more than the grace of 10s"),
        "{out}"
    );
    assert!(!out.contains("others"), "{out}");
    stays_up(m, 1);
    assert_eq!(record(m, "long-past").0, "expired");
    assert_eq!(record(m, "others").0, "none");

    // A time just past: reboots now, once.
    let first_boot = boot_id(m);
    let due = now() - 2;
    request(m, &[("due", "web", due, None), ("ahead-2", "web", ahead2, None)]);
    let out = pass(m);
    assert!(out.is_empty() || out.contains("rebooting now"), "{out}");
    m.wait_boots(2);
    m.wait_up();
    let second_boot = boot_id(m);
    assert_ne!(first_boot, second_boot);
    assert_eq!(record(m, "due"), ("rebooting".to_string(), first_boot.clone()));
    let out = pass(m);
    assert!(
        out.contains("reboot `due` for") && out.contains("done (the host rebooted: boot id"),
        "{out}"
    );
    assert_eq!(record(m, "due"), ("done".to_string(), second_boot.clone()));
    // The timer of `ahead-2` died with the reboot; the pass set it again.
    assert!(out.contains("reboot `ahead-2`: scheduled for"), "{out}");
    assert!(timer_active(m, "ahead-2"));
    assert_eq!(
        record(m, "ahead-2"),
        ("scheduled".to_string(), second_boot.clone())
    );
    let out = pass(m);
    assert!(!out.contains("due"), "{out}");
    stays_up(m, 2);

    // A timer that fires: one reboot at its time, done after it, no second one.
    let soon = now() + 20;
    request(m, &[("due", "web", due, None), ("soon", "web", soon, None)]);
    let out = pass(m);
    assert!(out.contains("reboot `soon`: scheduled for"), "{out}");
    assert!(
        out.contains("reboot `ahead-2` for") && out.contains("cancelled"),
        "{out}"
    );
    assert!(timer_active(m, "soon"));
    assert!(!timer_active(m, "ahead-2"));
    let waited = Instant::now();
    m.wait_boots(3);
    m.wait_up();
    assert!(
        now() >= soon,
        "rebooted before the timer's time ({:?} after scheduling)",
        waited.elapsed()
    );
    let out = pass(m);
    assert!(
        out.contains("reboot `soon` for") && out.contains("done (the host rebooted at"),
        "{out}"
    );
    assert_eq!(record(m, "soon"), ("done".to_string(), boot_id(m)));
    assert_eq!(record(m, "due").0, "done");
    let out = pass(m);
    assert!(out.trim().is_empty(), "{out}");
    stays_up(m, 3);
}

/// The agent's config: reboot when `/run/reboot-required` exists, in a window of whole UTC hours
/// starting `from` hours from now and `hours` long.
fn required_config(m: &Machine, from: i64, hours: i64) {
    let hour = (now() / 3600).rem_euclid(24);
    let at = |h: i64| format!("{:02}:00", (hour + h).rem_euclid(24));
    let text = format!(
        "reboot:\n  when_required: true\n  window: {}-{}\n",
        at(from),
        at(from + hours)
    );
    let dir = m.root().join("etc/playhook");
    std::fs::create_dir_all(&dir).expect("mkdir /etc/playhook");
    std::fs::write(dir.join("agent.yaml"), text).expect("agent.yaml");
}

#[test]
fn reboot_required_waits_for_the_window_and_reboots_once_a_day() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    install(m);

    // The window opens later: a timer for its opening, removed when the file goes away.
    required_config(m, 2, 1);
    m.ok("touch /run/reboot-required");
    let out = pass(m);
    assert!(
        out.contains("reboot for /run/reboot-required: scheduled for"),
        "{out}"
    );
    assert_eq!(
        m.run("systemctl is-active playhook-reboot-required.timer")
            .stdout
            .trim(),
        "active"
    );
    m.ok("rm /run/reboot-required");
    let out = pass(m);
    assert!(
        out.contains("reboot for /run/reboot-required: cancelled"),
        "{out}"
    );
    assert_ne!(
        m.run("systemctl is-active playhook-reboot-required.timer")
            .stdout
            .trim(),
        "active"
    );
    stays_up(m, 1);

    // Inside the window: now, once; the file back after the boot does not reboot it again.
    required_config(m, -1, 2);
    m.ok("touch /run/reboot-required");
    let out = pass(m);
    assert!(
        out.is_empty() || out.contains("reboot for /run/reboot-required: rebooting now"),
        "{out}"
    );
    m.wait_boots(2);
    m.wait_up();
    assert_eq!(
        m.run("test -e /run/reboot-required").code,
        1,
        "/run is emptied by a boot"
    );
    m.ok("touch /run/reboot-required");
    let out = pass(m);
    assert!(
        out.contains("still required after the reboot at") && out.contains("not rebooting again before"),
        "{out}"
    );
    stays_up(m, 2);
    let out = pass(m);
    assert!(out.contains("not rebooting again before"), "{out}");
    stays_up(m, 2);
}
