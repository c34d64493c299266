//! The hook's error type: each variant names the file, repository or key it concerns.

use std::path::PathBuf;

/// What went wrong in the hook, its installer, or the deploy records.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// A file or directory could not be read or written.
    #[error("{action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A git operation on the repository failed.
    #[error("{action} in `{}`", repo.display())]
    Git {
        action: String,
        repo: PathBuf,
        #[source]
        source: git2::Error,
    },
    /// `playhook.yaml` is not valid.
    #[error("{}:{line}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The secrets key file is readable by others.
    #[error(
        "`{}` has mode {mode:04o}: the secrets key must be readable by its owner only; \
         run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    KeyMode { path: PathBuf, mode: u32 },
    /// Input the user gave (a push option, a revision, an argument) is not usable.
    #[error("{0}")]
    Invalid(String),
}

impl HookError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HookError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn git(action: impl Into<String>, repo: impl Into<PathBuf>, source: git2::Error) -> Self {
        HookError::Git {
            action: action.into(),
            repo: repo.into(),
            source,
        }
    }
}
