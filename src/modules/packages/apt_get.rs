//! `apt-get` and `dpkg` command lines as Ansible's apt module builds them (dpkg options,
//! `DPkg::Lock::Timeout`, `policy-rc.d` around the run), the `--diff` text it shows (the
//! "prepared" package lists), and clear messages for its failures (a held lock).

use super::apt_query::APT_ENV;
use crate::connection::quote::quote;

/// Ansible's default `dpkg_options`.
pub const DPKG_OPTIONS: &str = "force-confdef,force-confold";
/// apt-get's summary when nothing changes.
pub const APT_GET_ZERO: &str = "\n0 upgraded, 0 newly installed, 0 to remove";

/// `-o "Dpkg::Options::=--X"` for each comma-separated option, then the lock timeout.
pub fn dpkg_options(options: &str, lock_timeout: i64) -> String {
    let mut out: Vec<String> = options
        .split(',')
        .map(|o| format!("-o {}", quote(&format!("Dpkg::Options::=--{}", o.trim()))))
        .collect();
    out.push(format!("-o DPkg::Lock::Timeout={lock_timeout}"));
    out.join(" ")
}

/// Runs `command` (apt-get or dpkg) with apt's environment, inside `policy-rc.d` when asked,
/// then `after` (marks, clean-up); the script exits with the command's status.
pub fn wrap(command: &str, policy_rc_d: Option<i64>, after: &str) -> String {
    let mut s = format!("{APT_ENV}\n");
    if let Some(code) = policy_rc_d {
        s.push_str(&format!(
            "p=/usr/sbin/policy-rc.d; b=''\n[ -e \"$p\" ] && {{ b=$(mktemp -d) && mv \"$p\" \"$b/\" || exit 1; }}\n\
             printf '#!/bin/sh\\nexit %d\\n' {code} > \"$p\" && chmod 0755 \"$p\" || exit 1\n"
        ));
    }
    s.push_str(&format!("{command}\nrc=$?\n"));
    if policy_rc_d.is_some() {
        s.push_str(
            "if [ -n \"$b\" ]; then mv \"$b/policy-rc.d\" \"$p\" && rmdir \"$b\"; else rm -f \"$p\"; fi\n",
        );
    }
    s.push_str(after);
    s.push_str("\nexit $rc\n");
    s
}

/// `apt-mark manual NAMES` after an install, quietly; a failure is reported on stderr with a
/// marker the module turns into its message.
pub fn mark_manual(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let words: Vec<String> = names.iter().map(|n| quote(n)).collect();
    format!(
        "if command -v apt-mark >/dev/null 2>&1; then m=$(apt-mark manual {} 2>&1) || {{ printf '__PH_MARK_FAILED %s\\n' \"$m\" >&2; [ $rc -eq 0 ] && rc=1; }}; fi",
        words.join(" ")
    )
}

/// The marker `mark_manual` leaves on stderr, and the rest of stderr.
pub fn take_mark_failure(stderr: &str) -> (Option<String>, String) {
    let mut failure = None;
    let mut rest = String::new();
    for line in stderr.split_inclusive('\n') {
        match line.strip_prefix("__PH_MARK_FAILED ") {
            Some(m) => failure = Some(m.trim_end().to_string()),
            None => rest.push_str(line),
        }
    }
    (failure, rest)
}

/// Ansible's apt diff: apt-get's output from after "Reading state information..." (or
/// "Resolving dependencies...") through its "N upgraded, ..." line.
pub fn prepared(stdout: &str) -> String {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Resolving dependencies...")
        .or_else(|| lines.iter().position(|l| *l == "Reading state information..."))
        .map_or(0, |i| i + 1);
    let end = lines
        .iter()
        .position(|l| upgraded_line(l))
        .map_or(lines.len(), |i| i + 1);
    lines.get(start..end.max(start)).unwrap_or_default().join("\n")
}

/// `[0-9]+ (packages )?upgraded` at the start of a line.
fn upgraded_line(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &line[digits..];
    rest.starts_with(" upgraded") || rest.starts_with(" packages upgraded")
}

/// The lock apt could not get within `lock_timeout`, from its messages ("Could not get lock
/// PATH", "Unable to acquire the dpkg frontend lock (PATH)"), and the holder when apt named it.
pub fn held_lock(stderr: &str) -> Option<(String, Option<String>)> {
    if let Some(line) = stderr.lines().find(|l| l.contains("Could not get lock ")) {
        let rest = line.split("Could not get lock ").nth(1).unwrap_or_default();
        let path = rest
            .split(". ")
            .next()
            .unwrap_or(rest)
            .trim_end_matches('.')
            .to_string();
        let holder = line
            .split("held by ")
            .nth(1)
            .map(|h| h.trim().trim_end_matches('.').to_string());
        return Some((path, holder));
    }
    let line = stderr
        .lines()
        .find(|l| l.contains("Unable to acquire the dpkg"))?;
    let path = line
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or("/var/lib/dpkg/lock-frontend");
    Some((path.to_string(), None))
}

/// A script printing `process PID (COMM)` for each process holding a lock on `path`: the
/// processes `/proc/locks` lists (fcntl and flock locks) that have `path` open. The inode in
/// `/proc/locks` is not compared with `stat`'s: on overlayfs (containers) the two differ.
pub fn lock_holder_script(path: &str) -> String {
    format!(
        "for pid in $(awk '$5 ~ /^[0-9]+$/ && $5 > 0 {{print $5}}' /proc/locks | sort -u); do \
         for fd in /proc/$pid/fd/*; do \
         if [ \"$(readlink \"$fd\" 2>/dev/null)\" = {p} ]; then \
         printf 'process %s (%s)\\n' \"$pid\" \"$(cat /proc/$pid/comm 2>/dev/null)\"; break; fi; \
         done; done",
        p = quote(path)
    )
}

/// The one-line failure for a held lock.
pub fn lock_message(path: &str, holder: Option<&str>, host: &str, lock_timeout: i64) -> String {
    let holder = holder.unwrap_or("another process");
    format!(
        "{path} on {host} is held by {holder} and was not released within {lock_timeout} s \
         (lock_timeout); wait for it to finish or raise lock_timeout"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_options_expand_as_ansible_expands_them() {
        assert_eq!(
            dpkg_options(DPKG_OPTIONS, 60),
            "-o 'Dpkg::Options::=--force-confdef' -o 'Dpkg::Options::=--force-confold' -o DPkg::Lock::Timeout=60"
        );
    }

    #[test]
    fn the_diff_is_the_package_lists() {
        let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\n\
The following NEW packages will be installed:\n  tree\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n\
Inst tree (2.1.0-1 Debian:12.8/stable [amd64])\n";
        assert_eq!(
            prepared(out),
            "The following NEW packages will be installed:\n  tree\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
        );
    }

    #[test]
    fn a_held_lock_is_recognised_with_its_holder_when_apt_names_it() {
        let err = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (python3)\n";
        assert_eq!(
            held_lock(err),
            Some((
                "/var/lib/dpkg/lock-frontend".into(),
                Some("process 4242 (python3)".into())
            ))
        );
        let err = "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n";
        assert_eq!(held_lock(err), Some(("/var/lib/dpkg/lock-frontend".into(), None)));
        assert!(held_lock("E: Unable to locate package x").is_none());
        assert_eq!(
            lock_message(
                "/var/lib/dpkg/lock-frontend",
                Some("process 4242 (python3)"),
                "m101",
                5
            ),
            "/var/lib/dpkg/lock-frontend on m101 is held by process 4242 (python3) and was not released \
             within 5 s (lock_timeout); wait for it to finish or raise lock_timeout"
        );
    }

    #[test]
    fn apt_mark_failures_are_taken_out_of_stderr() {
        let (f, rest) = take_mark_failure("W: x\n__PH_MARK_FAILED E: nope\n");
        assert_eq!((f.as_deref(), rest.as_str()), (Some("E: nope"), "W: x\n"));
    }
}
