//! The agent's copy of the repository: a bare mirror in `<state dir>/repo.git`, driven by the
//! system `git`, so deploy keys, `GIT_SSH_COMMAND`, `~/.ssh/config`, known_hosts and https
//! credential helpers work as they do for `git fetch` by hand.
//!
//! The applied commit is kept reachable under `refs/playhook/applied`, so a force-pushed
//! branch never lets git forget what the host runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The deploy records' notes ref, as the push hook writes it.
pub const NOTES_REF: &str = "refs/notes/playhook";
/// Keeps the applied commit reachable.
pub const APPLIED_REF: &str = "refs/playhook/applied";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git ({source}); install git (`apt-get install git`)")]
    Spawn {
        #[source]
        source: std::io::Error,
    },
    #[error("`git {args}` failed in `{}`: {stderr}", dir.display())]
    Failed {
        args: String,
        dir: PathBuf,
        stderr: String,
    },
}

/// The mirror.
#[derive(Clone, Debug)]
pub struct Mirror {
    pub git_dir: PathBuf,
}

/// `https://user:token@host/x` as `https://host/x`: credentials never reach a message.
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => out.push_str(&authority[at + 1..]),
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl Mirror {
    pub fn new(state_dir: &Path) -> Mirror {
        Mirror {
            git_dir: state_dir.join("repo.git"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir").arg(&self.git_dir).args(args);
        // Never wait for a password nobody will type.
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null());
        cmd
    }

    fn output(&self, args: &[&str]) -> Result<Output, GitError> {
        self.command(args)
            .output()
            .map_err(|source| GitError::Spawn { source })
    }

    /// Runs git, failing with its stderr.
    fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.output(args)?;
        if !out.status.success() {
            return Err(GitError::Failed {
                args: redact_url(&args.join(" ")),
                dir: self.git_dir.clone(),
                stderr: redact_url(String::from_utf8_lossy(&out.stderr).trim()),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Creates the mirror if needed and points `origin` at `url`.
    pub fn ensure(&self, url: &str) -> Result<(), GitError> {
        if !self.git_dir.join("HEAD").exists() {
            let out = Command::new("git")
                .args(["init", "--quiet", "--bare"])
                .arg(&self.git_dir)
                .output()
                .map_err(|source| GitError::Spawn { source })?;
            if !out.status.success() {
                return Err(GitError::Failed {
                    args: "init --bare".into(),
                    dir: self.git_dir.clone(),
                    stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                });
            }
        }
        let current = self.output(&["config", "--get", "remote.origin.url"])?;
        let current = String::from_utf8_lossy(&current.stdout).trim().to_string();
        if current.is_empty() {
            self.run(&["remote", "add", "origin", url])?;
        } else if current != url {
            self.run(&["remote", "set-url", "origin", url])?;
        }
        Ok(())
    }

    /// Fetches `branch` from origin and returns its commit.
    pub fn fetch(&self, branch: &str) -> Result<String, GitError> {
        let spec = format!("+refs/heads/{branch}:refs/remotes/origin/{branch}");
        self.run(&["fetch", "--quiet", "--no-tags", "--prune", "origin", &spec])?;
        self.run(&[
            "rev-parse",
            "--verify",
            &format!("refs/remotes/origin/{branch}^{{commit}}"),
        ])
    }

    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let out = self.output(&["merge-base", "--is-ancestor", ancestor, descendant])?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(GitError::Failed {
                args: format!("merge-base --is-ancestor {ancestor} {descendant}"),
                dir: self.git_dir.clone(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }),
        }
    }

    /// Whether the mirror has `commit`.
    pub fn has_commit(&self, commit: &str) -> bool {
        self.output(&["cat-file", "-e", &format!("{commit}^{{commit}}")])
            .is_ok_and(|o| o.status.success())
    }

    /// The full id of a revision (`abc123`, `origin/main~2`, a tag).
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        self.run(&[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])
    }

    /// How many commits `to` has that `from` has not.
    pub fn count_between(&self, from: &str, to: &str) -> Result<u64, GitError> {
        let n = self.run(&["rev-list", "--count", &format!("{from}..{to}")])?;
        Ok(n.parse().unwrap_or(0))
    }

    /// The first line of a commit's message.
    pub fn subject(&self, commit: &str) -> String {
        self.run(&["log", "-1", "--format=%s", commit])
            .unwrap_or_default()
    }

    /// Points [`APPLIED_REF`] at `commit`.
    pub fn keep_applied(&self, commit: &str) -> Result<(), GitError> {
        self.run(&["update-ref", APPLIED_REF, commit]).map(|_| ())
    }

    /// Replaces the local deploy notes with origin's (none on origin: none here either).
    pub fn fetch_notes(&self) -> Result<(), GitError> {
        let spec = format!("+{NOTES_REF}:{NOTES_REF}");
        let listed = self.run(&["ls-remote", "origin", NOTES_REF])?;
        if listed.is_empty() {
            let _ = self.run(&["update-ref", "-d", NOTES_REF]);
            return Ok(());
        }
        self.run(&["fetch", "--quiet", "--no-tags", "origin", &spec])
            .map(|_| ())
    }

    /// Pushes the deploy notes to origin (fails when origin is read-only or moved on).
    pub fn push_notes(&self) -> Result<(), GitError> {
        self.run(&["push", "--quiet", "origin", &format!("{NOTES_REF}:{NOTES_REF}")])
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_urls() {
        assert_eq!(
            redact_url("fatal: unable to access 'https://bob:s3cret@git.example.com/infra.git/'"),
            "fatal: unable to access 'https://git.example.com/infra.git/'"
        );
        assert_eq!(redact_url("ssh://git@host/x.git"), "ssh://git@host/x.git");
        assert_eq!(redact_url("no url"), "no url");
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn fetches_and_relates_commits() {
        let tmp = tempfile::tempdir().expect("tmp");
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).expect("mkdir");
        git(&work, &["init", "-q", "-b", "main"]);
        let commit = |msg: &str| {
            git(
                &work,
                &[
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "commit",
                    "-q",
                    "--allow-empty",
                    "-m",
                    msg,
                ],
            );
            git(&work, &["rev-parse", "HEAD"])
        };
        let c1 = commit("one");
        let c2 = commit("two");
        let mirror = Mirror::new(&tmp.path().join("state"));
        mirror.ensure(&work.display().to_string()).expect("mirror");
        mirror.ensure(&work.display().to_string()).expect("again");
        assert_eq!(mirror.fetch("main").expect("fetch"), c2);
        assert!(mirror.is_ancestor(&c1, &c2).expect("ancestry"));
        assert!(!mirror.is_ancestor(&c2, &c1).expect("ancestry"));
        assert_eq!(mirror.count_between(&c1, &c2).expect("count"), 1);
        assert_eq!(mirror.resolve(&c1[..8]).expect("short id"), c1);
        assert_eq!(mirror.subject(&c2), "two");
        let e = mirror.fetch("nope").expect_err("no such branch").to_string();
        assert!(e.contains("nope"), "{e}");
        mirror.fetch_notes().expect("no notes on origin is fine");
    }
}
