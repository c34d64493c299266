//! Where the hook keeps its files inside the bare repository.
//!
//! ```text
//! BARE.git/playhook.yaml            rules: which refs deploy what (written by `hook install`)
//! BARE.git/secret.key               optional secrets key (mode 0600), unless SECRETS_KEY is set
//! BARE.git/playhook/logs/           one log (and one JSONL event file) per deploy
//! BARE.git/playhook/locks/          one lock file per environment, and its queue
//! BARE.git/playhook/pending/        handlers notified but not run, per environment
//! BARE.git/playhook/running/        the marker of the deploy in progress, per environment
//! refs/notes/playhook               one note per deployed commit: the deploy records
//! ```

use std::path::{Path, PathBuf};

/// The notes ref holding the deploy records.
pub const NOTES_REF: &str = "refs/notes/playhook";

/// Paths of the hook's files in one bare repository.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The repository's git directory (the bare repository itself).
    pub git_dir: PathBuf,
}

impl Layout {
    pub fn new(git_dir: impl Into<PathBuf>) -> Self {
        Layout {
            git_dir: git_dir.into(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.git_dir.join("playhook.yaml")
    }

    pub fn secret_key(&self) -> PathBuf {
        self.git_dir.join("secret.key")
    }

    pub fn state(&self) -> PathBuf {
        self.git_dir.join("playhook")
    }

    pub fn logs(&self) -> PathBuf {
        self.state().join("logs")
    }

    pub fn locks(&self) -> PathBuf {
        self.state().join("locks")
    }

    pub fn pending(&self, environment: &str) -> PathBuf {
        self.state().join("pending").join(format!("{environment}.json"))
    }

    /// The marker of the environment's deploy in progress (see [`super::running`]).
    pub fn running(&self, environment: &str) -> PathBuf {
        self.state().join("running").join(format!("{environment}.json"))
    }

    pub fn hooks(&self) -> PathBuf {
        self.git_dir.join("hooks")
    }

    /// A path relative to the repository, for records and messages.
    pub fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.git_dir).unwrap_or(path)
    }
}
