//! `copy`: a controller file (from the role's `files/`, then the playbook's), a directory tree,
//! inline `content`, or a file already on the host (`remote_src`) to a remote path.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::dest::{PutFile, parent_dir, put_file, stat_with_parent};
use crate::connection::files::{self, FileAttrs, Mode, StatOptions, WriteOptions, ensure_dir};
use crate::modules::params::{ModeParam, selinux};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Copy;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    src: Option<String>,
    content: Option<Value>,
    dest: String,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    backup: Option<bool>,
    force: Option<bool>,
    validate: Option<String>,
    directory_mode: Option<ModeParam>,
    remote_src: Option<bool>,
    follow: Option<bool>,
    local_follow: Option<bool>,
    decrypt: Option<bool>,
    seuser: Option<String>,
    serole: Option<String>,
    setype: Option<String>,
    selevel: Option<String>,
}

#[async_trait]
impl TypedModule for Copy {
    type Params = Params;

    const SPEC: Spec = Spec::host("copy").source("src", "files", false);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        // `decrypt` concerns vault files, which playhook does not read: nothing to decrypt.
        let _ = p.decrypt;
        if p.local_follow == Some(false) {
            return Err(ModuleError::Params(
                "copy: local_follow: false is not supported (symlinks in src are always followed)".into(),
            ));
        }
        if let Some(v) = &p.validate {
            if !v.contains("%s") {
                return Err(ModuleError::failed(format!("validate must contain %s: {v}")));
            }
        }
        selinux::check(ctx, "copy", &p.dest, selinux::context!(p)).await?;
        match (&p.src, &p.content) {
            (Some(_), Some(_)) => Err(ModuleError::failed("src and content are mutually exclusive")),
            (None, None) => Err(ModuleError::failed("src (or content) is required")),
            (None, Some(content)) => {
                if p.dest.ends_with('/') {
                    return Err(ModuleError::failed("can not use content with a dir as dest"));
                }
                let text = content_text(content);
                let Some(mut outcome) =
                    copy_bytes(ctx, &p, &p.dest, text.as_bytes(), None, "dynamically generated").await?
                else {
                    return Err(ModuleError::failed("can not use content with a dir as dest"));
                };
                if outcome.changed {
                    outcome.data.insert("src".into(), Value::from(p.dest.clone()));
                }
                Ok(outcome)
            }
            (Some(src), None) if p.remote_src.unwrap_or(false) => copy_remote(ctx, &p, src).await,
            (Some(src), None) => {
                let path = ctx.find_source("files", src)?;
                if path.is_dir() {
                    return copy_tree(ctx, &p, src, &path).await;
                }
                let bytes = std::fs::read(&path)
                    .map_err(|e| ModuleError::Local(format!("cannot read `{}`: {e}", path.display())))?;
                let mode = local_mode(&path);
                let name = basename(src);
                let dest = if p.dest.ends_with('/') {
                    format!("{}{name}", p.dest)
                } else {
                    p.dest.clone()
                };
                if p.dest.ends_with('/') && !ctx.check {
                    let attrs = dir_attrs(&p);
                    if let Err(e) = ensure_dir(ctx.conn, &parent_dir(&dest), &attrs, &ctx.via).await {
                        return Err(e.into());
                    }
                }
                let header = path.display().to_string();
                let mut outcome = match copy_bytes(ctx, &p, &dest, &bytes, Some(mode), &header).await? {
                    Some(outcome) => outcome,
                    None => {
                        // The destination is a directory: copy into it.
                        let inner = format!("{}/{name}", dest.trim_end_matches('/'));
                        copy_bytes(ctx, &p, &inner, &bytes, Some(mode), &header)
                            .await?
                            .ok_or_else(|| ModuleError::failed(format!("{inner} is a directory")))?
                    }
                };
                outcome.data.insert("src".into(), Value::from(header));
                Ok(outcome)
            }
        }
    }
}

/// `content:` as text: strings as they are, other values as Python's `json.dumps`.
pub(crate) fn content_text(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    let json = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    let mut out = String::new();
    python_json(&json, &mut out);
    out
}

/// `json.dumps` with its default separators and `ensure_ascii`.
fn python_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_json(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_json(&serde_json::Value::String(k.clone()), out);
                out.push_str(": ");
                python_json(item, out);
            }
            out.push('}');
        }
        serde_json::Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            for c in quoted.chars() {
                if c.is_ascii() {
                    out.push(c);
                } else {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        other => out.push_str(&other.to_string()),
    }
}

fn basename(src: &str) -> String {
    Path::new(src.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn local_mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644)
}

fn dir_attrs(p: &Params) -> FileAttrs {
    FileAttrs {
        mode: match &p.directory_mode {
            Some(ModeParam::Mode(m)) => Some(m.clone()),
            _ => None,
        },
        owner: p.owner.clone(),
        group: p.group.clone(),
    }
}

/// Puts `bytes` at `dest`; `None` when `dest` is a directory (or a link to one), which the
/// caller either copies into or refuses.
async fn copy_bytes(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    dest: &str,
    bytes: &[u8],
    source_mode: Option<u32>,
    header: &str,
) -> Result<Option<Outcome>, ModuleError> {
    let existing = match stat_with_parent(ctx, dest).await {
        Ok((Some(st), _)) if st.is_dir() => return Ok(None),
        Ok((Some(st), _)) if st.is_link() && points_to_dir(ctx, dest).await? => return Ok(None),
        Ok((Some(st), _)) if st.is_link() && p.follow.unwrap_or(false) => {
            let target = st.link_source.clone().unwrap_or_default();
            return Box::pin(copy_bytes(ctx, p, &target, bytes, source_mode, header)).await;
        }
        Ok((st, parent)) => {
            // In check mode Ansible reports the change without asking the host whether the
            // directory exists (an earlier task may be about to create it).
            if st.is_none() && parent.as_ref().is_none_or(|d| !d.is_dir()) && !ctx.check {
                return Err(ModuleError::failed(format!(
                    "Destination directory {} does not exist",
                    parent_dir(dest)
                )));
            }
            st
        }
        Err(e) => return Err(e),
    };
    put_file(
        ctx,
        PutFile {
            dest,
            content: bytes,
            mode: p.mode.clone(),
            source_mode,
            owner: p.owner.clone(),
            group: p.group.clone(),
            backup: p.backup.unwrap_or(false),
            validate: p.validate.clone(),
            force: p.force.unwrap_or(true),
            existing: Some(existing),
            after_header: header.to_string(),
            before: None,
        },
    )
    .await
    .map(Some)
}

/// Whether the symlink at `path` leads to a directory (the copy then goes inside it).
async fn points_to_dir(ctx: &mut ModuleCtx<'_>, path: &str) -> Result<bool, ModuleError> {
    let followed = StatOptions {
        follow: true,
        ..StatOptions::default()
    };
    match files::stat(ctx.conn, path, followed, &ctx.via).await {
        Ok(st) => Ok(st.is_some_and(|s| s.is_dir())),
        Err(crate::connection::files::FileError::Connection(e)) => Err(ModuleError::Connection(e)),
        Err(_) => Ok(false),
    }
}

/// A local directory tree: created below `dest` (inside `dest/NAME` unless `src` ends in `/`).
async fn copy_tree(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    src: &str,
    root: &Path,
) -> Result<Outcome, ModuleError> {
    let base = if src.ends_with('/') {
        p.dest.trim_end_matches('/').to_string()
    } else {
        format!("{}/{}", p.dest.trim_end_matches('/'), basename(src))
    };
    let mut dirs = vec![String::new()];
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    walk(root, "", &mut dirs, &mut found)?;
    let remote = |rel: &str| {
        if rel.is_empty() {
            base.clone()
        } else {
            format!("{base}/{rel}")
        }
    };
    let mut paths: Vec<String> = dirs.iter().map(|d| remote(d)).collect();
    paths.extend(found.iter().map(|(rel, _)| remote(rel)));
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let opts = StatOptions {
        checksum: true,
        ..StatOptions::default()
    };
    let stats = match files::stat_many(ctx.conn, &refs, opts, &ctx.via).await {
        Ok(s) => s,
        Err(e) => return Err(e.into()),
    };
    let mut outcome = Outcome::default();
    let attrs = dir_attrs(p);
    for (dir, st) in dirs.iter().zip(&stats) {
        match st {
            Some(st) if st.is_dir() => {}
            Some(_) => {
                return Err(ModuleError::failed(format!(
                    "{} exists and is not a directory",
                    remote(dir)
                )));
            }
            None => {
                outcome.changed = true;
                if !ctx.check {
                    if let Err(e) = ensure_dir(ctx.conn, &remote(dir), &attrs, &ctx.via).await {
                        return Err(e.into());
                    }
                }
            }
        }
    }
    for ((rel, local), st) in found.iter().zip(&stats[dirs.len()..]) {
        let bytes = std::fs::read(local)
            .map_err(|e| ModuleError::Local(format!("cannot read `{}`: {e}", local.display())))?;
        let one = put_file(
            ctx,
            PutFile {
                dest: &remote(rel),
                content: &bytes,
                mode: p.mode.clone(),
                source_mode: Some(local_mode(local)),
                owner: p.owner.clone(),
                group: p.group.clone(),
                backup: p.backup.unwrap_or(false),
                validate: p.validate.clone(),
                force: p.force.unwrap_or(true),
                existing: Some(st.clone()),
                after_header: local.display().to_string(),
                before: None,
            },
        )
        .await?;
        outcome.changed |= one.changed;
        outcome.diff.extend(one.diff);
    }
    outcome.data.insert("dest".into(), Value::from(p.dest.clone()));
    outcome
        .data
        .insert("src".into(), Value::from(root.display().to_string()));
    Ok(outcome)
}

/// Collects the directories and files below `dir` (following symlinks), sorted by name.
fn walk(
    dir: &Path,
    rel: &str,
    dirs: &mut Vec<String>,
    found: &mut Vec<(String, PathBuf)>,
) -> Result<(), ModuleError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| ModuleError::Local(format!("cannot read `{}`: {e}", dir.display())))?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            dirs.push(child.clone());
            walk(&path, &child, dirs, found)?;
        } else {
            found.push((child, path));
        }
    }
    Ok(())
}

/// `remote_src: true`: copy a file that is already on the host.
async fn copy_remote(ctx: &mut ModuleCtx<'_>, p: &Params, src: &str) -> Result<Outcome, ModuleError> {
    let opts = StatOptions {
        checksum: true,
        ..StatOptions::default()
    };
    let mut dest = p.dest.clone();
    let stats = match files::stat_many(ctx.conn, &[src, &dest], opts, &ctx.via).await {
        Ok(s) => s,
        Err(e) => return Err(e.into()),
    };
    let Some(src_st) = stats[0].clone() else {
        return Err(ModuleError::failed(format!("Source {src} not found")));
    };
    if src_st.is_dir() {
        return Err(ModuleError::failed(format!(
            "copying the directory {src} with remote_src is not supported; use a command task"
        )));
    }
    let mut dest_st = stats[1].clone();
    if dest_st.as_ref().is_some_and(|d| d.is_dir()) {
        dest = format!("{}/{}", dest.trim_end_matches('/'), basename(src));
        dest_st = match files::stat(ctx.conn, &dest, opts, &ctx.via).await {
            Ok(s) => s,
            Err(e) => return Err(e.into()),
        };
    }
    let mut outcome = Outcome::default();
    outcome.data.insert("dest".into(), Value::from(dest.clone()));
    outcome.data.insert("src".into(), Value::from(src));
    if let Some(sum) = &src_st.checksum {
        outcome.data.insert("checksum".into(), Value::from(sum.clone()));
    }
    let mode = match &p.mode {
        Some(ModeParam::Mode(m)) => Some(m.clone()),
        Some(ModeParam::Preserve) => Some(Mode::Bits(src_st.mode)),
        None => None,
    };
    let attrs = FileAttrs {
        mode,
        owner: p.owner.clone(),
        group: p.group.clone(),
    };
    if let Some(d) = &dest_st {
        if !p.force.unwrap_or(true) || d.checksum == src_st.checksum {
            let changes = files::attrs_differ(d, &attrs);
            if changes.any() && p.force.unwrap_or(true) {
                outcome.changed = true;
                if !ctx.check {
                    if let Err(e) =
                        files::apply_attrs(ctx.conn, &dest, &changes.to_attrs(), false, &ctx.via).await
                    {
                        return Err(e.into());
                    }
                }
            }
            return Ok(outcome);
        }
    }
    outcome.changed = true;
    if ctx.check {
        return Ok(outcome);
    }
    let opts = WriteOptions {
        attrs,
        backup: p.backup.unwrap_or(false),
        validate: p.validate.clone(),
        create_parents: false,
        stat_after: false,
    };
    match files::copy_remote_atomic(ctx.conn, src, &dest, &opts, &ctx.via).await {
        Ok(res) => {
            if let Some(b) = res.backup_file {
                outcome.data.insert("backup_file".into(), Value::from(b));
            }
            Ok(outcome)
        }
        Err(e) => Err(e.into()),
    }
}
