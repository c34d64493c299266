//! Errors from reading inventory sources and variable files.

use std::path::PathBuf;

use crate::loc::Loc;
use crate::yaml::YamlError;

/// An inventory that cannot be loaded. Messages name the file and line, or the script.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("inventory source `{}` does not exist; check `-i` or `inventory` in ansible.cfg", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read inventory source `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Yaml(#[from] YamlError),
    #[error("{loc}: {message}")]
    Invalid { loc: Loc, message: String },
    #[error("inventory script `{}` could not be run; check that it is executable and its `#!` line names an installed interpreter", path.display())]
    ScriptSpawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("inventory script `{} {args}` exited with status {status}{}", path.display(), quote_stderr(stderr))]
    ScriptFailed {
        path: PathBuf,
        args: String,
        status: String,
        stderr: String,
    },
    #[error("inventory script `{} {args}` printed invalid JSON ({message}){}", path.display(), quote_stderr(stderr))]
    ScriptJson {
        path: PathBuf,
        args: String,
        message: String,
        stderr: String,
    },
    #[error("inventory script `{}`: {message}", path.display())]
    ScriptData { path: PathBuf, message: String },
}

impl InventoryError {
    pub(crate) fn invalid(loc: &Loc, message: impl Into<String>) -> Self {
        InventoryError::Invalid {
            loc: loc.clone(),
            message: message.into(),
        }
    }
}

fn quote_stderr(stderr: &str) -> String {
    let trimmed = stderr.trim_end();
    if trimmed.is_empty() {
        "; it wrote nothing on stderr".to_string()
    } else {
        let quoted: Vec<String> = trimmed.lines().map(|l| format!("  | {l}")).collect();
        format!("; its stderr:\n{}", quoted.join("\n"))
    }
}
