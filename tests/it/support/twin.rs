//! Differential runs on twin machines: the same `deploy.yaml` applied by ansible-playbook to
//! one machine and by playhook to another, their recaps in one format, and registered results
//! compared key by key.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::ansible_tasks::ansible_command;
use super::machines::{Machine, Machines};
use super::repo::{Run, TestRepo};

/// A repository with the machines' inventory, an `ansible.cfg` reading it, and `play` as
/// `deploy.yaml`.
pub fn twin_repo(machines: &Machines, play: &str) -> TestRepo {
    TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("deploy.yaml", play)
}

/// `playhook deploy --json ARGS`, which must succeed.
pub fn playhook(repo: &TestRepo, args: &[&str]) -> Run {
    let mut all = vec!["deploy", "--json"];
    all.extend_from_slice(args);
    let run = repo.playhook(&all);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    run
}

/// `ansible-playbook -i INVENTORY ARGS deploy.yaml`, which must succeed; its stdout.
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

/// playhook's recap of `host` as Ansible prints it: `ok=N changed=N unreachable=N failed=N skipped=N`.
pub fn recap_of(run: &Run, host: &str) -> String {
    let recap = run.recap(host);
    ["ok", "changed", "unreachable", "failed", "skipped"]
        .map(|k| format!("{k}={}", recap[k]))
        .join(" ")
}

/// The same five counts from ansible-playbook's recap line for `host`.
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

/// A JSON file on a machine (the results a play dumped).
pub fn json_file(m: &Machine, path: &str) -> Json {
    let text = m
        .read(path)
        .unwrap_or_else(|| panic!("{}: {path} was not written", m.name));
    serde_json::from_str(&text).expect("results JSON")
}

/// Every registered result key by key, loop items included, except the keys in `skipped`
/// (at any depth).
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
