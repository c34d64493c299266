//! What can go wrong with a secrets file. Every message is one line naming the file and, where
//! there is one, the key path; no message ever contains a decrypted value.

use std::path::PathBuf;

use super::path::KeyPath;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not UTF-8 text (bad byte at offset {offset}): the file is damaged; restore it from git", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("both `{}` and `{}` exist: keep one secrets file", first.display(), second.display())]
    Ambiguous { first: PathBuf, second: PathBuf },
    #[error("`{}` has no `_playhook` section: the file is truncated or was not written by playhook; restore it from git", path.display())]
    NoMetadata { path: PathBuf },
    #[error("`{}`: `_playhook.{field}` {message}", path.display())]
    BadMetadata {
        path: PathBuf,
        field: &'static str,
        message: String,
    },
    #[error("`{}`: `_playhook.version` is {found}, but this playhook reads format version {supported} only: upgrade playhook", path.display())]
    UnsupportedVersion {
        path: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("`{}`: `{key_path}`: {message}", path.display())]
    BadValue {
        path: PathBuf,
        key_path: KeyPath,
        message: String,
    },
    #[error("`{}`: the key from {origin} does not open this file (`_playhook.key_check` does not match): wrong key", path.display())]
    WrongKey { path: PathBuf, origin: String },
    #[error("`{}`: `{key_path}`: the encrypted value does not open with this key: it was altered or moved from another key; restore it from git", path.display())]
    Tampered { path: PathBuf, key_path: KeyPath },
    #[error("`{}`: `_playhook.mac` does not match the entries: an entry was added, removed, reordered or replaced, or the MAC was altered; restore the file from git", path.display())]
    MacMismatch { path: PathBuf },
    #[error("no key for `{}`: {looked}", path.display())]
    NoKey { path: PathBuf, looked: String },
    #[error("key file `{}` is readable by group or others (mode {mode:04o}): run `chmod 600 {}`", path.display(), path.display())]
    KeyFileOpen { path: PathBuf, mode: u32 },
    #[error("cannot read key file `{}`", path.display())]
    KeyFileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the key from {origin} is empty")]
    EmptyKey { origin: String },
    #[error("`{}`: cannot derive the key with Argon2id: {message}", path.display())]
    Kdf { path: PathBuf, message: String },
    #[error("`{}`: `{key_path}`: {message}", path.display())]
    Path {
        path: PathBuf,
        key_path: KeyPath,
        message: String,
    },
}
