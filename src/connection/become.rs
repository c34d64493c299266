//! Privilege escalation: the shell text that runs one command as another user with `sudo` or
//! `su`, without the password ever appearing in a process list or in output.
//!
//! * `sudo`, no password: `sudo -n -H -u USER -- sh -c INNER`. `-n` makes sudo fail at once
//!   instead of prompting, so a missing password never hangs the run.
//! * `sudo` with a password: `sudo -n true` tells whether sudo would ask (NOPASSWD rules or
//!   cached credentials); if it would, the command's stdin becomes the password line, written by
//!   the shell's builtin `printf` (no process carries it in its arguments), followed by the
//!   command's own input, and `sudo -S -p ''` reads that line. A wrong password fails with sudo's
//!   message; it never waits for a terminal.
//! * `su`: `su -s /bin/sh -c INNER USER`; when the connecting user is not root the password is
//!   fed as the first line of su's standard input.
//! * Becoming the user the session already runs as is a no-op, as in Ansible.

use super::quote::quote;
use super::{Become, BecomeMethod};

/// What a command needs to run under `become`.
pub(crate) struct Escalation {
    method: BecomeMethod,
    user: String,
    password: Option<String>,
    /// For `su` with a password: the password line is prepended to the command's stdin.
    pub stdin_password: Option<String>,
}

impl Escalation {
    /// The shell text that runs `command` (words such as `sh -c '...'`) as the become user.
    pub(crate) fn wrap(&self, command: &str) -> String {
        let user = quote(&self.user);
        match (self.method, &self.password) {
            (BecomeMethod::Sudo, None) => format!("sudo -n -H -u {user} -- {command}\n"),
            (BecomeMethod::Sudo, Some(pw)) => format!(
                "if sudo -n true 2>/dev/null; then sudo -n -H -u {user} -- {command}\n\
                 else {{ printf '%s\\n' {}; cat; }} | sudo -S -p '' -H -u {user} -- {command}\nfi\n",
                quote(pw)
            ),
            (BecomeMethod::Su, _) => format!("su -s /bin/sh {user} -c {}\n", quote(command)),
        }
    }
}

/// The escalation for `b` when the session runs as `whoami`, or `None` when nothing is needed.
pub(crate) fn escalation(b: &Become, whoami: &str) -> Option<Escalation> {
    if b.user == whoami {
        return None;
    }
    let password = b
        .password
        .as_ref()
        .map(|p| p.expose().lines().next().unwrap_or("").to_string());
    Some(Escalation {
        method: b.method,
        user: b.user.clone(),
        stdin_password: match b.method {
            BecomeMethod::Su if whoami != "root" => password.clone(),
            _ => None,
        },
        password,
    })
}

/// Recognises sudo's and su's own failures in a command's stderr (exit status 1), so they are
/// reported as a become failure rather than as the task's output.
pub(crate) fn failure_message(method: BecomeMethod, stderr: &str) -> Option<String> {
    let patterns: &[&str] = match method {
        BecomeMethod::Sudo => &[
            "sudo: a password is required",
            "sudo: a terminal is required",
            "incorrect password attempt",
            "sudo: no password was provided",
            "is not in the sudoers file",
            "is not allowed to execute",
            "sudo: unknown user",
            "sudo: not found",
            "sudo: command not found",
            "Sorry, try again",
        ],
        BecomeMethod::Su => &[
            "su: Authentication failure",
            "su: user ",
            "su: must be run from a terminal",
            "su: not found",
            "su: command not found",
        ],
    };
    let line = stderr
        .lines()
        .find(|line| patterns.iter().any(|p| line.contains(p)))?;
    Some(line.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretString;

    fn b(method: BecomeMethod, password: Option<&str>) -> Become {
        Become {
            user: "web".into(),
            method,
            password: password.map(|p| SecretString::new(p.into())),
        }
    }

    #[test]
    fn same_user_is_a_no_op() {
        assert!(escalation(&b(BecomeMethod::Sudo, None), "web").is_none());
    }

    #[test]
    fn sudo_without_password_never_prompts() {
        let e = escalation(&b(BecomeMethod::Sudo, None), "root").expect("escalates");
        assert_eq!(e.wrap("sh -c 'x'"), "sudo -n -H -u 'web' -- sh -c 'x'\n");
    }

    #[test]
    fn sudo_password_goes_through_a_builtin_pipe() {
        let e = escalation(&b(BecomeMethod::Sudo, Some("p'w")), "deploy").expect("escalates");
        let text = e.wrap("sh -c 'x'");
        assert!(text.contains("{ printf '%s\\n' 'p'\\''w'; cat; } | sudo -S -p '' -H -u 'web' -- sh -c 'x'"));
    }

    #[test]
    fn recognises_sudo_failures() {
        let m = failure_message(BecomeMethod::Sudo, "sudo: a password is required\n");
        assert_eq!(m.as_deref(), Some("sudo: a password is required"));
        assert!(failure_message(BecomeMethod::Sudo, "grep: x: No such file\n").is_none());
    }
}
