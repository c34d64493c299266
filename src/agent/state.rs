//! What the agent remembers between passes, on disk (`<state dir>/state.json`, written
//! atomically): the applied commit, freeze and rollback pin, counters and the last pass. It
//! survives `systemctl restart`, crashes and reboots; nothing of it lives only in memory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::PassReport;

/// The agent's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The commit last applied successfully (or rolled back to).
    pub applied: Option<String>,
    pub applied_unix_ms: Option<i64>,
    /// The branch the applied commit came from.
    pub applied_branch: Option<String>,
    /// The commit the last fetch found on the followed branch.
    pub fetched: Option<String>,
    /// Applies nothing; passes still fetch and report how far behind the host is.
    pub frozen: bool,
    /// `rollback REV`: the commit the host is held at (frozen too).
    pub pin: Option<String>,
    /// Passes run, for the drift schedule.
    pub passes: u64,
    pub fetch_errors_total: u64,
    pub last_success_unix_ms: Option<i64>,
    /// The last pass, its log left out (it is in `last_log`).
    pub last: Option<PassReport>,
    pub last_log: Option<PathBuf>,
    /// The last drift pass's findings (tasks that would change), empty when none.
    pub drift: Vec<String>,
    pub drift_unix_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the agent state `{path}`: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the agent state `{path}` is damaged ({message}); move it aside to start afresh (the next pass applies the branch head)"
    )]
    Damaged { path: PathBuf, message: String },
    #[error("cannot write the agent state `{path}`: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl State {
    /// The state file in `state_dir`.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join("state.json")
    }

    /// Reads the state; a missing file is a fresh agent.
    pub fn load(state_dir: &Path) -> Result<State, StateError> {
        let path = State::path(state_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| StateError::Damaged {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(source) => Err(StateError::Read { path, source }),
        }
    }

    /// Writes the state atomically (mode 0600).
    pub fn save(&self, state_dir: &Path) -> Result<(), StateError> {
        let path = State::path(state_dir);
        let text = serde_json::to_string_pretty(self).expect("the state serializes");
        super::atomic::write_private(&path, text.as_bytes())
            .map(|_| ())
            .map_err(|source| StateError::Write { path, source })
    }

    /// `frozen`, `rollback` pinned, or tracking the branch.
    pub fn mode(&self) -> &'static str {
        match (&self.pin, self.frozen) {
            (Some(_), _) => "rolled back (frozen)",
            (None, true) => "frozen",
            (None, false) => "tracking",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_is_fresh_and_saved_reads_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        assert_eq!(State::load(tmp.path()).expect("fresh"), State::default());
        let s = State {
            applied: Some("a".repeat(40)),
            frozen: true,
            pin: Some("b".repeat(40)),
            passes: 7,
            ..State::default()
        };
        s.save(tmp.path()).expect("save");
        assert_eq!(State::load(tmp.path()).expect("load"), s);
        assert_eq!(s.mode(), "rolled back (frozen)");
        std::fs::write(State::path(tmp.path()), "{").expect("damage");
        let e = State::load(tmp.path()).expect_err("damaged").to_string();
        assert!(e.contains("move it aside"), "{e}");
    }
}
