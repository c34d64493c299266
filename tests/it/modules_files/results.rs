//! Registered results of the file modules carry Ansible's keys (and values where they are
//! deterministic), compared with what ansible-core registers for the same tasks.

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

/// Keys Ansible adds around every module result, not the module's own.
const GENERIC: &[&str] = &[
    "changed",
    "failed",
    "diff",
    "invocation",
    "warnings",
    "deprecations",
];

fn keys(v: &Json) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !k.starts_with('_') && !GENERIC.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test]
async fn results_have_ansibles_keys() {
    let mut h = Harness::new().await;
    let root = h.dir().to_path_buf();
    for side in ["a", "b"] {
        std::fs::create_dir_all(root.join(side)).expect("mkdir");
        std::fs::write(root.join(side).join("existing"), "one\ntwo\n").expect("write");
    }
    std::fs::write(root.join("t.j2"), "x={{ 1 + 1 }}\n").expect("write");
    let tasks = |side: &str| -> Vec<(&'static str, Json)> {
        let d = root.join(side);
        let p = |n: &str| json!(d.join(n));
        vec![
            (
                "copy",
                json!({"content": "hello\n", "dest": p("c1"), "mode": "0640"}),
            ),
            (
                "copy",
                json!({"content": "hello\n", "dest": p("c1"), "mode": "0640"}),
            ),
            ("template", json!({"src": root.join("t.j2"), "dest": p("t1")})),
            (
                "file",
                json!({"path": p("dir"), "state": "directory", "mode": "0750"}),
            ),
            (
                "file",
                json!({"path": p("dir"), "state": "directory", "mode": "0750"}),
            ),
            ("file", json!({"path": p("touched"), "state": "touch"})),
            ("file", json!({"path": p("gone"), "state": "absent"})),
            (
                "file",
                json!({"path": p("lnk"), "src": p("existing"), "state": "link"}),
            ),
            ("stat", json!({"path": p("existing")})),
            ("stat", json!({"path": p("missing")})),
            ("slurp", json!({"src": p("existing")})),
            ("lineinfile", json!({"path": p("existing"), "line": "three"})),
            ("blockinfile", json!({"path": p("existing"), "block": "b"})),
            (
                "replace",
                json!({"path": p("existing"), "regexp": "^one$", "replace": "1", "backup": true}),
            ),
            (
                "replace",
                json!({"path": p("existing"), "regexp": "^one$", "replace": "1"}),
            ),
            (
                "replace",
                json!({"path": p("existing"), "regexp": "x", "after": "^nothing"}),
            ),
        ]
    };
    let theirs = run_tasks(&tasks("a"), false);
    let ignore_values = [
        "atime",
        "mtime",
        "ctime",
        "inode",
        "path",
        "dest",
        "src",
        "lnk_source",
        "source",
        "version",
        "dev",
        "blocks",
        "backup",
        "backup_file",
        "uid",
        "gid",
        "owner",
        "group",
        "md5sum",
    ];
    let mut problems = Vec::new();
    for (i, (module, args)) in tasks("b").into_iter().enumerate() {
        let out = h.run(module, args.clone()).await;
        let mut ours = serde_json::Map::new();
        for (k, v) in &out.data {
            ours.insert(k.clone(), serde_json::to_value(v).expect("json"));
        }
        if let Some(msg) = &out.msg {
            ours.insert("msg".into(), json!(msg));
        }
        let ours = Json::Object(ours);
        let expected = &theirs[i];
        if out.changed != expected["changed"].as_bool().unwrap_or(false) {
            problems.push(format!("task {i} {module} {args}: changed {}", out.changed));
        }
        let mut want = keys(expected);
        let mut have = keys(&ours);
        if module == "stat" {
            // Only the stat dictionary matters.
            want = keys(&expected["stat"]);
            have = keys(&ours["stat"]);
        }
        let missing: Vec<&String> = want.iter().filter(|k| !have.contains(k)).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "task {i} {module} {args}: missing keys {missing:?}; ansible: {expected}; ours: {ours}"
            ));
        }
        let (e, o) = if module == "stat" {
            (&expected["stat"], &ours["stat"])
        } else {
            (expected, &ours)
        };
        for key in want.iter().filter(|k| !ignore_values.contains(&k.as_str())) {
            if o[key.as_str()] != e[key.as_str()] {
                problems.push(format!(
                    "task {i} {module}: `{key}` is {} where ansible has {}",
                    o[key.as_str()],
                    e[key.as_str()]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A task with nothing to change costs one round trip; one that changes a file costs two.
#[tokio::test]
async fn one_round_trip_when_nothing_changes() {
    let mut h = Harness::new().await;
    std::fs::create_dir_all(h.dir().join("templates")).expect("mkdir");
    std::fs::write(h.dir().join("templates/t.j2"), "v={{ 2 * 3 }}\n").expect("write");
    std::fs::write(h.dir().join("target"), "x").expect("write");
    let d = h.dir().to_path_buf();
    let tasks = [
        (
            "copy",
            json!({"content": "c\n", "dest": d.join("c"), "mode": "0600"}),
        ),
        (
            "template",
            json!({"src": "t.j2", "dest": d.join("t"), "mode": "0644"}),
        ),
        (
            "file",
            json!({"path": d.join("dir"), "state": "directory", "mode": "0755"}),
        ),
        (
            "file",
            json!({"path": d.join("link"), "src": "target", "state": "link"}),
        ),
        (
            "lineinfile",
            json!({"path": d.join("e"), "line": "l", "mode": "0600", "create": true}),
        ),
        ("blockinfile", json!({"path": d.join("e"), "block": "b"})),
        (
            "replace",
            json!({"path": d.join("e"), "regexp": "^(l)$", "replace": "\\1"}),
        ),
        ("stat", json!({"path": d.join("c")})),
        ("slurp", json!({"src": d.join("c")})),
    ];
    for (module, args) in &tasks {
        h.conn.runs = 0;
        let first = h.run(module, args.clone()).await;
        assert!(!first.failed, "{module}: {:?}", first.msg);
        assert!(
            h.conn.runs <= 2,
            "{module} took {} round trips to change",
            h.conn.runs
        );
    }
    for (module, args) in &tasks {
        h.conn.runs = 0;
        let again = h.run(module, args.clone()).await;
        assert!(!again.changed, "{module} changed on the second run");
        assert_eq!(
            h.conn.runs, 1,
            "{module} took {} round trips with nothing to change",
            h.conn.runs
        );
    }
}
