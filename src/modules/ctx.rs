//! [`ModuleCtx`]: everything a module may use while it runs on one host, and the helpers that
//! run its commands there with the task's `become`, `environment` and timeout applied.

use std::path::{Path, PathBuf};
use std::time::Duration;

use minijinja::Value;

use super::ModuleError;
use crate::connection::{Command, Connection, ConnectionError, LiveLines, Output, Via};
use crate::template::Engine;

/// Everything a module may use while it runs on one host.
pub struct ModuleCtx<'a> {
    pub conn: &'a mut dyn Connection,
    pub host: &'a str,
    pub check: bool,
    pub diff: bool,
    /// The task's `become`, `environment` and timeout, for every command it runs.
    pub via: Via,
    /// The role the task came from, where `files/` and `templates/` are looked up.
    pub role_path: Option<&'a Path>,
    /// The directory of the file the task is written in.
    pub task_dir: Option<&'a Path>,
    /// The playbook's directory, the fallback for `files/` and `templates/`.
    pub playbook_dir: &'a Path,
    pub templates: &'a Engine,
    /// All variables visible to the task (for the `template` module and conditions).
    pub vars: &'a Value,
    pub live: Option<&'a LiveLines>,
    /// Whether anything reads the result beyond changed and failed (`register`, `changed_when`,
    /// `failed_when`, `until`, `-v`). Only then does a module spend work on fields nobody would
    /// see otherwise, such as the stat of a file it just wrote.
    pub result_seen: bool,
    /// The task runs on another host than its own (`delegate_to: localhost`): `conn` is that
    /// host's. A module whose work is about the task's own host (`synchronize`) refuses it.
    pub delegated: bool,
}

impl ModuleCtx<'_> {
    /// A command running `script` as the task runs its commands.
    pub fn command(&self, script: impl Into<String>) -> Command {
        self.via.command(script)
    }

    /// Runs `script` on the host and waits for it.
    pub async fn run(&mut self, script: impl Into<String>) -> Result<Output, ConnectionError> {
        let cmd = self.command(script);
        self.conn.run(&cmd, None).await
    }

    /// Runs `cmd` with its output lines shown live.
    pub async fn run_live(&mut self, cmd: &Command) -> Result<Output, ConnectionError> {
        self.conn.run(cmd, self.live).await
    }

    /// Closes the host's connection and opens it again to the same target (one attempt), for
    /// modules that wait for a host to come back (`reboot`, `wait_for_connection`). Their retry
    /// loops decide how long to keep trying; `connect_timeout` bounds each login.
    pub async fn reconnect(&mut self, connect_timeout: Option<Duration>) -> Result<(), ConnectionError> {
        self.conn.reopen(connect_timeout).await
    }

    /// Finds a task's controller file (`src`) with [`source_search_path`]'s order.
    pub fn find_source(&self, subdir: &str, src: &str) -> Result<PathBuf, ModuleError> {
        find_source(self.role_path, self.task_dir, self.playbook_dir, subdir, src).map_err(ModuleError::Local)
    }
}

/// Where a task's controller file (`copy`'s and `template`'s `src`) is looked for, as Ansible's
/// action plugins search: the role's `SUBDIR/` and the role directory, the task file's
/// directory's `SUBDIR/` and itself, then the playbook directory's `SUBDIR/` and itself.
/// One implementation, used by the modules and the pre-run checks alike.
pub fn source_search_path(
    role: Option<&Path>,
    task_dir: Option<&Path>,
    playbook_dir: &Path,
    subdir: &str,
) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut add = |dir: &Path| {
        for candidate in [dir.join(subdir), dir.to_path_buf()] {
            if !dirs.contains(&candidate) {
                dirs.push(candidate);
            }
        }
    };
    if let Some(role) = role {
        add(role);
    }
    if let Some(dir) = task_dir {
        add(dir);
    }
    add(playbook_dir);
    dirs
}

/// The file `src` names: absolute as given, else the first hit along [`source_search_path`];
/// the error lists where it looked.
pub fn find_source(
    role: Option<&Path>,
    task_dir: Option<&Path>,
    playbook_dir: &Path,
    subdir: &str,
    src: &str,
) -> Result<PathBuf, String> {
    let path = Path::new(src);
    if path.is_absolute() {
        return match path.exists() {
            true => Ok(path.to_path_buf()),
            false => Err(format!("could not find `{src}` on the controller")),
        };
    }
    let dirs = source_search_path(role, task_dir, playbook_dir, subdir);
    if let Some(found) = dirs.iter().map(|d| d.join(path)).find(|c| c.exists()) {
        return Ok(found);
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "could not find `{src}`; searched: {}",
        searched.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_is_role_task_dir_playbook() {
        let dirs = source_search_path(
            Some(Path::new("/r/roles/web")),
            Some(Path::new("/r/roles/web/tasks")),
            Path::new("/r"),
            "files",
        );
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        assert_eq!(
            shown,
            [
                "/r/roles/web/files",
                "/r/roles/web",
                "/r/roles/web/tasks/files",
                "/r/roles/web/tasks",
                "/r/files",
                "/r"
            ]
        );
    }

    #[test]
    fn a_file_beside_the_task_file_is_found() {
        let root = tempfile::tempdir().expect("tempdir");
        let tasks = root.path().join("tasks");
        std::fs::create_dir_all(tasks.join("files")).expect("mkdir");
        std::fs::write(tasks.join("files/motd"), "hi").expect("write");
        let found = find_source(None, Some(&tasks), root.path(), "files", "motd").expect("found");
        assert_eq!(found, tasks.join("files/motd"));
        let err = find_source(None, Some(&tasks), root.path(), "files", "nope").expect_err("missing");
        assert!(err.contains("searched:") && err.contains("tasks/files"), "{err}");
    }
}
