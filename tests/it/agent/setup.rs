//! How the agent is set up on a real machine: without systemd (the printed cron line, run as
//! cron would run it), the secrets key as a systemd credential or a root-only file, and the
//! trigger server's unit.

use std::time::{Duration, Instant};

use super::{Pull, all, push_secret, stop_timer, wait_file};
use crate::agent_report::serve::request;
use crate::support::machines::Machine;

const SECRET_PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: token\n      copy:\n        dest: /root/token\n        content: \"{{ secrets.token }}\"\n        mode: \"0600\"\n";

#[test]
fn without_systemd_install_prints_a_cron_line_that_runs_a_pass() {
    let p = Pull::start(super::PLAY);
    let m = p.m();
    // systemd is "not running" for this process: /run/systemd hidden under an empty tmpfs in
    // a mount namespace of its own (what `playhook agent install` looks at).
    let out = m.ok(&format!(
        "unshare --mount sh -c 'mount -t tmpfs none /run/systemd && test ! -e /run/systemd/system && playhook agent install --repo {} --interval 10min'",
        p.url()
    ));
    assert!(
        out.contains("wrote /etc/playhook/agent.yaml (mode 0600)"),
        "{out}"
    );
    assert!(
        out.contains("systemd is not running here; add this line to /etc/crontab"),
        "{out}"
    );
    assert!(
        m.read("/etc/systemd/system/playhook-agent.timer").is_none(),
        "no units without systemd"
    );
    let line = out
        .lines()
        .find(|l| l.contains(" agent run "))
        .expect("the cron line")
        .to_string();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[..6],
        ["*/10", "*", "*", "*", "*", "root"],
        "every 10 minutes, as root: {line}"
    );
    let command = fields[6..].join(" ");
    assert_eq!(
        command,
        "/usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger cron"
    );

    // The command, in the environment cron gives it, does a whole pass.
    let ran = m.run(&format!(
        "cd / && env -i HOME=/root LOGNAME=root SHELL=/bin/sh PATH=/usr/bin:/bin sh -c '{command}'"
    ));
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(ran.stdout.contains("first pass"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));
    let s = p.status();
    assert_eq!(s["last"]["result"], "ok", "{s:#}");
    let history = p.remote.history();
    assert!(
        history
            .iter()
            .any(|r| r["pusher"] == format!("agent@{}", m.name) && r["result"] == "ok"),
        "{history:#?}"
    );

    // A key from a systemd credential cannot reach a pass cron runs: install says so.
    let ran = m.run(
        "unshare --mount sh -c 'mount -t tmpfs none /run/systemd && playhook agent install --key-credential playhook-secrets'",
    );
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(
        ran.stderr.contains("warning: `secrets_credential: playhook-secrets` needs systemd (LoadCredential=); without it give the key with `--key-file PATH`"),
        "{}", all(&ran)
    );
}

#[test]
fn the_secrets_key_comes_from_a_systemd_credential_or_a_root_only_file() {
    const FIRST: &str = "credential-secret-51c2e0";
    const SECOND: &str = "keyfile-secret-9d04aa";
    let p = Pull::start(SECRET_PLAY);
    let m = p.m();
    let key = push_secret(&p.remote, "token", FIRST, true, None);
    // The key only in systemd's credential store, root-only; nowhere the agent's config names.
    std::fs::create_dir_all(m.root().join("etc/credstore")).expect("mkdir");
    std::fs::write(m.root().join("etc/credstore/playhook-secrets"), &key).expect("credential");
    m.ok("chmod 700 /etc/credstore && chmod 600 /etc/credstore/playhook-secrets");
    // With a `serve:` section, install also runs the trigger server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    m.ok(&format!(
        "mkdir -p /etc/playhook && umask 077 && echo trigger-key > /etc/playhook/trigger.key && printf 'repo: {}\\nserve:\\n  listen: 127.0.0.1:{port}\\n  secret_file: /etc/playhook/trigger.key\\n' > /etc/playhook/agent.yaml",
        p.url()
    ));
    let out = p.install("--interval 2s --splay 0 --key-credential playhook-secrets");
    assert!(
        out.contains("enabled and (re)started playhook-serve.service"),
        "{out}"
    );
    let unit = m
        .read("/etc/systemd/system/playhook-agent.service")
        .expect("service unit");
    assert!(unit.contains("\nLoadCredential=playhook-secrets\n"), "{unit}");
    wait_file(m, "/root/token");
    assert_eq!(
        m.read("/root/token").as_deref(),
        Some(FIRST),
        "decrypted with the credential"
    );
    stop_timer(m);
    let journal = m.ok("journalctl -u playhook-agent --no-pager");
    assert!(
        !journal.contains(FIRST),
        "the secret is in the journal:\n{journal}"
    );

    // The serve unit runs `playhook agent serve` with this configuration.
    assert_eq!(
        m.ok("systemctl is-enabled playhook-serve.service").trim(),
        "enabled"
    );
    wait_listening(m, port);
    let metrics = request("GET", &format!("http://127.0.0.1:{port}/metrics"), &[], b"");
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    assert!(
        metrics.body.contains("playhook_agent_runs_total"),
        "{}",
        metrics.body
    );

    // By hand there is no credential: the pass says how to run it instead.
    let ran = p.run();
    assert_eq!(ran.code, 1, "{}", all(&ran));
    assert!(
        ran.stderr.contains("`secrets_credential: playhook-secrets` needs systemd credentials (LoadCredential=playhook-secrets); run the pass through the service: `systemctl start playhook-agent.service`"),
        "{}",
        all(&ran)
    );

    // A key file readable by others is refused, naming the fix; root-only, it decrypts.
    push_secret(&p.remote, "token", SECOND, false, Some(&key));
    std::fs::write(m.root().join("etc/playhook/secret.key"), &key).expect("key file");
    m.ok("chmod 644 /etc/playhook/secret.key && sed -i 's|^secrets_credential: .*|secrets_key_file: /etc/playhook/secret.key|' /etc/playhook/agent.yaml");
    let ran = p.run();
    assert_eq!(ran.code, 1, "{}", all(&ran));
    assert!(
        ran.stderr.contains("the secrets key `/etc/playhook/secret.key` is readable by others (mode 0644): `chmod 600 /etc/playhook/secret.key`"),
        "{}",
        all(&ran)
    );
    assert_eq!(m.read("/root/token").as_deref(), Some(FIRST), "nothing applied");
    m.ok("chmod 600 /etc/playhook/secret.key");
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(
        m.read("/root/token").as_deref(),
        Some(SECOND),
        "decrypted with the file"
    );
    assert!(!all(&ran).contains(SECOND), "{}", all(&ran));

    // Without `serve:` in the configuration, install removes the serve unit; with it, runs it.
    stop_timer(m);
    m.ok("sed -i '/^serve:/,$d' /etc/playhook/agent.yaml");
    let out = m.ok("playhook agent install");
    assert!(
        out.contains("removed /etc/systemd/system/playhook-serve.service (no `serve:` in the configuration)"),
        "{out}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the trigger server still listens"
    );
    m.ok(&format!(
        "printf 'serve:\n  listen: 127.0.0.1:{port}\n  secret_file: /etc/playhook/trigger.key\n' >> /etc/playhook/agent.yaml"
    ));
    let out = m.ok("playhook agent install");
    assert!(
        out.contains("wrote /etc/systemd/system/playhook-serve.service"),
        "{out}"
    );
    wait_listening(m, port);

    // Uninstall stops and removes the serve unit too.
    let out = m.ok("playhook agent uninstall");
    assert!(
        out.contains("removed /etc/systemd/system/playhook-serve.service"),
        "{out}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the trigger server still listens"
    );
}

/// Waits until `playhook-serve.service` on `m` accepts connections on `port`.
fn wait_listening(m: &Machine, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{}",
            m.run("journalctl -u playhook-serve --no-pager").stdout
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
