//! `replace` beyond the byte-for-byte cases of `edits.rs`, against ansible-core: check mode
//! changes nothing, a symlink is written through, failures (missing file, failed validation)
//! register what Ansible registers, and bad parameters are refused naming the parameter.

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

const CONF: &str = "# conf\nlisten = 127.0.0.1\nport = 80\n";

/// Two copies of the same tree, `a` for Ansible and `b` for playhook: a file and a symlink to it.
fn twin_trees(root: &std::path::Path) {
    for side in ["a", "b"] {
        let d = root.join(side);
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("conf"), CONF).expect("write");
        std::os::unix::fs::symlink(d.join("conf"), d.join("link")).expect("symlink");
    }
}

#[tokio::test]
async fn check_mode_symlinks_and_failures_match_ansible() {
    let mut h = Harness::new().await;
    let root = h.dir().to_path_buf();
    twin_trees(&root);
    let tasks = |side: &str| -> Vec<(&'static str, Json)> {
        let d = root.join(side);
        vec![
            (
                "replace",
                json!({"path": d.join("link"), "regexp": "^port = \\d+$", "replace": "port = 8080"}),
            ),
            ("replace", json!({"path": d.join("missing"), "regexp": "x"})),
            ("replace", json!({"path": d, "regexp": "x"})),
            (
                "replace",
                json!({"path": d.join("conf"), "regexp": "^listen.*$", "replace": "listen = ::", "validate": "false %s"}),
            ),
        ]
    };
    // Check mode first: it must report the change and write nothing.
    let check_theirs = run_tasks(&tasks("a")[..1], true);
    let check_ours = h.run_with("replace", tasks("b")[0].1.clone(), true, true).await;
    assert_eq!(Json::Bool(check_ours.changed), check_theirs[0]["changed"]);
    assert_eq!(check_ours.msg.as_deref(), check_theirs[0]["msg"].as_str());
    assert_eq!(check_ours.diff.len(), 1, "--diff shows the content");
    assert_eq!(check_ours.diff[0].before, CONF);
    assert!(
        check_ours.diff[0].after.contains("port = 8080"),
        "{:?}",
        check_ours.diff
    );
    for side in ["a", "b"] {
        assert_eq!(
            std::fs::read_to_string(root.join(side).join("conf")).expect("read"),
            CONF,
            "{side}: check mode wrote"
        );
    }

    let theirs = run_tasks(&tasks("a"), false);
    for (i, (module, args)) in tasks("b").into_iter().enumerate() {
        let ours = h.run(module, args.clone()).await;
        let expected = &theirs[i];
        assert_eq!(
            Json::Bool(ours.changed),
            expected["changed"],
            "task {i} {args}: changed"
        );
        assert_eq!(
            Json::Bool(ours.failed),
            expected.get("failed").cloned().unwrap_or(Json::Bool(false)),
            "task {i} {args}: failed; ansible: {expected}"
        );
        let msg = ours.msg.clone().unwrap_or_default();
        let want = expected["msg"].as_str().unwrap_or_default().replace("/a", "/b");
        if i == 3 {
            // Ansible's message has the validator's rc; ours names the file first.
            assert!(msg.contains("failed to validate"), "{msg}");
            assert!(want.starts_with("failed to validate"), "{want}");
        } else {
            assert_eq!(msg, want, "task {i} {args}: msg");
        }
        if let Some(rc) = expected.get("rc") {
            assert_eq!(
                ours.data.get("rc").map(|v| json!(v.as_i64())),
                Some(rc.clone()),
                "task {i}: rc"
            );
        }
    }
    for side in ["a", "b"] {
        let d = root.join(side);
        assert!(
            std::fs::symlink_metadata(d.join("link"))
                .expect("link")
                .file_type()
                .is_symlink(),
            "{side}: the symlink stays a symlink"
        );
        let text = std::fs::read_to_string(d.join("conf")).expect("read");
        assert!(
            text.contains("port = 8080"),
            "{side}: written through the link: {text}"
        );
        assert!(
            text.contains("listen = 127.0.0.1"),
            "{side}: a failed validation wrote: {text}"
        );
    }
}

#[tokio::test]
async fn bad_parameters_name_the_parameter() {
    let mut h = Harness::new().await;
    let f = h.dir().join("f");
    std::fs::write(&f, "x\n").expect("write");
    let cases = [
        (json!({"path": f, "regexp": "("}), "regexp"),
        (json!({"path": f}), "regexp"),
        (
            json!({"path": f, "regexp": "x", "encoding": "utf-16"}),
            "encoding",
        ),
        (
            json!({"path": f, "regexp": "x", "attributes": "+i"}),
            "attributes",
        ),
        (json!({"path": f, "regexp": "x", "bogus": 1}), "bogus"),
        (json!({"path": f, "regexp": "x", "after": "("}), "after"),
    ];
    for (args, names) in cases {
        let err = match h.try_run("replace", args.clone(), false, false).await {
            Err(e) => e.to_string(),
            Ok(o) => o
                .msg
                .filter(|_| o.failed)
                .unwrap_or_else(|| panic!("{args} was accepted")),
        };
        assert!(err.contains(names), "{args}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&f).expect("read"), "x\n");
}
