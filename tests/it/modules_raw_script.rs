//! `raw` and `script` over a local connection against ansible-core on the same machine (the
//! local connection, like playhook's, has no terminal): the same registered results key by
//! key (`rc`, `stdout`, `stderr`, their lines, `changed`, `failed`, `skipped`, `msg`), in
//! normal and check mode; scripts found in the playbook's `files/`; bad input refused.

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::{Harness, Outcome};

/// Prints the working directory only for `x` (the `chdir` case): without `chdir` it is the
/// connection's, which differs between the two tools run locally.
const SCRIPT: &str = "#!/bin/sh\necho \"args:$#:$1:$2\"\n[ \"$1\" != x ] || pwd\necho to-stderr >&2\n";
/// No shebang and not executable: only `executable` can run it.
const BASHY: &str = "echo \"bash ${BASH_VERSION%%.*}\"\n";

fn as_json(o: &Outcome) -> Json {
    let mut m = serde_json::Map::new();
    for (k, v) in &o.data {
        m.insert(k.clone(), serde_json::to_value(v).expect("json"));
    }
    if let Some(msg) = &o.msg {
        m.insert("msg".into(), json!(msg));
    }
    m.insert("changed".into(), json!(o.changed));
    if o.failed {
        m.insert("failed".into(), json!(true));
    }
    if o.skipped {
        m.insert("skipped".into(), json!(true));
    }
    Json::Object(m)
}

/// Keys every side must agree on, when Ansible registered them.
const KEYS: &[&str] = &[
    "rc",
    "stdout",
    "stdout_lines",
    "stderr",
    "stderr_lines",
    "changed",
    "failed",
    "skipped",
    "msg",
];

fn compare(i: usize, task: &(&str, Json), ours: &Json, theirs: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    for key in KEYS {
        let t = theirs.get(*key).cloned().unwrap_or(Json::Null);
        let o = ours.get(*key).cloned().unwrap_or(Json::Null);
        let falsy = |v: &Json| v.is_null() || *v == json!(false);
        if o != t && !(falsy(&o) && falsy(&t)) {
            problems.push(format!(
                "task {i} {} {}: `{key}` is {o} where ansible has {t}",
                task.0, task.1
            ));
        }
    }
    problems
}

#[tokio::test]
async fn raw_and_script_match_ansible() {
    let mut h = Harness::new().await;
    let files = h.dir().join("files");
    std::fs::create_dir_all(&files).expect("mkdir");
    std::fs::write(files.join("s.sh"), SCRIPT).expect("write");
    std::fs::write(files.join("bashy"), BASHY).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(files.join("s.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(h.dir().join("exists"), "").expect("write");
    std::fs::write(files.join("fail.sh"), "echo failing\nexit \"$1\"\n").expect("write");
    let s = files.join("s.sh").display().to_string();
    let fail = files.join("fail.sh").display().to_string();
    let bashy = files.join("bashy").display().to_string();
    let exists = h.dir().join("exists").display().to_string();
    let missing = h.dir().join("missing").display().to_string();
    let tasks: Vec<(&str, Json)> = vec![
        ("raw", json!({"_raw_params": "echo hi; printf 'no newline' >&2"})),
        (
            "raw",
            json!({"_raw_params": "echo ${0##*/}", "executable": "/bin/bash"}),
        ),
        ("raw", json!({"_raw_params": "echo out; exit 3"})),
        ("script", json!({"_raw_params": format!("{s} one 'two words'")})),
        (
            "script",
            json!({"_raw_params": format!("{s} x"), "chdir": "/tmp"}),
        ),
        ("script", json!({"cmd": format!("{s} y"), "creates": exists})),
        ("script", json!({"_raw_params": s.clone(), "removes": missing})),
        ("script", json!({"_raw_params": s.clone(), "creates": missing})),
        (
            "script",
            json!({"_raw_params": bashy.clone(), "executable": "/bin/bash"}),
        ),
        ("script", json!({"_raw_params": format!("{fail} 4")})),
        (
            "script",
            json!({"_raw_params": s.clone(), "chdir": "relative/dir"}),
        ),
    ];
    let theirs = run_tasks(&tasks, false);
    let theirs_check = run_tasks(&tasks, true);
    let mut problems = Vec::new();
    for (check, expected) in [(false, &theirs), (true, &theirs_check)] {
        for (i, task) in tasks.iter().enumerate() {
            let ours = h.run_with(task.0, task.1.clone(), check, false).await;
            let mut p = compare(i, task, &as_json(&ours), &expected[i]);
            if check {
                p = p.into_iter().map(|s| format!("--check: {s}")).collect();
            }
            problems.extend(p);
        }
    }
    // A script named relative to the playbook is found in its `files/`.
    let rel = h.run("script", json!({"_raw_params": "s.sh a b"})).await;
    if rel
        .data
        .get("stdout")
        .and_then(|v| v.as_str())
        .map(|s| s.starts_with("args:2:a:b\n"))
        != Some(true)
    {
        problems.push(format!("files/ lookup: {rel:?}"));
    }
    let leftovers: Vec<_> = std::fs::read_dir("/tmp")
        .expect("ls /tmp")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".playhook-script-"))
        .collect();
    assert!(leftovers.is_empty(), "temp dirs left behind: {leftovers:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn bad_input_is_refused_clearly() {
    let mut h = Harness::new().await;
    let cases = [
        ("script", json!({"_raw_params": "nowhere.sh"}), "nowhere.sh"),
        (
            "script",
            json!({"_raw_params": "a.sh", "cmd": "b.sh"}),
            "mutually exclusive",
        ),
        ("script", json!({"creates": "/x"}), "_raw_params, cmd"),
        (
            "script",
            json!({"_raw_params": "a.sh", "decrypt": true}),
            "decrypt",
        ),
        ("raw", json!({"executable": "/bin/sh"}), "raw"),
        ("raw", json!({"_raw_params": "true", "chdir": "/"}), "chdir"),
    ];
    for (module, args, want) in cases {
        let msg = match h.try_run(module, args.clone(), false, false).await {
            Err(e) => e.to_string(),
            Ok(o) if o.failed => o.msg.unwrap_or_default(),
            Ok(o) => panic!("{module} {args} was accepted: {o:?}"),
        };
        assert!(msg.contains(want), "{module} {args}: {msg}");
    }
}
