//! Remote file primitives, each a short script run over [`Connection::run`]: stat (with a
//! sha1 checksum), reading a file's bytes, atomic writes (temp file in the target directory,
//! mode/owner/group set, then rename), directories with modes, and attribute changes.
//!
//! Every function takes the `become` the task asked for, so files are read and written as the
//! user the task runs as. Needs only `sh` and coreutils on the host.

mod attrs;
mod mode;
mod stat;
mod stat_script;
mod write;

pub use attrs::{
    AttrChanges, AttrFields, FileAttrs, TreeEntry, apply_attrs, attrs_differ, attrs_lines, ensure_dir,
    ensure_dir_script, list_tree,
};
pub use mode::{Mode, ModeError, format_mode};
pub use stat::{
    FileKind, FileStat, StatOptions, run_then_stat, stat, stat_and_run, stat_each, stat_many, stat_run_stat,
};
pub use write::{
    WriteOptions, WriteResult, copy_remote_atomic, read, read_resolved, read_with_stat, remove, write_atomic,
};

use super::{Connection, ConnectionError, Output, Via};

/// A file operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The host refused the operation (permission denied, missing directory, unknown user...).
    #[error("{path}: {message}")]
    Remote { path: String, message: String },
}

/// Runs `script` with the task's `become`, environment and timeout, and optional stdin.
pub(crate) async fn run_script(
    conn: &mut dyn Connection,
    script: String,
    stdin: Option<Vec<u8>>,
    via: &Via,
) -> Result<Output, ConnectionError> {
    let mut cmd = via.command(script);
    cmd.stdin = stdin;
    conn.run(&cmd, None).await
}

/// The error for a script that failed on `path`, from its stderr.
pub(crate) fn remote_error(path: &str, out: &Output) -> FileError {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = match stderr.trim() {
        "" => format!("failed with exit status {}", out.rc),
        text => text.to_string(),
    };
    FileError::Remote {
        path: path.to_string(),
        message,
    }
}
