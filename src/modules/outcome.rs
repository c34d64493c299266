//! What a module returns: an [`Outcome`] when it succeeded (changed or not), a [`ModuleError`]
//! when the task failed, and the [`Diff`]s shown with `--diff`.

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::ConnectionError;
use crate::connection::files::FileError;

/// A before/after pair for `--diff`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Diff {
    pub before_header: String,
    pub after_header: String,
    pub before: String,
    pub after: String,
    /// Text shown as it is instead of a before/after diff (Ansible's `prepared` diffs: the
    /// package lists of `apt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepared: Option<String>,
}

/// What a module did, when it did not fail.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    pub diff: Vec<Diff>,
    /// Module-specific results (`rc`, `stdout`, `content`, `stat`, `ansible_facts`, ...), as registered.
    pub data: IndexMap<String, Value>,
}

impl Outcome {
    /// Nothing to do.
    pub fn ok() -> Self {
        Outcome::default()
    }

    /// Changed, or not.
    pub fn changed(changed: bool) -> Self {
        Outcome {
            changed,
            ..Outcome::default()
        }
    }

    /// Adds a registered result field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_string(), value.into());
        self
    }
}

/// Why a task failed.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// Bad or missing parameters (after templating).
    #[error("{0}")]
    Params(String),
    /// A file the task names on the controller is missing or unreadable.
    #[error("{0}")]
    Local(String),
    /// The module ran and the host said no: the message, and the result fields Ansible
    /// registers with it (`rc`, `stdout`, ...; `changed` too when something changed first).
    #[error("{msg}")]
    Failed {
        msg: String,
        data: IndexMap<String, Value>,
    },
    /// The connection broke or a command timed out.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

impl ModuleError {
    /// A failure with a message.
    pub fn failed(msg: impl Into<String>) -> Self {
        ModuleError::Failed {
            msg: msg.into(),
            data: IndexMap::new(),
        }
    }

    /// A failure that registers the fields of `outcome` (its `msg` is the failure's message,
    /// its `changed` flag is kept).
    pub fn failed_with(msg: impl Into<String>, outcome: Outcome) -> Self {
        let mut data = outcome.data;
        data.insert("changed".to_string(), Value::from(outcome.changed));
        if !outcome.diff.is_empty() {
            let diffs: Vec<Value> = outcome
                .diff
                .iter()
                .map(|d| Value::from(minijinja::value::Serde(d)))
                .collect();
            data.insert("diff".to_string(), Value::from(diffs));
        }
        ModuleError::Failed {
            msg: msg.into(),
            data,
        }
    }

    /// Adds a registered result field to a failure (other errors are returned unchanged).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let ModuleError::Failed { data, .. } = &mut self {
            data.insert(key.to_string(), value.into());
        }
        self
    }
}

/// A file operation's error as the task's: the host refusing fails the task, a broken
/// connection is the connection's error.
impl From<FileError> for ModuleError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Connection(c) => ModuleError::Connection(c),
            remote @ FileError::Remote { .. } => ModuleError::failed(remote.to_string()),
        }
    }
}
