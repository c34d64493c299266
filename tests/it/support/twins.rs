//! Twin-machine oracle helpers: run a repository's `deploy.yaml` with ansible-playbook on one
//! machine and with playhook on its twin, compare the recaps, and compare registered results
//! (dumped by the play to a JSON file on each machine) key by key.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::ansible_tasks::ansible_command;
use super::machines::{Machine, Machines};
use super::repo::{Run, TestRepo};

/// `playhook deploy --json ARGS` in the repository; panics unless it succeeds.
pub fn playhook(repo: &TestRepo, args: &[&str]) -> Run {
    let mut all = vec!["deploy", "--json"];
    all.extend_from_slice(args);
    let run = repo.playhook(&all);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    run
}

/// `ansible-playbook -i INVENTORY ARGS deploy.yaml` in the repository; its stdout. Panics
/// unless it succeeds.
pub fn ansible(repo: &TestRepo, machines: &Machines, args: &[&str]) -> String {
    let out = ansible_command("ansible-playbook")
        .arg("-i")
        .arg(machines.inventory())
        .args(args)
        .arg("deploy.yaml")
        .current_dir(repo.path())
        .env("HOME", repo.path())
        .output()
        .expect("running ansible-playbook");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// playhook's recap for `host` as Ansible prints its first five counts.
pub fn recap_of(run: &Run, host: &str) -> String {
    let recap = run.recap(host);
    ["ok", "changed", "unreachable", "failed", "skipped"]
        .map(|k| format!("{k}={}", recap[k]))
        .join(" ")
}

/// The first five counts of Ansible's recap line for `host`.
pub fn ansible_recap(stdout: &str, host: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{host} ")))
        .unwrap_or_default()
        .split_whitespace()
        .skip(2)
        .take(5)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON file the play dumped its registered results to on `m`.
pub fn results(m: &Machine, path: &str) -> Json {
    serde_json::from_str(
        &m.read(path)
            .unwrap_or_else(|| panic!("{}: {path} dumped", m.name)),
    )
    .expect("results JSON")
}

/// Every registered result key by key, loop items included, except keys named in `skipped`.
pub fn compare_results(ours: &Json, theirs: &Json, skipped: &[&str]) {
    let flat = |v: &Json| {
        let mut out = BTreeMap::new();
        flatten("", v, skipped, &mut out);
        out
    };
    let (a, b) = (flat(ours), flat(theirs));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: playhook {:?}, ansible {:?}", a.get(k), b.get(k)))
        .collect();
    assert!(
        differ.is_empty(),
        "registered results differ:\n{}",
        differ.join("\n")
    );
}

fn flatten(path: &str, v: &Json, skipped: &[&str], out: &mut BTreeMap<String, Json>) {
    match v {
        Json::Object(map) => {
            for (k, item) in map {
                if !skipped.contains(&k.as_str()) {
                    flatten(&format!("{path}.{k}"), item, skipped, out);
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), item, skipped, out);
            }
        }
        other => {
            out.insert(path.to_string(), other.clone());
        }
    }
}
