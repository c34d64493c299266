//! Handlers notified but never run, remembered until the next deploy of their host runs them.
//!
//! Ansible forgets a notification when a later task fails: the configuration changed and the
//! service was never restarted. The deploy reports such handlers as `handlers_pending` events
//! (`{"event":"handlers_pending","host":"web1","handlers":["restart nginx"]}`); the hook keeps
//! them in `playhook/pending/<environment>.json` (`{"web1": ["restart nginx"]}`) and gives them
//! back to the next deploy with `--pending-handlers FILE`, which notifies them on that host at
//! the start. A host whose next run ends without failure is cleared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::HookError;
use crate::output::Counts;

/// Host → handler names still owed to it.
pub type Pending = BTreeMap<String, BTreeSet<String>>;

/// Reads the pending handlers of an environment (none when the file does not exist).
pub fn load(path: &Path) -> Result<Pending, HookError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            HookError::Invalid(format!(
                "`{}` is not a pending-handlers file ({e}); fix or delete it (its handlers would be lost)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pending::new()),
        Err(e) => Err(HookError::io("reading", path, e)),
    }
}

/// Writes them atomically; an empty set removes the file.
pub fn store(path: &Path, pending: &Pending) -> Result<(), HookError> {
    if pending.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(HookError::io("removing", path, e)),
            _ => Ok(()),
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HookError::io("creating", dir, e))?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(pending).expect("pending handlers serialize");
    std::fs::write(&tmp, text + "\n")
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| HookError::io("writing", path, e))
}

/// What is owed after a real (not check-mode) run: hosts that ran without failure are cleared,
/// hosts that failed or did not run keep theirs, and newly reported handlers are added.
pub fn after_run(before: &Pending, recap: &BTreeMap<String, Counts>, reported: &Pending) -> Pending {
    let mut out = Pending::new();
    for (host, handlers) in before {
        let cleared = recap
            .get(host)
            .is_some_and(|c| c.failed == 0 && c.unreachable == 0);
        if !cleared {
            out.insert(host.clone(), handlers.clone());
        }
    }
    for (host, handlers) in reported {
        out.entry(host.clone())
            .or_default()
            .extend(handlers.iter().cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(&str, &[&str])]) -> Pending {
        items
            .iter()
            .map(|(h, hs)| (h.to_string(), hs.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn owed_handlers_survive_failures_and_clear_on_success() {
        let before = set(&[
            ("web1", &["restart nginx"]),
            ("web2", &["reload"]),
            ("db", &["restart pg"]),
        ]);
        let recap: BTreeMap<String, Counts> = [
            (
                "web1".to_string(),
                Counts {
                    ok: 2,
                    ..Default::default()
                },
            ),
            (
                "web2".to_string(),
                Counts {
                    failed: 1,
                    ..Default::default()
                },
            ),
        ]
        .into_iter()
        .collect();
        let reported = set(&[("web2", &["restart nginx"])]);
        let after = after_run(&before, &recap, &reported);
        assert_eq!(
            after,
            set(&[("db", &["restart pg"]), ("web2", &["reload", "restart nginx"])])
        );

        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("pending/default.json");
        assert!(load(&path).expect("missing is empty").is_empty());
        store(&path, &after).expect("store");
        assert_eq!(load(&path).expect("load"), after);
        store(&path, &Pending::new()).expect("clear");
        assert!(!path.exists());
    }
}
