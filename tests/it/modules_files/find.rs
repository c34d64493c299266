//! `find` against ansible-core on the same tree: the same `files` (paths in the same order,
//! every stat key with the same value), `matched`, `examined`, `skipped_paths` and `msg`, for
//! globs, regexes, excludes, file types, depth, hidden, follow, age, size, mode, contains,
//! checksums and limits; one round trip without `contains`/`get_checksum`; bad parameters
//! refused naming the parameter.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

fn tree(root: &Path) {
    let w = |p: &str, text: &[u8]| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    w("a.log", b"needle at start\n");
    w("b.txt", b"hay\n  needle indented\n");
    w("c.log.1", &[b'x'; 2048]);
    w(".hidden.log", b"needle\n");
    w("sub/d.log", b"dos\r\nneedle\r\n");
    w("sub/deeper/e.log", b"");
    w(".git/f.log", b"needle\n");
    w("bin/blob.dat", b"\xff\xfe needle\n");
    w("other/g.txt", b"g\n");
    symlink(root.join("sub"), root.join("sublink")).expect("symlink");
    symlink(root.join("a.log"), root.join("alink.log")).expect("symlink");
    symlink(root.join("nowhere"), root.join("broken")).expect("symlink");
    std::fs::set_permissions(root.join("b.txt"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::set_permissions(root.join("a.log"), std::fs::Permissions::from_mode(0o4755)).expect("chmod");
}

fn cases(root: &Path) -> Vec<Json> {
    let r = root.display().to_string();
    let sub = root.join("sub").display().to_string();
    vec![
        json!({"paths": r, "patterns": "*.log"}),
        json!({"paths": r, "patterns": ["*.log", "*.txt"], "recurse": true}),
        json!({"paths": [&r, &sub], "patterns": "*.log,*.1"}),
        json!({"paths": r, "patterns": ".*\\.log$", "use_regex": true, "recurse": true, "excludes": "^a"}),
        json!({"paths": r, "file_type": "directory", "recurse": true, "hidden": true}),
        json!({"paths": format!("{r}/"), "file_type": "any", "recurse": true, "depth": 2}),
        json!({"paths": r, "file_type": "link"}),
        json!({"paths": r, "file_type": "any", "recurse": true, "follow": true, "patterns": "*.log"}),
        json!({"paths": r, "contains": "needle", "recurse": true, "patterns": "*.log"}),
        json!({"paths": r, "contains": "needle", "read_whole_file": true, "recurse": true, "patterns": "*.txt"}),
        json!({"paths": r, "contains": "needle", "recurse": true}),
        json!({"paths": r, "size": "1k"}),
        json!({"paths": r, "size": "-20", "recurse": true}),
        json!({"paths": r, "age": "-1d", "age_stamp": "ctime"}),
        json!({"paths": r, "age": "1w"}),
        json!({"paths": r, "get_checksum": true, "recurse": true, "checksum_algorithm": "sha256"}),
        json!({"paths": r, "get_checksum": true}),
        json!({"paths": [format!("{r}/missing"), format!("{r}/a.log"), r.clone()], "patterns": "b*"}),
        json!({"paths": r, "limit": 2, "recurse": true}),
        json!({"paths": r, "mode": "0600"}),
        json!({"paths": r, "mode": "u+s", "exact_mode": false}),
        json!({"paths": r, "hidden": true, "patterns": ".*"}),
    ]
}

/// Stat values that may differ between the two runs (Ansible's reads move access times).
const VOLATILE: &[&str] = &["atime"];

fn compare(i: usize, args: &Json, ours: &Json, theirs: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["matched", "examined", "skipped_paths", "msg", "changed", "failed"] {
        let t = theirs.get(key).cloned().unwrap_or(Json::Null);
        let o = ours.get(key).cloned().unwrap_or(Json::Null);
        let same = o == t || (key == "failed" && o.as_bool() != Some(true) && t.as_bool() != Some(true));
        if !same {
            problems.push(format!("case {i} {args}: `{key}` is {o} where ansible has {t}"));
        }
    }
    let empty = Vec::new();
    let t_files = theirs["files"].as_array().unwrap_or(&empty);
    let o_files = ours["files"].as_array().unwrap_or(&empty);
    let paths = |v: &[Json]| v.iter().map(|f| f["path"].clone()).collect::<Vec<_>>();
    if paths(t_files) != paths(o_files) {
        problems.push(format!(
            "case {i} {args}: files {:?} where ansible has {:?}",
            paths(o_files),
            paths(t_files)
        ));
        return problems;
    }
    for (t, o) in t_files.iter().zip(o_files) {
        let (Some(t), Some(o)) = (t.as_object(), o.as_object()) else {
            continue;
        };
        let mut tk: Vec<&String> = t.keys().collect();
        let mut ok: Vec<&String> = o.keys().collect();
        tk.sort();
        ok.sort();
        if tk != ok {
            problems.push(format!("case {i}: keys {ok:?} where ansible has {tk:?}"));
        }
        for (k, tv) in t {
            if VOLATILE.contains(&k.as_str()) {
                continue;
            }
            let ov = &o[k];
            let close = match (tv.as_f64(), ov.as_f64()) {
                (Some(a), Some(b)) if tv.is_f64() => (a - b).abs() < 1e-6,
                _ => tv == ov,
            };
            if !close {
                problems.push(format!(
                    "case {i} {}: `{k}` is {ov} where ansible has {tv}",
                    t["path"]
                ));
            }
        }
    }
    problems
}

#[tokio::test]
async fn find_matches_ansible_key_by_key() {
    let mut h = Harness::new().await;
    let root = h.dir().join("tree");
    tree(&root);
    let cases = cases(&root);
    let tasks: Vec<(&str, Json)> = cases.iter().map(|c| ("find", c.clone())).collect();
    let theirs = run_tasks(&tasks, false);
    let theirs_check = run_tasks(&tasks[..1], true);
    let mut problems = Vec::new();
    for (i, args) in cases.iter().enumerate() {
        h.conn.runs = 0;
        let out = h.run("find", args.clone()).await;
        let needs_files = args.get("contains").is_some() || args.get("get_checksum").is_some();
        if !needs_files && h.conn.runs != 1 {
            problems.push(format!("case {i} {args}: {} round trips", h.conn.runs));
        }
        let mut ours = serde_json::Map::new();
        for (k, v) in &out.data {
            ours.insert(k.clone(), serde_json::to_value(v).expect("json"));
        }
        ours.insert("msg".into(), json!(out.msg));
        ours.insert("changed".into(), json!(out.changed));
        ours.insert("failed".into(), json!(out.failed));
        problems.extend(compare(i, args, &Json::Object(ours), &theirs[i]));
    }
    let check = h.run_with("find", cases[0].clone(), true, false).await;
    assert_eq!(
        json!(check.data.get("matched").and_then(|v| v.as_i64())),
        theirs_check[0]["matched"],
        "check mode finds the same"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn bad_parameters_are_refused() {
    let mut h = Harness::new().await;
    let d = h.dir().to_path_buf();
    let cases = [
        (json!({"paths": d, "age": "3x"}), "failed to process age"),
        (json!({"paths": d, "size": "big"}), "failed to process size"),
        (json!({"paths": d, "file_type": "socket"}), "file_type"),
        (
            json!({"paths": d, "mode": 420}),
            "argument 'mode' is not a string",
        ),
        (json!({"paths": d, "limit": 0}), "limit cannot be 0"),
        (json!({"paths": d, "patterns": "(", "use_regex": true}), "pattern"),
        (json!({"patterns": "*"}), "paths"),
    ];
    for (args, want) in cases {
        let msg = match h.try_run("find", args.clone(), false, false).await {
            Err(e) => e.to_string(),
            Ok(o) if o.failed => o.msg.unwrap_or_default(),
            Ok(_) => panic!("{args} was accepted"),
        };
        assert!(msg.contains(want), "{args}: {msg}");
    }
}
