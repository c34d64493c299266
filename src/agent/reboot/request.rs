//! Reboot requests: the `reboots:` list of the repository's `playhook.yaml`.
//!
//! ```yaml
//! reboots:
//!   - id: kernel-2026-12          # names the request; a new id is a new request
//!     hosts: web:&production      # inventory pattern (required: there is no default)
//!     at: 2026-12-05 03:00        # UTC unless an offset follows (+01:00)
//!     grace: 2h                   # optional: still reboot when the agent comes this late
//!   - id: openssl-update
//!     hosts: db
//!     after: 2026-12-05 00:00     # at or after, inside the agent's maintenance window
//! ```
//!
//! `at` reboots at that time, and not at all when the agent first sees the request more than
//! the grace (the agent's `reboot.grace`, default one hour) after it. `after` reboots at the first
//! moment at or after that time inside the agent's maintenance window (right then without one);
//! it does not expire. Either is done once per id and time.

use std::path::Path;

use serde::Deserialize;

use super::RebootError;
use super::time::{parse_duration, parse_time};
use crate::repo::inventory::Inventory;

/// When a request wants its reboot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At this time (Unix seconds), or within the grace after it.
    At(i64),
    /// At this time or later, inside the maintenance window; never expires.
    After(i64),
}

impl When {
    /// The requested time, Unix seconds.
    pub fn time(self) -> i64 {
        match self {
            When::At(t) | When::After(t) => t,
        }
    }
}

/// One checked reboot request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: String,
    /// Inventory host pattern.
    pub hosts: String,
    pub when: When,
    /// Overrides the agent's grace for an `at` request, seconds.
    pub grace: Option<i64>,
    /// Line of the request in `playhook.yaml`.
    pub line: usize,
}

/// The longest id: it becomes part of a systemd unit name.
const MAX_ID: usize = 64;

/// The requests of `playhook.yaml`'s text; `path` is for messages.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Request>, RebootError> {
    let err = |line: usize, message: String| RebootError::Request {
        path: path.to_path_buf(),
        line,
        message,
    };
    let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        err(
            line,
            format!("{e} (a reboot request has id, hosts, at or after, and grace)"),
        )
    })?;
    let lines = item_lines(text, "reboots:");
    let mut out: Vec<Request> = Vec::new();
    for (i, r) in raw.reboots.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let id = r.id.trim().to_string();
        if id.is_empty()
            || id.len() > MAX_ID
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(err(
                line,
                format!("reboot id `{id}`: use 1 to {MAX_ID} letters, digits, `.`, `_` or `-`"),
            ));
        }
        if let Some(first) = out.iter().find(|o| o.id == id) {
            return Err(err(
                line,
                format!(
                    "reboot id `{id}` is used twice (first at line {}): ids must be unique",
                    first.line
                ),
            ));
        }
        let hosts = r.hosts.map(|h| h.trim().to_string()).unwrap_or_default();
        if hosts.is_empty() {
            return Err(err(
                line,
                format!("reboot `{id}` names no `hosts`: give an inventory pattern (`all` for every host)"),
            ));
        }
        let when = match (r.at, r.after) {
            (Some(at), None) => {
                When::At(parse_time(&at).map_err(|m| err(line, format!("reboot `{id}`: {m}")))?)
            }
            (None, Some(after)) => {
                When::After(parse_time(&after).map_err(|m| err(line, format!("reboot `{id}`: {m}")))?)
            }
            _ => {
                return Err(err(
                    line,
                    format!(
                        "reboot `{id}` needs exactly one of `at` (that time) and `after` (in the maintenance window after it)"
                    ),
                ));
            }
        };
        let grace = match r.grace {
            None => None,
            Some(_) if matches!(when, When::After(_)) => {
                return Err(err(
                    line,
                    format!(
                        "reboot `{id}`: `grace` is for `at` requests; an `after` request does not expire"
                    ),
                ));
            }
            Some(g) => Some(parse_duration(&g).map_err(|m| err(line, format!("reboot `{id}`: grace {m}")))?),
        };
        out.push(Request {
            id,
            hosts,
            when,
            grace,
            line,
        });
    }
    Ok(out)
}

/// The requests of the repository checked out at `dir` (none without a `playhook.yaml`).
pub fn load(dir: &Path) -> Result<Vec<Request>, RebootError> {
    let path = dir.join("playhook.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(RebootError::Io {
            doing: "reading",
            path,
            source: e,
        }),
    }
}

/// The requests whose `hosts` pattern matches `host` in `inventory`. A name in a pattern that
/// the inventory does not know matches nothing (a group may come later); a pattern that cannot
/// be evaluated is an error naming the request.
pub fn for_host(
    requests: &[Request],
    inventory: &Inventory,
    host: &str,
    path: &Path,
) -> Result<Vec<Request>, RebootError> {
    let mut out = Vec::new();
    for r in requests {
        let (hosts, _unknown) = inventory
            .select_lenient(&r.hosts)
            .map_err(|e| RebootError::Request {
                path: path.to_path_buf(),
                line: r.line,
                message: format!("reboot `{}`: {e}", r.id),
            })?;
        if hosts.iter().any(|h| h == host) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// `playhook.yaml` as this module sees it: the other keys belong to the hook.
#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    reboots: Vec<RawRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    id: String,
    hosts: Option<String>,
    at: Option<String>,
    after: Option<String>,
    grace: Option<String>,
}

/// Line numbers of the list items under the top-level `key` (`reboots:`), in order.
fn item_lines(text: &str, key: &str) -> Vec<usize> {
    let mut inside = false;
    let mut indent = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = line.len() - trimmed.len();
        if depth == 0 && !trimmed.starts_with('-') {
            inside = trimmed.starts_with(key);
            continue;
        }
        if inside && trimmed.starts_with('-') && *indent.get_or_insert(depth) == depth {
            out.push(i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Vec<Request>, String> {
        parse(text, Path::new("playhook.yaml")).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_at_and_after_requests_beside_the_hook_rules() {
        let text = "rules:\n  - ref: main\nreboots:\n  - id: kernel-1\n    hosts: web\n    at: 2026-12-05 03:00\n    grace: 2h\n  - id: ssl\n    hosts: all\n    after: 2026-12-05T00:00:00+01:00\n";
        let r = parsed(text).expect("valid");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].id, "kernel-1");
        assert_eq!(r[0].when, When::At(1_796_439_600));
        assert_eq!(r[0].grace, Some(7200));
        assert_eq!(r[0].line, 4);
        assert_eq!(r[1].when, When::After(1_796_425_200));
        assert_eq!(r[1].line, 8);
        assert_eq!(parsed("rules: []\n"), Ok(Vec::new()));
    }

    #[test]
    fn a_request_is_for_the_hosts_its_pattern_selects() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inv = dir.path().join("inventory.yml");
        std::fs::write(
            &inv,
            "all:\n  children:\n    web:\n      hosts: {w1: {}, w2: {}}\n    prod:\n      hosts: {w2: {}, d1: {}}\n",
        )
        .expect("write");
        let inventory = Inventory::load(&[inv], &Default::default()).expect("inventory");
        let text = "reboots:\n  - {id: a, hosts: 'web:&prod', at: 2026-12-05 03:00}\n  - {id: b, hosts: 'later:web', at: 2026-12-05 03:00}\n  - {id: c, hosts: 'w1', at: 2026-12-05 03:00}\n";
        let all = parsed(text).expect("valid");
        let ids = |host: &str| -> Vec<String> {
            for_host(&all, &inventory, host, Path::new("playhook.yaml"))
                .expect("patterns evaluate")
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids("w1"), ["b", "c"]);
        assert_eq!(ids("w2"), ["a", "b"]);
        assert!(ids("d1").is_empty());
        let bad = parsed("reboots:\n  - {id: x, hosts: '~[', at: 2026-12-05 03:00}\n").expect("valid");
        let err = for_host(&bad, &inventory, "w1", Path::new("playhook.yaml"))
            .expect_err("bad regex")
            .to_string();
        assert!(err.starts_with("playhook.yaml:2: reboot `x`"), "{err}");
    }

    #[test]
    fn refuses_what_it_cannot_honour_naming_the_line() {
        let cases = [
            (
                "reboots:\n  - id: a b\n    hosts: all\n    at: 2026-12-05 03:00\n",
                "yaml:2",
                "letters",
            ),
            (
                "reboots:\n  - id: a\n    at: 2026-12-05 03:00\n",
                "yaml:2",
                "names no `hosts`",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n",
                "yaml:2",
                "exactly one of `at`",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n    at: 2026-12-05 03:00\n    after: 2026-12-05 03:00\n",
                "yaml:2",
                "exactly one",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n    at: soon\n",
                "yaml:2",
                "not a time",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n    after: 2026-12-05 03:00\n    grace: 1h\n",
                "yaml:2",
                "does not expire",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n    at: 2026-12-05 03:00\n  - id: a\n    hosts: all\n    at: 2026-12-06 03:00\n",
                "yaml:5",
                "used twice (first at line 2)",
            ),
            (
                "reboots:\n  - id: a\n    hosts: all\n    at: 2026-12-05 03:00\n    when: now\n",
                "playhook.yaml",
                "unknown field `when`",
            ),
        ];
        for (text, place, what) in cases {
            let err = parsed(text).expect_err(text);
            assert!(err.contains(place) && err.contains(what), "{text}\n→ {err}");
        }
    }
}
