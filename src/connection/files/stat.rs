//! Stat of remote paths (Ansible's `stat` fields plus a checksum), any number per round trip;
//! the script and its parser are in `stat_script`.

use super::super::{Connection, Via};
use super::stat_script::{parse, parse_each, stat_each_script, stat_script};
use super::{FileError, remote_error, run_script};

/// The type of a file system entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// What `stat` learnt about an existing path (Ansible's `stat` result, minus mime and attrs).
#[derive(Clone, Debug, PartialEq)]
pub struct FileStat {
    pub path: String,
    pub kind: FileKind,
    /// Permission bits, `0o7777` at most.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// User name, or the uid as text when it has none.
    pub owner: String,
    pub group: String,
    pub size: u64,
    pub inode: u64,
    pub dev: u64,
    pub nlink: u64,
    pub atime: f64,
    pub mtime: f64,
    pub ctime: f64,
    pub blocks: u64,
    pub block_size: u64,
    pub device_type: u64,
    pub readable: bool,
    pub writeable: bool,
    pub executable: bool,
    /// Checksum (sha1 unless another tool was asked for) of a regular, readable file.
    pub checksum: Option<String>,
    /// For a symlink: what it points to (`readlink`) and the resolved path (`readlink -f`).
    pub link_target: Option<String>,
    pub link_source: Option<String>,
    /// The umask of the shell running the command (for modes without a `who`).
    pub umask: u32,
}

impl FileStat {
    /// A stat of `path` with every field zero, before the host's answer fills it.
    pub(super) fn empty(path: &str) -> Self {
        FileStat {
            path: path.to_string(),
            kind: FileKind::File,
            mode: 0,
            uid: 0,
            gid: 0,
            owner: String::new(),
            group: String::new(),
            size: 0,
            inode: 0,
            dev: 0,
            nlink: 0,
            atime: 0.0,
            mtime: 0.0,
            ctime: 0.0,
            blocks: 0,
            block_size: 0,
            device_type: 0,
            readable: false,
            writeable: false,
            executable: false,
            checksum: None,
            link_target: None,
            link_source: None,
            umask: 0o022,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Directory
    }

    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }

    pub fn is_link(&self) -> bool {
        self.kind == FileKind::Symlink
    }
}

/// How to stat.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatOptions {
    /// Follow a symlink to what it points to (Ansible's `follow`).
    pub follow: bool,
    /// Compute the checksum of a regular file.
    pub checksum: bool,
    /// The coreutils tool for the checksum (`md5sum`, `sha256sum`, ...); `None` is `sha1sum`.
    pub checksum_tool: Option<&'static str>,
}

/// Stats `path`; `None` when nothing exists there.
pub async fn stat(
    conn: &mut dyn Connection,
    path: &str,
    opts: StatOptions,
    via: &Via,
) -> Result<Option<FileStat>, FileError> {
    let mut each = stat_each(conn, &[(path, opts)], via).await?;
    Ok(each.pop().flatten())
}

/// Stats `path` and then runs `more` (shell lines), in one round trip; returns the stat and
/// what `more` printed.
pub async fn stat_and_run(
    conn: &mut dyn Connection,
    path: &str,
    opts: StatOptions,
    more: &str,
    via: &Via,
) -> Result<(Option<FileStat>, String), FileError> {
    const MARK: &str = "__ph_more__\n";
    let script = format!(
        "( {} ) || exit 1\nprintf '{MARK}'\n{more}",
        stat_script(path, opts).trim_end()
    );
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, rest) = text.split_once(MARK).unwrap_or((&text, ""));
    let st = parse(path, opts, head).ok_or_else(|| unreadable(path, head.as_bytes()))?;
    Ok((st, rest.to_string()))
}

/// Stats `path`, runs `more` (shell lines), and stats `path` again, in one round trip: the
/// stat before (with `opts`), what `more` printed, and the stat after (no checksum).
pub async fn stat_run_stat(
    conn: &mut dyn Connection,
    path: &str,
    opts: StatOptions,
    more: &str,
    via: &Via,
) -> Result<(Option<FileStat>, String, Option<FileStat>), FileError> {
    const MARK: &str = "__ph_more__\n";
    const AFTER: &str = "__ph_after__\n";
    let script = format!(
        "( {} ) || exit 1\nprintf '{MARK}'\n( {more}\n) || exit 1\nprintf '{AFTER}'\n{}",
        stat_script(path, opts).trim_end(),
        stat_script(path, StatOptions::default())
    );
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, rest) = text.split_once(MARK).unwrap_or((&text, ""));
    let (middle, tail) = rest.split_once(AFTER).unwrap_or((rest, ""));
    let before = parse(path, opts, head).ok_or_else(|| unreadable(path, head.as_bytes()))?;
    let after = parse(path, StatOptions::default(), tail).ok_or_else(|| unreadable(path, tail.as_bytes()))?;
    Ok((before, middle.to_string(), after))
}

/// Stats several paths in one round trip; one entry per path, `None` where nothing exists.
pub async fn stat_many(
    conn: &mut dyn Connection,
    paths: &[&str],
    opts: StatOptions,
    via: &Via,
) -> Result<Vec<Option<FileStat>>, FileError> {
    let each: Vec<(&str, StatOptions)> = paths.iter().map(|p| (*p, opts)).collect();
    stat_each(conn, &each, via).await
}

/// Like [`stat_many`], with options per path (the same path followed and not, say).
pub async fn stat_each(
    conn: &mut dyn Connection,
    paths: &[(&str, StatOptions)],
    via: &Via,
) -> Result<Vec<Option<FileStat>>, FileError> {
    let Some((first, _)) = paths.first() else {
        return Ok(Vec::new());
    };
    let out = run_script(conn, stat_each_script(paths), None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(first, &out));
    }
    parse_each(paths, &String::from_utf8_lossy(&out.stdout)).ok_or_else(|| unreadable(first, &out.stdout))
}

/// The error for output that is not the stat script's.
fn unreadable(path: &str, stdout: &[u8]) -> FileError {
    FileError::Remote {
        path: path.to_string(),
        message: format!(
            "could not read the output of `stat` (is GNU coreutils installed?): {}",
            String::from_utf8_lossy(stdout).trim()
        ),
    }
}

/// Runs `actions` (shell lines; they stop at the first failure) and then, when `stat_after`,
/// stats `path`, in one round trip. Returns the stat afterwards (`None` when not asked for).
pub async fn run_then_stat(
    conn: &mut dyn Connection,
    path: &str,
    actions: &str,
    stat_after: bool,
    via: &Via,
) -> Result<Option<FileStat>, FileError> {
    let after = if stat_after {
        stat_script(path, StatOptions::default())
    } else {
        "exit 0\n".to_string()
    };
    // The subshell stands alone: inside `( ... ) || exit 1` the shell would ignore `set -e`.
    let script = format!("(\nset -e\n{actions}\n)\n[ $? -eq 0 ] || exit 1\necho __ph_done__\n{after}");
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split_once("__ph_done__\n")
        .and_then(|(_, rest)| parse(path, StatOptions::default(), rest))
        .flatten())
}
