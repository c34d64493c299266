//! The per-host deploy lock: `playhook deploy` and the pull-mode agent (`playhook agent run`)
//! never apply to the same machine at once.
//!
//! On a host where the agent is installed (`/etc/playhook` exists), the run takes
//! `flock(2)` on `/run/lock/playhook-deploy.lock` through the host's own connection, right after
//! it opens, and holds it until the connection's shell ends: a small watcher process started in
//! the session inherits the locked descriptor and exits when the session's shell does. The
//! holder writes who it is into the file; a second run finds the lock taken, says for whom it
//! waits (a warning event), and blocks until it is free. The agent's own deploy reaches its host
//! over the local connection, so both take the very same file.
//!
//! Hosts without `/etc/playhook` (no agent) and hosts without the `flock` program are not
//! locked. Several inventory hosts of one run that are the same machine share the run's lock:
//! the holder line carries a run id, and a run that finds its own id proceeds.

use crate::connection::quote::quote;
use crate::connection::{Command, Connection, ConnectionError};

/// The lock file on the host (`/tmp/...` when `/run/lock` does not exist).
pub const LOCK_FILE: &str = "/run/lock/playhook-deploy.lock";

/// What one attempt found.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Held by this run from now on.
    Held,
    /// Nothing to lock on this host (no agent, no `flock`), or this run already holds it.
    NotNeeded,
    /// Another run holds it; its holder line.
    Busy(String),
}

/// The shell script of one attempt: `wait` blocks until the lock is free.
fn script(holder: &str, run_id: &str, wait: bool) -> String {
    format!(
        r#"l={LOCK_FILE}
[ -d /etc/playhook ] || {{ echo ph-lock:none; exit 0; }}
command -v flock >/dev/null 2>&1 || {{ echo ph-lock:none; exit 0; }}
[ -d /run/lock ] || l=/tmp/playhook-deploy.lock
[ -e "$l" ] || (umask 022; : >> "$l") 2>/dev/null
exec 9<"$l" || {{ echo ph-lock:none; exit 0; }}
if ! flock {flag} 9; then
  if grep -qF -- {run_id} "$l"; then echo ph-lock:none; exit 0; fi
  echo ph-lock:busy; cat "$l"; exit 0
fi
printf '%s\n' {holder} > "$l" 2>/dev/null
( while kill -0 $$ 2>/dev/null; do sleep 1; done ) </dev/null >/dev/null 2>&1 &
echo ph-lock:held
"#,
        flag = if wait { "" } else { "-n" },
        run_id = quote(run_id),
        holder = quote(&format!("{holder} [run {run_id}]")),
    )
}

/// Parses an attempt's output.
fn parse(stdout: &[u8]) -> Attempt {
    let text = String::from_utf8_lossy(stdout);
    let mut lines = text.lines();
    match lines.next().map(str::trim) {
        Some("ph-lock:held") => Attempt::Held,
        Some("ph-lock:busy") => {
            let who: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
            Attempt::Busy(if who.is_empty() {
                "another deploy".to_string()
            } else {
                who.join(" ")
            })
        }
        _ => Attempt::NotNeeded,
    }
}

/// Takes the host's deploy lock over `conn`. `on_wait` is called with the holder's line when
/// the lock is taken by another run, before blocking for it.
pub async fn take(
    conn: &mut dyn Connection,
    holder: &str,
    run_id: &str,
    on_wait: impl FnOnce(&str),
) -> Result<Attempt, ConnectionError> {
    let first = conn
        .run(&Command::new(script(holder, run_id, false)), None)
        .await?;
    match parse(&first.stdout) {
        Attempt::Busy(who) => {
            on_wait(&who);
            let out = conn
                .run(&Command::new(script(holder, run_id, true)), None)
                .await?;
            Ok(parse(&out.stdout))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_parse() {
        assert_eq!(parse(b"ph-lock:held\n"), Attempt::Held);
        assert_eq!(parse(b"ph-lock:none\n"), Attempt::NotNeeded);
        assert_eq!(
            parse(b"ph-lock:busy\nplayhook agent pass since 10:00 [run x]\n"),
            Attempt::Busy("playhook agent pass since 10:00 [run x]".into())
        );
        assert_eq!(parse(b"ph-lock:busy\n"), Attempt::Busy("another deploy".into()));
    }

    #[test]
    fn the_holder_is_quoted() {
        let s = script("alice's deploy; rm -rf /", "r1", true);
        assert!(s.contains(r#"'alice'\''s deploy; rm -rf / [run r1]'"#), "{s}");
        assert!(s.contains("if ! flock  9;"), "{s}");
        assert!(script("a", "r1", false).contains("flock -n 9"));
    }
}
