//! What went wrong when ssh could not connect, said so that the user knows what to do.
//!
//! ssh reports failures as text on its log; this module recognises the common ones (host key
//! unknown or changed, authentication refused, timeouts) and words them with the host, the key
//! fingerprint, the known_hosts file and the way out.

use std::fmt::Write as _;

use super::super::Target;

/// A host key problem, as far as ssh's output tells it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct HostKeyProblem {
    /// The key changed (rather than being unknown).
    pub changed: bool,
    /// How ssh names the host in known_hosts: `[127.0.0.11]:2222` or `web1`.
    pub host_label: Option<String>,
    /// `ED25519`, `ECDSA`, ...
    pub key_type: Option<String>,
    /// `SHA256:...` of the key the server sent.
    pub fingerprint: Option<String>,
    /// `FILE:LINE` of the old key, for a changed key.
    pub offending: Option<String>,
}

/// Recognises a host key verification failure in ssh's output.
pub(crate) fn host_key_problem(text: &str) -> Option<HostKeyProblem> {
    if !text.contains("Host key verification failed")
        && !text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
    {
        return None;
    }
    let mut p = HostKeyProblem {
        changed: text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        ..HostKeyProblem::default()
    };
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("The fingerprint for the ") {
            p.key_type = rest.split_whitespace().next().map(str::to_string);
            p.fingerprint = lines.next().map(|fp| fp.trim_end_matches('.').to_string());
        } else if let Some(rest) = line.strip_prefix("Offending ") {
            // `Offending ED25519 key in /root/.ssh/known_hosts:3`
            p.offending = rest.split_once(" key in ").map(|(_, loc)| loc.to_string());
        } else if let Some(rest) = line.strip_prefix("No ") {
            // `No ED25519 host key is known for [127.0.0.11]:2222 and you have requested strict checking.`
            if let Some((kind, rest)) = rest.split_once(" host key is known for ") {
                p.key_type = Some(kind.to_string());
                p.host_label = rest.split_whitespace().next().map(str::to_string);
            }
        } else if let Some(rest) = line.strip_prefix("Host key for ") {
            p.host_label = rest.split_whitespace().next().map(str::to_string);
        }
    }
    Some(p)
}

/// The last `Server host key: TYPE FINGERPRINT` of `ssh -v` output (the last is the destination's
/// when a jump host comes first).
pub(crate) fn server_host_key(verbose: &str) -> Option<(String, String)> {
    verbose.lines().rev().find_map(|line| {
        let rest = line.split_once("Server host key: ")?.1;
        let mut words = rest.split_whitespace();
        Some((words.next()?.to_string(), words.next()?.to_string()))
    })
}

/// The known_hosts files from `ssh -G` output (`userknownhostsfile a b`).
pub(crate) fn known_hosts_files(config: &str) -> Vec<String> {
    config
        .lines()
        .find_map(|l| l.strip_prefix("userknownhostsfile "))
        .map(|files| files.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The message for a host key failure; `files` are the known_hosts files ssh reads.
pub(crate) fn host_key_message(target: &Target, p: &HostKeyProblem, files: &[String]) -> String {
    let label = p.host_label.clone().unwrap_or_else(|| target.address.clone());
    let key = match (&p.key_type, &p.fingerprint) {
        (Some(t), Some(fp)) => format!("{t} key {fp}"),
        (None, Some(fp)) => format!("key {fp}"),
        (Some(t), None) => format!("{t} key"),
        (None, None) => "key".to_string(),
    };
    let file = p
        .offending
        .as_deref()
        .and_then(|o| o.rsplit_once(':').map(|(f, _)| f.to_string()))
        .or_else(|| files.first().cloned())
        .unwrap_or_else(|| "~/.ssh/known_hosts".to_string());
    let mut msg = String::new();
    if p.changed {
        let old = p.offending.as_deref().unwrap_or(&file);
        let _ = write!(
            msg,
            "{}: the host key of {label} has CHANGED: the server sent {key}, but {old} holds a different \
             key. Someone may be intercepting the connection, or the host was reinstalled. If the change \
             is expected, remove the old key with `ssh-keygen -R '{label}' -f {file}` and connect again \
             with --accept-new-host-keys.",
            target.name
        );
    } else {
        let listed = if files.is_empty() {
            file.clone()
        } else {
            files.join(", ")
        };
        let _ = write!(
            msg,
            "{}: the host key of {label} is unknown: the server sent {key}, which is in no known_hosts \
             file ({listed}). Check the fingerprint with the host's administrator, then accept it with \
             --accept-new-host-keys (it is recorded in {file}), or add it to {file} yourself (for \
             example `ssh-keyscan{port} {address} >> {file}`).",
            target.name,
            port = target.port.map(|p| format!(" -p {p}")).unwrap_or_default(),
            address = target.address,
        );
    }
    msg
}

/// What ssh said, on one line, without debug output and notes about recorded keys.
pub(crate) fn ssh_said(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("debug") && !l.starts_with("Warning: Permanently added"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `user@address port N`, as far as the target says.
pub(crate) fn destination(target: &Target) -> String {
    let whom = match &target.user {
        Some(u) => format!("{u}@{}", target.address),
        None => target.address.clone(),
    };
    match target.port {
        Some(p) => format!("{whom} port {p}"),
        None => whom,
    }
}

/// The message for any other failure to connect, from ssh's own output.
pub(crate) fn connect_message(target: &Target, text: &str) -> String {
    let said = ssh_said(text);
    let whom = destination(target);
    let hint = if said.contains("Permission denied") && target.password.is_some() {
        " The host refused the password (ansible_password / ansible_ssh_pass) or does not allow \
         password logins (sshd's PasswordAuthentication); a wrong password is not retried."
    } else if said.contains("Permission denied") {
        " Check ansible_user and ansible_ssh_private_key_file, or load the key into ssh-agent, \
         or set ansible_password; playhook never prompts for passwords."
    } else if said.contains("timed out") {
        " Check that the host is up and reachable; --timeout sets how long to wait."
    } else if said.contains("Connection refused") {
        " Check that sshd runs on the host and ansible_port is right."
    } else if said.contains("Could not resolve hostname") {
        " Check the host name or set ansible_host."
    } else {
        ""
    };
    let said = if said.is_empty() {
        "ssh gave no reason".to_string()
    } else {
        said
    };
    format!("{}: cannot connect to {whom}: {said}.{hint}", target.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGED: &str = "\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:Jk9ZJ1YdzQNbWnNBhpLc+QUZ4vBUtcMHlD0OyOFnhEY.
Please contact your system administrator.
Add correct host key in /tmp/kh to get rid of this message.
Offending ED25519 key in /tmp/kh:2
  remove with:
  ssh-keygen -f '/tmp/kh' -R '[127.0.0.11]:2222'
Host key for [127.0.0.11]:2222 has changed and you have requested strict checking.
Host key verification failed.
";

    fn target() -> Target {
        Target {
            name: "h11".into(),
            address: "127.0.0.11".into(),
            port: Some(2222),
            user: Some("root".into()),
            ..Target::default()
        }
    }

    #[test]
    fn reads_a_changed_key_report() {
        let p = host_key_problem(CHANGED).expect("recognised");
        assert_eq!(
            p,
            HostKeyProblem {
                changed: true,
                host_label: Some("[127.0.0.11]:2222".into()),
                key_type: Some("ED25519".into()),
                fingerprint: Some("SHA256:Jk9ZJ1YdzQNbWnNBhpLc+QUZ4vBUtcMHlD0OyOFnhEY".into()),
                offending: Some("/tmp/kh:2".into()),
            }
        );
        let msg = host_key_message(&target(), &p, &[]);
        assert!(
            msg.starts_with("h11: the host key of [127.0.0.11]:2222 has CHANGED"),
            "{msg}"
        );
        assert!(
            msg.contains("SHA256:Jk9ZJ1YdzQNbWnNBhpLc+QUZ4vBUtcMHlD0OyOFnhEY"),
            "{msg}"
        );
        assert!(
            msg.contains("/tmp/kh:2") && msg.contains("ssh-keygen -R '[127.0.0.11]:2222' -f /tmp/kh"),
            "{msg}"
        );
    }

    #[test]
    fn reads_an_unknown_key_report() {
        let text = "No ED25519 host key is known for [127.0.0.11]:2222 and you have requested strict \
                    checking.\r\nHost key verification failed.\r\n";
        let mut p = host_key_problem(text).expect("recognised");
        assert!(!p.changed);
        assert_eq!(p.host_label.as_deref(), Some("[127.0.0.11]:2222"));
        p.fingerprint = Some("SHA256:abc".into());
        let msg = host_key_message(&target(), &p, &["/root/.ssh/known_hosts".into()]);
        assert!(
            msg.contains("unknown: the server sent ED25519 key SHA256:abc"),
            "{msg}"
        );
        assert!(msg.contains("--accept-new-host-keys"), "{msg}");
        assert!(
            msg.contains("ssh-keyscan -p 2222 127.0.0.11 >> /root/.ssh/known_hosts"),
            "{msg}"
        );
    }

    #[test]
    fn other_failures_are_not_host_key_problems() {
        assert!(host_key_problem("root@127.0.0.11: Permission denied (publickey).").is_none());
    }

    #[test]
    fn finds_the_destination_key_in_verbose_output() {
        let v = "debug1: Server host key: ssh-ed25519 SHA256:jump\n\
                 debug1: Server host key: ssh-ed25519 SHA256:dest\n";
        assert_eq!(
            server_host_key(v),
            Some(("ssh-ed25519".into(), "SHA256:dest".into()))
        );
    }

    #[test]
    fn finds_known_hosts_files_in_ssh_g_output() {
        let g = "user root\nuserknownhostsfile /root/.ssh/known_hosts /root/.ssh/known_hosts2\nport 22\n";
        assert_eq!(
            known_hosts_files(g),
            ["/root/.ssh/known_hosts", "/root/.ssh/known_hosts2"]
        );
    }

    #[test]
    fn explains_refused_authentication() {
        let msg = connect_message(&target(), "root@127.0.0.11: Permission denied (publickey).\n");
        assert!(
            msg.starts_with("h11: cannot connect to root@127.0.0.11 port 2222: root@127.0.0.11: Permission")
        );
        assert!(msg.contains("ansible_ssh_private_key_file"), "{msg}");
    }
}
