//! Where the key comes from: a passphrase handed in by the caller (the command line reads
//! `SECRETS_KEY`), or a key file that only its owner can read.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::RngCore;
use zeroize::Zeroizing;

use super::error::SecretsError;
use super::secret_string::SecretString;

/// The name of the key file looked for beside the secrets file.
pub const KEY_FILE_NAME: &str = "secret.key";

/// Where to get the passphrase that opens a secrets file.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A passphrase the caller already has; `origin` names it in messages (`SECRETS_KEY`).
    Passphrase {
        passphrase: SecretString,
        origin: String,
    },
    /// A key file given explicitly.
    KeyFile(PathBuf),
    /// `secret.key` beside the secrets file.
    BesideFile,
}

impl KeySource {
    pub fn passphrase(passphrase: SecretString, origin: &str) -> KeySource {
        KeySource::Passphrase {
            passphrase,
            origin: origin.to_string(),
        }
    }

    /// The key file this source reads for the secrets file at `secrets_path`, if it is one.
    pub fn key_file_for(&self, secrets_path: &Path) -> Option<PathBuf> {
        match self {
            KeySource::Passphrase { .. } => None,
            KeySource::KeyFile(path) => Some(path.clone()),
            KeySource::BesideFile => Some(
                secrets_path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(KEY_FILE_NAME),
            ),
        }
    }
}

/// A passphrase with the words that name where it came from.
pub struct Passphrase {
    pub bytes: Zeroizing<Vec<u8>>,
    pub origin: String,
}

/// Reads the passphrase for the secrets file at `secrets_path`.
pub fn load_passphrase(source: &KeySource, secrets_path: &Path) -> Result<Passphrase, SecretsError> {
    let (bytes, origin) = match source {
        KeySource::Passphrase { passphrase, origin } => (
            Zeroizing::new(passphrase.expose().as_bytes().to_vec()),
            origin.clone(),
        ),
        _ => {
            let path = source
                .key_file_for(secrets_path)
                .expect("a key file source has a path");
            if !path.exists() {
                return Err(SecretsError::NoKey {
                    path: secrets_path.to_path_buf(),
                    looked: format!(
                        "SECRETS_KEY is not set and the key file `{}` does not exist; set SECRETS_KEY or put the key in that file (mode 600)",
                        path.display()
                    ),
                });
            }
            (read_key_file(&path)?, format!("key file `{}`", path.display()))
        }
    };
    if bytes.is_empty() {
        return Err(SecretsError::EmptyKey { origin });
    }
    Ok(Passphrase { bytes, origin })
}

/// Reads a key file, refusing one that group or others can read or write. One trailing line
/// break is not part of the key.
pub fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let read_err = |source| SecretsError::KeyFileRead {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::KeyFileOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    let mut bytes = Zeroizing::new(std::fs::read(path).map_err(read_err)?);
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    Ok(bytes)
}

/// Creates a new key file (mode 600, refusing to overwrite) holding 32 random bytes in base64.
pub fn generate_key_file(path: &Path) -> Result<(), SecretsError> {
    let write_err = |source| SecretsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut raw = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(raw.as_mut());
    let mut text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(raw.as_ref()));
    text.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    file.write_all(text.as_bytes()).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}
