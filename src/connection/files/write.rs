//! Reading, atomically writing and removing remote files.
//!
//! A write never leaves a half-written file: the content travels as the command's stdin, base64
//! text in a here-document the shell holds completely before anything runs
//! ([`Command::stdin_base64`](crate::connection::Command::stdin_base64)). The script creates a
//! private temp file with a random name in the destination's directory (exclusively: `set -C`),
//! decodes into it, gives it its owner, group and mode, and renames it over the destination with
//! `mv -fT`. If the connection dies mid-transfer nothing runs at all; if `base64 -d` is stopped
//! mid-write its exit status aborts the script (under `become`, where the data may cross one
//! more pipe, the size is checked too), which removes the temp file, so only a
//! `.NAME.playhook-RANDOM-PID` file killed with the shell itself can remain, never a partial
//! destination; the next write of the same file removes it (its writer, PID, is gone). A new file without a mode gets `0666 & ~umask`, as in Ansible; an existing file
//! passes its mode and ownership on.

use super::super::quote::{quote, quote_path};
use super::super::{Connection, Via};
use super::attrs::{FileAttrs, chown_spec, mode_arg};
use super::stat::{FileStat, StatOptions};
use super::stat_script::{parse, stat_script};
use super::{FileError, remote_error, run_script};
use crate::connection::Output;

/// Reads a whole remote file.
pub async fn read(conn: &mut dyn Connection, path: &str, via: &Via) -> Result<Vec<u8>, FileError> {
    let out = run_script(conn, format!("cat -- {}", quote_path(path)), None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    Ok(out.stdout)
}

/// Reads a remote file together with its stat, in one round trip; `None` when it does not
/// exist. A directory comes back with empty contents (check `stat.is_dir()`).
pub async fn read_with_stat(
    conn: &mut dyn Connection,
    path: &str,
    via: &Via,
) -> Result<Option<(FileStat, Vec<u8>)>, FileError> {
    Ok(read_resolved(conn, path, via)
        .await?
        .map(|(st, content, _)| (st, content)))
}

/// [`read_with_stat`], plus the path a symlink resolves to (`readlink -f`), `None` when `path`
/// is not a symlink: what a module that writes through symlinks replaces.
pub async fn read_resolved(
    conn: &mut dyn Connection,
    path: &str,
    via: &Via,
) -> Result<Option<(FileStat, Vec<u8>, Option<String>)>, FileError> {
    let followed = StatOptions {
        follow: true,
        ..StatOptions::default()
    };
    let script = format!(
        "if [ -L {p} ]; then printf '__ph_real__=%s\\n' \"$(readlink -f -- {p})\"; fi\n\
         ( {} ) || exit 1\nif [ -f {p} ]; then echo __ph_content__; cat -- {p}; fi",
        stat_script(path, followed).trim_end(),
        p = quote_path(path)
    );
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    let marker = b"__ph_content__\n";
    let (head, content) = match memchr::memmem::find(&out.stdout, marker) {
        Some(at) => (&out.stdout[..at], out.stdout[at + marker.len()..].to_vec()),
        None => (&out.stdout[..], Vec::new()),
    };
    let head = String::from_utf8_lossy(head);
    let (real, head) = match head.strip_prefix("__ph_real__=") {
        Some(rest) => match rest.split_once('\n') {
            Some((real, head)) => (Some(real.to_string()), head.to_string()),
            None => (Some(rest.to_string()), String::new()),
        },
        None => (None, head.into_owned()),
    };
    let parsed = parse(path, followed, &head).ok_or_else(|| FileError::Remote {
        path: path.to_string(),
        message: "could not read the output of `stat`".to_string(),
    })?;
    Ok(parsed.map(|st| (st, content, real)))
}

/// Options of an atomic write.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Mode, owner and group to give the file. Without a mode, an existing destination keeps its
    /// mode and a new one gets `0666 & ~umask`, as Ansible does; the same for owner and group.
    pub attrs: FileAttrs,
    /// Keep a copy of the previous file as `DEST.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's name).
    pub backup: bool,
    /// Run this command (with `%s` replaced by the temp file) before the rename; a non-zero exit
    /// aborts the write (the `validate` option).
    pub validate: Option<String>,
    /// Create missing parent directories first (`mkdir -p`, default modes).
    pub create_parents: bool,
    /// Stat the written file in the same round trip ([`WriteResult::stat`]).
    pub stat_after: bool,
}

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteResult {
    /// Path of the backup, when one was made.
    pub backup_file: Option<String>,
    /// The written file's stat, taken in the same round trip when asked for.
    pub stat: Option<FileStat>,
}

/// Writes `content` to `path` atomically.
pub async fn write_atomic(
    conn: &mut dyn Connection,
    path: &str,
    content: &[u8],
    opts: &WriteOptions,
    via: &Via,
) -> Result<WriteResult, FileError> {
    // Under `become`, sudo or su may pass the data on through a pipe of their own, whose writer
    // can die before the script hears of it; a short file then decodes cleanly, so the size is
    // checked before the rename.
    let fill = match via.privilege {
        None => "base64 -d > \"$t\"".to_string(),
        Some(_) => format!(
            "base64 -d > \"$t\"\n[ \"$(wc -c < \"$t\")\" -eq {} ] \
             || {{ echo 'incomplete transfer: the file was not replaced' >&2; exit 1; }}",
            content.len()
        ),
    };
    let script = write_script(path, opts, &fill);
    let mut cmd = via.command(script);
    cmd.stdin = Some(content.to_vec());
    cmd.stdin_base64 = true;
    let out = conn.run(&cmd, None).await?;
    write_result(path, &out)
}

/// Copies the remote file `src` to `path` atomically (`remote_src`), like [`write_atomic`].
pub async fn copy_remote_atomic(
    conn: &mut dyn Connection,
    src: &str,
    path: &str,
    opts: &WriteOptions,
    via: &Via,
) -> Result<WriteResult, FileError> {
    let script = write_script(path, opts, &format!("cp -- {} \"$t\"", quote_path(src)));
    let out = run_script(conn, script, None, via).await?;
    write_result(path, &out)
}

fn write_result(path: &str, out: &Output) -> Result<WriteResult, FileError> {
    if out.rc != 0 {
        return Err(remote_error(path, out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let backup_file = text
        .lines()
        .find_map(|l| l.strip_prefix("backup="))
        .map(str::to_string);
    let stat = text
        .split_once("__ph_written__\n")
        .and_then(|(_, rest)| parse(path, StatOptions::default(), rest))
        .flatten();
    Ok(WriteResult { backup_file, stat })
}

/// The random part and the pid of a temp file's name (`.NAME.playhook-<16 hex>-<pid>`), as a
/// shell pattern.
const STALE_GLOB: &str = "????????????????-*";

fn write_script(path: &str, opts: &WriteOptions, fill: &str) -> String {
    let (dir, name) = match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    };
    let mkdir = if opts.create_parents {
        format!("mkdir -p -- {}\n", quote_path(dir))
    } else {
        String::new()
    };
    // The temp file is created private (as `mktemp` would), before the trap that removes it is
    // set, and exclusively, so a name taken by anything else fails the write instead of
    // touching it. Its name ends with the writing shell's pid: a temp file of this destination
    // whose writer is gone (killed with its shell, so its trap never ran) is removed first.
    let prefix = quote_path(&format!("{dir}/.{name}.playhook-"));
    let mut s = format!(
        "set -e\n{mkdir}f={}\n\
         if [ -d /proc/self ]; then for o in {prefix}{STALE_GLOB}; do p=${{o##*-}}; \
         case $p in ''|*[!0-9]*) continue;; esac; \
         if [ -f \"$o\" ] && [ ! -d \"/proc/$p\" ]; then rm -f -- \"$o\"; fi; done; fi\n\
         t={prefix}{:016x}-$$\n( umask 077; set -C; : > \"$t\" )\n\
         trap 'rm -f \"$t\"' EXIT\ntrap 'exit 1' HUP INT TERM\n{fill}\n",
        quote_path(path),
        rand::random::<u64>()
    );
    // Owner and group first, mode last: `chown` clears set-user-ID and set-group-ID bits. A
    // replaced file passes on its owner and group (unless both are set; `chown` only runs when
    // they differ from the new file's) and its mode (unless one is set); a new file gets
    // `0666 & ~umask`, set explicitly as Ansible does (a default ACL would otherwise decide).
    if opts.attrs.owner.is_none() || opts.attrs.group.is_none() {
        s.push_str(
            "if [ -e \"$f\" ] && ! { [ -O \"$f\" ] && [ -G \"$f\" ] && [ -G \"$t\" ]; }; then \
             chown --reference=\"$f\" \"$t\" 2>/dev/null || true; fi\n",
        );
    }
    if let Some(spec) = chown_spec(&opts.attrs) {
        s.push_str(&format!("chown {} \"$t\"\n", quote(&spec)));
    }
    match &opts.attrs.mode {
        Some(mode) => s.push_str(&format!("chmod {} \"$t\"\n", quote(&mode_arg(mode)))),
        None => s.push_str(
            "if [ -e \"$f\" ]; then chmod --reference=\"$f\" \"$t\"; \
             else chmod \"$(printf '%o' $(( 0666 & ~0$(umask) )))\" \"$t\"; fi\n",
        ),
    }
    if let Some(validate) = &opts.validate {
        let cmd = validate.replace("%s", "\"$t\"");
        s.push_str(&format!(
            "if ! v=$( {cmd} 2>&1 ); then printf 'failed to validate: %s\\n' \"$v\" >&2; exit 1; fi\n"
        ));
    }
    if opts.backup {
        s.push_str(
            "if [ -f \"$f\" ]; then b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$f\" \"$b\"; \
             echo \"backup=$b\"; fi\n",
        );
    }
    s.push_str("mv -fT -- \"$t\" \"$f\"\ntrap - EXIT HUP INT TERM\n");
    if opts.stat_after {
        s.push_str("echo __ph_written__\n");
        s.push_str(&stat_script(path, StatOptions::default()));
    }
    s
}

/// Removes `path` (recursively for a directory). Returns whether something was there.
pub async fn remove(conn: &mut dyn Connection, path: &str, via: &Via) -> Result<bool, FileError> {
    let script = format!(
        "p={}\nif [ -e \"$p\" ] || [ -L \"$p\" ]; then rm -rf -- \"$p\" && echo removed; fi",
        quote_path(path)
    );
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    Ok(out.stdout.starts_with(b"removed"))
}
