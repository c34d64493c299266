//! A pass in the repository's deploy history: the same JSON record a push deploy writes
//! (`hook::notes`), appended to the note of the commit in `refs/notes/playhook` and pushed to
//! origin, so `playhook history` and `playhook status` on the git server list pull and push
//! deploys side by side. A read-only origin (a `git://` daemon, a read-only deploy key) only
//! loses the pushed copy: the pass still reports, the log still says why.
//!
//! Recorded: passes that applied something, refused, or found drift; not the quiet passes that
//! found the host up to date.

use git2::Repository;

use super::git::Mirror;
use super::report::{PassReport, PassResult};
use crate::hook::layout::Layout;
use crate::hook::notes::{self, Record};
use crate::hook::time;

/// The record of `report` (`None` for passes that are not recorded).
pub fn record(report: &PassReport, kind: &str, tags: &[String], hosts: &[String]) -> Option<Record> {
    let commit = match report.result {
        PassResult::Refused => report.fetched.clone(),
        _ if report.mode == "check" && report.drift.is_empty() => None,
        PassResult::Unchanged if report.drift.is_empty() => None,
        _ => report.applied.clone().or_else(|| report.fetched.clone()),
    }?;
    let result = match report.result {
        PassResult::Ok | PassResult::Unchanged => "ok",
        PassResult::Failed if report.failed() > 0 => "failed",
        PassResult::Failed => "unreachable",
        PassResult::Refused => "refused",
        PassResult::Error => "error",
    };
    Some(Record {
        when: time::rfc3339_ms(report.started_unix_ms),
        unix_ms: report.started_unix_ms,
        commit,
        refname: format!("refs/heads/{}", report.branch),
        environment: "agent".into(),
        kind: kind.into(),
        mode: report.mode.clone(),
        tags: tags.to_vec(),
        limit: (!hosts.is_empty()).then(|| hosts.join(",")),
        pusher: Some(format!("agent@{}", report.host)),
        pusher_source: Some("agent".into()),
        result: result.into(),
        exit_code: None,
        duration_secs: (report.duration_secs * 1000.0).round() / 1000.0,
        hosts: report.counts.clone(),
        log: None,
        error: report.error.clone(),
    })
}

/// Appends `record` to the mirror's notes (after taking origin's) and pushes them; retried once
/// when another writer moved the notes meanwhile. The error says why the push failed.
pub fn publish(mirror: &Mirror, record: &Record) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..3 {
        mirror.fetch_notes().map_err(|e| e.to_string())?;
        let repo = Repository::open(&mirror.git_dir).map_err(|e| e.message().to_string())?;
        notes::append(&Layout::new(&mirror.git_dir), &repo, record).map_err(|e| e.to_string())?;
        match mirror.push_notes() {
            Ok(()) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(result: PassResult, mode: &str, drift: &[&str]) -> PassReport {
        PassReport {
            host: "m1".into(),
            branch: "main".into(),
            fetched: Some("f".repeat(40)),
            previous: None,
            applied: Some("a".repeat(40)),
            comparison: None,
            result,
            mode: mode.into(),
            started_unix_ms: 1_000,
            duration_secs: 1.23456,
            counts: Default::default(),
            drift: drift.iter().map(|s| s.to_string()).collect(),
            frozen: false,
            error: None,
            log: String::new(),
        }
    }

    #[test]
    fn which_passes_are_recorded_and_how() {
        assert!(record(&report(PassResult::Unchanged, "real", &[]), "pull", &[], &[]).is_none());
        assert!(record(&report(PassResult::Ok, "check", &[]), "drift", &[], &[]).is_none());
        let r = record(&report(PassResult::Ok, "real", &[]), "pull", &[], &["m1".into()]).expect("applied");
        assert_eq!(
            (r.commit.as_str(), r.result.as_str(), r.kind.as_str()),
            (&*"a".repeat(40), "ok", "pull")
        );
        assert_eq!(
            (r.pusher.as_deref(), r.limit.as_deref()),
            (Some("agent@m1"), Some("m1"))
        );
        assert_eq!(r.duration_secs, 1.235);
        let r = record(&report(PassResult::Refused, "real", &[]), "pull", &[], &[]).expect("refused");
        assert_eq!((r.commit, r.result.as_str()), ("f".repeat(40), "refused"));
        let r = record(&report(PassResult::Ok, "check", &["m1: motd"]), "drift", &[], &[]).expect("drift");
        assert_eq!(r.mode, "check");
    }
}
