//! `stat`: facts about a remote path, with Ansible's keys (`exists`, `isdir`, `mode`, `pw_name`,
//! `checksum`, ...). Never changes anything.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::stat_extras::{self, Extras};
use crate::connection::files::{self, FileKind, FileStat, StatOptions, format_mode};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Stat;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    follow: Option<bool>,
    get_checksum: Option<bool>,
    #[serde(default, alias = "checksum", alias = "checksum_algo")]
    checksum_algorithm: Option<String>,
    #[serde(alias = "mime", alias = "mime_type", alias = "mime-type")]
    get_mime: Option<bool>,
    #[serde(alias = "attr", alias = "attributes")]
    get_attributes: Option<bool>,
}

/// The coreutils tool for one of Ansible's checksum algorithms.
pub(crate) fn checksum_tool(algorithm: &str) -> Option<&'static str> {
    Some(match algorithm {
        "md5" => "md5sum",
        "sha1" => "sha1sum",
        "sha224" => "sha224sum",
        "sha256" => "sha256sum",
        "sha384" => "sha384sum",
        "sha512" => "sha512sum",
        _ => return None,
    })
}

#[async_trait]
impl TypedModule for Stat {
    type Params = Params;

    const SPEC: Spec = Spec::host("stat");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let algorithm = p.checksum_algorithm.as_deref().unwrap_or("sha1");
        let tool = checksum_tool(algorithm).ok_or_else(|| {
            ModuleError::Params(format!(
                "stat: checksum_algorithm `{algorithm}` is not one of md5, sha1, sha224, sha256, sha384, sha512"
            ))
        })?;
        let opts = StatOptions {
            follow: p.follow.unwrap_or(false),
            checksum: p.get_checksum.unwrap_or(true),
            checksum_tool: Some(tool),
        };
        // `file` and `lsattr` run in the same round trip as the stat.
        let (mime, attrs) = (p.get_mime.unwrap_or(true), p.get_attributes.unwrap_or(true));
        let more = stat_extras::script(&p.path, mime, attrs);
        let (st, said) = match files::stat_and_run(ctx.conn, &p.path, opts, &more, &ctx.via).await {
            Ok(r) => r,
            Err(e) => return Err(e.into()),
        };
        let value = match st {
            None => crate::modules::params::map_value([("exists", Value::from(false))]),
            Some(st) => {
                let extras = stat_extras::parse(&said);
                stat_value(&st, mime.then_some(&extras), attrs.then_some(&extras))
            }
        };
        let mut outcome = Outcome::default();
        outcome.data.insert("stat".into(), value);
        Ok(outcome)
    }
}

/// Ansible's `stat` dictionary for an existing path; `mime` and `attributes` are given when
/// asked for.
pub fn stat_value(st: &FileStat, mime: Option<&Extras>, attributes: Option<&Extras>) -> Value {
    let m = st.mode;
    let mut d: IndexMap<&str, Value> = IndexMap::new();
    d.insert("exists", true.into());
    d.insert("path", st.path.clone().into());
    d.insert("mode", format_mode(m).into());
    d.insert("isdir", (st.kind == FileKind::Directory).into());
    d.insert("ischr", (st.kind == FileKind::CharDevice).into());
    d.insert("isblk", (st.kind == FileKind::BlockDevice).into());
    d.insert("isreg", (st.kind == FileKind::File).into());
    d.insert("isfifo", (st.kind == FileKind::Fifo).into());
    d.insert("islnk", (st.kind == FileKind::Symlink).into());
    d.insert("issock", (st.kind == FileKind::Socket).into());
    d.insert("uid", st.uid.into());
    d.insert("gid", st.gid.into());
    d.insert("size", st.size.into());
    d.insert("inode", st.inode.into());
    d.insert("dev", st.dev.into());
    d.insert("nlink", st.nlink.into());
    d.insert("atime", st.atime.into());
    d.insert("mtime", st.mtime.into());
    d.insert("ctime", st.ctime.into());
    for (key, bit) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        d.insert(key, (m & bit != 0).into());
    }
    d.insert("blocks", st.blocks.into());
    d.insert("block_size", st.block_size.into());
    d.insert("device_type", st.device_type.into());
    d.insert("readable", st.readable.into());
    d.insert("writeable", st.writeable.into());
    d.insert("executable", st.executable.into());
    if let (Some(target), Some(source)) = (&st.link_target, &st.link_source) {
        d.insert("lnk_source", source.clone().into());
        d.insert("lnk_target", target.clone().into());
    }
    d.insert("pw_name", st.owner.clone().into());
    d.insert("gr_name", st.group.clone().into());
    if let Some(sum) = &st.checksum {
        d.insert("checksum", sum.clone().into());
    }
    if let Some(extras) = mime {
        let (kind, charset) = extras
            .mime
            .clone()
            .unwrap_or(("unknown".into(), "unknown".into()));
        d.insert("mimetype", kind.into());
        d.insert("charset", charset.into());
    }
    if let Some(extras) = attributes {
        match &extras.attrs {
            Some((version, flags)) => {
                d.insert("version", version.clone().into());
                d.insert("attributes", Value::from(stat_extras::attribute_names(flags)));
                d.insert("attr_flags", flags.clone().into());
            }
            None => {
                d.insert("version", Value::from(()));
                d.insert("attributes", Value::from(Vec::<Value>::new()));
                d.insert("attr_flags", "".into());
            }
        }
    }
    crate::modules::params::map_value(d)
}
