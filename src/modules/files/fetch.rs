//! `fetch`: a file of the target copied to the controller, as ansible-core 2.19's action:
//! `dest/<inventory_hostname>/<src path>` (or `dest` itself with `flat`, a directory when it
//! ends in `/`), relative paths from the playbook's directory; written only when the sha1
//! differs, atomically (a temp file beside it, renamed). `fail_on_missing`,
//! `validate_checksum`. One round trip reads the file and its stat. Skipped in check mode, as
//! Ansible skips it.

use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use serde::Deserialize;

use super::dest::{md5_hex, sha1_hex};
use crate::connection::files;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Fetch;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    src: Option<String>,
    dest: Option<String>,
    flat: Option<bool>,
    fail_on_missing: Option<bool>,
    validate_checksum: Option<bool>,
}

#[async_trait]
impl TypedModule for Fetch {
    type Params = Params;

    const SPEC: Spec = Spec::host("fetch").without_async();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if ctx.check {
            return Ok(Outcome {
                skipped: true,
                msg: Some("check mode not (yet) supported for this module".into()),
                ..Outcome::default()
            });
        }
        let (Some(src), Some(orig_dest)) = (p.src.clone(), p.dest.clone()) else {
            return Err(ModuleError::failed("src and dest are required"));
        };
        let fail_on_missing = p.fail_on_missing.unwrap_or(true);
        let read = files::read_with_stat(ctx.conn, &src, &ctx.via).await?;
        let (st, data) = match read {
            None => {
                let msg = "the remote file does not exist, not transferring, ignored";
                if fail_on_missing {
                    // Ansible 2.19 registers the slurp failure's placeholder traceback.
                    return Err(ModuleError::failed(msg).with("exception", "(traceback unavailable)"));
                }
                return Ok(Outcome {
                    msg: Some(msg.into()),
                    ..Outcome::default()
                }
                .with("file", src.as_str()));
            }
            Some(found) => found,
        };
        if st.is_dir() {
            let msg = "remote file is a directory, fetch cannot work on directories";
            if fail_on_missing {
                return Err(ModuleError::failed(msg));
            }
            return Ok(Outcome {
                msg: Some(format!("{msg}, not transferring, ignored")),
                ..Outcome::default()
            });
        }
        let remote_checksum = sha1_hex(&data);
        let base = |d: &str| -> PathBuf {
            let path = Path::new(d);
            if path.is_absolute() {
                path.to_path_buf()
            } else {
                ctx.playbook_dir.join(path)
            }
        };
        let dest = if p.flat.unwrap_or(false) {
            let d = base(&orig_dest);
            if d.is_dir() && !orig_dest.ends_with('/') {
                return Err(ModuleError::failed(
                    "dest is an existing directory, use a trailing slash if you want to fetch src into that directory",
                ));
            }
            if orig_dest.ends_with('/') {
                let name = Path::new(&src)
                    .file_name()
                    .map(|n| n.to_os_string())
                    .unwrap_or_default();
                let d = d.join(name);
                if d.is_dir() {
                    return Err(ModuleError::failed(format!(
                        "calculated dest '{}' is an existing directory, use another path that does not point to an existing directory",
                        d.display()
                    )));
                }
                d
            } else {
                d
            }
        } else {
            base(&orig_dest).join(ctx.host).join(src.trim_start_matches('/'))
        };
        let dest = normalize(&dest);
        if !p.flat.unwrap_or(false) && !dest.starts_with(normalize(&base(&orig_dest))) {
            return Err(ModuleError::failed(format!(
                "Detected directory traversal, expected to be contained in '{orig_dest}' but got '{}'",
                dest.display()
            )));
        }
        let shown = dest.display().to_string();
        let local = std::fs::read(&dest).ok();
        if local.as_deref().map(sha1_hex).as_deref() == Some(remote_checksum.as_str()) {
            return Ok(Outcome::default()
                .with("md5sum", md5_hex(&data))
                .with("file", src.as_str())
                .with("dest", shown.as_str())
                .with("checksum", remote_checksum.as_str()));
        }
        // Ansible's ssh connection fetches with sftp, which creates the file with the remote
        // mode (plus owner write) under the umask; under become the data comes through
        // `slurp` and is written with the default mode.
        let new_mode = match ctx.via.privilege {
            None => ((st.mode & 0o777) | 0o200) & !0o022,
            Some(_) => 0o644,
        };
        write_local(&dest, &data, new_mode)?;
        let written = std::fs::read(&dest)
            .map_err(|e| ModuleError::Local(format!("cannot read back `{shown}`: {e}")))?;
        let new_checksum = sha1_hex(&written);
        if p.validate_checksum.unwrap_or(true) && new_checksum != remote_checksum {
            return Err(ModuleError::failed("checksum mismatch")
                .with("md5sum", md5_hex(&written))
                .with("file", src.as_str())
                .with("dest", shown.as_str())
                .with("remote_md5sum", ())
                .with("checksum", new_checksum.as_str())
                .with("remote_checksum", remote_checksum.as_str()));
        }
        Ok(Outcome::changed(true)
            .with("md5sum", md5_hex(&written))
            .with("dest", shown.as_str())
            .with("remote_md5sum", ())
            .with("checksum", new_checksum.as_str())
            .with("remote_checksum", remote_checksum.as_str()))
    }
}

/// `os.path.normpath`: `.` and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Writes `data` to `dest` on the controller: parents created, a temp file beside it renamed
/// over it (a new file with `new_mode`).
fn write_local(dest: &Path, data: &[u8], new_mode: u32) -> Result<(), ModuleError> {
    let fail = |what: &str, e: std::io::Error| {
        ModuleError::failed(format!(
            "Failed to fetch the file: {what} `{}`: {e}",
            dest.display()
        ))
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail("creating the directory of", e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail("creating a temp file beside", e))?;
    std::io::Write::write_all(&mut tmp, data).map_err(|e| fail("writing", e))?;
    // A replaced file keeps its mode; a new one gets `new_mode`.
    let mode = std::fs::metadata(dest).map(|m| m.permissions()).ok();
    let perms = mode.unwrap_or_else(|| std::os::unix::fs::PermissionsExt::from_mode(new_mode));
    tmp.as_file()
        .set_permissions(perms)
        .map_err(|e| fail("setting the mode of", e))?;
    tmp.persist(dest).map_err(|e| fail("renaming onto", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_as_python_does() {
        assert_eq!(
            normalize(Path::new("/r/fetched/h//etc/./x")),
            PathBuf::from("/r/fetched/h/etc/x")
        );
        assert_eq!(
            normalize(Path::new("/r/fetched/h/../../x")),
            PathBuf::from("/r/x")
        );
    }
}
