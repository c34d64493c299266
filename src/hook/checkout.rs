//! Checking a pushed commit out of the bare repository into a fresh temporary directory.
//!
//! The directory is removed when the [`Checkout`] is dropped, whether the deploy succeeded,
//! failed or was interrupted (the hook runner does not die on SIGINT/SIGHUP/SIGPIPE). Its name
//! carries the hook's process id, so a checkout left by a hook killed outright (SIGKILL, a
//! crash) is recognised and removed by the next checkout.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, build::CheckoutBuilder};

use super::HookError;

/// A commit's files in a temporary directory, removed on drop.
#[derive(Debug)]
pub struct Checkout {
    dir: tempfile::TempDir,
    /// The full commit id.
    pub commit: String,
}

impl Checkout {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Opens the repository, adding `object_dirs` as alternates (git's quarantine directory during
/// pre-receive, where the pushed objects wait).
pub fn open(git_dir: &Path, object_dirs: &[PathBuf]) -> Result<Repository, HookError> {
    let repo = Repository::open(git_dir).map_err(|e| HookError::git("opening the repository", git_dir, e))?;
    if !object_dirs.is_empty() {
        let odb = repo
            .odb()
            .map_err(|e| HookError::git("opening the object database", git_dir, e))?;
        for dir in object_dirs {
            let text = dir.to_string_lossy();
            odb.add_disk_alternate(&text)
                .map_err(|e| HookError::git(format!("adding objects from `{text}`"), git_dir, e))?;
        }
    }
    Ok(repo)
}

/// The full commit id of a revision (`HEAD~2`, a tag, a short id).
pub fn resolve(repo: &Repository, rev: &str) -> Result<String, HookError> {
    let obj = repo.revparse_single(rev).map_err(|e| {
        HookError::Invalid(format!(
            "revision `{rev}` is not in `{}`: {}; see `playhook history` for deployed commits",
            repo.path().display(),
            e.message()
        ))
    })?;
    let commit = obj
        .peel_to_commit()
        .map_err(|e| HookError::Invalid(format!("revision `{rev}` is not a commit: {}", e.message())))?;
    Ok(commit.id().to_string())
}

/// Writes the tree of `commit` into a new temporary directory (in the system's temporary
/// directory, named `playhook-*`).
pub fn checkout(repo: &Repository, commit: &str) -> Result<Checkout, HookError> {
    let git_dir = repo.path().to_path_buf();
    let oid = Oid::from_str(commit)
        .map_err(|e| HookError::git(format!("reading commit id `{commit}`"), &git_dir, e))?;
    let commit_obj = repo
        .find_commit(oid)
        .map_err(|e| HookError::git(format!("finding commit {commit}"), &git_dir, e))?;
    let tree = commit_obj
        .tree()
        .map_err(|e| HookError::git(format!("reading the tree of {commit}"), &git_dir, e))?;
    let temp = std::env::temp_dir();
    crate::orphans::remove(&temp, PREFIX);
    let dir = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(&temp)
        .map_err(|e| HookError::io("creating a temporary directory in", &temp, e))?;
    let mut opts = CheckoutBuilder::new();
    opts.target_dir(dir.path())
        .force()
        .recreate_missing(true)
        .update_index(false);
    repo.checkout_tree(tree.as_object(), Some(&mut opts))
        .map_err(|e| {
            HookError::git(
                format!("checking out {commit} into `{}`", dir.path().display()),
                &git_dir,
                e,
            )
        })?;
    Ok(Checkout {
        dir,
        commit: commit.to_string(),
    })
}

/// Checkout directories are named `PREFIX<pid>-<random>`.
const PREFIX: &str = "playhook-checkout-";

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let st = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git runs");
        assert!(st.success(), "git {args:?}");
    }

    #[test]
    fn checks_out_files_with_modes_and_cleans_up() {
        let tmp = tempfile::tempdir().expect("tmp");
        let work = tmp.path().join("work");
        std::fs::create_dir_all(work.join("roles/x")).expect("mkdir");
        std::fs::write(work.join("deploy.yaml"), "- hosts: all\n").expect("write");
        std::fs::write(work.join("roles/x/run.sh"), "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(
            work.join("roles/x/run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        git(&work, &["init", "-q"]);
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "one"]);
        git(tmp.path(), &["clone", "-q", "--bare", "work", "bare.git"]);

        let repo = open(&tmp.path().join("bare.git"), &[]).expect("open");
        let id = resolve(&repo, "main").expect("resolve");
        assert_eq!(id.len(), 40);
        let co = checkout(&repo, &id).expect("checkout");
        let path = co.path().to_path_buf();
        assert_eq!(
            std::fs::read_to_string(path.join("deploy.yaml")).expect("read"),
            "- hosts: all\n"
        );
        let mode = std::fs::metadata(path.join("roles/x/run.sh"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
        drop(co);
        assert!(!path.exists());
        assert!(
            resolve(&repo, "nope")
                .expect_err("missing")
                .to_string()
                .contains("`nope`")
        );
    }

    #[test]
    fn checkouts_of_dead_hooks_are_removed_and_live_ones_kept() {
        let temp = tempfile::tempdir().expect("tmp");
        let mut finished = std::process::Command::new("true").spawn().expect("spawn");
        let dead = finished.id();
        finished.wait().expect("wait");
        let orphan = temp.path().join(format!("{PREFIX}{dead}-abc123"));
        let live = temp.path().join(format!("{PREFIX}{}-def456", std::process::id()));
        let other = temp.path().join("playhook-ssh-xyz");
        for dir in [&orphan, &live, &other] {
            std::fs::create_dir_all(dir.join("roles")).expect("mkdir");
        }
        let orphan_pending = orphan.with_extension("pending.json");
        std::fs::write(&orphan_pending, "{}").expect("write");
        crate::orphans::remove(temp.path(), PREFIX);
        assert!(!orphan.exists(), "the dead hook's checkout is gone");
        assert!(!orphan_pending.exists(), "and its pending-handlers file");
        assert!(live.exists() && other.exists());
    }
}
