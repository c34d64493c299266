//! `connection::files`: stat, read, atomic write, directories, and writes cut off midway.

use std::os::unix::fs::symlink;
use std::time::Duration;

use playhook::connection::Via;
use playhook::connection::files::{
    self, FileAttrs, FileKind, Mode, StatOptions, WriteOptions, attrs_differ, ensure_dir, write_atomic,
};

use crate::support::local::{local, mode_of};

fn p(path: &std::path::Path) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn stat_files_dirs_links_and_absence() {
    let mut conn = local().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("f");
    std::fs::write(&f, b"hello\n").expect("write");
    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o640)).expect("chmod");
    symlink("f", dir.path().join("l")).expect("symlink");

    let opts = StatOptions {
        follow: false,
        checksum: true,
        checksum_tool: None,
    };
    let st = files::stat(&mut conn, &p(&f), opts, &Via::plain())
        .await
        .expect("stat")
        .expect("exists");
    assert_eq!(st.kind, FileKind::File);
    assert_eq!(st.mode, 0o640);
    assert_eq!(st.size, 6);
    assert_eq!(
        st.checksum.as_deref(),
        Some("f572d396fae9206628714fb2ce00f72e94f2258f")
    );
    assert_eq!(st.owner, "root");
    assert!(st.readable && st.writeable && !st.executable);

    let l = p(&dir.path().join("l"));
    let st = files::stat(&mut conn, &l, opts, &Via::plain())
        .await
        .expect("stat")
        .expect("exists");
    assert_eq!(st.kind, FileKind::Symlink);
    assert_eq!(st.link_target.as_deref(), Some("f"));
    assert_eq!(st.checksum, None);
    let followed = StatOptions {
        follow: true,
        checksum: true,
        checksum_tool: None,
    };
    let st = files::stat(&mut conn, &l, followed, &Via::plain())
        .await
        .expect("stat")
        .expect("exists");
    assert_eq!(st.kind, FileKind::File);
    assert!(st.checksum.is_some());

    let st = files::stat(&mut conn, &p(dir.path()), opts, &Via::plain())
        .await
        .expect("stat")
        .expect("exists");
    assert!(st.is_dir());
    let gone = files::stat(&mut conn, &p(&dir.path().join("nope")), opts, &Via::plain())
        .await
        .expect("stat");
    assert!(gone.is_none());
    let name = p(&dir.path().join("it's a \"name\" $x"));
    std::fs::write(&name, b"").expect("write");
    assert!(
        files::stat(&mut conn, &name, opts, &Via::plain())
            .await
            .expect("stat")
            .is_some()
    );
}

#[tokio::test]
async fn atomic_write_sets_mode_owner_and_keeps_existing_attributes() {
    let mut conn = local().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("out.bin");
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let opts = WriteOptions {
        attrs: FileAttrs {
            mode: Some(Mode::Bits(0o600)),
            owner: Some("nobody".into()),
            group: Some("nogroup".into()),
        },
        ..WriteOptions::default()
    };
    write_atomic(&mut conn, &p(&dest), &data, &opts, &Via::plain())
        .await
        .expect("writes");
    assert_eq!(std::fs::read(&dest).expect("read"), data);
    assert_eq!(mode_of(&dest), 0o600);
    let st = files::stat(&mut conn, &p(&dest), StatOptions::default(), &Via::plain())
        .await
        .expect("stat")
        .expect("exists");
    assert_eq!((st.owner.as_str(), st.group.as_str()), ("nobody", "nogroup"));
    assert!(!attrs_differ(&st, &opts.attrs).any());

    // No attributes asked: the new content keeps the file's mode and owner.
    let res = write_atomic(
        &mut conn,
        &p(&dest),
        b"second",
        &WriteOptions {
            backup: true,
            ..WriteOptions::default()
        },
        &Via::plain(),
    )
    .await
    .expect("writes");
    assert_eq!(std::fs::read(&dest).expect("read"), b"second");
    assert_eq!(mode_of(&dest), 0o600);
    let backup = res.backup_file.expect("a backup was made");
    assert_eq!(std::fs::read(&backup).expect("backup"), data);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temp file left behind: {names:?}");

    // A new file without a mode gets 0666 & ~umask, as Ansible does.
    let fresh = dir.path().join("fresh");
    write_atomic(
        &mut conn,
        &p(&fresh),
        b"",
        &WriteOptions::default(),
        &Via::plain(),
    )
    .await
    .expect("writes");
    assert_eq!(mode_of(&fresh), 0o644);

    assert_eq!(
        files::read(&mut conn, &p(&dest), &Via::plain())
            .await
            .expect("reads"),
        b"second"
    );
    let err = files::read(&mut conn, &p(&dir.path().join("missing")), &Via::plain())
        .await
        .expect_err("missing");
    assert!(err.to_string().contains("No such file"), "{err}");
}

#[tokio::test]
async fn validate_failure_leaves_the_destination_alone() {
    let mut conn = local().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("conf");
    std::fs::write(&dest, b"old").expect("write");
    let opts = WriteOptions {
        validate: Some("grep -q good %s".into()),
        ..WriteOptions::default()
    };
    let err = write_atomic(&mut conn, &p(&dest), b"bad", &opts, &Via::plain())
        .await
        .expect_err("invalid");
    assert!(err.to_string().contains("failed to validate"), "{err}");
    assert_eq!(std::fs::read(&dest).expect("read"), b"old");
    write_atomic(&mut conn, &p(&dest), b"good", &opts, &Via::plain())
        .await
        .expect("valid");
    assert_eq!(std::fs::read(&dest).expect("read"), b"good");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[tokio::test]
async fn ensure_dir_creates_parents_with_the_mode() {
    let mut conn = local().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = dir.path().join("a/b/c");
    let attrs = FileAttrs {
        mode: Some(Mode::Bits(0o750)),
        ..FileAttrs::default()
    };
    assert!(
        ensure_dir(&mut conn, &p(&deep), &attrs, &Via::plain())
            .await
            .expect("creates")
    );
    assert_eq!(mode_of(&dir.path().join("a")), 0o750);
    assert_eq!(mode_of(&deep), 0o750);
    assert!(
        !ensure_dir(&mut conn, &p(&deep), &attrs, &Via::plain())
            .await
            .expect("exists")
    );
    std::fs::write(dir.path().join("file"), b"").expect("write");
    let err = ensure_dir(&mut conn, &p(&dir.path().join("file")), &attrs, &Via::plain())
        .await
        .expect_err("a file is in the way");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

/// Kills `pid` and every process below it.
fn kill_tree(pid: u32) {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let _ = std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status();
    for child in children.split_whitespace() {
        if let Ok(c) = child.parse() {
            kill_tree(c);
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}

#[tokio::test]
async fn a_write_cut_off_midway_leaves_old_or_new_never_partial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("big");
    let old = vec![b'o'; 4 * 1024 * 1024];
    let new: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&dest, &old).expect("write");
    let mut outcomes = Vec::new();
    for delay_ms in [0u64, 5, 20, 50, 100, 200, 400] {
        let mut conn = local().await;
        let pid = conn.pid().expect("running");
        let path = p(&dest);
        let content = new.clone();
        let writer = tokio::spawn(async move {
            write_atomic(
                &mut conn,
                &path,
                &content,
                &WriteOptions::default(),
                &Via::plain(),
            )
            .await
        });
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        kill_tree(pid);
        let result = writer.await.expect("joins");
        let now = std::fs::read(&dest).expect("dest still exists");
        assert!(
            now == old || now == new,
            "partial file after a kill at {delay_ms} ms: {} bytes",
            now.len()
        );
        outcomes.push((delay_ms, result.is_ok(), now == new));
        std::fs::write(&dest, &old).expect("reset");
    }
    // A re-run converges.
    let mut conn = local().await;
    write_atomic(
        &mut conn,
        &p(&dest),
        &new,
        &WriteOptions::default(),
        &Via::plain(),
    )
    .await
    .expect("writes");
    assert!(std::fs::read(&dest).expect("read") == new);
    assert!(
        outcomes.iter().any(|(_, ok, _)| !ok),
        "at least one write was cut off: {outcomes:?}"
    );
}

#[tokio::test]
async fn a_leading_tilde_is_the_home_directory() {
    let mut conn = local().await;
    let home = crate::support::local::sh(&mut conn, "printf %s \"$HOME\"")
        .await
        .stdout;
    let home = std::path::PathBuf::from(String::from_utf8(home).expect("utf8"));
    let name = format!(".playhook-test-{}", std::process::id());
    let path = format!("~/{name}");
    write_atomic(
        &mut conn,
        &path,
        b"at home",
        &WriteOptions::default(),
        &Via::plain(),
    )
    .await
    .expect("writes");
    assert_eq!(std::fs::read(home.join(&name)).expect("in $HOME"), b"at home");
    let st = files::stat(&mut conn, &path, StatOptions::default(), &Via::plain())
        .await
        .expect("stat");
    assert!(st.is_some_and(|s| s.is_file()));
    assert!(
        files::remove(&mut conn, &path, &Via::plain())
            .await
            .expect("removes")
    );
    assert!(!home.join(&name).exists());
}
