//! The private temp dir of one SSH connection (control socket, master log, askpass socket), and
//! the clean-up of those a killed run left behind.
//!
//! The dir is `TMPDIR/playhook-ssh-<pid>-<random>`: a run removes it when the connection closes,
//! but a run killed outright (SIGKILL) cannot, so the first connection of every run removes the
//! dirs whose run (pid) is gone. Their masters, if still up, exit on their own (ControlPersist).

use std::sync::Once;

/// Session dirs are named `PREFIX<pid>-<random>`.
const PREFIX: &str = "playhook-ssh-";

/// Creates this run's session dir for one connection (once per run, first removing the dirs of
/// runs that are gone).
pub fn create() -> std::io::Result<tempfile::TempDir> {
    static CLEANED: Once = Once::new();
    let temp = std::env::temp_dir();
    CLEANED.call_once(|| crate::orphans::remove(&temp, PREFIX));
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(&temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_of_dead_runs_are_removed_and_live_ones_kept() {
        let temp = tempfile::tempdir().expect("tmp");
        let mut finished = std::process::Command::new("true").spawn().expect("spawn");
        let dead = finished.id();
        finished.wait().expect("wait");
        let orphan = temp.path().join(format!("{PREFIX}{dead}-abc123"));
        let live = temp.path().join(format!("{PREFIX}{}-def456", std::process::id()));
        let old_style = temp.path().join(format!("{PREFIX}xyz123"));
        for dir in [&orphan, &live, &old_style] {
            std::fs::create_dir_all(dir).expect("mkdir");
            std::fs::write(dir.join("log"), "").expect("write");
        }
        crate::orphans::remove(temp.path(), PREFIX);
        assert!(!orphan.exists(), "the dead run's dir is gone");
        assert!(live.exists() && old_style.exists());
    }
}
