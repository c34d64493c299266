//! `serial` and `max_fail_percentage` against ansible-playbook: five inventory hosts on the
//! local connection, one play run by both tools; the sequence of plays (one per batch), tasks,
//! handlers and per-host results (from Ansible's standard output and playhook's `--json`
//! events), the recap of every host, and the exit code must be the same.

use std::collections::BTreeMap;

use crate::support::oracle::ansible_recap;
use crate::support::repo::{Run, TestRepo};

const HOSTS: &str = "[web]\nh1\nh2\nh3\nh4\nh5\n\n[web:vars]\nansible_connection=local\n";

/// A play over `web` with `keywords`; `fail` is the list of hosts whose `maybe fail` task fails.
fn play(keywords: &str) -> String {
    format!(
        "- name: rolling\n  hosts: web\n{keywords}  tasks:\n    - name: first\n      debug: {{msg: first}}\n    - name: maybe fail\n      command: \"{{{{ 'false' if inventory_hostname in fail else 'true' }}}}\"\n      changed_when: false\n    - name: once\n      debug: {{msg: \"once {{{{ ansible_play_batch | length }}}}\"}}\n      run_once: true\n    - name: notify\n      command: \"true\"\n      notify: bounce\n    - name: last\n      debug: {{msg: last}}\n  handlers:\n    - name: bounce\n      debug: {{msg: bounce}}\n- name: after\n  hosts: web\n  tasks:\n    - name: later play\n      debug: {{msg: later}}\n"
    )
}

/// Plays, tasks and handlers in order, with the hosts' results of each (sorted: hosts of one
/// task finish in any order), from Ansible's default output.
fn ansible_trace(stdout: &str) -> Vec<String> {
    let mut trace = Vec::new();
    let mut results: Vec<String> = Vec::new();
    let flush = |trace: &mut Vec<String>, results: &mut Vec<String>| {
        results.sort();
        trace.append(results);
    };
    for line in stdout.lines() {
        let header = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.rsplit_once(']'))
                .map(|(name, _)| name.to_string())
        };
        if line.starts_with("PLAY RECAP") {
            break;
        } else if let Some(name) = header("PLAY [") {
            flush(&mut trace, &mut results);
            trace.push(format!("PLAY {name}"));
        } else if let Some(name) = header("TASK [") {
            flush(&mut trace, &mut results);
            trace.push(format!("TASK {name}"));
        } else if let Some(name) = header("RUNNING HANDLER [") {
            flush(&mut trace, &mut results);
            trace.push(format!("HANDLER {name}"));
        } else if let Some((status, rest)) = line.split_once(": [") {
            let status = match status {
                "fatal" => "failed",
                "ok" | "changed" | "skipping" | "failed" => status.trim_end_matches("ping"),
                _ => continue,
            };
            let status = if status == "skip" { "skipped" } else { status };
            if let Some((host, _)) = rest.split_once(']') {
                results.push(format!("  {host} {status}"));
            }
        }
    }
    flush(&mut trace, &mut results);
    trace
}

/// The same trace from playhook's `--json` events.
fn playhook_trace(run: &Run) -> Vec<String> {
    let mut trace = Vec::new();
    let mut results: Vec<String> = Vec::new();
    for e in run.events() {
        let header = match e["event"].as_str() {
            Some("play_start") => format!("PLAY {}", e["name"].as_str().unwrap_or_default()),
            Some("task_start") if e["handler"] == true => {
                format!("HANDLER {}", e["name"].as_str().unwrap_or_default())
            }
            Some("task_start") => format!("TASK {}", e["name"].as_str().unwrap_or_default()),
            Some("host_result") => {
                results.push(format!(
                    "  {} {}",
                    e["host"].as_str().unwrap_or_default(),
                    e["status"].as_str().unwrap_or_default()
                ));
                continue;
            }
            _ => continue,
        };
        results.sort();
        trace.append(&mut results);
        trace.push(header);
    }
    results.sort();
    trace.append(&mut results);
    trace
}

/// Every host in Ansible's recap, with its counts.
fn ansible_recaps(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|h| (h.to_string(), ansible_recap(stdout, h)))
        .collect()
}

fn playhook_recaps(run: &Run) -> BTreeMap<String, String> {
    let events = run.events();
    let recap = events
        .iter()
        .rfind(|e| e["event"] == "recap")
        .unwrap_or_else(|| panic!("no recap:\n{}", run.stdout()));
    let hosts = recap["hosts"].as_object().cloned().unwrap_or_default();
    hosts
        .keys()
        .map(|h| (h.clone(), crate::support::oracle::playhook_recap(run, h)))
        .collect()
}

/// Runs `play(keywords)` with both tools, `fail` hosts failing; asserts the same trace, recaps
/// and exit code; returns playhook's trace.
fn same_as_ansible(keywords: &str, fail: &[&str]) -> Vec<String> {
    let repo = TestRepo::local()
        .file("hosts", HOSTS)
        .file("deploy.yaml", &play(keywords));
    let fail = format!("{{\"fail\": {}}}", serde_json::json!(fail));
    let (code, ansible) = repo.ansible_playbook(&["deploy.yaml", "-f", "5", "-e", &fail]);
    let run = repo.playhook(&["deploy", "--json", "-e", &fail]);
    let ours = playhook_trace(&run);
    assert_eq!(ours, ansible_trace(&ansible), "{ansible}\n{}", run.stdout());
    assert_eq!(playhook_recaps(&run), ansible_recaps(&ansible), "{ansible}");
    assert_eq!(run.code(), code, "{ansible}\n{}{}", run.stdout(), run.stderr());
    ours
}

fn plays(trace: &[String]) -> usize {
    trace.iter().filter(|l| l.starts_with("PLAY")).count()
}

#[test]
fn serial_two_runs_batches_of_two_with_run_once_and_handlers_per_batch() {
    let trace = same_as_ansible("  serial: 2\n", &[]);
    assert_eq!(plays(&trace), 4, "{trace:#?}");
    assert_eq!(trace.iter().filter(|l| *l == "HANDLER bounce").count(), 3);
    assert_eq!(trace.iter().filter(|l| *l == "TASK once").count(), 3);
    // Five results per host (first, maybe fail, notify, last, bounce), one `once` per batch,
    // and the later play on every host.
    assert_eq!(
        trace.iter().filter(|l| l.starts_with("  ")).count(),
        25 + 3 + 5,
        "{trace:#?}"
    );
}

#[test]
fn serial_percentage_and_list_split_like_ansible() {
    // 30% of 5 hosts is 1.5: one host per batch.
    assert_eq!(plays(&same_as_ansible("  serial: \"30%\"\n", &[])), 6);
    // 1, then 50% (2), repeated: 1 + 2 + 2.
    assert_eq!(plays(&same_as_ansible("  serial: [1, \"50%\"]\n", &[])), 4);
}

#[test]
fn max_fail_percentage_stops_only_when_exceeded() {
    // One of two failed: 50% does not exceed 50, the play goes on.
    let trace = same_as_ansible("  serial: 2\n  max_fail_percentage: 50\n", &["h1"]);
    assert_eq!(plays(&trace), 4, "{trace:#?}");
    // It exceeds 49: the batch stops, later batches and plays never start.
    let trace = same_as_ansible("  serial: 2\n  max_fail_percentage: 49\n", &["h1"]);
    assert_eq!(plays(&trace), 1, "{trace:#?}");
}

#[test]
fn a_whole_failed_batch_or_any_errors_fatal_stops_the_play() {
    let trace = same_as_ansible("  serial: [1, 2]\n", &["h2", "h3"]);
    assert_eq!(plays(&trace), 2, "{trace:#?}");
    let trace = same_as_ansible("  serial: 2\n  any_errors_fatal: true\n", &["h3"]);
    assert_eq!(plays(&trace), 2, "{trace:#?}");
}

#[test]
fn serial_values_ansible_refuses_are_refused() {
    let repo = TestRepo::local().file("deploy.yaml", &play("  serial: \"half%\"\n"));
    let run = repo.playhook(&["deploy", "--json"]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("deploy.yaml:3") && run.stderr().contains("`half%` is not a whole number"),
        "{}",
        run.stderr()
    );
}

#[test]
fn play_host_variables_per_batch_are_ansibles() {
    let repo = TestRepo::local().file("hosts", HOSTS).file(
        "deploy.yaml",
        "- hosts: web\n  serial: 2\n  tasks:\n    - command: \"{{ 'false' if inventory_hostname == 'h1' else 'true' }}\"\n    - copy:\n        dest: \"{{ out }}/{{ inventory_hostname }}\"\n        content: \"{{ ansible_play_batch }} {{ play_hosts }} {{ ansible_play_hosts }} {{ ansible_play_hosts_all }}\\n\"\n",
    );
    let (ours, theirs) = (repo.out().join("ours"), repo.out().join("theirs"));
    for dir in [&ours, &theirs] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let (code, ansible) = repo.ansible_playbook(&["deploy.yaml", "-e", &format!("out={}", theirs.display())]);
    let run = repo.playhook(&["deploy", "--json", "-e", &format!("out={}", ours.display())]);
    assert_eq!((run.code(), code), (2, 2), "{ansible}\n{}", run.stdout());
    for host in ["h1", "h2", "h3", "h4", "h5"] {
        let read = |dir: &std::path::Path| std::fs::read_to_string(dir.join(host)).ok();
        assert_eq!(read(&ours), read(&theirs), "{host}\n{ansible}");
    }
    assert!(theirs.join("h5").exists() && !theirs.join("h1").exists());
}
