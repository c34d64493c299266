//! Temp entries a run killed outright (SIGKILL) left behind: named `PREFIX<pid>-<random>` by
//! the run that made them, removed by a later run once no process has that pid.

use std::path::Path;

/// Removes the entries of `dir` named `prefix<pid>-...` whose process is gone: directories
/// with their contents, files. Best effort: what cannot be removed now is tried again next time.
pub fn remove(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if gone(pid) {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// No process has `pid` (a pid that cannot be one counts as alive: nothing is removed for it).
fn gone(pid: i32) -> bool {
    rustix::process::Pid::from_raw(pid)
        .is_some_and(|p| rustix::process::test_kill_process(p) == Err(rustix::io::Errno::SRCH))
}
