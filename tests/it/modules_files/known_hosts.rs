//! `known_hosts` against ansible-core on twin files: add, re-add (no change), replace a key of
//! the same type, add a second type, hashed names (`hash_host`, re-run unchanged), `[host]:port`,
//! removal by key and by name (`ssh-keygen -R`), check mode, and bad input; the files end with
//! the same bytes (hashed lines compared by their shape) and results agree key by key.

use std::path::Path;
use std::process::Command;

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

/// A fresh public key of `kind` (`ed25519`, `rsa`...), as `TYPE BASE64`.
fn public_key(dir: &Path, name: &str, kind: &str) -> String {
    let file = dir.join(name);
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "", "-f"])
        .arg(&file)
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success());
    let text = std::fs::read_to_string(file.with_extension("pub")).expect("pub key");
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn tasks(path: &Path, k1: &str, k2: &str, k3: &str) -> Vec<(&'static str, Json)> {
    let p = path.display().to_string();
    vec![
        (
            "known_hosts",
            json!({"path": p, "name": "Host1.example", "key": format!("host1.example {k1}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host1.example", "key": format!("host1.example {k1}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host1.example", "key": format!("host1.example {k2}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host1.example", "key": format!("host1.example {k3}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "[host2]:2222", "key": format!("[host2]:2222 {k1}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host3", "key": format!("host3 {k1}"), "hash_host": true}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host3", "key": format!("host3 {k1}"), "hash_host": true}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "host1.example", "key": format!("host1.example {k3}"), "state": "absent"}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "[host2]:2222", "state": "absent"}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "nobody", "state": "absent"}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "other", "key": format!("host4 {k1}")}),
        ),
        (
            "known_hosts",
            json!({"path": p, "name": "a, b", "key": format!("a {k1}")}),
        ),
        ("known_hosts", json!({"path": p, "name": "host5"})),
    ]
}

/// A file's lines with hashed host fields reduced to their shape.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| match l.split_once(' ') {
            Some((h, rest)) if h.starts_with("|1|") => format!("|1|<salt>|<hash> {rest}"),
            _ => l.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn known_hosts_matches_ansible() {
    let mut h = Harness::new().await;
    let d = h.dir().to_path_buf();
    let k1 = public_key(&d, "k1", "ed25519");
    let k2 = public_key(&d, "k2", "ed25519");
    let k3 = public_key(&d, "k3", "ecdsa");
    for side in ["a", "b"] {
        std::fs::create_dir_all(d.join(side)).expect("mkdir");
        std::fs::write(
            d.join(side).join("kh"),
            "# keep me\nunrelated ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBnothing\n",
        )
        .expect("write");
    }
    let theirs_tasks = tasks(&d.join("a/kh"), &k1, &k2, &k3);
    let ours_tasks = tasks(&d.join("b/kh"), &k1, &k2, &k3);
    // Check mode on a missing file first: changed, nothing written.
    let fresh = |side: &str| json!({"path": d.join(side).join("new"), "name": "x", "key": format!("x {k1}")});
    let theirs_check = run_tasks(&[("known_hosts", fresh("a"))], true);
    let ours_check = h.run_with("known_hosts", fresh("b"), true, true).await;
    assert_eq!(json!(ours_check.changed), theirs_check[0]["changed"]);
    assert!(
        !d.join("a/new").exists() && !d.join("b/new").exists(),
        "check mode wrote"
    );
    assert_eq!(ours_check.diff.len(), 1);
    assert_eq!(ours_check.diff[0].before_header, "/dev/null");

    let theirs = run_tasks(&theirs_tasks, false);
    let mut problems = Vec::new();
    for (i, (module, args)) in ours_tasks.iter().enumerate() {
        let ours = h.run(module, args.clone()).await;
        let t = &theirs[i];
        let mut o = serde_json::Map::new();
        for (k, v) in &ours.data {
            o.insert(k.clone(), serde_json::to_value(v).expect("json"));
        }
        o.insert("changed".into(), json!(ours.changed));
        o.insert("failed".into(), json!(ours.failed));
        o.insert("msg".into(), json!(ours.msg));
        for key in [
            "changed",
            "failed",
            "msg",
            "name",
            "key",
            "hash_host",
            "state",
            "mode",
            "size",
        ] {
            let tv = t.get(key).cloned().unwrap_or(Json::Null);
            let ov = o.get(key).cloned().unwrap_or(Json::Null);
            let falsy = |v: &Json| v.is_null() || *v == json!(false);
            if tv != ov && !(falsy(&tv) && falsy(&ov)) {
                problems.push(format!("task {i} {args}: `{key}` is {ov} where ansible has {tv}"));
            }
        }
        if !ours.failed {
            let tp = t["path"].as_str().unwrap_or_default().replace("/a/", "/b/");
            if o["path"] != json!(tp) {
                problems.push(format!("task {i}: path {} where ansible has {tp}", o["path"]));
            }
        }
    }
    let read = |side: &str| std::fs::read_to_string(d.join(side).join("kh")).expect("read");
    assert_eq!(shape(&read("b")), shape(&read("a")), "files differ");
    assert_eq!(
        d.join("b/kh.old").exists(),
        d.join("a/kh.old").exists(),
        "ssh-keygen -R leaves kh.old for both"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
