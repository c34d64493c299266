//! The remote-shell protocol over a local `sh`: exact bytes, separate streams, exit statuses,
//! redirected stdin, live lines, timeouts, become and a shell that dies.

use std::time::{Duration, Instant};

use playhook::connection::{Become, BecomeMethod, Command, Connection, ConnectionError};
use playhook::secrets::SecretString;

use crate::support::become_users::{NOPASSWD_USER, SUDO_PASSWORD, SUDO_USER, ensure_become_users};
use crate::support::local::{local, require_tool, sh};

#[tokio::test]
async fn binary_stdin_and_stdout_are_exact() {
    let mut conn = local().await;
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend_from_slice(b"\0\0\xff\xfe\n\r\n'\"$`\\EOF\n_in\n");
    let mut cmd = Command::new("cat");
    cmd.stdin = Some(data.clone());
    let out = conn.run(&cmd, None).await.expect("runs");
    assert_eq!(out.rc, 0);
    assert_eq!(out.stdout, data);
    assert!(out.stderr.is_empty());
}

#[tokio::test]
async fn ten_megabytes_travel_both_ways() {
    let mut conn = local().await;
    let mut data = Vec::with_capacity(10 * 1024 * 1024);
    let mut x: u32 = 12345;
    while data.len() < 10 * 1024 * 1024 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        data.extend_from_slice(&x.to_le_bytes());
    }
    let mut cmd = Command::new("cat");
    cmd.stdin = Some(data.clone());
    let out = conn.run(&cmd, None).await.expect("runs");
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "10 MB came back different");
}

#[tokio::test]
async fn output_without_trailing_newline_is_exact() {
    let mut conn = local().await;
    assert_eq!(sh(&mut conn, "printf abc").await.stdout, b"abc");
    assert_eq!(sh(&mut conn, "printf 'abc\\n\\n'").await.stdout, b"abc\n\n");
    assert_eq!(sh(&mut conn, "printf ''").await.stdout, b"");
    assert_eq!(sh(&mut conn, "printf 'e' >&2").await.stderr, b"e");
}

#[tokio::test]
async fn streams_and_exit_status_stay_apart() {
    let mut conn = local().await;
    let out = sh(&mut conn, "echo out; echo err >&2; echo out2; exit 3").await;
    assert_eq!(out.rc, 3);
    assert_eq!(out.stdout, b"out\nout2\n");
    assert_eq!(out.stderr, b"err\n");
    let out = sh(&mut conn, "false").await;
    assert_eq!(out.rc, 1);
    let out = sh(&mut conn, "sh -c 'kill -TERM $$'").await;
    assert_eq!(out.rc, 143, "a command killed by a signal reports 128+signal");
}

#[tokio::test]
async fn a_command_reading_stdin_does_not_eat_the_next_one() {
    let mut conn = local().await;
    let out = sh(&mut conn, "cat; read x; echo \"read:$x\"").await;
    assert_eq!(out.stdout, b"read:\n");
    let out = sh(&mut conn, "echo next").await;
    assert_eq!(out.stdout, b"next\n");
    let mut cmd = Command::new("read -r line; echo \"$line\"; echo rest; cat");
    cmd.stdin = Some(b"one\ntwo\n".to_vec());
    let out = conn.run(&cmd, None).await.expect("runs");
    assert_eq!(out.stdout, b"one\nrest\ntwo\n");
    assert_eq!(sh(&mut conn, "echo after").await.stdout, b"after\n");
}

#[tokio::test]
async fn scripts_cannot_disturb_the_session() {
    let mut conn = local().await;
    let out = sh(&mut conn, "echo 'unterminated").await;
    assert_ne!(out.rc, 0, "a syntax error fails the command");
    let out = sh(&mut conn, "cd /; FOO=1; export BAR=2; exit 0").await;
    assert_eq!(out.rc, 0);
    let out = sh(&mut conn, "pwd; echo \"${FOO:-unset} ${BAR:-unset}\"").await;
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\nunset unset\n", cwd.display())
    );
}

#[tokio::test]
async fn env_and_chdir_apply_to_one_command() {
    let mut conn = local().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new("pwd; printf '%s|' \"$GREETING\" \"$OTHER\"");
    cmd.chdir = Some(dir.path().display().to_string());
    cmd.env = vec![
        ("GREETING".into(), "it's $HOME".into()),
        ("OTHER".into(), "a\nb".into()),
    ];
    let out = conn.run(&cmd, None).await.expect("runs");
    let real = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\nit's $HOME|a\nb|", real.display())
    );
    let mut cmd = Command::new("true");
    cmd.chdir = Some("/nonexistent/dir".into());
    let out = conn.run(&cmd, None).await.expect("runs");
    assert_eq!(out.rc, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonexistent"));
}

#[tokio::test]
async fn lines_arrive_while_the_command_runs() {
    let mut conn = local().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let out = conn
            .run(
                &Command::new("echo first; echo warn >&2; sleep 3; echo second"),
                Some(&tx),
            )
            .await;
        (conn, out)
    });
    let start = Instant::now();
    let mut early = Vec::new();
    while early.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("a line arrives before the command ends")
            .expect("channel open");
        early.push(line);
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    early.sort();
    assert_eq!(early, ["first", "warn"]);
    assert!(!task.is_finished(), "the command is still running");
    let (_conn, out) = task.await.expect("joins");
    let out = out.expect("runs");
    assert_eq!(out.stdout, b"first\nsecond\n");
    assert_eq!(rx.recv().await.as_deref(), Some("second"));
}

#[tokio::test]
async fn a_timeout_stops_the_command_and_the_session_goes_on() {
    require_tool("timeout", "coreutils");
    let mut conn = local().await;
    let mut cmd = Command::new("echo started; sleep 30");
    cmd.timeout = Some(Duration::from_secs(1));
    let start = Instant::now();
    let err = conn.run(&cmd, None).await.expect_err("times out");
    assert!(matches!(err, ConnectionError::Timeout(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(10));
    let mut cmd = Command::new("echo quick");
    cmd.timeout = Some(Duration::from_secs(5));
    assert_eq!(conn.run(&cmd, None).await.expect("runs").stdout, b"quick\n");
}

#[tokio::test]
async fn a_dead_shell_is_unreachable() {
    let mut conn = local().await;
    let err = conn
        .run(&Command::new("kill -KILL $$"), None)
        .await
        .expect_err("shell died");
    assert!(matches!(err, ConnectionError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("testhost"), "{err}");
    let err = conn
        .run(&Command::new("true"), None)
        .await
        .expect_err("still dead");
    assert!(matches!(err, ConnectionError::Unreachable { .. }), "{err:?}");
}

fn becomes(user: &str, method: BecomeMethod, password: Option<&str>) -> Command {
    let mut cmd = Command::new("id -un; cat");
    cmd.stdin = Some(b"data\n".to_vec());
    cmd.privilege = Some(Become {
        user: user.into(),
        method,
        password: password.map(|p| SecretString::new(p.into())),
    });
    cmd
}

#[tokio::test]
async fn becoming_yourself_is_a_no_op() {
    let mut conn = local().await;
    let me = String::from_utf8(sh(&mut conn, "id -un").await.stdout).expect("utf8");
    let out = conn
        .run(&becomes(me.trim(), BecomeMethod::Sudo, Some("unused")), None)
        .await
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\ndata\n", me.trim())
    );
}

#[tokio::test]
async fn become_another_user_with_su_and_sudo() {
    require_tool("sudo", "sudo");
    let mut conn = local().await;
    if sh(&mut conn, "id -u").await.stdout != b"0\n" {
        panic!("this test must run as root");
    }
    for method in [BecomeMethod::Su, BecomeMethod::Sudo] {
        let out = conn
            .run(&becomes("nobody", method, None), None)
            .await
            .expect("runs");
        assert_eq!(
            out.stdout,
            b"nobody\ndata\n",
            "{method:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A session running as `user` (one of the become test users).
async fn session_as(user: &str) -> playhook::connection::shell::ShellSession {
    require_tool("sudo", "sudo");
    ensure_become_users();
    let mut child = tokio::process::Command::new("su")
        .args(["-s", "/bin/sh", user, "-c", "sh"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("su starts");
    let session = playhook::connection::shell::ShellSession::start(
        format!("{user}-host"),
        child.stdin.take().expect("stdin"),
        child.stdout.take().expect("stdout"),
        child.stderr.take().expect("stderr"),
    )
    .await
    .expect("session starts");
    // The pipes keep the shell alive; it exits when the session closes its stdin.
    std::mem::forget(child);
    session
}

#[tokio::test]
async fn sudo_with_a_password_never_hangs_or_leaks() {
    let mut conn = session_as(SUDO_USER).await;
    assert_eq!(conn.user(), SUDO_USER);

    let start = Instant::now();
    let err = conn
        .run(&becomes("root", BecomeMethod::Sudo, None), None)
        .await
        .expect_err("no password");
    assert!(matches!(err, ConnectionError::Become(_)), "{err:?}");
    assert!(err.to_string().contains("password is required"), "{err}");

    let err = conn
        .run(&becomes("root", BecomeMethod::Sudo, Some("wrong-pw")), None)
        .await
        .expect_err("wrong password");
    assert!(matches!(err, ConnectionError::Become(_)), "{err:?}");
    assert!(!err.to_string().contains("wrong-pw"));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "sudo failures return promptly"
    );

    let out = conn
        .run(&becomes("root", BecomeMethod::Sudo, Some(SUDO_PASSWORD)), None)
        .await
        .expect("right password");
    assert_eq!(
        out.stdout,
        b"root\ndata\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(SUDO_PASSWORD));
    let out = conn
        .run(&becomes("root", BecomeMethod::Sudo, Some(SUDO_PASSWORD)), None)
        .await
        .expect("again");
    assert_eq!(out.stdout, b"root\ndata\n");
}

#[tokio::test]
async fn a_password_is_not_fed_to_commands_when_sudo_needs_none() {
    let mut conn = session_as(NOPASSWD_USER).await;
    let out = conn
        .run(&becomes("root", BecomeMethod::Sudo, Some("unneeded-pw")), None)
        .await
        .expect("runs");
    assert_eq!(
        out.stdout,
        b"root\ndata\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn su_with_a_password_from_a_non_root_session() {
    let mut conn = session_as(NOPASSWD_USER).await;
    let out = conn
        .run(&becomes(SUDO_USER, BecomeMethod::Su, Some(SUDO_PASSWORD)), None)
        .await
        .expect("right password");
    assert_eq!(
        out.stdout,
        format!("{SUDO_USER}\ndata\n").as_bytes(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = conn
        .run(&becomes(SUDO_USER, BecomeMethod::Su, Some("wrong")), None)
        .await
        .expect_err("wrong password");
    assert!(matches!(err, ConnectionError::Become(_)), "{err:?}");
    assert!(err.to_string().contains("Authentication failure"), "{err}");
}
