//! A private scratch directory for decrypted text (`secrets edit`): mode 0700, files 0600, every
//! file overwritten with zeros and removed when the directory is dropped, on success or failure.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::SecretsError;

/// A directory only the current user can enter, wiped on drop.
pub struct PrivateDir {
    dir: Option<tempfile::TempDir>,
}

impl PrivateDir {
    /// Creates the directory under `base` (prefer a memory-backed one such as `/dev/shm`).
    pub fn new_in(base: &Path) -> Result<PrivateDir, SecretsError> {
        let err = |source| SecretsError::Write {
            path: base.to_path_buf(),
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix("playhook-secrets-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(base)
            .map_err(err)?;
        let mode = std::fs::metadata(dir.path()).map_err(err)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            return Err(err(std::io::Error::other(format!(
                "the private directory got mode {mode:o} instead of 700"
            ))));
        }
        Ok(PrivateDir { dir: Some(dir) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("the directory lives until drop").path()
    }

    /// Writes `text` to a new file `name` (mode 0600) in the directory.
    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, SecretsError> {
        let path = self.path().join(name);
        let err = |source| SecretsError::Write {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(err)?;
        file.write_all(text.as_bytes()).map_err(err)?;
        file.sync_all().map_err(err)?;
        Ok(path)
    }

    /// Reads a file of the directory back.
    pub fn read(&self, path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        std::fs::read(path)
            .map(Zeroizing::new)
            .map_err(|source| SecretsError::Read {
                path: path.to_path_buf(),
                source,
            })
    }
}

/// Overwrites every regular file under `dir` with zeros (editors leave swap and backup files).
fn scrub(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() {
            scrub(&path);
        } else if kind.is_file() {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(&path) {
                let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
                let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
            }
            let _ = std::fs::remove_file(&path);
        }
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            scrub(dir.path());
            // TempDir removes whatever is left; an error here has nowhere to go.
            let _ = dir.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_is_private_and_wiped() {
        let base = tempfile::tempdir().expect("tempdir");
        let kept_path;
        {
            let dir = PrivateDir::new_in(base.path()).expect("private dir");
            kept_path = dir.path().to_path_buf();
            let file = dir.write("s.yaml", "secret: x\n").expect("write");
            let mode = std::fs::metadata(&file).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            assert_eq!(&dir.read(&file).expect("read")[..], b"secret: x\n");
            std::fs::write(dir.path().join(".s.yaml.swp"), "leftover").expect("swap file");
        }
        assert!(!kept_path.exists());
    }
}
