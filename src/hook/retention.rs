//! Old deploy logs go: after each deploy, only the logs of the last `keep_logs` deploys of its
//! environment stay in `playhook/logs/`.
//!
//! A deploy's files are `<UTC time>-<environment>-<commit>.log` and `.events.jsonl` (see
//! [`deploy`](super::deploy)). Deploys of one environment run one at a time, so the time a log
//! was last written orders them (the name's time only has seconds). The deploy records in
//! `refs/notes/playhook` stay; `playhook history` says when a record's log is gone.

use std::path::{Path, PathBuf};

use super::HookError;

/// Removes the oldest logs of `environment` in `logs` beyond the newest `keep` (0 keeps all).
/// Returns the removed files.
pub fn prune(logs: &Path, environment: &str, keep: usize) -> Result<Vec<PathBuf>, HookError> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(logs).map_err(|e| HookError::io("listing", logs, e))?;
    let mut stems: Vec<(std::time::SystemTime, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let stem = name.strip_suffix(".log")?.to_string();
            let written = e.metadata().and_then(|m| m.modified()).ok()?;
            (environment_of(&stem) == Some(environment)).then_some((written, stem))
        })
        .collect();
    stems.sort();
    let excess = stems.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (_, stem) in &stems[..excess] {
        for suffix in [".log", ".events.jsonl"] {
            let path = logs.join(format!("{stem}{suffix}"));
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(HookError::io("removing the old log", &path, e)),
            }
        }
    }
    Ok(removed)
}

/// The environment in a log's name `<time>-<environment>-<commit>`; environments may contain
/// `-`, times and commits do not.
fn environment_of(stem: &str) -> Option<&str> {
    let (_, rest) = stem.split_once('-')?;
    let (environment, _) = rest.rsplit_once('-')?;
    Some(environment)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `name`, last modified `age_secs` before now.
    fn touch(dir: &Path, name: &str, age_secs: u64) {
        let path = dir.join(name);
        std::fs::write(&path, b"x").expect("write");
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .expect("set mtime");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn keeps_the_newest_logs_of_one_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Same second, different commits: the write times decide, not the names.
        for (commit, env, age) in [
            ("ccc", "prod", 30),
            ("bbb", "prod", 20),
            ("aaa", "prod", 10),
            ("ddd", "prod-eu", 40),
        ] {
            touch(dir.path(), &format!("20261122T100000Z-{env}-{commit}.log"), age);
            touch(
                dir.path(),
                &format!("20261122T100000Z-{env}-{commit}.events.jsonl"),
                age,
            );
        }
        let removed = prune(dir.path(), "prod", 2).expect("prune");
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert_eq!(
            names(dir.path()),
            [
                "20261122T100000Z-prod-aaa.events.jsonl",
                "20261122T100000Z-prod-aaa.log",
                "20261122T100000Z-prod-bbb.events.jsonl",
                "20261122T100000Z-prod-bbb.log",
                "20261122T100000Z-prod-eu-ddd.events.jsonl",
                "20261122T100000Z-prod-eu-ddd.log",
            ]
        );
        assert!(prune(dir.path(), "prod", 0).expect("keep all").is_empty());
        assert_eq!(prune(dir.path(), "prod-eu", 1).expect("one left").len(), 0);
    }

    #[test]
    fn environments_with_dashes_are_told_apart() {
        assert_eq!(environment_of("20261122T100000Z-prod-eu-abc123"), Some("prod-eu"));
        assert_eq!(environment_of("20261122T100000Z-prod-abc123"), Some("prod"));
        assert_eq!(environment_of("notes"), None);
    }
}
