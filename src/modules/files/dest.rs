//! Putting known content at a remote path, shared by `copy`, `template`, `lineinfile` and
//! `blockinfile`: compare checksums, set attributes, diff, honour check mode, write atomically.

use minijinja::Value;
use sha1::{Digest, Sha1};

use crate::connection::files::{
    self, FileAttrs, FileStat, Mode, StatOptions, WriteOptions, apply_attrs, attrs_differ,
};
use crate::modules::params::{ModeParam, content_diff, file_fields, state_diff};
use crate::modules::{ModuleCtx, ModuleError, Outcome};

/// What to put where.
pub struct PutFile<'a> {
    pub dest: &'a str,
    pub content: &'a [u8],
    pub mode: Option<ModeParam>,
    /// The source's permission bits, for `mode: preserve`.
    pub source_mode: Option<u32>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub backup: bool,
    pub validate: Option<String>,
    /// `force: false`: leave an existing destination alone.
    pub force: bool,
    /// The destination's stat when the caller already has it (with checksum).
    pub existing: Option<Option<FileStat>>,
    /// Header of the new content in diffs (the source file, or `dynamically generated`).
    pub after_header: String,
    /// Contents of the destination when the caller already read them (for the diff).
    pub before: Option<Vec<u8>>,
}

/// The sha1 of `bytes`, hex, as Ansible's `checksum`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// The md5 of `bytes`, hex, as Ansible's `md5sum`.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(bytes))
}

/// Stats `path` and its parent directory in one round trip (checksum included).
pub async fn stat_with_parent(
    ctx: &mut ModuleCtx<'_>,
    path: &str,
) -> Result<(Option<FileStat>, Option<FileStat>), ModuleError> {
    let parent = parent_dir(path);
    let opts = StatOptions {
        checksum: true,
        ..StatOptions::default()
    };
    match files::stat_many(ctx.conn, &[path, &parent], opts, &ctx.via).await {
        Ok(mut v) => {
            let parent = v.pop().flatten();
            let st = v.pop().flatten();
            Ok((st, parent))
        }
        Err(e) => Err(e.into()),
    }
}

/// The directory part of a path (`.` for a bare name).
pub fn parent_dir(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => trimmed[..i].to_string(),
        None => ".".to_string(),
    }
}

/// Makes `dest` hold `content` with the asked attributes.
pub async fn put_file(ctx: &mut ModuleCtx<'_>, put: PutFile<'_>) -> Result<Outcome, ModuleError> {
    let st = match put.existing.clone() {
        Some(st) => st,
        None => match stat_with_parent(ctx, put.dest).await {
            Ok((st, parent)) => {
                if st.is_none() && parent.as_ref().is_none_or(|p| !p.is_dir()) && !ctx.check {
                    return Err(ModuleError::failed(format!(
                        "Destination directory {} does not exist",
                        parent_dir(put.dest)
                    )));
                }
                st
            }
            Err(e) => return Err(e),
        },
    };
    if let Some(st) = &st {
        if st.is_dir() {
            return Err(ModuleError::failed(format!(
                "{} is a directory, not a file",
                put.dest
            )));
        }
    }
    let checksum = sha1_hex(put.content);
    let mut outcome = Outcome::default();
    outcome.data.insert("dest".into(), Value::from(put.dest));
    outcome
        .data
        .insert("checksum".into(), Value::from(checksum.clone()));

    let mode = match &put.mode {
        None => None,
        Some(ModeParam::Mode(m)) => Some(m.clone()),
        Some(ModeParam::Preserve) => put.source_mode.map(Mode::Bits),
    };
    let attrs = FileAttrs {
        mode,
        owner: put.owner.clone(),
        group: put.group.clone(),
    };

    if let Some(existing) = &st {
        if !put.force {
            file_fields(existing, &mut outcome);
            return Ok(outcome);
        }
        if existing.checksum.as_deref() == Some(checksum.as_str()) {
            outcome.data.insert("path".into(), Value::from(put.dest));
            let changes = attrs_differ(existing, &attrs);
            file_fields(existing, &mut outcome);
            if changes.any() {
                outcome.changed = true;
                if ctx.diff {
                    let (b, a) = changes.diff_fields();
                    outcome.diff.push(state_diff(
                        put.dest,
                        b.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
                        a.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
                    ));
                }
                if !ctx.check {
                    let set = changes.to_attrs();
                    if let Err(e) = apply_attrs(ctx.conn, put.dest, &set, false, &ctx.via).await {
                        return Err(e.into());
                    }
                    if let Some((_, bits)) = changes.mode {
                        outcome
                            .data
                            .insert("mode".into(), Value::from(files::format_mode(bits)));
                    }
                    for (key, change) in [("owner", &changes.owner), ("group", &changes.group)] {
                        if let Some((_, after)) = change {
                            outcome.data.insert(key.into(), Value::from(after.clone()));
                        }
                    }
                }
            }
            return Ok(outcome);
        }
    }

    outcome.changed = true;
    outcome
        .data
        .insert("md5sum".into(), Value::from(md5_hex(put.content)));
    if ctx.diff {
        let before = match (&put.before, &st) {
            (Some(b), _) => b.clone(),
            (None, Some(existing)) if existing.size as usize <= crate::modules::params::MAX_DIFF_SIZE => {
                match files::read(ctx.conn, put.dest, &ctx.via).await {
                    Ok(b) => b,
                    Err(e) => return Err(e.into()),
                }
            }
            _ => Vec::new(),
        };
        // Ansible's action names the destination only when it exists (`--- before` otherwise).
        let before_header = if st.is_some() { put.dest } else { "" };
        if let Some(d) = content_diff(before_header, &put.after_header, &before, put.content) {
            outcome.diff.push(d);
        }
    }
    if ctx.check {
        outcome.data.insert("size".into(), Value::from(put.content.len()));
        return Ok(outcome);
    }
    // Resolve a symbolic mode against the file it replaces; a new file gets chmod's reading.
    let attrs = match (&attrs.mode, &st) {
        (Some(m @ Mode::Symbolic(_)), Some(existing)) => FileAttrs {
            mode: Some(Mode::Bits(m.resolve(existing.mode, false, existing.umask))),
            ..attrs
        },
        _ => attrs,
    };
    let opts = WriteOptions {
        attrs,
        backup: put.backup,
        validate: put.validate.clone(),
        create_parents: false,
        stat_after: ctx.result_seen,
    };
    match files::write_atomic(ctx.conn, put.dest, put.content, &opts, &ctx.via).await {
        Ok(res) => {
            if let Some(written) = &res.stat {
                file_fields(written, &mut outcome);
            }
            if let Some(b) = res.backup_file {
                outcome.data.insert("backup_file".into(), Value::from(b));
            }
            Ok(outcome)
        }
        Err(e) => Err(e.into()),
    }
}
