//! The shell script behind [`stat_each`](super::stat_each), and the parser of its output.
//!
//! Programs started on a host are what a run costs, so the script starts as few as it can:
//! builtins test existence and access, one `stat` takes every path of the command (a second
//! `stat -L` only the symlinks to follow), one checksum program takes every file to checksum.

use std::fmt::Write as _;

use super::super::quote::quote_path;
use super::stat::{FileKind, FileStat, StatOptions};

/// The `stat` format: one record of three lines per path.
const STAT_FORMAT: &str = "stat=%f|%u|%g|%s|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%o|%t|%T\\nowner=%U\\ngroup=%G\\n";

/// The script that stats every path of `paths` with as few programs as possible: shell builtins
/// test existence and access, then one `stat` per follow mode and one checksum program per tool
/// take every existing path at once (`readlink` runs for symlinks only). Its output:
///
/// ```text
/// umask=0022
/// 0:has  0:r  0:w  0:x  0:lnk_target=..  0:lnk_source=..  0:sum     per path, by index
/// 1:hasL                                                    a symlink to follow
/// 1:absent
/// #stat -      `stat=`/`owner=`/`group=` records of the `has` paths, in order
/// #stat -L     the same for the `hasL` paths
/// #sum sha1sum one `HASH  NAME` line per path marked `N:sum` for this tool, in order
/// ```
pub(crate) fn stat_each_script(paths: &[(&str, StatOptions)]) -> String {
    let mut tools: Vec<&str> = Vec::new();
    for (_, opts) in paths.iter().filter(|(_, o)| o.checksum) {
        let tool = opts.checksum_tool.unwrap_or("sha1sum");
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    let mut s = String::from("printf 'umask='; umask\n_sP= _sL=\n");
    for t in 0..tools.len() {
        let _ = writeln!(s, "_sC{t}=");
    }
    for (i, (path, opts)) in paths.iter().enumerate() {
        let tool = opts.checksum_tool.unwrap_or("sha1sum");
        // `stat` and `sha1sum` read standard input for `-`, even after `--`.
        let path = if *path == "-" { "./-" } else { path };
        let _ = writeln!(s, "_s{i}={}", quote_path(path));
        let v = format!("\"$_s{i}\"");
        // The word `"$_sN"` as a list appends it, expanded only by the final `eval`.
        let item = format!("\\\"\\$_s{i}\\\"");
        // A followed path that is not a symlink has the same stat as the path itself, so only
        // symlinks to follow need the second `stat -L`.
        let (exists, add) = if opts.follow {
            (
                format!("[ -e {v} ]"),
                format!(
                    "if [ -L {v} ]; then echo {i}:hasL; _sL=\"$_sL {item}\"; \
                     else echo {i}:has; _sP=\"$_sP {item}\"; fi"
                ),
            )
        } else {
            (
                format!("[ -e {v} ] || [ -L {v} ]"),
                format!("echo {i}:has; _sP=\"$_sP {item}\""),
            )
        };
        let _ = write!(
            s,
            "if {exists}; then {add}\n  \
             [ -r {v} ] && echo {i}:r; [ -w {v} ] && echo {i}:w; [ -x {v} ] && echo {i}:x\n"
        );
        if !opts.follow {
            let _ = writeln!(
                s,
                "  if [ -L {v} ]; then printf '%s\\n' \"{i}:lnk_target=$(readlink -- {v})\" \
                 \"{i}:lnk_source=$(readlink -f -- {v})\"; fi"
            );
        }
        if opts.checksum {
            let link_ok = if opts.follow {
                ""
            } else {
                &format!(" && [ ! -L {v} ]")
            };
            let _ = writeln!(
                s,
                "  if [ -f {v} ] && [ -r {v} ]{link_ok}; then echo {i}:sum; \
                 _sC{t}=\"$_sC{t} {item}\"; fi",
                t = tools.iter().position(|t| *t == tool).unwrap_or(0)
            );
        }
        let _ = writeln!(s, "else echo {i}:absent; fi");
    }
    for (list, marker, flag) in [("_sP", "-", ""), ("_sL", "-L", "-L ")] {
        let _ = writeln!(
            s,
            "echo '#stat {marker}'; if [ -n \"${list}\" ]; then \
             eval \"stat {flag}--printf '{STAT_FORMAT}' -- ${list}\" || exit 1; fi"
        );
    }
    for (t, tool) in tools.iter().enumerate() {
        let _ = writeln!(
            s,
            "echo '#sum {tool}'; if [ -n \"$_sC{t}\" ]; then eval \"{tool} -- $_sC{t}\" || exit 1; fi"
        );
    }
    s.push_str("exit 0\n");
    s
}

/// The script for one path (see [`stat_each_script`]).
pub(crate) fn stat_script(path: &str, opts: StatOptions) -> String {
    stat_each_script(&[(path, opts)])
}

/// Parses the output of [`stat_script`] for one path; `None` when it is not that output.
pub(crate) fn parse(path: &str, opts: StatOptions, text: &str) -> Option<Option<FileStat>> {
    parse_each(&[(path, opts)], text).and_then(|mut v| v.pop())
}

/// Where a line of [`stat_each_script`]'s output belongs.
enum Section {
    Head,
    Stat,
    Sum,
}

/// Parses the output of [`stat_each_script`] for the same `paths`: one entry per path, `None`
/// where nothing exists. `None` overall when the output is not that script's (no coreutils).
pub(crate) fn parse_each(paths: &[(&str, StatOptions)], text: &str) -> Option<Vec<Option<FileStat>>> {
    let mut found: Vec<Option<FileStat>> = paths.iter().map(|_| None).collect();
    let mut umask = 0o022;
    let mut summed: Vec<usize> = Vec::new();
    // Paths stat'ed with `stat -L` (followed symlinks), in output order.
    let mut followed: Vec<usize> = Vec::new();
    let mut section = Section::Head;
    // Indices still waiting for their `stat` record or checksum line, in output order.
    let mut stat_queue: Vec<usize> = Vec::new();
    let mut sum_queue: Vec<usize> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#stat -") {
            let follow = rest == "L";
            section = Section::Stat;
            stat_queue = (0..paths.len())
                .rev()
                .filter(|&i| found[i].is_some() && followed.contains(&i) == follow)
                .collect();
            continue;
        }
        if let Some(tool) = line.strip_prefix("#sum ") {
            section = Section::Sum;
            sum_queue = summed
                .iter()
                .rev()
                .copied()
                .filter(|&i| paths[i].1.checksum_tool.unwrap_or("sha1sum") == tool)
                .collect();
            continue;
        }
        match section {
            Section::Head => {
                if let Some(value) = line.strip_prefix("umask=") {
                    umask = u32::from_str_radix(value.trim(), 8).unwrap_or(0o022);
                    continue;
                }
                let Some((index, what)) = line.split_once(':') else {
                    continue;
                };
                let Some(i) = index.parse::<usize>().ok().filter(|&i| i < paths.len()) else {
                    continue;
                };
                match what {
                    "has" => found[i] = Some(FileStat::empty(paths[i].0)),
                    "hasL" => {
                        found[i] = Some(FileStat::empty(paths[i].0));
                        followed.push(i);
                    }
                    "sum" => summed.push(i),
                    _ => {
                        if let Some(st) = found[i].as_mut() {
                            head_line(st, what);
                        }
                    }
                }
            }
            Section::Stat => {
                if let Some(value) = line.strip_prefix("stat=") {
                    let i = stat_queue.pop()?;
                    let st = found[i].as_mut()?;
                    fill_stat(st, value)?;
                    current = Some(i);
                } else if let (Some(i), Some((key, value))) = (current, line.split_once('=')) {
                    let st = found[i].as_mut()?;
                    match key {
                        "owner" => st.owner = value.to_string(),
                        "group" => st.group = value.to_string(),
                        _ => {}
                    }
                }
            }
            Section::Sum => {
                let i = sum_queue.pop()?;
                let hash = line.trim_start_matches('\\').split_whitespace().next()?;
                found[i].as_mut()?.checksum = Some(hash.to_string());
            }
        }
    }
    for st in found.iter_mut().flatten() {
        // Every existing path must have had its `stat` record.
        if st.owner.is_empty() {
            return None;
        }
        st.umask = umask;
        if st.owner == "UNKNOWN" {
            st.owner = st.uid.to_string();
        }
        if st.group == "UNKNOWN" {
            st.group = st.gid.to_string();
        }
    }
    Some(found)
}

/// A per-path line of the head: access bits and symlink targets.
fn head_line(st: &mut FileStat, what: &str) {
    match what.split_once('=') {
        Some(("lnk_target", v)) => st.link_target = Some(v.to_string()),
        Some(("lnk_source", v)) => st.link_source = Some(v.to_string()),
        Some(_) => {}
        None => match what {
            "r" => st.readable = true,
            "w" => st.writeable = true,
            "x" => st.executable = true,
            _ => {}
        },
    }
}

/// Fills the fields of a `stat=` line: `%f|%u|%g|%s|%i|%d|%h|%X|%Y|%Z|%b|%o|%t|%T`.
fn fill_stat(st: &mut FileStat, value: &str) -> Option<()> {
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
    Some(())
}

/// glibc's `makedev`, so `device_type` matches Python's `st_rdev`.
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Runs the script for `paths` in a real `sh` and parses its output.
    fn stat_here(paths: &[(&str, StatOptions)]) -> Vec<Option<FileStat>> {
        stat_in(Path::new("/"), paths)
    }

    /// Like [`stat_here`], with `dir` as the working directory (for relative paths).
    fn stat_in(dir: &Path, paths: &[(&str, StatOptions)]) -> Vec<Option<FileStat>> {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(stat_each_script(paths))
            .current_dir(dir)
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        parse_each(paths, &String::from_utf8_lossy(&out.stdout)).expect("parsed")
    }

    #[test]
    fn one_script_answers_for_every_path_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let file = d.join("it's $HOME \"x\"");
        std::fs::write(&file, b"hello\n").expect("write");
        let sub = d.join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        let link = d.join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let dangling = d.join("dangling");
        std::os::unix::fs::symlink(d.join("nowhere"), &dangling).expect("symlink");
        let (file, sub, link, dangling) = (
            file.to_string_lossy().into_owned(),
            sub.to_string_lossy().into_owned(),
            link.to_string_lossy().into_owned(),
            dangling.to_string_lossy().into_owned(),
        );
        let missing = d.join("missing").to_string_lossy().into_owned();
        let plain = StatOptions::default();
        let sum = StatOptions {
            checksum: true,
            ..plain
        };
        let follow_sum = StatOptions { follow: true, ..sum };
        let md5 = StatOptions {
            checksum_tool: Some("md5sum"),
            ..sum
        };
        let got = stat_here(&[
            (&link, follow_sum),
            (&missing, sum),
            (&file, sum),
            (&dangling, follow_sum),
            (&sub, plain),
            (&link, sum),
            (&dangling, plain),
            (&file, md5),
        ]);
        let [
            followed,
            missing,
            file_st,
            dangling_followed,
            sub_st,
            link_st,
            dangling_st,
            file_md5,
        ] = got.as_slice()
        else {
            panic!("eight answers: {got:?}");
        };
        let sha1_hello = "f572d396fae9206628714fb2ce00f72e94f2258f";
        let followed = followed.as_ref().expect("the link's target exists");
        assert_eq!((followed.kind, followed.size), (FileKind::File, 6));
        assert_eq!(followed.checksum.as_deref(), Some(sha1_hello));
        assert!(missing.is_none() && dangling_followed.is_none());
        let file_st = file_st.as_ref().expect("file");
        assert_eq!(file_st.checksum.as_deref(), Some(sha1_hello));
        assert_eq!(file_st.inode, followed.inode);
        assert!(file_st.readable && file_st.writeable && !file_st.executable);
        assert_eq!(sub_st.as_ref().expect("dir").kind, FileKind::Directory);
        let link_st = link_st.as_ref().expect("link");
        assert_eq!(link_st.kind, FileKind::Symlink);
        assert_eq!(link_st.checksum, None, "a link not followed has no checksum");
        assert_eq!(link_st.link_target.as_deref(), Some(file.as_str()));
        assert_eq!(
            dangling_st.as_ref().expect("the dangling link itself").kind,
            FileKind::Symlink
        );
        assert_eq!(
            file_md5.as_ref().expect("file").checksum.as_deref(),
            Some("b1946ac92492d2347c6235b4d2611184")
        );
        assert!(
            got.iter()
                .flatten()
                .all(|st| !st.owner.is_empty() && st.umask <= 0o777)
        );
    }

    #[test]
    fn nothing_existing_runs_no_stat() {
        let script = stat_each_script(&[("/nonexistent/a", StatOptions::default())]);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("stat() {{ echo ran; }}\n{script}"))
            .output()
            .expect("sh runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("ran"), "{text}");
        assert_eq!(
            parse_each(&[("/nonexistent/a", StatOptions::default())], &text),
            Some(vec![None])
        );
    }

    #[test]
    fn odd_link_targets_and_a_path_named_dash_stay_in_their_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("-"), b"dash\n").expect("write");
        std::os::unix::fs::symlink("a\\cb", d.join("odd")).expect("symlink");
        std::fs::write(d.join("after"), b"x").expect("write");
        let sum = StatOptions {
            checksum: true,
            ..StatOptions::default()
        };
        let got = stat_in(d, &[("odd", StatOptions::default()), ("-", sum), ("after", sum)]);
        let odd = got[0].as_ref().expect("the link");
        assert_eq!(odd.link_target.as_deref(), Some("a\\cb"));
        let dash = got[1].as_ref().expect("the file named -");
        assert_eq!((dash.kind, dash.size), (FileKind::File, 5));
        assert_eq!(
            dash.checksum.as_deref(),
            Some("4a21f020d042e5f433f7d35c0d0301c22acd66d5"),
            "the file's sum, not standard input's"
        );
        assert_eq!(got[2].as_ref().expect("after").size, 1);
    }
}
