//! Deploy records: one JSON line per deploy, in a git note on the deployed commit under
//! `refs/notes/playhook` (`git notes --ref playhook show COMMIT` prints them).
//!
//! A commit deployed twice (a redeploy, a rollback) carries two lines. Values come from the
//! deploy's masked event stream, so no secret reaches a record.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository, Signature};
use rustix::fs::{FlockOperation, flock};
use serde::{Deserialize, Serialize};

use super::HookError;
use super::layout::{Layout, NOTES_REF};
use crate::output::Counts;

/// One deploy, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Start, RFC 3339 UTC with milliseconds.
    pub when: String,
    /// Start, milliseconds since the Unix epoch (for sorting).
    pub unix_ms: i64,
    pub commit: String,
    #[serde(rename = "ref")]
    pub refname: String,
    pub environment: String,
    /// `push` or `rollback`.
    pub kind: String,
    /// `real` or `check`.
    pub mode: String,
    /// Empty: everything.
    pub tags: Vec<String>,
    pub limit: Option<String>,
    pub pusher: Option<String>,
    /// Where the pusher's name came from (`GL_USER`, `push certificate`, `USER`).
    pub pusher_source: Option<String>,
    /// `ok`, `failed`, `unreachable`, `error`, `interrupted` (the run was stopped, or its hook
    /// killed) or `superseded` (a newer push to the ref deployed instead).
    pub result: String,
    pub exit_code: Option<i32>,
    pub duration_secs: f64,
    pub hosts: BTreeMap<String, Counts>,
    /// The log, relative to the bare repository.
    pub log: Option<String>,
    /// Why the deploy could not run, when it could not.
    pub error: Option<String>,
}

impl Record {
    /// The first 10 characters of the commit id, for listings. Records are read from notes
    /// anyone with push access can write: the id may be anything, so it is cut on a character
    /// boundary, never inside one.
    pub fn short_commit(&self) -> &str {
        match self.commit.char_indices().nth(10) {
            Some((end, _)) => &self.commit[..end],
            None => &self.commit,
        }
    }
}

/// Appends `record` to the note of its commit (under a lock, so concurrent deploys of
/// different environments do not lose each other's notes).
pub fn append(layout: &Layout, repo: &Repository, record: &Record) -> Result<(), HookError> {
    let git_dir = &layout.git_dir;
    let oid = Oid::from_str(&record.commit)
        .map_err(|e| HookError::git(format!("reading commit id `{}`", record.commit), git_dir, e))?;
    let guard_path = layout.locks().join(".notes.lock");
    std::fs::create_dir_all(layout.locks()).map_err(|e| HookError::io("creating", layout.locks(), e))?;
    let guard = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&guard_path)
        .map_err(|e| HookError::io("opening the lock file", &guard_path, e))?;
    flock(&guard, FlockOperation::LockExclusive)
        .map_err(|e| HookError::io("locking", &guard_path, e.into()))?;

    let mut text = match repo.find_note(Some(NOTES_REF), oid) {
        Ok(note) => note.message().unwrap_or_default().to_string(),
        Err(_) => String::new(),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&serde_json::to_string(record).expect("a record serializes"));
    text.push('\n');
    let sig = Signature::now("playhook", "playhook@localhost")
        .map_err(|e| HookError::git("making the notes signature", git_dir, e))?;
    repo.note(&sig, &sig, Some(NOTES_REF), oid, &text, true)
        .map_err(|e| {
            HookError::git(
                format!("writing the deploy note on {}", record.commit),
                git_dir,
                e,
            )
        })?;
    Ok(())
}

/// Every record in the repository, newest first, and a message for each line that is not one.
pub fn all(repo: &Repository) -> Result<(Vec<Record>, Vec<String>), HookError> {
    let git_dir = repo.path().to_path_buf();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(notes) => notes,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok((records, problems)),
        Err(e) => return Err(HookError::git("listing the deploy notes", &git_dir, e)),
    };
    for item in notes {
        let (_, commit) = item.map_err(|e| HookError::git("listing the deploy notes", &git_dir, e))?;
        let note = repo
            .find_note(Some(NOTES_REF), commit)
            .map_err(|e| HookError::git(format!("reading the deploy note on {commit}"), &git_dir, e))?;
        for (i, line) in note.message().unwrap_or_default().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => records.push(r),
                Err(e) => problems.push(format!(
                    "note on {commit}, line {}: not a deploy record: {e}",
                    i + 1
                )),
            }
        }
    }
    records.sort_by(|a, b| b.unix_ms.cmp(&a.unix_ms).then_with(|| b.when.cmp(&a.when)));
    Ok((records, problems))
}

/// Reads `path` relative to the repository for records, as a `/`-separated string.
pub fn relative_log(layout: &Layout, path: &Path) -> String {
    layout.relative(path).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record(commit: &str, unix_ms: i64) -> Record {
        Record {
            when: super::super::time::rfc3339_ms(unix_ms),
            unix_ms,
            commit: commit.to_string(),
            refname: "refs/heads/main".into(),
            environment: "default".into(),
            kind: "push".into(),
            mode: "real".into(),
            tags: vec![],
            limit: None,
            pusher: Some("alice".into()),
            pusher_source: Some("USER".into()),
            result: "ok".into(),
            exit_code: Some(0),
            duration_secs: 1.5,
            hosts: [(
                "web1".to_string(),
                Counts {
                    ok: 3,
                    changed: 1,
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            log: None,
            error: None,
        }
    }

    #[test]
    fn host_counts_keep_their_on_disk_form() {
        let line = serde_json::to_string(&record("c", 100)).expect("serializes");
        assert!(
            line.contains(
                r#""hosts":{"web1":{"ok":3,"changed":1,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}"#
            ),
            "{line}"
        );
        // A record that lacks counts (or fields added later) still reads, missing ones as 0.
        let old = line.replace(
            r#"{"ok":3,"changed":1,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}"#,
            r#"{"ok":3,"changed":1}"#,
        );
        let read: Record = serde_json::from_str(&old).expect("an older record reads");
        assert_eq!(read, record("c", 100));
    }

    #[test]
    fn records_append_and_list_newest_first() {
        let tmp = tempfile::tempdir().expect("tmp");
        let repo = Repository::init_bare(tmp.path().join("b.git")).expect("init");
        let sig = Signature::now("t", "t@t").expect("sig");
        let tree_id = repo.treebuilder(None).expect("tb").write().expect("tree");
        let tree = repo.find_tree(tree_id).expect("tree");
        let c1 = repo
            .commit(Some("refs/heads/main"), &sig, &sig, "one", &tree, &[])
            .expect("commit");
        let layout = Layout::new(repo.path());
        assert!(all(&repo).expect("no notes yet").0.is_empty());
        append(&layout, &repo, &record(&c1.to_string(), 100)).expect("append");
        append(&layout, &repo, &record(&c1.to_string(), 200)).expect("append");
        let (records, problems) = all(&repo).expect("read");
        assert!(problems.is_empty());
        assert_eq!(
            records.iter().map(|r| r.unix_ms).collect::<Vec<_>>(),
            vec![200, 100]
        );
        assert_eq!(records[0].hosts["web1"].changed, 1);
    }
}
