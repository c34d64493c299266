//! Encrypted secrets: the file format, key loading, and the values' masking.
//!
//! A repository keeps its secrets in `secrets.yaml` (or `secrets.json`): readable keys, each
//! value sealed with AES-256-GCM under its key path, a MAC over the whole file, the key derived
//! from a passphrase with Argon2id. [`Secrets::open`] is what a deploy calls; the command line
//! (`playhook secrets ...`) uses [`SecretsFile`] to change the file.

mod crypto;
mod edit;
mod emit;
mod error;
pub mod format;
mod key;
mod learned;
mod log_mask;
mod masker;
mod path;
mod plain;
mod secret_string;
mod store;
mod tree;

use std::path::{Path, PathBuf};

use minijinja::Value;

pub use edit::PrivateDir;
pub use error::SecretsError;
pub use format::{FILE_NAMES, FORMAT_VERSION, Format, META_KEY, find as find_file};
pub use key::{KEY_FILE_NAME, KeySource, generate_key_file, read_key_file};
pub use learned::LearnedSecrets;
pub use log_mask::{MaskedLine, MaskedStderr, mask_log_text, mask_logs_with};
pub use masker::{MASK, MIN_MASKED_LEN, Masker};
pub use path::{KeyPath, KeyPathError, Segment};
pub use plain::{parse_plain, to_plain_yaml};
pub use secret_string::SecretString;
pub use store::{SecretsFile, write_atomic};
pub use tree::{Kind, Scalar, Tree};

/// A repository's decrypted secrets, ready for templates and for masking output.
pub struct Secrets {
    path: PathBuf,
    tree: Tree<Scalar>,
    masker: Masker,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({})", self.path.display())
    }
}

impl Secrets {
    /// Opens the secrets file of the repository at `repo_dir` (`secrets.yaml`, `secrets.yml` or
    /// `secrets.json`), verifying the key, every value and the MAC. `None` when there is none.
    /// The key is derived once, here.
    pub fn open(repo_dir: &Path, key: &KeySource) -> Result<Option<Secrets>, SecretsError> {
        let Some(path) = format::find(repo_dir)? else {
            return Ok(None);
        };
        let file = SecretsFile::open(&path, key)?;
        Ok(Some(Secrets::from_file(&file)))
    }

    /// The secrets of an opened file. From now on this process's debug logs written through
    /// [`MaskedStderr`] mask them too.
    pub fn from_file(file: &SecretsFile) -> Secrets {
        let tree = file.plain().clone();
        let leaves = tree.leaves();
        let masked = leaves
            .iter()
            .filter(|(_, s)| matches!(s.kind, Kind::Str | Kind::Int | Kind::Float))
            .map(|(_, s)| s.text.expose());
        let masker = Masker::new(masked);
        mask_logs_with(&masker);
        Secrets {
            path: file.path().to_path_buf(),
            tree,
            masker,
        }
    }

    /// The file the secrets came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `secrets` template variable: nested mappings and lists of the decrypted values.
    pub fn to_value(&self) -> Value {
        self.tree.to_value()
    }

    /// The decrypted tree.
    pub fn tree(&self) -> &Tree<Scalar> {
        &self.tree
    }

    /// The value at a key path, as templates would see it.
    pub fn get(&self, path: &KeyPath) -> Option<Value> {
        self.tree.get(path).map(Tree::to_value)
    }

    /// A masker for every value (cheap to clone and share between threads).
    pub fn masker(&self) -> Masker {
        self.masker.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_maskers_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Secrets>();
        shared::<Masker>();
    }
}
