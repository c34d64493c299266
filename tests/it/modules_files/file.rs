//! The `file` module.

use std::os::unix::fs::MetadataExt;

use serde_json::json;

use crate::support::local::mode_of;
use crate::support::modules::Harness;

#[tokio::test]
async fn directories_with_modes_parents_and_recursion() {
    let mut h = Harness::new().await;
    let deep = h.dir().join("srv/app/conf");
    let args = json!({"path": deep, "state": "directory", "mode": "0750"});

    let check = h.run_with("file", args.clone(), true, true).await;
    assert!(check.changed);
    assert!(!deep.exists(), "check mode created the directory");
    assert!(
        check.diff[0].after.contains("\"state\": \"directory\""),
        "{:?}",
        check.diff
    );

    assert!(h.run("file", args.clone()).await.changed);
    assert_eq!(mode_of(&deep), 0o750);
    assert_eq!(
        mode_of(&h.dir().join("srv")),
        0o750,
        "created parents get the mode, as in Ansible"
    );
    assert!(!h.run("file", args).await.changed);

    std::fs::write(deep.join("a"), b"").expect("write");
    std::fs::create_dir(deep.join("sub")).expect("mkdir");
    let rec =
        json!({"path": h.dir().join("srv"), "state": "directory", "mode": "u=rwX,g=rX,o=", "recurse": true});
    assert!(h.run("file", rec.clone()).await.changed);
    assert_eq!(mode_of(&deep.join("a")), 0o640);
    assert_eq!(mode_of(&deep.join("sub")), 0o750);
    assert!(!h.run("file", rec).await.changed);

    let on_file = h
        .run("file", json!({"path": deep.join("a"), "state": "directory"}))
        .await;
    assert!(on_file.failed);
    assert!(on_file.msg.expect("msg").contains("already exists as a file"));
}

#[tokio::test]
async fn file_touch_and_absent() {
    let mut h = Harness::new().await;
    let f = h.dir().join("f");
    let out = h.run("file", json!({"path": f, "state": "file"})).await;
    assert!(out.failed);
    assert_eq!(
        out.msg.as_deref(),
        Some(format!("file ({}) is absent, cannot continue", f.display()).as_str())
    );

    let touch = json!({"path": f, "state": "touch", "mode": "0600", "owner": "nobody"});
    assert!(h.run_with("file", touch.clone(), true, false).await.changed);
    assert!(!f.exists());
    let out = h.run("file", touch.clone()).await;
    assert!(out.changed);
    assert_eq!(mode_of(&f), 0o600);
    assert_eq!(std::fs::metadata(&f).expect("meta").uid(), 65534);
    assert_eq!(out.data["mode"].as_str(), Some("0600"));
    assert!(
        h.run("file", touch).await.changed,
        "touch always changes, as in Ansible"
    );
    let keep =
        json!({"path": f, "state": "touch", "modification_time": "preserve", "access_time": "preserve"});
    assert!(!h.run("file", keep).await.changed);

    let mode = json!({"path": f, "mode": 420});
    assert!(h.run("file", mode.clone()).await.changed);
    assert_eq!(mode_of(&f), 0o644);
    assert!(!h.run("file", mode).await.changed);

    let gone = json!({"path": f, "state": "absent"});
    assert!(h.run_with("file", gone.clone(), true, false).await.changed);
    assert!(f.exists());
    assert!(h.run("file", gone.clone()).await.changed);
    assert!(!f.exists());
    assert!(!h.run("file", gone).await.changed);

    let tree = h.dir().join("tree/a/b");
    std::fs::create_dir_all(&tree).expect("mkdir");
    assert!(
        h.run("file", json!({"path": h.dir().join("tree"), "state": "absent"}))
            .await
            .changed
    );
    assert!(!h.dir().join("tree").exists());
}

#[tokio::test]
async fn symlinks_and_hard_links() {
    let mut h = Harness::new().await;
    std::fs::write(h.dir().join("target"), b"x").expect("write");
    std::fs::write(h.dir().join("other"), b"y").expect("write");
    let link = h.dir().join("link");
    let args = json!({"path": link, "src": "target", "state": "link"});
    assert!(h.run("file", args.clone()).await.changed);
    assert_eq!(
        std::fs::read_link(&link).expect("link"),
        std::path::Path::new("target")
    );
    assert!(!h.run("file", args).await.changed);

    let retarget = json!({"path": link, "src": "other", "state": "link"});
    let check = h.run_with("file", retarget.clone(), true, true).await;
    assert!(check.changed);
    assert_eq!(
        std::fs::read_link(&link).expect("link"),
        std::path::Path::new("target")
    );
    assert!(h.run("file", retarget).await.changed);
    assert_eq!(std::fs::read(&link).expect("read"), b"y");

    let dangling = h
        .run(
            "file",
            json!({"path": h.dir().join("l2"), "src": "nope", "state": "link"}),
        )
        .await;
    assert!(dangling.failed);
    assert!(dangling.msg.expect("msg").contains("src file does not exist"));
    let forced = json!({"path": h.dir().join("l2"), "src": "nope", "state": "link", "force": true});
    assert!(h.run("file", forced).await.changed);

    let on_file = h
        .run(
            "file",
            json!({"path": h.dir().join("other"), "src": "target", "state": "link"}),
        )
        .await;
    assert!(on_file.failed);

    let hard = json!({"path": h.dir().join("hard"), "src": h.dir().join("target"), "state": "hard"});
    assert!(h.run("file", hard.clone()).await.changed);
    let a = std::fs::metadata(h.dir().join("hard")).expect("meta").ino();
    assert_eq!(a, std::fs::metadata(h.dir().join("target")).expect("meta").ino());
    assert!(!h.run("file", hard).await.changed);
}
