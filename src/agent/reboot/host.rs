//! The host side of reboots: reading the running boot (its id, when it began, whether
//! `/run/reboot-required` exists) and carrying out a decision's actions with systemd (transient
//! timers, `systemctl reboot`) or, without systemd, `shutdown`.

use std::path::Path;
use std::process::Command;

use super::RebootError;
use super::decide::{Action, Decision, HostFacts};
use super::time::format_utc;

/// Clock ticks per second of `/proc/*/stat` times: USER_HZ, 100 on every Linux architecture
/// playhook runs on.
const USER_HZ: i64 = 100;

/// The running boot, read under `root` (`/` on a real host).
pub fn read_facts(root: &Path) -> Result<HostFacts, RebootError> {
    let read = |rel: &str| {
        let path = root.join(rel);
        std::fs::read_to_string(&path).map_err(|e| RebootError::Io {
            doing: "reading",
            path,
            source: e,
        })
    };
    let boot_id = read("proc/sys/kernel/random/boot_id")?.trim().to_string();
    let booted_at =
        boot_start(&read("proc/stat")?, &read("proc/1/stat")?).ok_or_else(|| RebootError::Facts {
            message: format!(
                "cannot tell when this boot began from {} and {}",
                root.join("proc/stat").display(),
                root.join("proc/1/stat").display()
            ),
        })?;
    Ok(HostFacts {
        boot_id,
        booted_at,
        reboot_required: root.join("run/reboot-required").exists(),
    })
}

/// When PID 1 started (the boot, also in a container): the kernel's boot time (`btime` of
/// `/proc/stat`) plus PID 1's start in ticks (field 22 of `/proc/1/stat`).
fn boot_start(proc_stat: &str, init_stat: &str) -> Option<i64> {
    let btime: i64 = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // Fields after the command name in parentheses, which may hold spaces: field 3 is first.
    let after_comm = &init_stat[init_stat.rfind(')')? + 1..];
    let start_ticks: i64 = after_comm.split_whitespace().nth(22 - 3)?.parse().ok()?;
    Some(btime + start_ticks / USER_HZ)
}

/// Runs the decision's actions, in order; returns a line per action done. A reboot comes last,
/// whatever the order: the caller has saved the state and sent its reports before calling this.
pub fn execute(decision: &Decision, now: i64) -> Result<Vec<String>, RebootError> {
    let systemd = Path::new("/run/systemd/system").is_dir();
    let mut done = Vec::new();
    for action in &decision.actions {
        match action {
            Action::Cancel { unit } if systemd => {
                stop_timer(unit);
                done.push(format!("removed the timer {unit}.timer"));
            }
            Action::Cancel { .. } => {
                // `shutdown` keeps one schedule: cancelling it cancels every scheduled reboot;
                // the next pass schedules the others again.
                run(Command::new("shutdown").arg("-c"))?;
                done.push("cancelled the scheduled shutdown".into());
            }
            Action::Schedule { unit, at } if systemd => {
                stop_timer(unit);
                run(Command::new("systemd-run")
                    .arg(format!("--unit={unit}"))
                    .arg("--description=playhook: scheduled reboot")
                    .arg(format!("--on-calendar={}", format_utc(*at)))
                    .arg("--timer-property=AccuracySec=1s")
                    .args(["systemctl", "reboot"]))?;
                done.push(format!("{unit}.timer reboots at {}", format_utc(*at)));
            }
            Action::Schedule { at, .. } => {
                let minutes = (at - now + 59).div_euclid(60).max(1);
                run(Command::new("shutdown").arg("-r").arg(format!("+{minutes}")))?;
                done.push(format!("shutdown -r +{minutes} (at {})", format_utc(*at)));
            }
            Action::RebootNow => {}
        }
    }
    if decision.reboots_now() {
        if systemd {
            run(Command::new("systemctl").arg("reboot"))?;
        } else {
            run(Command::new("shutdown").args(["-r", "now"]))?;
        }
        done.push("rebooting".into());
    }
    Ok(done)
}

/// Stops a transient timer and forgets its units; absent units are fine.
fn stop_timer(unit: &str) {
    // Both fail when the units do not exist, which is what is wanted.
    let _ = Command::new("systemctl")
        .args(["stop", &format!("{unit}.timer")])
        .output();
    let _ = Command::new("systemctl")
        .args([
            "reset-failed",
            &format!("{unit}.timer"),
            &format!("{unit}.service"),
        ])
        .output();
}

fn run(cmd: &mut Command) -> Result<(), RebootError> {
    let line = format!("{cmd:?}").replace('"', "");
    let out = cmd.output().map_err(|e| RebootError::Command {
        command: line.clone(),
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(RebootError::Command {
            command: line,
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_began_when_pid_1_started() {
        let stat = "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n";
        // A command name with spaces and parentheses; starttime (field 22) is 12345 ticks.
        let init = "1 (systemd (x) y) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 12345 100 200";
        assert_eq!(boot_start(stat, init), Some(1_700_000_123));
        assert_eq!(boot_start("cpu 1\n", init), None);
    }

    #[test]
    fn reads_the_facts_under_a_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for (path, text) in [
            (
                "proc/sys/kernel/random/boot_id",
                "0f1e2d3c-aaaa-bbbb-cccc-000000000000\n",
            ),
            ("proc/stat", "btime 1700000000\n"),
            (
                "proc/1/stat",
                "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 1 1",
            ),
        ] {
            std::fs::create_dir_all(root.join(path).parent().expect("parent")).expect("mkdir");
            std::fs::write(root.join(path), text).expect("write");
        }
        let facts = read_facts(root).expect("facts");
        assert_eq!(facts.boot_id, "0f1e2d3c-aaaa-bbbb-cccc-000000000000");
        assert_eq!(facts.booted_at, 1_700_000_005);
        assert!(!facts.reboot_required);
        std::fs::create_dir_all(root.join("run")).expect("mkdir");
        std::fs::write(root.join("run/reboot-required"), "").expect("write");
        assert!(read_facts(root).expect("facts").reboot_required);
        std::fs::write(root.join("proc/stat"), "").expect("write");
        let err = read_facts(root).expect_err("no btime").to_string();
        assert!(err.contains("proc/stat"), "{err}");
    }
}
