//! `stat` of one remote path with coreutils `stat`, `readlink` and `sha1sum`, in one round trip.

use super::super::quote::quote_path;
use super::super::{Become, Connection};
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
    privilege: Option<&Become>,
) -> Result<Option<FileStat>, FileError> {
    let script = stat_script(path, opts);
    let out = run_script(conn, script, None, privilege).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    parse(path, &String::from_utf8_lossy(&out.stdout)).ok_or_else(|| FileError::Remote {
        path: path.to_string(),
        message: format!(
            "could not read the output of `stat` (is GNU coreutils installed?): {}",
            String::from_utf8_lossy(&out.stdout).trim()
        ),
    })
}

/// The script: prints `absent`, or `key=value` lines.
pub(crate) fn stat_script(path: &str, opts: StatOptions) -> String {
    let l = if opts.follow { "-L " } else { "" };
    let test = if opts.follow {
        "[ -e \"$p\" ]"
    } else {
        "[ -e \"$p\" ] || [ -L \"$p\" ]"
    };
    let mut s = format!(
        "p={}\nif ! {{ {test}; }}; then echo absent; exit 0; fi\n\
         stat {l}--printf 'stat=%f|%u|%g|%s|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%o|%t|%T\\nowner=%U\\ngroup=%G\\n' -- \"$p\" \
         || exit 1\n\
         printf 'umask='; umask\n\
         [ -r \"$p\" ] && echo r=1; [ -w \"$p\" ] && echo w=1; [ -x \"$p\" ] && echo x=1\n",
        quote_path(path)
    );
    if !opts.follow {
        s.push_str(
            "if [ -L \"$p\" ]; then echo \"lnk_target=$(readlink -- \"$p\")\"; \
             echo \"lnk_source=$(readlink -f -- \"$p\")\"; fi\n",
        );
    }
    if opts.checksum {
        let tool = opts.checksum_tool.unwrap_or("sha1sum");
        s.push_str(&format!(
            "if [ -f \"$p\" ] && [ -r \"$p\" ] && {{ [ ! -L \"$p\" ] || [ -n '{l}' ]; }}; then \
             s=$({tool} < \"$p\") && echo \"sha1=${{s%% *}}\"; fi\n"
        ));
    }
    s.push_str("exit 0\n");
    s
}

/// Parses the script's output (also used by callers that batch the script with other work).
pub(crate) fn parse(path: &str, text: &str) -> Option<Option<FileStat>> {
    if text.lines().any(|l| l == "absent") {
        return Some(None);
    }
    let mut st = FileStat {
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
    };
    let mut seen_stat = false;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "stat" => {
                let f: Vec<&str> = value.split('|').collect();
                if f.len() != 14 {
                    return None;
                }
                let raw = u32::from_str_radix(f[0], 16).ok()?;
                st.kind = match raw & 0o170000 {
                    0o040000 => FileKind::Directory,
                    0o120000 => FileKind::Symlink,
                    0o020000 => FileKind::CharDevice,
                    0o060000 => FileKind::BlockDevice,
                    0o010000 => FileKind::Fifo,
                    0o140000 => FileKind::Socket,
                    _ => FileKind::File,
                };
                st.mode = raw & 0o7777;
                st.uid = f[1].parse().ok()?;
                st.gid = f[2].parse().ok()?;
                st.size = f[3].parse().ok()?;
                st.inode = f[4].parse().ok()?;
                st.dev = f[5].parse().ok()?;
                st.nlink = f[6].parse().ok()?;
                st.atime = f[7].parse().ok()?;
                st.mtime = f[8].parse().ok()?;
                st.ctime = f[9].parse().ok()?;
                st.blocks = f[10].parse().ok()?;
                st.block_size = f[11].parse().ok()?;
                let major = u64::from_str_radix(f[12], 16).ok()?;
                let minor = u64::from_str_radix(f[13], 16).ok()?;
                st.device_type = makedev(major, minor);
                seen_stat = true;
            }
            "owner" => st.owner = value.to_string(),
            "group" => st.group = value.to_string(),
            "umask" => st.umask = u32::from_str_radix(value.trim(), 8).unwrap_or(0o022),
            "r" => st.readable = true,
            "w" => st.writeable = true,
            "x" => st.executable = true,
            "lnk_target" => st.link_target = Some(value.to_string()),
            "lnk_source" => st.link_source = Some(value.to_string()),
            "sha1" => st.checksum = Some(value.to_string()),
            _ => {}
        }
    }
    if !seen_stat {
        return None;
    }
    if st.owner == "UNKNOWN" {
        st.owner = st.uid.to_string();
    }
    if st.group == "UNKNOWN" {
        st.group = st.gid.to_string();
    }
    Some(Some(st))
}

/// glibc's `makedev`, so `device_type` matches Python's `st_rdev`.
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
}

/// Stats several paths in one round trip; one entry per path, `None` where nothing exists.
pub async fn stat_many(
    conn: &mut dyn Connection,
    paths: &[&str],
    opts: StatOptions,
    privilege: Option<&Become>,
) -> Result<Vec<Option<FileStat>>, FileError> {
    let each: Vec<(&str, StatOptions)> = paths.iter().map(|p| (*p, opts)).collect();
    stat_each(conn, &each, privilege).await
}

/// Like [`stat_many`], with options per path (the same path followed and not, say).
pub async fn stat_each(
    conn: &mut dyn Connection,
    paths: &[(&str, StatOptions)],
    privilege: Option<&Become>,
) -> Result<Vec<Option<FileStat>>, FileError> {
    const SEP: &str = "__ph_stat_sep__";
    let mut script = String::new();
    for (path, opts) in paths {
        script.push_str(&format!(
            "( {} ) || echo failed=1\necho {SEP}\n",
            stat_script(path, *opts).trim_end().replace('\n', "\n  ")
        ));
    }
    let out = run_script(conn, script, None, privilege).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let sections: Vec<&str> = text.split(&format!("{SEP}\n")).collect();
    let mut result = Vec::with_capacity(paths.len());
    for (i, (path, _)) in paths.iter().enumerate() {
        let section = sections.get(i).copied().unwrap_or("");
        if section.lines().any(|l| l == "failed=1") || out.rc != 0 {
            return Err(remote_error(path, &out));
        }
        let parsed = parse(path, section).ok_or_else(|| FileError::Remote {
            path: path.to_string(),
            message: format!("could not read the output of `stat`: {}", section.trim()),
        })?;
        result.push(parsed);
    }
    Ok(result)
}

/// Runs `actions` (shell lines; they stop at the first failure) and then stats `path`, in one
/// round trip. Returns the stat afterwards.
pub async fn run_then_stat(
    conn: &mut dyn Connection,
    path: &str,
    actions: &str,
    privilege: Option<&Become>,
) -> Result<Option<FileStat>, FileError> {
    let script = format!(
        "( set -e\n{actions}\n) || exit 1\necho __ph_done__\n{}",
        stat_script(path, StatOptions::default())
    );
    let out = run_script(conn, script, None, privilege).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split_once("__ph_done__\n")
        .and_then(|(_, rest)| parse(path, rest))
        .flatten())
}
