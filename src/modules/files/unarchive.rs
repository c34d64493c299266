//! `unarchive`: unpacks a tar (gzip, xz, bzip2, zstd or none) or zip archive into an existing
//! directory on the target, as ansible-core 2.19 does: the archive comes from the controller
//! (found like `copy`'s `src`, uploaded into a private temp directory), is already on the host
//! (`remote_src`), or is a URL downloaded there ([`crate::modules::net::http`]).
//!
//! Whether anything changes is Ansible's decision: for tar, GNU `tar --diff` against `dest`,
//! its lines filtered as Ansible filters them (missing files, content, size, mtime, symlinks,
//! and mode/owner/group unless the task sets them); for zip, [`super::unarchive_zip`] compares
//! each entry's type, size, mtime, CRC, mode, owner and group. Then `mode`/`owner`/`group` are
//! applied to every unpacked path. In check mode a tar archive is skipped and a zip archive
//! compared, as in Ansible. `list_files` registers `files`; `creates` skips.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::unarchive_zip;
use crate::connection::files::{self, FileAttrs, FileStat, StatOptions};
use crate::connection::quote::{quote, quote_path};
use crate::modules::net::http::{self, Request};
use crate::modules::packages::version::fnmatch;
use crate::modules::params::{ModeParam, file_fields, refuse_attributes, selinux};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Unarchive;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(super) src: Option<String>,
    pub(super) dest: Option<String>,
    remote_src: Option<bool>,
    copy: Option<bool>,
    creates: Option<String>,
    list_files: Option<bool>,
    pub(super) keep_newer: Option<bool>,
    pub(super) exclude: Option<Vec<String>>,
    pub(super) include: Option<Vec<String>>,
    extra_opts: Option<Vec<String>>,
    validate_certs: Option<bool>,
    io_buffer_size: Option<u64>,
    decrypt: Option<bool>,
    pub(super) mode: Option<ModeParam>,
    pub(super) owner: Option<String>,
    pub(super) group: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    selevel: Option<String>,
    setype: Option<String>,
    #[serde(alias = "attr")]
    attributes: Option<String>,
    unsafe_writes: Option<bool>,
}

impl Params {
    /// `extra_opts`, none when not given.
    pub(super) fn extra_opts_list(&self) -> Vec<String> {
        self.extra_opts.clone().unwrap_or_default()
    }
}

/// The tar flags Ansible tries, in its order, with its handler names.
const TAR_HANDLERS: &[(&str, &str)] = &[
    ("-z", "TgzArchive"),
    ("", "TarArchive"),
    ("-j", "TarBzipArchive"),
    ("-J", "TarXzArchive"),
    ("--use-compress-program=zstd", "TarZstdArchive"),
];

/// Ansible's filter of `tar --diff` lines: always a difference.
const DIFFERS: &[&str] = &[
    ": Mod time differs",
    ": Warning: Cannot stat: No such file or directory",
    ": Invalid owner",
    ": Invalid group",
    ": Symlink differs",
    ": Contents differ",
    ": Size differs",
];

#[async_trait]
impl TypedModule for Unarchive {
    type Params = Params;

    const SPEC: Spec = Spec::host("unarchive").source("src", "files", false);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let _ = (p.unsafe_writes, p.decrypt, p.io_buffer_size);
        refuse_attributes("unarchive", p.attributes.as_deref())?;
        selinux::check(
            ctx,
            "unarchive",
            p.dest.as_deref().unwrap_or_default(),
            selinux::context!(p),
        )
        .await?;
        if p.mode == Some(ModeParam::Preserve) {
            return Err(ModuleError::Params(
                "unarchive: mode: preserve is not a mode; give one".into(),
            ));
        }
        let remote_src = match (p.copy, p.remote_src) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::failed(
                    "parameters are mutually exclusive: ('copy', 'remote_src')",
                ));
            }
            (Some(copy), None) => !copy,
            (None, r) => r.unwrap_or(false),
        };
        if p.include.as_ref().is_some_and(|v| !v.is_empty())
            && p.exclude.as_ref().is_some_and(|v| !v.is_empty())
        {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: include|exclude",
            ));
        }
        let (Some(src), Some(dest)) = (p.src.clone(), p.dest.clone()) else {
            return Err(ModuleError::failed("src (or content) and dest are required"));
        };
        let upload = if remote_src {
            None
        } else {
            let path = ctx.find_source("files", &src)?;
            Some(
                std::fs::read(&path)
                    .map_err(|e| ModuleError::Local(format!("cannot read `{}`: {e}", path.display())))?,
            )
        };
        let url = remote_src && src.contains("://");
        let probe = probe_script(&p, &src, &dest, upload.is_some(), url);
        let mut cmd = ctx.command(probe);
        match (&upload, url) {
            (Some(bytes), _) => {
                cmd.stdin = Some(bytes.clone());
                cmd.stdin_base64 = true;
            }
            (None, true) => {
                let mut req = Request::get(&src);
                req.validate_certs = p.validate_certs.unwrap_or(true);
                cmd.stdin = Some(req.stdin());
            }
            (None, false) => {}
        }
        let out = ctx.conn.run(&cmd, None).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(str::to_string))
        };
        if let Some(creates) = p.creates.as_deref().filter(|_| text.contains("__ph_creates__")) {
            return Ok(Outcome {
                skipped: true,
                msg: Some(format!("skipped, since {creates} exists")),
                ..Outcome::default()
            });
        }
        if text.contains("__ph_nodest__") {
            return Err(ModuleError::failed(format!(
                "dest '{dest}' must be an existing dir"
            )));
        }
        let temp_dir = field("__ph_tmpdir__ ");
        let result = examine(ctx, &p, &src, &dest, &text, &out.stderr).await;
        let result = match result {
            Ok(Examined::Done(o)) => Ok(o),
            Ok(Examined::Unpack(job)) => unpack(ctx, &p, &dest, job).await,
            Err(e) => Err(e),
        };
        if let Some(dir) = temp_dir {
            // The uploaded or downloaded archive goes, whatever happened.
            let _ = ctx.run(format!("rm -rf -- {}", quote_path(&dir))).await;
        }
        result
    }
}

/// The first round trip: `creates`, `dest`, the archive (uploaded or downloaded into a private
/// temp dir), its handler, its listing and the comparison with `dest`.
fn probe_script(p: &Params, src: &str, dest: &str, upload: bool, url: bool) -> String {
    let mut s = String::new();
    if let Some(c) = &p.creates {
        s.push_str(&format!(
            "if [ -e {} ]; then echo __ph_creates__; exit 0; fi\n",
            quote_path(c)
        ));
    }
    s.push_str(&format!(
        "dest={}\nif [ ! -d \"$dest\" ]; then echo __ph_nodest__; exit 0; fi\n",
        quote_path(dest)
    ));
    if upload {
        s.push_str(
            "td=$(mktemp -d) || exit 1\necho \"__ph_tmpdir__ $td\"\nsrc=\"$td/source\"\n\
             base64 -d > \"$src\" || exit 1\n",
        );
    } else if url {
        s.push_str(&format!(
            "td=$(mktemp -d) || exit 1\necho \"__ph_tmpdir__ $td\"\nsrc=\"$td/{}\"\n{}",
            http::url_filename(src).replace(['\'', '"', '$', '`', '\\', '/'], "_"),
            http::lines(&Request::get(src), "src")
        ));
        s.push_str("echo __ph_fetched__\n");
    } else {
        s.push_str(&format!("src={}\n", quote_path(src)));
    }
    s.push_str(
        "echo \"__ph_src__ $src\"\n\
         if [ ! -e \"$src\" ]; then echo __ph_nosrc__; exit 0; fi\n\
         if [ ! -s \"$src\" ]; then echo __ph_empty__; exit 0; fi\n\
         echo \"__ph_uid__ $(id -u)\"\necho \"__ph_tz__ $(date +%z)\"\n\
         export LANG=C LC_ALL=C LC_MESSAGES=C LANGUAGE=C\n",
    );
    let opts: Vec<String> = p.extra_opts.clone().unwrap_or_default();
    let opts_words = if opts.is_empty() {
        String::new()
    } else {
        format!(
            " --show-transformed-names {}",
            opts.iter().map(|o| quote(o)).collect::<Vec<_>>().join(" ")
        )
    };
    let excludes: Vec<String> = p
        .exclude
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|e| quote(&format!("--exclude={}", e.trim_end_matches('/'))))
        .collect();
    let includes: Vec<String> = p
        .include
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|i| quote(i))
        .collect();
    let ex = if excludes.is_empty() {
        String::new()
    } else {
        format!(" {}", excludes.join(" "))
    };
    let inc = if includes.is_empty() {
        String::new()
    } else {
        format!(" {}", includes.join(" "))
    };
    let mut diff_flags = String::new();
    if let Some(o) = &p.owner {
        diff_flags.push_str(&format!(
            " {}",
            quote(&format!("--owner={}", crate::connection::quote::shlex_quote(o)))
        ));
    }
    if let Some(g) = &p.group {
        diff_flags.push_str(&format!(
            " {}",
            quote(&format!("--group={}", crate::connection::quote::shlex_quote(g)))
        ));
    }
    if p.keep_newer.unwrap_or(false) {
        diff_flags.push_str(" --keep-newer-files");
    }
    let zip_x = match p.exclude.as_ref().filter(|e| !e.is_empty()) {
        Some(e) => format!(" -x {}", e.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" ")),
        None => String::new(),
    };
    s.push_str(&format!(
        "if command -v unzip >/dev/null 2>&1 && unzip -l \"$src\" >/dev/null 2>&1; then\n\
         echo __ph_handler__ zip\necho \"__ph_unzip__ $(command -v unzip)\"\necho __ph_zipinfo__\nunzip -Z -T -s \"$src\"{zip_x}{inc} 2>/dev/null\n\
         echo __ph_unzipv__\nunzip -v \"$src\"\necho __ph_end__\nexit 0\nfi\n\
         tb=$(command -v gtar || command -v tar) || {{ echo __ph_notar__; exit 0; }}\n\
         echo \"__ph_tar__ $tb\"\n\
         for f in -z '' -j -J --use-compress-program=zstd; do\n\
         if l=$(\"$tb\" --list -C \"$dest\" $f{opts_words}{ex} -f \"$src\"{inc} 2>/dev/null) && [ -n \"$l\" ]; then\n\
         echo \"__ph_handler__ tar $f\"\nprintf '%s\\n' \"$l\"\necho __ph_diff__\n\
         \"$tb\" --diff -C \"$dest\" $f{opts_words}{diff_flags}{ex} -f \"$src\"{inc} 2>&1\n\
         echo __ph_end__\nexit 0\nfi\ndone\n\
         echo __ph_nohandler__\n\
         m=$(od -An -tx1 -N6 \"$src\" | tr -d ' \\n')\n\
         case \"$m\" in 1f8b*) need=gzip;; fd377a585a00) need=xz;; 425a68*) need=bzip2;; 28b52ffd*) need=zstd;; 504b*) need=unzip;; *) need=;; esac\n\
         if [ -n \"$need\" ] && ! command -v \"$need\" >/dev/null 2>&1; then echo \"__ph_need__ $need\"; fi\n\
         if ! command -v unzip >/dev/null 2>&1; then echo __ph_nounzip__; fi\n"
    ));
    s
}

/// What the first round trip found.
enum Examined {
    Done(Outcome),
    Unpack(Job),
}

/// An unpack to do.
pub(super) struct Job {
    pub handler: &'static str,
    /// The program and its arguments, as Ansible registers `extract_results.cmd`.
    pub cmd: Vec<String>,
    pub files: Vec<String>,
    pub src: String,
    pub diff: Option<String>,
    /// Whether anything differs (else only attributes may change).
    pub differs: bool,
}

async fn examine(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    orig_src: &str,
    dest: &str,
    text: &str,
    stderr: &[u8],
) -> Result<Examined, ModuleError> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(str::to_string))
    };
    let src = field("__ph_src__ ").unwrap_or_else(|| orig_src.to_string());
    if text.contains("__ph_fetched__") {
        let resp = http::parse(text, orig_src).map_err(|_| {
            ModuleError::failed(
                "unarchive needs curl or wget on the host to download src and neither is installed; install curl",
            )
        })?;
        if resp.status != Some(200) {
            return Err(ModuleError::failed(format!(
                "Failure downloading {orig_src}, {}",
                match resp.status {
                    Some(code) => format!("HTTP Error {code}: {}", resp.reason),
                    None => format!("Request failed: {}", resp.error.unwrap_or_default()),
                }
            )));
        }
    }
    if text.contains("__ph_nosrc__") {
        return Err(ModuleError::failed(
            if p.remote_src.unwrap_or(false) || p.copy == Some(false) {
                format!("Source '{src}' does not exist")
            } else {
                format!("Source '{src}' failed to transfer")
            },
        ));
    }
    if text.contains("__ph_empty__") {
        return Err(ModuleError::failed(format!(
            "Invalid archive '{src}', the file is 0 bytes"
        )));
    }
    let Some(handler) = field("__ph_handler__ ") else {
        if let Some(need) = field("__ph_need__ ") {
            return Err(ModuleError::failed(format!(
                "unarchive: `{need}` is not installed on the host and is needed to unpack {src}; install it"
            )));
        }
        if text.contains("__ph_notar__") {
            return Err(ModuleError::failed(format!(
                "Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed.\nUnable to find required 'gtar' or 'tar' binary in the path"
            )));
        }
        if text.contains("__ph_nohandler__") {
            return Err(ModuleError::failed(format!(
                "Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed.\n\
                 Command \"tar\" could not handle archive{}",
                if text.contains("__ph_nounzip__") {
                    "; `unzip` is not installed"
                } else {
                    ""
                }
            )));
        }
        return Err(ModuleError::failed(format!(
            "unarchive: could not read the archive {src} on the host: {}",
            String::from_utf8_lossy(stderr).trim()
        )));
    };
    let run_uid: u32 = field("__ph_uid__ ")
        .and_then(|u| u.trim().parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once(&format!("__ph_handler__ {handler}\n"))
        .map(|(_, b)| b)
        .unwrap_or("");
    let body = body.split("__ph_end__").next().unwrap_or("");
    if handler == "zip" {
        let tz = field("__ph_tz__ ").unwrap_or_default();
        let job = unarchive_zip::examine(ctx, p, &src, dest, body, &tz).await?;
        return finish_examine(ctx, p, dest, job).await;
    }
    let flag = handler.strip_prefix("tar").unwrap_or("").trim().to_string();
    let name = TAR_HANDLERS
        .iter()
        .find(|(f, _)| *f == flag)
        .map(|(_, n)| *n)
        .unwrap_or("TarArchive");
    let (listing, diff_out) = body.split_once("__ph_diff__\n").unwrap_or((body, ""));
    let excludes: Vec<String> = p
        .exclude
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|e| e.trim_end_matches('/').to_string())
        .collect();
    let files: Vec<String> = listing
        .lines()
        .map(unescape)
        .map(|f| f.strip_prefix('/').map(str::to_string).unwrap_or(f))
        .filter(|f| !excludes.iter().any(|e| fnmatch(f, e)))
        .collect();
    let attrs = attrs(p);
    let differs = diff_out.lines().any(|line| {
        !line.ends_with(": : Warning: Cannot stat: No such file or directory")
            && ((run_uid == 0 && attrs.owner.is_none() && line.ends_with(": Uid differs"))
                || (run_uid == 0 && attrs.group.is_none() && line.ends_with(": Gid differs"))
                || (attrs.mode.is_none() && line.ends_with(": Mode differs"))
                || DIFFERS
                    .iter()
                    .any(|d| line.contains(d) && (line.ends_with(d) || d.starts_with(": Invalid"))))
    });
    let tar = field("__ph_tar__ ").unwrap_or_else(|| "tar".into());
    let mut cmd = vec![tar, "--extract".into(), "-C".into(), dest.to_string()];
    if !flag.is_empty() {
        cmd.push(flag.clone());
    }
    if let Some(opts) = p.extra_opts.as_ref().filter(|o| !o.is_empty()) {
        cmd.push("--show-transformed-names".into());
        cmd.extend(opts.iter().cloned());
    }
    if let Some(o) = &p.owner {
        cmd.push(format!("--owner={}", crate::connection::quote::shlex_quote(o)));
    }
    if let Some(g) = &p.group {
        cmd.push(format!("--group={}", crate::connection::quote::shlex_quote(g)));
    }
    if p.keep_newer.unwrap_or(false) {
        cmd.push("--keep-newer-files".into());
    }
    cmd.extend(excludes.iter().map(|e| format!("--exclude={e}")));
    cmd.push("-f".into());
    cmd.push(src.clone());
    cmd.extend(p.include.clone().unwrap_or_default());
    if ctx.check {
        return Ok(Examined::Done(Outcome {
            skipped: true,
            msg: Some("remote module (unarchive) does not support check mode when using gtar".into()),
            ..Outcome::default()
        }));
    }
    let job = Job {
        handler: name,
        cmd,
        files,
        src,
        diff: None,
        differs,
    };
    finish_examine(ctx, p, dest, job).await
}

/// Check mode ends here (with the comparison's answer); otherwise the unpack follows.
async fn finish_examine(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    dest: &str,
    job: Job,
) -> Result<Examined, ModuleError> {
    if !ctx.check {
        return Ok(Examined::Unpack(job));
    }
    let mut o = base_result(&job, dest);
    o.changed = job.differs;
    if let Some(d) = job.diff.as_ref().filter(|d| !d.is_empty()) {
        o.data.insert(
            "diff".into(),
            crate::modules::params::map_value([("prepared", Value::from(d.as_str()))]),
        );
    }
    if p.list_files.unwrap_or(false) {
        o.data.insert("files".into(), Value::from(job.files.clone()));
    }
    dest_fields(ctx, dest, &mut o).await?;
    Ok(Examined::Done(o))
}

fn base_result(job: &Job, dest: &str) -> Outcome {
    Outcome::default()
        .with("handler", job.handler)
        .with("dest", dest)
        .with("src", job.src.as_str())
}

/// Ansible adds the fields of `dest` (a directory) to the result.
async fn dest_fields(ctx: &mut ModuleCtx<'_>, dest: &str, o: &mut Outcome) -> Result<(), ModuleError> {
    if let Some(st) = files::stat(ctx.conn, dest, StatOptions::default(), &ctx.via).await? {
        file_fields(&st, o);
    }
    Ok(())
}

pub(super) fn attrs(p: &Params) -> FileAttrs {
    FileAttrs {
        mode: match &p.mode {
            Some(ModeParam::Mode(m)) => Some(m.clone()),
            _ => None,
        },
        owner: p.owner.clone(),
        group: p.group.clone(),
    }
}

/// Unpacks when something differs, then gives every unpacked path (and the top folders) the
/// asked mode, owner and group.
async fn unpack(ctx: &mut ModuleCtx<'_>, p: &Params, dest: &str, job: Job) -> Result<Outcome, ModuleError> {
    let mut o = base_result(&job, dest);
    if job.differs {
        let script = format!(
            "cd {} && LANG=C LC_ALL=C {}",
            quote_path(dest),
            job.cmd.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
        );
        let out = ctx.run(script).await?;
        let results = crate::modules::params::map_value([
            ("cmd", Value::from(job.cmd.clone())),
            ("rc", Value::from(out.rc)),
            (
                "out",
                Value::from(String::from_utf8_lossy(&out.stdout).into_owned()),
            ),
            (
                "err",
                Value::from(String::from_utf8_lossy(&out.stderr).into_owned()),
            ),
        ]);
        o.data.insert("extract_results".into(), results);
        if out.rc != 0 {
            return Err(ModuleError::failed_with(
                format!("failed to unpack {} to {dest}", job.src),
                o,
            ));
        }
        o.changed = true;
    }
    if let Some(d) = job.diff.as_ref().filter(|d| !d.is_empty()) {
        o.data.insert(
            "diff".into(),
            crate::modules::params::map_value([("prepared", Value::from(d.as_str()))]),
        );
    }
    let attrs = attrs(p);
    if attrs.mode.is_some() || attrs.owner.is_some() || attrs.group.is_some() {
        let mut paths: Vec<String> = Vec::new();
        let mut tops: Vec<String> = Vec::new();
        for f in &job.files {
            paths.push(format!("{}/{f}", dest.trim_end_matches('/')));
            if let Some((top, _)) = f.split_once('/') {
                if !tops.iter().any(|t| t == top) {
                    tops.push(top.to_string());
                }
            }
        }
        paths.extend(tops.iter().map(|t| format!("{}/{t}", dest.trim_end_matches('/'))));
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let stats = files::stat_many(ctx.conn, &refs, StatOptions::default(), &ctx.via).await?;
        let mut script = String::from("set -e\n");
        for (path, st) in paths.iter().zip(&stats) {
            let Some(st) = st else { continue };
            let changes = differ(st, &attrs);
            if changes.any() {
                o.changed = true;
                script.push_str(&format!("p={}\n", quote_path(path)));
                script.push_str(&files::attrs_lines("p", &changes.to_attrs(), false));
            }
        }
        if script.len() > "set -e\n".len() {
            let out = ctx.run(script).await?;
            if out.rc != 0 {
                return Err(ModuleError::failed_with(
                    format!(
                        "Unexpected error when accessing exploded file: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    o,
                ));
            }
        }
    }
    if p.list_files.unwrap_or(false) {
        o.data.insert("files".into(), Value::from(job.files.clone()));
    }
    dest_fields(ctx, dest, &mut o).await?;
    Ok(o)
}

/// The attribute changes of one unpacked path (a symlink's mode is left alone).
fn differ(st: &FileStat, attrs: &FileAttrs) -> files::AttrChanges {
    let mut c = files::attrs_differ(st, attrs);
    if st.is_link() {
        c.mode = None;
    }
    c
}

/// A name as GNU tar prints it (`\ooo` octal escapes and `\\`), decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let oct = &b[i + 1..(i + 4).min(b.len())];
            if oct.len() == 3 && oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = oct.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push((v & 0xff) as u8);
                i += 4;
                continue;
            }
            let esc = match b[i + 1] {
                b'\\' => Some(b'\\'),
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                _ => None,
            };
            if let Some(e) = esc {
                out.push(e);
                i += 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_names_are_unescaped() {
        assert_eq!(unescape("caf\\303\\251/a\\\\b"), "café/a\\b");
        assert_eq!(unescape("plain/name"), "plain/name");
    }
}
