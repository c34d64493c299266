//! `file`: a path's state (`file`, `directory`, `touch`, `absent`, `link`, `hard`) and its
//! mode, owner and group, as Ansible's `file` module manages them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::{
    self, AttrChanges, FileAttrs, FileKind, FileStat, StatOptions, attrs_differ, attrs_lines,
};
use crate::connection::quote::{is_absolute_path, quote_path};
use crate::modules::params::{ModeParam, file_fields, selinux, state_diff};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct File;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    state: Option<String>,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    recurse: Option<bool>,
    src: Option<String>,
    force: Option<bool>,
    follow: Option<bool>,
    modification_time: Option<String>,
    access_time: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    setype: Option<String>,
    selevel: Option<String>,
}

/// Ansible's name for what is at a path.
fn state_of(st: Option<&FileStat>) -> &'static str {
    match st {
        None => "absent",
        Some(st) => match st.kind {
            FileKind::Symlink => "link",
            FileKind::Directory => "directory",
            _ if st.nlink > 1 => "hard",
            _ => "file",
        },
    }
}

/// Builds the outcome's diff as Ansible's `initial_diff` plus attribute changes.
struct DiffBuilder {
    before: BTreeMap<&'static str, Value>,
    after: BTreeMap<&'static str, Value>,
}

impl DiffBuilder {
    fn new(path: &str, state: &str, prev: &str) -> Self {
        let mut d = DiffBuilder {
            before: BTreeMap::from([("path", Value::from(path))]),
            after: BTreeMap::from([("path", Value::from(path))]),
        };
        if state != prev {
            d.before.insert("state", Value::from(prev));
            d.after.insert("state", Value::from(state));
        }
        d
    }

    fn attrs(&mut self, changes: &AttrChanges) {
        let (b, a) = changes.diff_fields();
        self.before
            .extend(b.into_iter().map(|(k, v)| (k, Value::from(v))));
        self.after.extend(a.into_iter().map(|(k, v)| (k, Value::from(v))));
    }

    fn finish(self, outcome: &mut Outcome, want: bool) {
        if want && outcome.changed {
            // Ansible's file module returns its dict diff without headers (`--- before`).
            outcome.diff.push(state_diff("", self.before, self.after));
        }
    }
}

#[async_trait]
impl TypedModule for File {
    type Params = Params;

    const SPEC: Spec = Spec::host("file");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        for (key, value) in [
            ("modification_time", &p.modification_time),
            ("access_time", &p.access_time),
        ] {
            if let Some(v) = value {
                if v != "now" && v != "preserve" {
                    return Err(ModuleError::Params(format!(
                        "file: {key} `{v}` is not supported (use `now` or `preserve`)"
                    )));
                }
            }
        }
        let mode = match &p.mode {
            Some(ModeParam::Mode(m)) => Some(m.clone()),
            Some(ModeParam::Preserve) => {
                return Err(ModuleError::Params(
                    "file: mode `preserve` only applies to copy and template".into(),
                ));
            }
            None => None,
        };
        let attrs = FileAttrs {
            mode,
            owner: p.owner.clone(),
            group: p.group.clone(),
        };
        let follow = p.follow.unwrap_or(true);
        let path = p.path.trim_end_matches('/').to_string();
        let path = if path.is_empty() { "/".to_string() } else { path };
        selinux::check(ctx, "file", &path, selinux::context!(p)).await?;
        let plain = StatOptions::default();
        let followed = StatOptions {
            follow: true,
            ..StatOptions::default()
        };
        // For links, also stat where `src` points, seen from either possible base directory.
        let link_candidates: Vec<String> = match (p.state.as_deref(), p.src.as_deref()) {
            (Some("link"), Some(src)) if is_absolute_path(src) => vec![src.to_string()],
            (Some("link"), Some(src)) => vec![
                format!("{}/{src}", super::dest::parent_dir(&path)),
                format!("{path}/{src}"),
            ],
            _ => Vec::new(),
        };
        let mut wanted: Vec<(&str, StatOptions)> = vec![(&path, plain), (&path, followed)];
        wanted.extend(link_candidates.iter().map(|c| (c.as_str(), followed)));
        let stats = match files::stat_each(ctx.conn, &wanted, &ctx.via).await {
            Ok(s) => s,
            Err(e) => return Err(e.into()),
        };
        let (st, st_followed) = (stats[0].clone(), stats[1].clone());
        let prev = state_of(st.as_ref());
        let recurse = p.recurse.unwrap_or(false);
        let state = match p.state.as_deref() {
            Some(s) => s.to_string(),
            None if prev != "absent" => prev.to_string(),
            None if recurse => "directory".to_string(),
            None => "file".to_string(),
        };
        if recurse && state != "directory" {
            return Err(ModuleError::failed(
                "recurse option requires state to be 'directory'",
            ));
        }
        if p.src.is_some() && state != "link" && state != "hard" {
            return Err(ModuleError::failed(
                "src option requires state to be 'link' or 'hard'",
            ));
        }
        let known_sources: Vec<(String, bool)> = link_candidates
            .into_iter()
            .zip(stats[2..].iter())
            .map(|(c, st)| (c, st.is_some()))
            .collect();
        let run = Run {
            path,
            attrs,
            follow,
            st,
            st_followed,
            prev,
            known_sources,
        };
        match state.as_str() {
            "absent" => run.absent(ctx).await,
            "file" => run.file(ctx).await,
            "directory" => run.directory(ctx, recurse).await,
            "touch" => run.touch(ctx, &p).await,
            "link" => run.link(ctx, p.src.as_deref(), p.force.unwrap_or(false)).await,
            "hard" => run.hard(ctx, p.src.as_deref(), p.force.unwrap_or(false)).await,
            other => Err(ModuleError::Params(format!(
                "file: state `{other}` is not one of absent, directory, file, hard, link, touch"
            ))),
        }
    }
}

struct Run {
    path: String,
    attrs: FileAttrs,
    follow: bool,
    st: Option<FileStat>,
    st_followed: Option<FileStat>,
    prev: &'static str,
    /// Whether possible link sources exist, stat'ed with the path.
    known_sources: Vec<(String, bool)>,
}

impl Run {
    fn outcome(&self, key: &str) -> Outcome {
        let mut o = Outcome::default();
        o.data.insert(key.into(), Value::from(self.path.clone()));
        o
    }

    /// Applies attribute changes to `target` (and reports them), then fills in the fields.
    async fn settle(
        &self,
        ctx: &mut ModuleCtx<'_>,
        target: &str,
        current: &FileStat,
        mut outcome: Outcome,
        mut diff: DiffBuilder,
        pre_actions: &str,
    ) -> Result<Outcome, ModuleError> {
        let changes = attrs_differ(current, &self.attrs);
        diff.attrs(&changes);
        outcome.changed |= changes.any();
        let mut actions = pre_actions.to_string();
        if changes.any() {
            actions.push_str(&format!("p={}\n", quote_path(target)));
            actions.push_str(&attrs_lines("p", &changes.to_attrs(), false));
        }
        if ctx.check || actions.is_empty() {
            let mut shown = current.clone();
            if let Some((_, bits)) = changes.mode {
                shown.mode = bits;
            }
            file_fields(&shown, &mut outcome);
        } else {
            if let Err(e) = run_actions(ctx, target, &actions, &mut outcome).await {
                return Err(e.into());
            }
        }
        diff.finish(&mut outcome, ctx.diff);
        Ok(outcome)
    }

    async fn absent(self, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let mut outcome = self.outcome("path");
        outcome.data.insert("state".into(), Value::from("absent"));
        if self.prev == "absent" {
            return Ok(outcome);
        }
        outcome.changed = true;
        DiffBuilder::new(&self.path, "absent", self.prev).finish(&mut outcome, ctx.diff);
        if !ctx.check {
            if let Err(e) = files::remove(ctx.conn, &self.path, &ctx.via).await {
                return Err(e.into());
            }
        }
        Ok(outcome)
    }

    /// The path to work on and its state, after following a link when `follow` says so.
    fn resolved(&self) -> (String, Option<FileStat>, &'static str) {
        if self.follow && self.prev == "link" {
            let target = self
                .st
                .as_ref()
                .and_then(|s| s.link_source.clone())
                .unwrap_or_else(|| self.path.clone());
            let st = self.st_followed.clone();
            let state = state_of(st.as_ref());
            return (target, st, state);
        }
        (self.path.clone(), self.st.clone(), self.prev)
    }

    async fn file(self, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let (target, st, prev) = self.resolved();
        let Some(current) = st.filter(|_| prev == "file" || prev == "hard") else {
            return Err(ModuleError::failed(format!(
                "file ({target}) is {prev}, cannot continue"
            )));
        };
        let outcome = self.outcome("path");
        let diff = DiffBuilder::new(&target, "file", prev);
        self.settle(ctx, &target, &current, outcome, diff, "").await
    }

    async fn directory(self, ctx: &mut ModuleCtx<'_>, recurse: bool) -> Result<Outcome, ModuleError> {
        let (target, st, prev) = self.resolved();
        let mut outcome = self.outcome("path");
        let diff = DiffBuilder::new(&target, "directory", prev);
        let Some(current) = st else {
            outcome.changed = true;
            if !ctx.check {
                let script = files::ensure_dir_script(&target, &self.attrs);
                if let Err(e) = run_actions(ctx, &target, &script, &mut outcome).await {
                    return Err(e.into());
                }
            }
            diff.finish(&mut outcome, ctx.diff);
            return Ok(outcome);
        };
        if prev != "directory" {
            return Err(ModuleError::failed(format!(
                "{target} already exists as a {prev}"
            )));
        }
        let mut outcome = self.settle(ctx, &target, &current, outcome, diff, "").await?;
        if recurse && (self.attrs.mode.is_some() || self.attrs.owner.is_some() || self.attrs.group.is_some())
        {
            let entries = match files::list_tree(ctx.conn, &target, &ctx.via).await {
                Ok(e) => e,
                Err(e) => return Err(e.into()),
            };
            let mut actions = String::new();
            for entry in entries {
                let as_stat = FileStat {
                    path: entry.path.clone(),
                    kind: if entry.is_dir {
                        FileKind::Directory
                    } else if entry.is_link {
                        FileKind::Symlink
                    } else {
                        FileKind::File
                    },
                    mode: entry.mode,
                    uid: entry.uid,
                    gid: entry.gid,
                    owner: entry.owner.clone(),
                    group: entry.group.clone(),
                    umask: current.umask,
                    ..current.clone()
                };
                let mut changes = attrs_differ(&as_stat, &self.attrs);
                if entry.is_link {
                    changes.mode = None;
                }
                if changes.any() {
                    actions.push_str(&format!("p={}\n", quote_path(&entry.path)));
                    actions.push_str(&attrs_lines("p", &changes.to_attrs(), false));
                }
            }
            if !actions.is_empty() {
                outcome.changed = true;
                if !ctx.check {
                    // The stat afterwards would go unused: the fields came from `settle`.
                    if let Err(e) = files::run_then_stat(ctx.conn, &target, &actions, false, &ctx.via).await {
                        return Err(e.into());
                    }
                }
            }
        }
        Ok(outcome)
    }

    async fn touch(self, ctx: &mut ModuleCtx<'_>, p: &Params) -> Result<Outcome, ModuleError> {
        let mut outcome = self.outcome("dest");
        let diff = DiffBuilder::new(&self.path, "touch", self.prev);
        let preserve = p.modification_time.as_deref() == Some("preserve")
            && p.access_time.as_deref() == Some("preserve");
        let target = quote_path(&self.path);
        match &self.st {
            None => {
                outcome.changed = true;
                if ctx.check {
                    diff.finish(&mut outcome, ctx.diff);
                    return Ok(outcome);
                }
                let mut actions = format!(": >> {target}\n");
                actions.push_str(&format!("p={target}\n"));
                actions.push_str(&attrs_lines("p", &self.attrs, false));
                if let Err(e) = run_actions(ctx, &self.path, &actions, &mut outcome).await {
                    return Err(e.into());
                }
                diff.finish(&mut outcome, ctx.diff);
                Ok(outcome)
            }
            Some(current) => {
                let current = current.clone();
                let pre = if preserve {
                    String::new()
                } else {
                    outcome.changed = true;
                    format!("touch -c -- {target}\n")
                };
                self.settle(ctx, &self.path.clone(), &current, outcome, diff, &pre)
                    .await
            }
        }
    }

    async fn link(
        self,
        ctx: &mut ModuleCtx<'_>,
        src: Option<&str>,
        force: bool,
    ) -> Result<Outcome, ModuleError> {
        let src = match src {
            Some(s) => s.to_string(),
            None => match (&self.st, self.follow) {
                (Some(st), true) if st.is_link() => st.link_target.clone().unwrap_or_default(),
                _ => return Err(ModuleError::failed("src is required for creating new symlinks")),
            },
        };
        let base = if self.prev == "directory" {
            self.path.clone()
        } else {
            super::dest::parent_dir(&self.path)
        };
        let absrc = if is_absolute_path(&src) {
            src.clone()
        } else {
            format!("{base}/{src}")
        };
        let known = self
            .known_sources
            .iter()
            .find(|(c, _)| *c == absrc)
            .map(|(_, e)| *e);
        let src_exists = match known {
            Some(exists) => exists,
            None => match files::stat(
                ctx.conn,
                &absrc,
                StatOptions {
                    follow: true,
                    ..StatOptions::default()
                },
                &ctx.via,
            )
            .await
            {
                Ok(s) => s.is_some(),
                Err(e) => return Err(e.into()),
            },
        };
        if !force && !src_exists {
            return Err(ModuleError::failed(format!(
                "src file does not exist, use 'force=yes' if you really want to create the link: {absrc}"
            )));
        }
        match self.prev {
            "directory" if !force => {
                return Err(ModuleError::failed(format!(
                    "refusing to convert from directory to symlink for {}",
                    self.path
                )));
            }
            "file" | "hard" if !force => {
                return Err(ModuleError::failed(format!(
                    "refusing to convert from {} to symlink for {}",
                    self.prev, self.path
                )));
            }
            _ => {}
        }
        let mut outcome = self.outcome("dest");
        outcome.data.insert("src".into(), Value::from(src.clone()));
        let mut diff = DiffBuilder::new(&self.path, "link", self.prev);
        let changed = match (self.prev, &self.st) {
            ("link", Some(st)) => {
                let old = st.link_target.clone().unwrap_or_default();
                if old != src {
                    diff.before.insert("src", Value::from(old));
                    diff.after.insert("src", Value::from(src.clone()));
                    true
                } else {
                    false
                }
            }
            _ => true,
        };
        outcome.changed = changed;
        let path = quote_path(&self.path);
        let mut actions = String::new();
        if changed {
            let tmp = quote_path(&format!(
                "{}/.{}.playhook-link",
                super::dest::parent_dir(&self.path),
                basename(&self.path)
            ));
            if self.prev == "directory" {
                actions.push_str(&format!("rmdir -- {path}\n"));
            }
            actions.push_str(&format!(
                "rm -f -- {tmp}\nln -s -- {} {tmp}\nmv -fT -- {tmp} {path}\n",
                quote_path(&src)
            ));
        }
        // Attributes go to the link's target when following, else to the link itself.
        let wants_attrs =
            self.attrs.mode.is_some() || self.attrs.owner.is_some() || self.attrs.group.is_some();
        if wants_attrs && src_exists {
            let target_opts = StatOptions {
                follow: self.follow,
                ..StatOptions::default()
            };
            let probe = if self.follow {
                absrc.clone()
            } else {
                self.path.clone()
            };
            let current = match files::stat(ctx.conn, &probe, target_opts, &ctx.via).await {
                Ok(s) => s,
                Err(e) => return Err(e.into()),
            };
            if let Some(current) = current {
                let mut changes = attrs_differ(&current, &self.attrs);
                if !self.follow {
                    changes.mode = None;
                }
                if changes.any() {
                    outcome.changed = true;
                    diff.attrs(&changes);
                    actions.push_str(&format!("p={}\n", quote_path(&probe)));
                    actions.push_str(&attrs_lines("p", &changes.to_attrs(), false));
                }
            }
        }
        if !ctx.check && !actions.is_empty() {
            if let Err(e) = run_actions(ctx, &self.path, &actions, &mut outcome).await {
                return Err(e.into());
            }
        } else if let Some(st) = &self.st {
            file_fields(st, &mut outcome);
        }
        outcome.data.insert("state".into(), Value::from("link"));
        diff.finish(&mut outcome, ctx.diff);
        Ok(outcome)
    }

    async fn hard(
        self,
        ctx: &mut ModuleCtx<'_>,
        src: Option<&str>,
        force: bool,
    ) -> Result<Outcome, ModuleError> {
        let Some(src) = src else {
            return Err(ModuleError::failed("src is required for creating new hard links"));
        };
        let src_st = match files::stat(ctx.conn, src, StatOptions::default(), &ctx.via).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(ModuleError::failed(format!("src does not exist: {src}"))),
            Err(e) => return Err(e.into()),
        };
        let mut outcome = self.outcome("dest");
        outcome.data.insert("src".into(), Value::from(src));
        let diff = DiffBuilder::new(&self.path, "hard", self.prev);
        let same = self
            .st
            .as_ref()
            .is_some_and(|st| st.inode == src_st.inode && st.dev == src_st.dev);
        let pre = if same {
            String::new()
        } else {
            match self.prev {
                "file" | "link" if !force => {
                    return Err(ModuleError::failed(format!(
                        "Cannot link, {} exists at destination",
                        self.prev
                    )));
                }
                "directory" => {
                    return Err(ModuleError::failed(format!(
                        "Cannot link, directory exists at destination: {}",
                        self.path
                    )));
                }
                _ => {}
            }
            outcome.changed = true;
            format!("ln -f -- {} {}\n", quote_path(src), quote_path(&self.path))
        };
        let current = src_st.clone();
        self.settle(ctx, &self.path.clone(), &current, outcome, diff, &pre)
            .await
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Runs `actions` on the host; when the task's result is seen, the stat of `path` afterwards
/// (same round trip) fills the outcome's fields.
async fn run_actions(
    ctx: &mut ModuleCtx<'_>,
    path: &str,
    actions: &str,
    outcome: &mut Outcome,
) -> Result<(), files::FileError> {
    let after = files::run_then_stat(ctx.conn, path, actions, ctx.result_seen, &ctx.via).await?;
    if let Some(after) = after {
        file_fields(&after, outcome);
    }
    Ok(())
}
