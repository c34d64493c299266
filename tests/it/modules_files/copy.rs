//! The `copy` module.

use serde_json::json;

use crate::support::local::mode_of;
use crate::support::modules::Harness;

#[tokio::test]
async fn content_is_written_once_then_left_alone() {
    let mut h = Harness::new().await;
    let dest = h.dir().join("out/motd");
    std::fs::create_dir(h.dir().join("out")).expect("mkdir");
    let args = json!({"content": "hello\nworld", "dest": dest, "mode": "0640"});

    let first = h.run_with("copy", args.clone(), false, true).await;
    assert!(first.changed && !first.failed, "{first:?}");
    assert_eq!(std::fs::read(&dest).expect("read"), b"hello\nworld");
    assert_eq!(mode_of(&dest), 0o640);
    assert_eq!(first.diff.len(), 1);
    assert_eq!(first.diff[0].after, "hello\nworld");
    assert_eq!(
        first.data["checksum"].as_str(),
        Some("7db827c10afc1719863502cf95397731b23b8bae")
    );
    assert_eq!(first.data["mode"].as_str(), Some("0640"));

    let second = h.run("copy", args.clone()).await;
    assert!(!second.changed, "{second:?}");

    // Check mode reports the change and changes nothing.
    let changed = json!({"content": "new", "dest": dest, "mode": "0600"});
    let check = h.run_with("copy", changed.clone(), true, true).await;
    assert!(check.changed);
    assert_eq!(check.diff[0].before, "hello\nworld");
    assert_eq!(std::fs::read(&dest).expect("read"), b"hello\nworld");
    assert_eq!(mode_of(&dest), 0o640);

    // Only the mode differs: changed, content untouched.
    let mode_only = json!({"content": "hello\nworld", "dest": dest, "mode": "u=rw,g=,o="});
    assert!(h.run("copy", mode_only.clone()).await.changed);
    assert_eq!(mode_of(&dest), 0o600);
    assert!(!h.run("copy", mode_only).await.changed);
}

#[tokio::test]
async fn src_comes_from_the_role_then_the_playbook_files_dir() {
    let mut h = Harness::new().await;
    let role = h.dir().join("roles/web");
    std::fs::create_dir_all(role.join("files")).expect("mkdir");
    std::fs::create_dir_all(h.dir().join("files")).expect("mkdir");
    std::fs::write(role.join("files/a.conf"), b"from role\n").expect("write");
    std::fs::write(h.dir().join("files/a.conf"), b"from playbook\n").expect("write");
    std::fs::write(h.dir().join("files/b.conf"), b"only playbook\n").expect("write");
    h.role = Some(role);
    let out = h.dir().join("dest");
    std::fs::create_dir(&out).expect("mkdir");

    // A directory as dest: the file goes inside it under its own name.
    assert!(h.run("copy", json!({"src": "a.conf", "dest": out})).await.changed);
    assert_eq!(std::fs::read(out.join("a.conf")).expect("read"), b"from role\n");
    assert!(
        h.run(
            "copy",
            json!({"src": "b.conf", "dest": format!("{}/", out.display())})
        )
        .await
        .changed
    );
    assert_eq!(
        std::fs::read(out.join("b.conf")).expect("read"),
        b"only playbook\n"
    );
    assert!(!h.run("copy", json!({"src": "a.conf", "dest": out})).await.changed);

    // A symlink to a directory as dest: the file goes into the directory it points to.
    let via = h.dir().join("via");
    std::os::unix::fs::symlink(&out, &via).expect("symlink");
    let into = h.run("copy", json!({"src": "b.conf", "dest": via})).await;
    assert!(!into.changed, "b.conf is already in the directory: {into:?}");
    assert!(via.is_symlink(), "the link was replaced");

    let err = h
        .try_run("copy", json!({"src": "missing.conf", "dest": out}), false, false)
        .await;
    let msg = err.expect_err("missing src").to_string();
    assert!(msg.contains("missing.conf") && msg.contains("files"), "{msg}");
}

#[tokio::test]
async fn directory_trees_are_copied_recursively() {
    let mut h = Harness::new().await;
    let tree = h.dir().join("files/site");
    std::fs::create_dir_all(tree.join("css/deep")).expect("mkdir");
    std::fs::write(tree.join("index.html"), b"<h1>hi</h1>\n").expect("write");
    std::fs::write(tree.join("css/deep/x.css"), b"a{}\n").expect("write");
    let dest = h.dir().join("www");
    std::fs::create_dir(&dest).expect("mkdir");

    let args = json!({"src": "site", "dest": dest, "mode": "0644", "directory_mode": "0755"});
    assert!(h.run("copy", args.clone()).await.changed);
    assert_eq!(
        std::fs::read(dest.join("site/css/deep/x.css")).expect("read"),
        b"a{}\n"
    );
    assert_eq!(mode_of(&dest.join("site/css")), 0o755);
    assert!(!h.run("copy", args).await.changed);

    // A trailing slash copies the contents, not the directory.
    let flat = h.dir().join("flat");
    let args = json!({"src": "site/", "dest": flat});
    std::fs::create_dir(&flat).expect("mkdir");
    assert!(h.run("copy", args.clone()).await.changed);
    assert!(flat.join("index.html").is_file());
    assert!(!h.run("copy", args).await.changed);
}

#[tokio::test]
async fn backups_owners_and_failures() {
    let mut h = Harness::new().await;
    let dest = h.dir().join("conf");
    std::fs::write(&dest, b"old\n").expect("write");
    std::fs::create_dir(h.dir().join("templates")).expect("mkdir");
    std::fs::write(h.dir().join("templates/t.j2"), "t\n").expect("write");
    let out = h
        .run(
            "copy",
            json!({"content": "new\n", "dest": dest, "backup": "yes", "owner": "nobody", "group": "nogroup"}),
        )
        .await;
    assert!(out.changed);
    let backup = out.data["backup_file"].as_str().expect("backup_file").to_string();
    assert_eq!(std::fs::read(&backup).expect("read"), b"old\n");
    assert_eq!(out.data["owner"].as_str(), Some("nobody"));
    assert_eq!(out.data["group"].as_str(), Some("nogroup"));

    let missing = h.dir().join("no/such/dir/file");
    let out = h.run("copy", json!({"content": "x", "dest": missing})).await;
    assert!(out.failed);
    assert!(
        out.msg.expect("msg").contains("Destination directory"),
        "fails like Ansible"
    );

    // Check mode does not ask whether the directory exists (an earlier task may create it).
    let check = h
        .run_with("copy", json!({"content": "x", "dest": missing}), true, false)
        .await;
    assert!(check.changed && !check.failed, "{check:?}");
    let check = h
        .run_with("template", json!({"src": "t.j2", "dest": missing}), true, false)
        .await;
    assert!(check.changed && !check.failed, "{check:?}");

    let out = h.run("copy", json!({"content": "x", "dest": h.dir()})).await;
    assert_eq!(out.msg.as_deref(), Some("can not use content with a dir as dest"));

    let err = h
        .try_run(
            "copy",
            json!({"content": "x", "dest": dest, "bogus": 1}),
            false,
            false,
        )
        .await;
    assert!(err.expect_err("unknown key").to_string().contains("bogus"));

    // force: no leaves an existing file alone.
    let out = h
        .run(
            "copy",
            json!({"content": "other\n", "dest": dest, "force": false}),
        )
        .await;
    assert!(!out.changed);
    assert_eq!(std::fs::read(&dest).expect("read"), b"new\n");
}

#[tokio::test]
async fn content_bytes_match_ansible_json_for_structures() {
    let mut h = Harness::new().await;
    let dest = h.dir().join("data.json");
    h.run(
        "copy",
        json!({"content": {"a": [1, "é"], "b": true}, "dest": dest}),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(&dest).expect("read"),
        "{\"a\": [1, \"\\u00e9\"], \"b\": true}"
    );
}

#[tokio::test]
async fn writes_as_the_become_user() {
    crate::support::local::require_tool("sudo", "sudo");
    let mut h = Harness::new().await;
    let dir = h.dir().join("owned");
    std::fs::create_dir(&dir).expect("mkdir");
    std::process::Command::new("chown")
        .args(["nobody:nogroup"])
        .arg(&dir)
        .status()
        .expect("chown");
    std::fs::set_permissions(h.dir(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    for method in [
        playhook::connection::BecomeMethod::Sudo,
        playhook::connection::BecomeMethod::Su,
    ] {
        h.privilege = Some(playhook::connection::Become {
            user: "nobody".into(),
            method,
            password: None,
        });
        let dest = dir.join(format!("{method:?}"));
        let data: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let out = h.run("copy", json!({"content": data, "dest": dest})).await;
        assert!(out.changed && !out.failed, "{method:?}: {out:?}");
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), data);
        assert_eq!(
            std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&dest).expect("meta")),
            65534
        );
        assert!(
            !h.run("copy", json!({"content": data, "dest": dest}))
                .await
                .changed
        );
        let denied = h
            .run("copy", json!({"content": "x", "dest": "/root/playhook-denied"}))
            .await;
        assert!(denied.failed, "nobody cannot write to /root");
        // A mode without owner-write still lets the owner fill the file first.
        let read_only = dir.join(format!("{method:?}-ro"));
        let out = h
            .run(
                "copy",
                json!({"content": "secret\n", "dest": read_only, "mode": "0400"}),
            )
            .await;
        assert!(out.changed && !out.failed, "{method:?} 0400: {out:?}");
        assert_eq!(std::fs::read_to_string(&read_only).expect("read"), "secret\n");
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&read_only).expect("meta").permissions()
            ) & 0o7777,
            0o400
        );
    }
}

#[tokio::test]
async fn a_replaced_file_keeps_its_set_id_bits_and_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Harness::new().await;
    let dest = h.dir().join("tool");
    std::fs::write(&dest, "#!/bin/sh\necho old\n").expect("write");
    std::process::Command::new("chown")
        .args(["nobody:nogroup"])
        .arg(&dest)
        .status()
        .expect("chown");
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o4755)).expect("chmod");
    let out = h
        .run("copy", json!({"content": "#!/bin/sh\necho new\n", "dest": dest}))
        .await;
    assert!(out.changed && !out.failed, "{out:?}");
    let meta = std::fs::metadata(&dest).expect("meta");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o4755, "mode passed on");
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        65534,
        "owner passed on"
    );
    let out = h
        .run(
            "copy",
            json!({"content": "#!/bin/sh\necho newer\n", "dest": dest, "owner": "root", "group": "root"}),
        )
        .await;
    assert!(out.changed && !out.failed, "{out:?}");
    let meta = std::fs::metadata(&dest).expect("meta");
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        0o4755,
        "chown came before the mode"
    );
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0);
}
