//! Editing a remote text file in place, shared by `lineinfile` and `blockinfile`: read it with
//! its stat in one round trip, let the module compute the new bytes, then write atomically and
//! settle mode/owner/group, with Ansible's messages, diffs and check mode.

use minijinja::Value;

use crate::connection::files::{self, FileAttrs, FileStat, Mode, WriteOptions, apply_attrs, attrs_differ};
use crate::modules::params::{ModeParam, content_diff};
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome};

/// The attributes, backup and validation of an edit.
pub struct EditOptions {
    pub mode: Option<ModeParam>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub backup: bool,
    pub validate: Option<String>,
}

impl EditOptions {
    fn attrs(&self) -> FileAttrs {
        FileAttrs {
            mode: match &self.mode {
                Some(ModeParam::Mode(m)) => Some(m.clone()),
                _ => None,
            },
            owner: self.owner.clone(),
            group: self.group.clone(),
        }
    }

    fn has_attrs(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }
}

/// The file as it is: `None` when it does not exist. A directory is refused.
pub async fn load(ctx: &mut ModuleCtx<'_>, path: &str) -> Result<Option<(FileStat, Vec<u8>)>, ModuleError> {
    match files::read_with_stat(ctx.conn, path, &ctx.via).await? {
        Some((st, _)) if st.is_dir() => {
            Err(ModuleError::failed(format!("Path {path} is a directory !")).with("rc", 256))
        }
        found => Ok(found),
    }
}

/// [`load`], plus the path a symlink resolves to (`None` when `path` is no symlink).
pub async fn load_resolved(
    ctx: &mut ModuleCtx<'_>,
    path: &str,
) -> Result<Option<(FileStat, Vec<u8>, Option<String>)>, ModuleError> {
    match files::read_resolved(ctx.conn, path, &ctx.via).await? {
        Some((st, _, _)) if st.is_dir() => {
            Err(ModuleError::failed(format!("Path {path} is a directory !")).with("rc", 256))
        }
        found => Ok(found),
    }
}

/// Writes `after` if it differs from `before` (or the file is new), then settles attributes.
/// `msg` is the module's message for the content change.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    ctx: &mut ModuleCtx<'_>,
    path: &str,
    existing: Option<&FileStat>,
    before: &[u8],
    after: &[u8],
    changed: bool,
    msg: String,
    opts: &EditOptions,
) -> Result<Outcome, ModuleError> {
    let mut outcome = Outcome {
        changed,
        ..Outcome::default()
    };
    let mut msg = msg;
    let mut backup = String::new();
    if ctx.diff {
        let header = format!("{path} (content)");
        if let Some(d) = content_diff(&header, &header, before, after) {
            outcome.diff.push(d);
        }
    }
    let attrs = opts.attrs();
    if changed && !ctx.check {
        let resolved = match (&attrs.mode, existing) {
            (Some(m @ Mode::Symbolic(_)), Some(st)) => FileAttrs {
                mode: Some(Mode::Bits(m.resolve(st.mode, false, st.umask))),
                ..attrs.clone()
            },
            _ => attrs.clone(),
        };
        let write = WriteOptions {
            attrs: resolved,
            backup: opts.backup && existing.is_some(),
            validate: opts.validate.clone(),
            create_parents: existing.is_none(),
            stat_after: false,
        };
        match files::write_atomic(ctx.conn, path, after, &write, &ctx.via).await {
            Ok(res) => backup = res.backup_file.unwrap_or_default(),
            Err(e) => return Err(e.into()),
        }
    }
    if ctx.check && existing.is_none() {
        outcome.msg = Some(msg);
        outcome.data.insert("backup".into(), Value::from(backup));
        return Ok(outcome);
    }
    let attrs_changed = match existing {
        Some(st) => {
            let changes = attrs_differ(st, &attrs);
            if changes.any() && !changed && !ctx.check {
                if let Err(e) = apply_attrs(ctx.conn, path, &changes.to_attrs(), false, &ctx.via).await {
                    return Err(e.into());
                }
            }
            if changes.any() && ctx.diff {
                let (b, a) = changes.diff_fields();
                let header = format!("{path} (file attributes)");
                outcome.diff.push(Diff {
                    before_header: header.clone(),
                    after_header: header,
                    before: fields_text(&b),
                    after: fields_text(&a),
                    prepared: None,
                });
            }
            changes.any()
        }
        None => opts.has_attrs(),
    };
    if attrs_changed {
        if outcome.changed {
            msg.push_str(" and ");
        }
        outcome.changed = true;
        msg.push_str("ownership, perms or SE linux context changed");
    }
    outcome.msg = Some(msg);
    outcome.data.insert("backup".into(), Value::from(backup));
    Ok(outcome)
}

fn fields_text(fields: &[(&str, String)]) -> String {
    fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// Text of a file for regex work: UTF-8 when it is, else Latin-1 (byte for byte, reversible).
pub fn decode(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), true),
        Err(_) => (bytes.iter().map(|&b| char::from(b)).collect(), false),
    }
}

/// The bytes of text produced by [`decode`].
pub fn encode(text: &str, utf8: bool) -> Vec<u8> {
    if utf8 {
        text.as_bytes().to_vec()
    } else {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect()
    }
}
