//! Non-root users for `become` tests on fleet hosts, created once per machine (idempotent).
//!
//! The fleet's hosts share `/etc` with the machine, so the users and their sudo rules are global:
//! `phsudo` needs its password for sudo, `phnopw` is allowed sudo without one. Both log in with the
//! fleet's client key (the fleet's `AuthorizedKeysFile` serves every user).

use std::fs;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::fleet::apt_install;

/// Needs its password for sudo.
pub const SUDO_USER: &str = "phsudo";
/// Its password (a test value, not a secret).
pub const SUDO_PASSWORD: &str = "sudo-pw-4711";
/// May sudo without a password.
pub const NOPASSWD_USER: &str = "phnopw";

const SUDOERS_FILE: &str = "/etc/sudoers.d/playhook-tests";

/// Creates both users and their sudo rules when missing; installs sudo when missing.
pub fn ensure_become_users() {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !std::path::Path::new("/usr/bin/sudo").exists() {
        apt_install(&["sudo"]);
    }
    ensure_user(SUDO_USER);
    set_password(SUDO_USER, SUDO_PASSWORD);
    ensure_user(NOPASSWD_USER);
    // `*`: no password login, but the account is not locked (sshd refuses locked accounts).
    run("usermod", &["-p", "*", NOPASSWD_USER]);
    let rules = format!("{SUDO_USER} ALL=(ALL:ALL) ALL\n{NOPASSWD_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n");
    if fs::read_to_string(SUDOERS_FILE).ok().as_deref() != Some(rules.as_str()) {
        let tmp = format!("{SUDOERS_FILE}.tmp");
        fs::write(&tmp, &rules).expect("writing the test sudoers rules");
        run("chmod", &["0440", &tmp]);
        run("visudo", &["-c", "-q", "-f", &tmp]);
        fs::rename(&tmp, SUDOERS_FILE).expect("installing the test sudoers rules");
    }
}

fn ensure_user(name: &str) {
    let exists = Command::new("id")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        let status = Command::new("useradd")
            .args(["-m", "-s", "/bin/bash", name])
            .status()
            .expect("running useradd");
        // 9: created meanwhile by another test process.
        assert!(
            status.success() || status.code() == Some(9),
            "useradd {name} failed: {status}"
        );
    }
}

fn set_password(name: &str, password: &str) {
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("running chpasswd");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{name}:{password}\n").as_bytes())
        .expect("writing to chpasswd");
    assert!(
        child.wait().expect("waiting for chpasswd").success(),
        "chpasswd for {name} failed"
    );
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(status.success(), "{program} {args:?} failed: {status}");
}
