//! Faults injected against real parts, and the state proved afterwards: `playhook deploy`
//! SIGKILLed at random points, the push hook SIGKILLed mid-deploy, hostile targets (full disk,
//! read-only `/tmp`, a wrong clock, a noisy shell, a stalled or dropped connection), concurrent
//! pushes, and a large fleet with dead hosts. One file per kind of fault.
//!
//! The helpers here deploy a repository to a [`Fleet`] with `playhook deploy --json` and read
//! what the hosts hold afterwards.

mod concurrent_pushes;
mod dead_hosts;
mod kill_deploy;
mod kill_hook;
mod target;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::fleet::Fleet;
use crate::support::repo::{Run, TestRepo};

/// A repository deploying `playbook` (the text of `deploy.yaml`) to the fleet's hosts (group
/// `fleet`), with `files` (path, bytes) beside it.
fn fleet_repo(fleet: &Fleet, playbook: &str) -> TestRepo {
    TestRepo::empty()
        .file("inventory.yaml", &fleet.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yaml\ngathering = explicit\n",
        )
        .file("deploy.yaml", playbook)
}

/// `playhook deploy --json ARGS` on `repo`.
fn deploy(repo: &TestRepo, args: &[&str]) -> Run {
    let mut all = vec!["deploy", "--json", "--color", "never"];
    all.extend_from_slice(args);
    repo.playhook(&all)
}

/// Everything a run printed, for assertion messages.
fn show(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.code(),
        run.stdout(),
        run.stderr()
    )
}

/// The recap of a `--json` run: per host, `[ok, changed, unreachable, failed]`.
fn recap(run: &Run) -> BTreeMap<String, [u64; 4]> {
    let events = run.events();
    let recap = events
        .iter()
        .find(|e| e["event"] == "recap")
        .unwrap_or_else(|| panic!("no recap:\n{}", show(run)));
    recap["hosts"]
        .as_object()
        .expect("recap hosts")
        .iter()
        .map(|(host, c)| {
            let n = |k: &str| c[k].as_u64().unwrap_or(0);
            (
                host.clone(),
                [n("ok"), n("changed"), n("unreachable"), n("failed")],
            )
        })
        .collect()
}

/// The messages of the `host_result` events of `host` whose status is `status`.
fn messages(run: &Run, host: &str, status: &str) -> Vec<String> {
    run.events()
        .iter()
        .filter(|e| e["event"] == "host_result" && e["host"] == host && e["status"] == status)
        .map(|e| e["msg"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Whether `name` is one of playhook's atomic-write temp files: `.NAME.playhook-<16 hex>-<pid>`
/// (see `src/connection/files/write.rs`).
fn is_write_temp(name: &str) -> bool {
    name.starts_with('.')
        && name.rsplit_once(".playhook-").is_some_and(|(_, r)| {
            let (random, pid) = r.split_once('-').unwrap_or((r, "0"));
            random.len() == 16
                && random.bytes().all(|b| b.is_ascii_hexdigit())
                && !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Every atomic-write temp file under `dir`, recursively.
fn write_temps(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            found.extend(write_temps(&path));
        } else if is_write_temp(&entry.file_name().to_string_lossy()) {
            found.push(path);
        }
    }
    found
}

/// Waits (up to 20 s) until nothing but sshd runs on the host: what a killed or cut-off run
/// left running there has ended.
fn wait_quiet(host: &crate::support::fleet::FleetHost) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let busy: Vec<String> = host
            .session_commands()
            .into_iter()
            // sshd, and the guard of a session whose input ended (it waits a second, then
            // kills what is left): the shell that ran the scripts is what must be gone.
            .filter(|c| !c.starts_with("sshd") && c != "sleep 1" && !c.contains("kill -TERM 0"))
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} still runs {busy:?}",
            host.name
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn write_temp_names_are_recognised() {
    assert!(is_write_temp(".f1.playhook-00ff00ff00ff00ff-4242"));
    assert!(is_write_temp(".f1.playhook-00ff00ff00ff00ff"));
    assert!(!is_write_temp("f1.playhook-00ff00ff00ff00ff"));
    assert!(!is_write_temp(".f1.playhook-link"));
}
