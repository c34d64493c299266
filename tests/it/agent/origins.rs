//! Origins the agent fetches from: a read-only `git://` daemon (the pass applies; only the pushed
//! deploy record is lost, with a warning), and an `ssh://` server reached with a deploy key that
//! only root's `~/.ssh/config` on the machine names, or `GIT_SSH_COMMAND` (a real sshd of the
//! test fleet).

use super::{Pull, all};
use crate::support::fleet::Fleet;

#[test]
fn a_read_only_origin_applies_and_warns_that_the_record_was_not_pushed() {
    let p = Pull::start_with(super::PLAY, 1, false);
    let m = p.m();
    p.install("--interval 1h --splay 0");
    p.stop_timer();
    let c2 = p.push_version(2);
    let ran = p.run();
    assert_eq!(ran.code, 0, "a lost record does not fail the pass: {}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 2\n"));
    assert!(
        ran.stdout
            .contains("playhook agent: warning: the deploy record was not pushed to origin:"),
        "{}",
        all(&ran)
    );
    assert!(
        !ran.stdout.contains("recorded in refs/notes/playhook"),
        "{}",
        all(&ran)
    );
    let s = p.status();
    assert_eq!(
        (s["last"]["result"].as_str(), s["applied"].as_str()),
        (Some("ok"), Some(c2.as_str())),
        "{s:#}"
    );
    let log = m
        .read(s["last_log"].as_str().expect("a pass log"))
        .expect("the pass log");
    assert!(log.contains("warning: the deploy record was not pushed"), "{log}");
    let history = p.remote.history();
    assert!(
        history.iter().all(|r| r["pusher"] != format!("agent@{}", m.name)),
        "nothing could be pushed: {history:#?}"
    );
}

#[test]
fn an_ssh_origin_is_fetched_with_the_deploy_key_roots_ssh_config_names() {
    let p = Pull::start(super::PLAY);
    let m = p.m();
    let fleet = Fleet::start(1);
    let h = fleet.host(0);
    // The git server: the fleet host's sshd, serving the test's repository as /srv/infra.git.
    std::os::unix::fs::symlink(&p.remote.bare, h.srv().join("infra.git")).expect("symlink");
    m.ok("ssh-keygen -q -t ed25519 -N '' -C infra-deploy -f /root/.ssh/infra_deploy");
    let public = m.read("/root/.ssh/infra_deploy.pub").expect("public key");
    let mut keys = std::fs::OpenOptions::new()
        .append(true)
        .open(fleet.root().join("authorized_keys"))
        .expect("the fleet's authorized_keys");
    std::io::Write::write_all(&mut keys, public.as_bytes()).expect("add the deploy key");
    let host_key = std::fs::read_to_string(h.host_public_key()).expect("host key");
    let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
    m.ok(&format!(
        "printf 'Host gitserver\\n  HostName {addr}\\n  Port {port}\\n  User root\\n  IdentityFile /root/.ssh/infra_deploy\\n  IdentitiesOnly yes\\n  StrictHostKeyChecking yes\\n' >> /root/.ssh/config\n\
         echo '[{addr}]:{port} {key}' >> /root/.ssh/known_hosts",
        addr = h.address,
        port = h.port,
        key = host_key.join(" ")
    ));
    let fingerprint = m.ok("ssh-keygen -lf /root/.ssh/infra_deploy.pub | cut -d' ' -f2");

    m.ok("playhook agent install --repo ssh://gitserver/srv/infra.git --interval 1h --splay 0");
    p.stop_timer();
    let c2 = p.push_version(2);
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 2\n"));
    assert_eq!(p.status()["applied"], c2.as_str());
    assert!(
        h.log().contains(fingerprint.trim()),
        "the deploy key logged in: {}",
        h.log()
    );
    // The key may write: the record reached the server.
    assert!(
        ran.stdout.contains("recorded in refs/notes/playhook on origin"),
        "{}",
        all(&ran)
    );
    assert!(
        p.remote
            .history()
            .iter()
            .any(|r| r["pusher"] == format!("agent@{}", m.name) && r["commit"] == c2.as_str()),
        "{:#?}",
        p.remote.history()
    );

    // Without the key, the fetch is refused at once (no prompt), nothing applied.
    m.ok("sed -i '/IdentityFile/d' /root/.ssh/config");
    p.push_version(3);
    let ran = p.run();
    assert_eq!(ran.code, 1, "{}", all(&ran));
    assert!(
        ran.stdout.contains("fetch failed, nothing applied"),
        "{}",
        all(&ran)
    );
    assert!(ran.stdout.contains("Permission denied"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 2\n"));

    // `GIT_SSH_COMMAND` in the agent's environment names the key instead.
    let ran = m.run("GIT_SSH_COMMAND='ssh -i /root/.ssh/infra_deploy' playhook agent run");
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 3\n"));
}
