//! `playhook hook install` / `uninstall`: the hook shims, the push-options setting and the
//! rules file in a bare repository.
//!
//! The shims (the project's `hooks/post-receive` and `hooks/pre-receive`) exec the installed
//! `playhook` by absolute path. A hook that was there before is kept as
//! `hooks/<name>.before-playhook` and put back by `uninstall`. Installing again is safe.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::Repository;

use super::HookError;
use super::config::{DEFAULT_FILE, HookConfig};
use super::layout::Layout;

const POST_RECEIVE: &str = include_str!("../../hooks/post-receive");
const PRE_RECEIVE: &str = include_str!("../../hooks/pre-receive");
/// The line that marks a hook as playhook's own.
const MARKER: &str = "playhook-managed-hook";
const BACKUP_SUFFIX: &str = ".before-playhook";

/// Installs into the repository at `git_dir` hooks running `exe`; `verify` adds the
/// pre-receive check. Returns what was done, one line each.
pub fn install(git_dir: &Path, exe: &Path, verify: bool) -> Result<Vec<String>, HookError> {
    let repo = Repository::open(git_dir).map_err(|e| HookError::git("opening the repository", git_dir, e))?;
    let layout = Layout::new(repo.path());
    let hooks = hooks_dir(&repo)?;
    std::fs::create_dir_all(&hooks).map_err(|e| HookError::io("creating", &hooks, e))?;
    let mut done = Vec::new();

    write_shim(&hooks, "post-receive", POST_RECEIVE, exe, &mut done)?;
    if verify {
        write_shim(&hooks, "pre-receive", PRE_RECEIVE, exe, &mut done)?;
    } else {
        remove_shim(&hooks, "pre-receive", &mut done)?;
    }

    let mut config = repo
        .config()
        .map_err(|e| HookError::git("opening the git config", repo.path(), e))?;
    config
        .set_bool("receive.advertisePushOptions", true)
        .map_err(|e| HookError::git("setting receive.advertisePushOptions", repo.path(), e))?;
    done.push("set receive.advertisePushOptions=true (for `git push -o tags=...`)".to_string());

    let rules = layout.config();
    if rules.exists() {
        let parsed = HookConfig::load(&rules)?;
        done.push(format!("kept {} ({} rules)", rules.display(), parsed.rules.len()));
    } else {
        atomic_write(&rules, DEFAULT_FILE, 0o644)?;
        done.push(format!(
            "wrote {}: pushes to main and master deploy everything",
            rules.display()
        ));
    }
    let logs = layout.logs();
    std::fs::create_dir_all(&logs).map_err(|e| HookError::io("creating", &logs, e))?;
    Ok(done)
}

/// Removes playhook's hooks and puts back the ones they replaced. Rules, logs and deploy notes
/// stay.
pub fn uninstall(git_dir: &Path) -> Result<Vec<String>, HookError> {
    let repo = Repository::open(git_dir).map_err(|e| HookError::git("opening the repository", git_dir, e))?;
    let hooks = hooks_dir(&repo)?;
    let mut done = Vec::new();
    for name in ["post-receive", "pre-receive"] {
        remove_shim(&hooks, name, &mut done)?;
    }
    done.push(format!(
        "kept {}, the logs in {} and the deploy notes (refs/notes/playhook)",
        Layout::new(repo.path()).config().display(),
        Layout::new(repo.path()).logs().display()
    ));
    Ok(done)
}

/// `core.hooksPath` if set (relative to the repository), else `hooks/` in the git directory.
fn hooks_dir(repo: &Repository) -> Result<PathBuf, HookError> {
    let config = repo
        .config()
        .map_err(|e| HookError::git("opening the git config", repo.path(), e))?;
    match config.get_path("core.hooksPath") {
        Ok(p) if p.is_absolute() => Ok(p),
        Ok(p) => Ok(repo.path().join(p)),
        Err(_) => Ok(repo.path().join("hooks")),
    }
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

fn backup_path(hooks: &Path, name: &str) -> PathBuf {
    hooks.join(format!("{name}{BACKUP_SUFFIX}"))
}

fn write_shim(
    hooks: &Path,
    name: &str,
    template: &str,
    exe: &Path,
    done: &mut Vec<String>,
) -> Result<(), HookError> {
    let path = hooks.join(name);
    if path.symlink_metadata().is_ok() && !is_ours(&path) {
        let backup = backup_path(hooks, name);
        if backup.symlink_metadata().is_ok() {
            return Err(HookError::Invalid(format!(
                "`{}` is not playhook's and `{}` already exists: move one of them away, then install again",
                path.display(),
                backup.display()
            )));
        }
        std::fs::rename(&path, &backup).map_err(|e| HookError::io("moving aside", &path, e))?;
        done.push(format!("kept the existing {name} hook as {}", backup.display()));
    }
    let text = template.replace("@PLAYHOOK@", &shell_quote(&exe.to_string_lossy()));
    atomic_write(&path, &text, 0o755)?;
    done.push(format!("wrote {} (runs {})", path.display(), exe.display()));
    Ok(())
}

fn remove_shim(hooks: &Path, name: &str, done: &mut Vec<String>) -> Result<(), HookError> {
    let path = hooks.join(name);
    if !is_ours(&path) {
        if path.exists() {
            done.push(format!("left {} alone: not playhook's", path.display()));
        }
        return Ok(());
    }
    std::fs::remove_file(&path).map_err(|e| HookError::io("removing", &path, e))?;
    done.push(format!("removed {}", path.display()));
    let backup = backup_path(hooks, name);
    if backup.symlink_metadata().is_ok() {
        std::fs::rename(&backup, &path).map_err(|e| HookError::io("restoring", &backup, e))?;
        done.push(format!("restored the earlier {name} hook"));
    }
    Ok(())
}

fn atomic_write(path: &Path, text: &str, mode: u32) -> Result<(), HookError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".playhook-")
        .tempfile_in(dir)
        .map_err(|e| HookError::io("creating a temporary file in", dir, e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| HookError::io("writing", tmp.path(), e))?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
        .map_err(|e| HookError::io("setting the mode of", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| HookError::io("writing", path, e.error))?;
    Ok(())
}

/// `'text'`, safe for `sh`.
fn shell_quote(text: &str) -> String {
    crate::connection::quote::quote(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_twice_then_uninstall_restores_the_old_hook() {
        let tmp = tempfile::tempdir().expect("tmp");
        let bare = tmp.path().join("b.git");
        Repository::init_bare(&bare).expect("init");
        let old = "#!/bin/sh\necho old\n";
        std::fs::write(bare.join("hooks/post-receive"), old).expect("write");
        let exe = Path::new("/opt/it's/playhook");
        install(&bare, exe, true).expect("install");
        install(&bare, exe, true).expect("install again");
        let hook = std::fs::read_to_string(bare.join("hooks/post-receive")).expect("read");
        assert!(hook.contains("exec '/opt/it'\\''s/playhook' hook run"), "{hook}");
        assert!(bare.join("hooks/pre-receive").exists());
        assert_eq!(
            std::fs::read_to_string(bare.join("hooks/post-receive.before-playhook")).expect("b"),
            old
        );
        let mode = std::fs::metadata(bare.join("hooks/post-receive"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        let repo = Repository::open_bare(&bare).expect("open");
        assert!(
            repo.config()
                .expect("c")
                .get_bool("receive.advertisePushOptions")
                .expect("set")
        );
        assert!(bare.join("playhook.yaml").exists());

        install(&bare, exe, false).expect("install without verify");
        assert!(!bare.join("hooks/pre-receive").exists());
        uninstall(&bare).expect("uninstall");
        assert_eq!(
            std::fs::read_to_string(bare.join("hooks/post-receive")).expect("read"),
            old
        );
        assert!(!bare.join("hooks/post-receive.before-playhook").exists());
    }
}
