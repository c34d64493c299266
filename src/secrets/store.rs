//! An opened secrets file: decrypt and verify on open, change the plaintext in memory, write it
//! back re-using the ciphertext of every unchanged value so `git diff` shows only real changes.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use super::crypto::{EncValue, KdfParams, Keys};
use super::error::SecretsError;
use super::format::{self, EncDoc, Format, Meta};
use super::key::{KeySource, load_passphrase};
use super::path::KeyPath;
use super::tree::{Scalar, Tree};

/// A decrypted secrets file and the key that opened it.
pub struct SecretsFile {
    path: PathBuf,
    kdf: KdfParams,
    keys: Keys,
    key_origin: String,
    plain: Tree<Scalar>,
    /// The file as last read or written, to keep unchanged ciphertexts.
    stored: Option<(Tree<EncValue>, Tree<Scalar>)>,
}

impl SecretsFile {
    /// Reads, verifies and decrypts the file at `path`: the key check, every value, the MAC.
    pub fn open(path: &Path, key: &KeySource) -> Result<SecretsFile, SecretsError> {
        let bytes = std::fs::read(path).map_err(|source| SecretsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let doc = format::parse(&bytes, path)?;
        Self::unlock(doc, path, key)
    }

    /// Verifies and decrypts an already parsed file.
    pub fn unlock(doc: EncDoc, path: &Path, key: &KeySource) -> Result<SecretsFile, SecretsError> {
        let passphrase = load_passphrase(key, path)?;
        let keys = doc
            .meta
            .kdf
            .derive(&passphrase.bytes)
            .map_err(|message| SecretsError::Kdf {
                path: path.to_path_buf(),
                message,
            })?;
        if !keys.key_check_matches(&doc.meta.key_check) {
            return Err(SecretsError::WrongKey {
                path: path.to_path_buf(),
                origin: passphrase.origin,
            });
        }
        let plain = doc.tree.try_map(&mut |key_path: &KeyPath, value: &EncValue| {
            keys.open(key_path, value).ok_or_else(|| SecretsError::Tampered {
                path: path.to_path_buf(),
                key_path: key_path.clone(),
            })
        })?;
        if !keys.file_mac_matches(&format::mac_input(&doc.meta, &doc.tree), &doc.meta.mac) {
            return Err(SecretsError::MacMismatch {
                path: path.to_path_buf(),
            });
        }
        Ok(SecretsFile {
            path: path.to_path_buf(),
            kdf: doc.meta.kdf,
            keys,
            key_origin: passphrase.origin,
            plain: plain.clone(),
            stored: Some((doc.tree, plain)),
        })
    }

    /// A new, empty secrets file in memory (written by [`SecretsFile::save`]).
    pub fn create(path: &Path, key: &KeySource) -> Result<SecretsFile, SecretsError> {
        let passphrase = load_passphrase(key, path)?;
        let kdf = KdfParams::fresh();
        let keys = kdf
            .derive(&passphrase.bytes)
            .map_err(|message| SecretsError::Kdf {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(SecretsFile {
            path: path.to_path_buf(),
            kdf,
            keys,
            key_origin: passphrase.origin,
            plain: Tree::empty_map(),
            stored: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the key came from, in words (`SECRETS_KEY`, "key file `...`").
    pub fn key_origin(&self) -> &str {
        &self.key_origin
    }

    pub fn plain(&self) -> &Tree<Scalar> {
        &self.plain
    }

    pub fn plain_mut(&mut self) -> &mut Tree<Scalar> {
        &mut self.plain
    }

    /// Whether the plaintext differs from what the file holds.
    pub fn is_changed(&self) -> bool {
        self.stored.as_ref().is_none_or(|(_, plain)| plain != &self.plain)
    }

    /// Switches to a new key (fresh salt): the next save re-encrypts every value.
    pub fn rekey(&mut self, key: &KeySource) -> Result<(), SecretsError> {
        let passphrase = load_passphrase(key, &self.path)?;
        let kdf = KdfParams::fresh();
        self.keys = kdf
            .derive(&passphrase.bytes)
            .map_err(|message| SecretsError::Kdf {
                path: self.path.clone(),
                message,
            })?;
        self.kdf = kdf;
        self.key_origin = passphrase.origin;
        self.stored = None;
        Ok(())
    }

    /// Encrypts and writes the file atomically (temp file in the same directory, then rename).
    pub fn save(&mut self) -> Result<(), SecretsError> {
        let stored = self.stored.take();
        let keys = &self.keys;
        let enc = self.plain.try_map(&mut |key_path: &KeyPath, value: &Scalar| {
            let reused =
                stored
                    .as_ref()
                    .and_then(|(enc, plain)| match (plain.get(key_path), enc.get(key_path)) {
                        (Some(Tree::Leaf(old)), Some(Tree::Leaf(sealed))) if old == value => {
                            Some(sealed.clone())
                        }
                        _ => None,
                    });
            Ok::<_, std::convert::Infallible>(reused.unwrap_or_else(|| keys.seal(key_path, value)))
        });
        let enc = match enc {
            Ok(enc) => enc,
            Err(never) => match never {},
        };
        let mut meta = Meta {
            kdf: self.kdf.clone(),
            key_check: keys.key_check(),
            mac: Vec::new(),
        };
        meta.mac = keys.file_mac(&format::mac_input(&meta, &enc));
        let doc = EncDoc { meta, tree: enc };
        let text = format::render(&doc, Format::of(&self.path));
        write_atomic(&self.path, text.as_bytes())?;
        self.stored = Some((doc.tree, self.plain.clone()));
        Ok(())
    }
}

/// Replaces `path` with `bytes` through a temp file in the same directory, keeping its mode.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    let err = |source| SecretsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    let mut tmp = tempfile::Builder::new()
        .prefix(".playhook-secrets-")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
