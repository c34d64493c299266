//! Files the agent keeps (configuration, state, units): written whole or not at all — a
//! temporary file beside the target, flushed to disk, then renamed over it — so a crash or a
//! power cut leaves the old content or the new, never half of it.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Writes `data` to `path` with `mode`, creating its directory (0755) if needed. Returns
/// whether the content or the mode changed.
pub fn write(path: &Path, data: &[u8], mode: u32) -> std::io::Result<bool> {
    if let Ok(old) = std::fs::read(path) {
        let same_mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777 == mode)
            .unwrap_or(false);
        if old == data && same_mode {
            return Ok(false);
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself reaches the disk with the directory.
        std::fs::File::open(dir).and_then(|d| d.sync_all())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

/// [`write`] with mode 0600: readable by the owner (root) only.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<bool> {
    write(path, data, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_reports_changes() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("a/b/state.json");
        assert!(write(&p, b"one", 0o644).expect("write"));
        assert!(!write(&p, b"one", 0o644).expect("same"));
        assert!(write(&p, b"one", 0o600).expect("mode changed"));
        assert!(write(&p, b"two", 0o600).expect("content changed"));
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        let left: Vec<_> = std::fs::read_dir(p.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary files left: {left:?}");
    }
}
