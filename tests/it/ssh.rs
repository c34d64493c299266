//! The SSH connection against real sshd hosts of the test fleet: commands, one authentication per
//! host, host key checks, faults, jump hosts and become.

mod deploy;
mod password;
mod reset;

use std::time::Duration;

use playhook::connection::Via;
use playhook::connection::{
    Become, BecomeMethod, Command, Connection, ConnectionError, Target, connect, files,
};
use playhook::secrets::SecretString;

use crate::support::become_users::{NOPASSWD_USER, SUDO_PASSWORD, SUDO_USER, ensure_become_users};
use crate::support::fleet::Fleet;

async fn open(target: &Target) -> Box<dyn Connection> {
    match connect(target).await {
        Ok(c) => c,
        Err(e) => panic!("connecting to {}: {e}", target.name),
    }
}

async fn run(conn: &mut Box<dyn Connection>, script: &str) -> playhook::connection::Output {
    conn.run(&Command::new(script), None)
        .await
        .unwrap_or_else(|e| panic!("running `{script}`: {e}"))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("utf-8 output")
}

/// Polls `cond` for up to 10 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

fn fingerprint(public_key: &std::path::Path) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .expect("running ssh-keygen -l");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen -l prints a fingerprint")
        .to_string()
}

#[test]
fn fleet_hosts_have_their_own_srv_and_take_plain_ssh() {
    let fleet = Fleet::start(2);
    for (i, host) in fleet.hosts().iter().enumerate() {
        assert_eq!(host.address, format!("127.0.0.{}", fleet.first_octet() + i));
        assert_eq!(host.port, fleet.port(), "all hosts listen on one port");
        let mut ssh = std::process::Command::new("ssh");
        if i == 0 {
            let command = fleet.ssh_command();
            ssh = std::process::Command::new("sh");
            ssh.arg("-c").arg(format!("{command} {} \"$0\"", host.name));
        } else {
            ssh.arg("-F")
                .arg("/dev/null")
                .arg("-i")
                .arg(fleet.client_key())
                .arg("-o")
                .arg(format!("UserKnownHostsFile={}", fleet.known_hosts().display()))
                .args(["-o", "BatchMode=yes", "-p", &host.port.to_string()])
                .arg(format!("root@{}", host.address));
        }
        let out = ssh
            .arg(format!("echo {i} > /srv/who && cat /srv/who && echo $HOME"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("running ssh");
        assert!(
            out.status.success(),
            "ssh {}: {}",
            host.name,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("{i}\n/root\n"));
    }
    for (i, host) in fleet.hosts().iter().enumerate() {
        assert_eq!(
            std::fs::read_to_string(host.srv().join("who")).expect("reading /srv/who"),
            format!("{i}\n")
        );
        assert_eq!(host.accepted_auths(), 1, "{}", host.log());
    }
    assert!(
        !std::path::Path::new("/srv/who").exists(),
        "the controller's /srv was written"
    );
}

#[test]
fn ansible_reaches_the_fleet_through_its_inventory() {
    let fleet = Fleet::start(2);
    let out = std::process::Command::new("ansible")
        .arg("fleet")
        .arg("-i")
        .arg(fleet.inventory())
        .args(["-m", "shell", "-a", "echo {{ inventory_hostname }} > /srv/name"])
        .env("ANSIBLE_NOCOLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running ansible (pip install ansible-core)");
    assert!(
        out.status.success(),
        "ansible failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for host in fleet.hosts() {
        let name = std::fs::read_to_string(host.srv().join("name")).expect("ansible wrote /srv/name");
        assert_eq!(name, format!("{}\n", host.name));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_commands_cost_one_authentication_and_one_session() {
    let fleet = Fleet::start(1);
    let mut conn = open(&fleet.target(0)).await;
    let out = run(&mut conn, "echo out; echo err >&2; exit 3").await;
    assert_eq!(
        (out.rc, text(&out.stdout), text(&out.stderr)),
        (3, "out\n", "err\n")
    );
    for i in 0..20 {
        let out = run(&mut conn, &format!("printf %s {i} > /srv/n{i}; cat /srv/n{i}")).await;
        assert_eq!(text(&out.stdout), i.to_string());
    }
    conn.close().await;
    let host = fleet.host(0);
    assert_eq!(
        std::fs::read_to_string(host.srv().join("n19")).expect("reading n19"),
        "19"
    );
    assert_eq!(host.accepted_auths(), 1, "{}", host.log());
    assert_eq!(host.sessions(), 1, "{}", host.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_data_round_trips() {
    let fleet = Fleet::start(1);
    let mut conn = open(&fleet.target(0)).await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut cmd = Command::new("cat > /srv/blob && cat /srv/blob");
    cmd.stdin = Some(data.clone());
    let out = conn.run(&cmd, None).await.expect("sending binary data");
    assert_eq!(out.rc, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == data, "the bytes that came back differ");
    assert!(std::fs::read(fleet.host(0).srv().join("blob")).expect("reading the blob") == data);
    conn.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_noisy_shell_start_up_file_runs_once_per_session() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    std::fs::write(
        host.root_home().join(".bashrc"),
        "echo started >> ~/rc-count\necho noise from bashrc\necho more noise >&2\nsleep 0.3\n",
    )
    .expect("writing .bashrc");
    let mut conn = open(&fleet.target(0)).await;
    for _ in 0..10 {
        let out = run(&mut conn, "echo hi").await;
        assert_eq!((text(&out.stdout), text(&out.stderr)), ("hi\n", ""));
    }
    conn.close().await;
    let count =
        std::fs::read_to_string(host.root_home().join("rc-count")).expect(".bashrc ran at least once");
    assert_eq!(
        count.lines().count(),
        1,
        "root's .bashrc ran once per command, not once per session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_key_is_refused_with_the_way_out() {
    let fleet = Fleet::start(1);
    let empty = fleet.root().join("empty_known_hosts");
    std::fs::write(&empty, "").expect("writing an empty known_hosts");
    let mut target = fleet.target(0);
    target.ssh_args = [
        vec![
            "-o".to_string(),
            format!("UserKnownHostsFile={}", empty.display()),
        ],
        target.ssh_args,
    ]
    .concat();
    let err = connect(&target)
        .await
        .err()
        .expect("an unknown host key must be refused");
    let ConnectionError::Unreachable { message } = err else {
        panic!("expected unreachable, got {err}");
    };
    let fp = fingerprint(&fleet.host(0).host_public_key());
    assert!(message.starts_with("h11: "), "{message}");
    assert!(message.contains("unknown"), "{message}");
    assert!(message.contains(&fp), "no fingerprint {fp} in: {message}");
    assert!(message.contains(&empty.display().to_string()), "{message}");
    assert!(message.contains("--accept-new-host-keys"), "{message}");
    assert_eq!(fleet.host(0).accepted_auths(), 0);

    // The explicit way out records the key; the next run checks against it.
    target.accept_new_host_keys = true;
    open(&target).await.close().await;
    assert!(
        std::fs::read_to_string(&empty)
            .expect("reading known_hosts")
            .contains("ssh-ed25519")
    );
    target.accept_new_host_keys = false;
    let mut conn = open(&target).await;
    assert_eq!(text(&run(&mut conn, "echo ok").await.stdout), "ok\n");
    conn.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_refused_even_with_accept_new() {
    let fleet = Fleet::start(2);
    // h11's names with h12's key: what a man in the middle would present.
    let other = std::fs::read_to_string(fleet.host(1).host_public_key()).expect("reading h12's key");
    let other = other.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let wrong = fleet.root().join("wrong_known_hosts");
    std::fs::write(
        &wrong,
        format!("{} {other}\n", fleet.host(0).known_hosts_patterns()),
    )
    .expect("writing");
    let mut target = fleet.target(0);
    target.accept_new_host_keys = true;
    target.ssh_args = [
        vec![
            "-o".to_string(),
            format!("UserKnownHostsFile={}", wrong.display()),
        ],
        target.ssh_args,
    ]
    .concat();
    let err = connect(&target)
        .await
        .err()
        .expect("a changed host key must be refused");
    let message = err.to_string();
    let fp = fingerprint(&fleet.host(0).host_public_key());
    assert!(message.starts_with("h11: "), "{message}");
    assert!(message.contains("CHANGED"), "{message}");
    assert!(message.contains(&fp), "no fingerprint {fp} in: {message}");
    assert!(message.contains(&format!("{}:1", wrong.display())), "{message}");
    assert!(message.contains("ssh-keygen -R"), "{message}");
    assert_eq!(fleet.host(0).accepted_auths(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_host_is_unreachable_after_the_timeout_while_another_works() {
    let fleet = Fleet::start(2);
    fleet.host(0).freeze();
    let mut frozen = fleet.target(0);
    frozen.connect_timeout = Duration::from_secs(2);
    let live = fleet.target(1);
    let (frozen_result, live_result) = tokio::join!(connect(&frozen), async {
        let mut conn = connect(&live).await?;
        let out = conn.run(&Command::new("echo alive"), None).await?;
        conn.close().await;
        Ok::<_, ConnectionError>(out)
    });
    fleet.host(0).thaw();
    let err = frozen_result.err().expect("a frozen host must not connect");
    let ConnectionError::Unreachable { message } = err else {
        panic!("expected unreachable, got {err}");
    };
    assert!(message.starts_with("h11: "), "{message}");
    assert!(message.contains("timed out"), "{message}");
    let out = live_result.expect("the other host works");
    assert_eq!(text(&out.stdout), "alive\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_unreachable_and_leaves_no_process_behind() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    let mut conn = open(&fleet.target(0)).await;
    let running = tokio::spawn(async move {
        let result = conn.run(&Command::new("sleep 4321"), None).await;
        (conn, result)
    });
    eventually("the command runs", || {
        host.session_commands().iter().any(|c| c == "sleep 4321")
    })
    .await;
    host.drop_connections();
    let (mut conn, result) = running.await.expect("the task finishes");
    let Err(ConnectionError::Unreachable { message }) = result else {
        panic!("expected unreachable, got {result:?}");
    };
    assert!(
        message.starts_with("h11: lost the ssh connection to root@127.0.0.11"),
        "{message}"
    );
    let again = conn.run(&Command::new("true"), None).await;
    assert!(
        matches!(again, Err(ConnectionError::Unreachable { .. })),
        "{again:?}"
    );
    eventually("nothing of the session is left", || {
        host.session_pids().is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stops_what_still_runs() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    let mut conn = open(&fleet.target(0)).await;
    let cut = tokio::time::timeout(
        Duration::from_millis(500),
        conn.run(&Command::new("sleep 4322"), None),
    )
    .await;
    assert!(cut.is_err(), "sleep 4322 cannot finish in 500 ms");
    assert!(host.session_commands().iter().any(|c| c == "sleep 4322"));
    conn.close().await;
    eventually("nothing of the session is left", || {
        host.session_pids().is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaches_a_host_through_a_jump_host() {
    let fleet = Fleet::start(2);
    let mut target = fleet.target(0);
    target.ssh_args.extend(["-J".to_string(), "h12".to_string()]);
    let mut conn = open(&target).await;
    let out = run(&mut conn, "echo through > /srv/jumped; cat /srv/jumped").await;
    assert_eq!(text(&out.stdout), "through\n");
    conn.close().await;
    assert!(fleet.host(0).srv().join("jumped").exists());
    assert_eq!(fleet.host(0).accepted_auths(), 1, "{}", fleet.host(0).log());
    assert_eq!(fleet.host(1).accepted_auths(), 1, "{}", fleet.host(1).log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uses_ssh_config_aliases() {
    let fleet = Fleet::start(1);
    let target = Target {
        name: "web".into(),
        address: "h11".into(),
        ssh_args: vec!["-F".into(), fleet.ssh_config().display().to_string()],
        connect_timeout: Duration::from_secs(10),
        ..Target::default()
    };
    let mut conn = open(&target).await;
    assert_eq!(text(&run(&mut conn, "id -un").await.stdout), "root\n");
    conn.close().await;
}

fn become_root(password: Option<&str>) -> Command {
    let mut cmd = Command::new("id -un; echo $HOME");
    cmd.privilege = Some(Become {
        user: "root".into(),
        method: BecomeMethod::Sudo,
        password: password.map(|p| SecretString::new(p.into())),
    });
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn becomes_root_with_sudo_with_and_without_password() {
    ensure_become_users();
    let fleet = Fleet::start(1);

    let mut target = fleet.target(0);
    target.user = Some(SUDO_USER.into());
    let mut conn = open(&target).await;
    assert_eq!(
        text(&run(&mut conn, "id -un").await.stdout),
        format!("{SUDO_USER}\n")
    );
    let out = conn
        .run(&become_root(Some(SUDO_PASSWORD)), None)
        .await
        .expect("sudo with the password");
    assert_eq!(
        (out.rc, text(&out.stdout)),
        (0, "root\n/root\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A write as root through sudo with a password: sudo takes the password line from the
    // command's input, the script decodes the rest.
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let root = become_root(Some(SUDO_PASSWORD)).privilege;
    files::write_atomic(
        conn.as_mut(),
        "/root/sudo-written",
        &data,
        &files::WriteOptions::default(),
        &Via::privileged(root.clone()),
    )
    .await
    .expect("write as root with the sudo password");
    let back = files::read(
        conn.as_mut(),
        "/root/sudo-written",
        &Via::privileged(root.clone()),
    )
    .await
    .expect("read back as root");
    assert_eq!(sha1_hex(&back), sha1_hex(&data));
    let wrong = conn.run(&become_root(Some("wrong password")), None).await;
    assert!(matches!(wrong, Err(ConnectionError::Become(_))), "{wrong:?}");
    conn.close().await;

    // No password where one is needed fails at once instead of waiting at a prompt.
    let mut conn = open(&target).await;
    let missing = tokio::time::timeout(Duration::from_secs(20), conn.run(&become_root(None), None))
        .await
        .expect("a missing sudo password must not hang");
    assert!(matches!(missing, Err(ConnectionError::Become(_))), "{missing:?}");
    conn.close().await;

    target.user = Some(NOPASSWD_USER.into());
    let mut conn = open(&target).await;
    let out = conn
        .run(&become_root(None), None)
        .await
        .expect("passwordless sudo");
    assert_eq!(
        (out.rc, text(&out.stdout)),
        (0, "root\n/root\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    conn.close().await;

    // Becoming the user one already is needs no sudo at all.
    let mut conn = open(&fleet.target(0)).await;
    let out = conn
        .run(&become_root(Some("not needed")), None)
        .await
        .expect("become root as root");
    assert_eq!(text(&out.stdout), "root\n/root\n");
    conn.close().await;
    assert_eq!(fleet.host(0).accepted_auths(), 4, "{}", fleet.host(0).log());
}

fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_travel_binary_safe_and_atomically_as_the_become_user() {
    ensure_become_users();
    let fleet = Fleet::start(1);
    let mut target = fleet.target(0);
    target.user = Some(NOPASSWD_USER.into());
    let mut conn = open(&target).await;
    let root = Become {
        user: "root".into(),
        method: BecomeMethod::Sudo,
        password: None,
    };
    let data: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let opts = files::WriteOptions {
        attrs: files::FileAttrs {
            mode: Some(files::Mode::parse("0640").expect("a mode")),
            ..files::FileAttrs::default()
        },
        ..files::WriteOptions::default()
    };
    files::write_atomic(
        conn.as_mut(),
        "/srv/blob.bin",
        &data,
        &opts,
        &Via::privileged(Some(root.clone())),
    )
    .await
    .expect("writing as root");
    let stat = files::stat(
        conn.as_mut(),
        "/srv/blob.bin",
        files::StatOptions {
            checksum: true,
            ..Default::default()
        },
        &Via::privileged(Some(root.clone())),
    )
    .await
    .expect("stat")
    .expect("the file exists");
    assert_eq!(
        (stat.mode, stat.owner.as_str(), stat.size),
        (0o640, "root", data.len() as u64)
    );
    assert_eq!(stat.checksum.as_deref(), Some(sha1_hex(&data).as_str()));
    let back = files::read(
        conn.as_mut(),
        "/srv/blob.bin",
        &Via::privileged(Some(root.clone())),
    )
    .await
    .expect("reading back");
    assert!(back == data, "the bytes read back differ");
    conn.close().await;

    use std::os::unix::fs::MetadataExt as _;
    let path = fleet.host(0).srv().join("blob.bin");
    let meta = std::fs::metadata(&path).expect("the file is on the host");
    assert_eq!((meta.mode() & 0o7777, meta.uid()), (0o640, 0));
    assert!(std::fs::read(&path).expect("reading the blob") == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_write_leaves_the_old_or_the_new_file_and_a_rerun_converges() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    let dest = host.srv().join("big");
    std::fs::write(&dest, "old\n").expect("writing the old file");
    let new: Vec<u8> = (0..40_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut conn = open(&fleet.target(0)).await;
    let content = new.clone();
    let writing = tokio::spawn(async move {
        let r = files::write_atomic(
            conn.as_mut(),
            "/srv/big",
            &content,
            &files::WriteOptions::default(),
            &Via::plain(),
        )
        .await;
        (conn, r.map(|_| ()))
    });
    // Cut the connection once the host is writing the temp file (or when the write is done).
    while !writing.is_finished() && !host.session_commands().iter().any(|c| c.starts_with("base64")) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    host.drop_connections();
    let (_conn, result) = writing.await.expect("the task finishes");
    let now = std::fs::read(&dest).expect("the destination still exists");
    assert!(
        now == b"old\n" || now == new,
        "a half-written file: {} bytes ({result:?})",
        now.len()
    );

    let mut conn = open(&fleet.target(0)).await;
    files::write_atomic(
        conn.as_mut(),
        "/srv/big",
        &new,
        &files::WriteOptions::default(),
        &Via::plain(),
    )
    .await
    .expect("the re-run writes the file");
    conn.close().await;
    assert!(
        std::fs::read(&dest).expect("reading the file") == new,
        "the re-run did not converge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_up_file_that_never_returns_fails_the_host_instead_of_hanging() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    std::fs::write(host.root_home().join(".bashrc"), "sleep 4323\n").expect("writing .bashrc");
    let mut target = fleet.target(0);
    target.connect_timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let err = connect(&target).await.err().expect("the shell never answers");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let message = err.to_string();
    assert!(
        message.starts_with("h11: logged in, but the shell did not answer"),
        "{message}"
    );
    assert!(message.contains(".bashrc"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_control_master_options_in_ssh_args_do_not_get_in_the_way() {
    let fleet = Fleet::start(1);
    let mut target = fleet.target(0);
    let control_path = fleet.root().join("cp-%C");
    target.ssh_args.extend(
        [
            "-C",
            "-o",
            "ControlMaster=auto",
            "-o",
            "ControlPersist=60s",
            "-o",
            &format!("ControlPath={}", control_path.display()),
        ]
        .map(String::from),
    );
    for _ in 0..2 {
        let mut conn = open(&target).await;
        assert_eq!(text(&run(&mut conn, "echo ok").await.stdout), "ok\n");
        conn.close().await;
    }
    // Each run logs in once with its own master, and none is left behind.
    assert_eq!(fleet.host(0).accepted_auths(), 2, "{}", fleet.host(0).log());
    let left = std::fs::read_dir(fleet.root()).expect("listing the fleet dir");
    assert!(
        left.filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with("cp-"))
    );
    eventually("the masters are gone", || fleet.host(0).session_pids().is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_fails_the_host_with_what_to_check() {
    let fleet = Fleet::start(1);
    let other_key = fleet.root().join("other_key");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other_key)
        .status()
        .expect("running ssh-keygen");
    assert!(status.success());
    let mut target = fleet.target(0);
    // Only this key: the fleet's ssh_config names the accepted one too, so leave it out.
    target.ssh_args = vec![
        "-F".into(),
        "/dev/null".into(),
        "-o".into(),
        format!("UserKnownHostsFile={}", fleet.known_hosts().display()),
        "-o".into(),
        "IdentitiesOnly=yes".into(),
    ];
    target.private_key_file = Some(other_key.display().to_string());
    let message = connect(&target)
        .await
        .err()
        .expect("the key is not authorized")
        .to_string();
    assert!(
        message.starts_with("h11: cannot connect to root@127.0.0.11 port"),
        "{message}"
    );
    assert!(message.contains("Permission denied"), "{message}");
    assert!(message.contains("ansible_ssh_private_key_file"), "{message}");
    assert_eq!(fleet.host(0).accepted_auths(), 0);
}
