//! `tempfile` against ansible-core: the same kind of path (directory, prefix, 8 characters of
//! Python's alphabet, suffix), mode and type, `changed`, check mode skipped with Ansible's
//! message, and the same failures for bad input.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

/// The path's parts: its directory, and whether the name is PREFIX + 8 x [a-z0-9_] + SUFFIX.
fn shape(path: &str, prefix: &str, suffix: &str) -> (String, bool) {
    let p = std::path::Path::new(path);
    let dir = p.parent().map(|d| d.display().to_string()).unwrap_or_default();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ok = name
        .strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .is_some_and(|mid| {
            mid.len() == 8
                && mid
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    (dir, ok)
}

#[tokio::test]
async fn tempfile_matches_ansible() {
    let mut h = Harness::new().await;
    let d = h.dir().to_path_buf();
    let tasks: Vec<(&str, Json)> = vec![
        ("tempfile", json!({"path": d, "prefix": "pre_", "suffix": ".txt"})),
        (
            "tempfile",
            json!({"path": d, "state": "directory", "suffix": "build"}),
        ),
        ("tempfile", json!({})),
        ("tempfile", json!({"path": d.join("missing")})),
        ("tempfile", json!({"path": d, "prefix": "a/b"})),
    ];
    let theirs = run_tasks(&tasks, false);
    let theirs_check = run_tasks(&tasks[..1], true);
    let mut created = Vec::new();
    for (i, (module, args)) in tasks.iter().enumerate() {
        let ours = h.run(module, args.clone()).await;
        let t = &theirs[i];
        assert_eq!(json!(ours.changed), t["changed"], "task {i}: changed");
        assert_eq!(
            json!(ours.failed),
            t.get("failed").cloned().unwrap_or(json!(false)),
            "task {i}: failed: {t}"
        );
        if ours.failed {
            let want = t["msg"].as_str().expect("msg");
            let have = ours.msg.clone().unwrap_or_default();
            // The random names differ; the message up to the name must not.
            let cut = |s: &str| {
                s.rsplit_once('/')
                    .map(|(a, _)| a.to_string())
                    .unwrap_or(s.to_string())
            };
            assert_eq!(cut(&have), cut(want), "task {i}: msg");
            continue;
        }
        let prefix = args["prefix"].as_str().unwrap_or("ansible.");
        let suffix = args["suffix"].as_str().unwrap_or("");
        let path = |v: &Json| v.as_str().expect("path").to_string();
        let ours_path = ours.data["path"].as_str().expect("our path").to_string();
        let (od, ok) = shape(&ours_path, prefix, suffix);
        let (td, tk) = shape(&path(&t["path"]), prefix, suffix);
        assert!(ok && tk, "task {i}: names {ours_path} / {}", t["path"]);
        assert_eq!(od, td, "task {i}: directory");
        let meta = |p: &str| std::fs::metadata(p).expect("created");
        let (om, tm) = (meta(&ours_path), meta(&path(&t["path"])));
        assert_eq!(om.is_dir(), tm.is_dir(), "task {i}: type");
        assert_eq!(
            om.permissions().mode() & 0o7777,
            tm.permissions().mode() & 0o7777,
            "task {i}: mode"
        );
        for key in ["state", "mode", "size", "owner"] {
            assert_eq!(
                ours.data.get(key).map(|v| serde_json::to_value(v).expect("json")),
                t.get(key).cloned(),
                "task {i}: `{key}`"
            );
        }
        created.push(ours_path);
        created.push(path(&t["path"]));
    }
    let check = h.run_with("tempfile", tasks[0].1.clone(), true, false).await;
    assert_eq!(
        json!(check.skipped),
        theirs_check[0]["skipped"],
        "check mode skips"
    );
    assert_eq!(json!(check.msg), theirs_check[0]["msg"], "check mode message");
    for p in created {
        let _ = std::fs::remove_dir(&p).or_else(|_| std::fs::remove_file(&p));
    }
}
