//! `unarchive` of a zip archive: Ansible's comparison of each entry (`unzip -Z -T -s`) with
//! what is under `dest` — type, size, mtime (the zip's local time on the target's zone), CRC-32
//! (computed on the target from `gzip`'s trailer), mode (the task's, else the entry's), owner
//! and group (the task's, else the user running) — and its `diff` lines (`>f++++++.?? path`,
//! `.f.cst.....?? path`), then the `unzip -o` command Ansible runs.

use crate::connection::files::{self, FileKind, FileStat, StatOptions};
use crate::connection::quote::quote_path;
use crate::modules::packages::version::fnmatch;
use crate::modules::{ModuleCtx, ModuleError};

use super::unarchive::{Job, Params, attrs};

/// One entry of `unzip -Z -T -s`.
struct Entry {
    ztype: char,
    perm: String,
    size: u64,
    stamp: String,
    path: String,
}

fn entries(zipinfo: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for line in zipinfo.lines() {
        let pcs: Vec<&str> = {
            // Python's split(None, 7): runs of whitespace separate, the rest is the path.
            let mut v = Vec::new();
            let mut rest = line.trim_start();
            while v.len() < 7 {
                let Some(end) = rest.find(char::is_whitespace) else {
                    break;
                };
                v.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            if !rest.is_empty() {
                v.push(rest);
            }
            v
        };
        if pcs.len() != 8 || !matches!(pcs[0].len(), 7 | 8 | 10) || pcs[6].len() != 15 {
            continue;
        }
        let mut chars = pcs[0].chars();
        let Some(ztype) = chars.next() else { continue };
        if !"dl-?".contains(ztype) || !chars.clone().all(|c| "rwxstah-".contains(c)) {
            continue;
        }
        let Ok(size) = pcs[3].parse() else { continue };
        out.push(Entry {
            ztype,
            perm: chars.collect(),
            size,
            stamp: pcs[6].to_string(),
            path: pcs[7].to_string(),
        });
    }
    out
}

/// Names and CRCs from `unzip -v`.
fn crcs(unzip_v: &str) -> Vec<(String, u32)> {
    let lines: Vec<&str> = unzip_v.lines().collect();
    if lines.len() < 5 {
        return Vec::new();
    }
    lines[3..lines.len() - 2]
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let name = l.split_once(f[6])?.1.trim().to_string();
            Some((name, u32::from_str_radix(f[6], 16).ok()?))
        })
        .collect()
}

/// "yyyymmdd.hhmmss" as epoch seconds in the zone `tz` (`+0100`), clamped as Ansible does.
fn stamp_epoch(stamp: &str, tz: &str) -> f64 {
    let num = |a: usize, b: usize| stamp.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let fields = (
        num(0, 4),
        num(4, 6),
        num(6, 8),
        num(9, 11),
        num(11, 13),
        num(13, 15),
    );
    let (y, mo, d, h, mi, s) = match fields {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) if (1980..=2107).contains(&y) => {
            (y, mo, d, h, mi, s)
        }
        (Some(y), ..) if y > 2107 => (2107, 12, 31, 23, 59, 59),
        _ => (1980, 1, 1, 0, 0, 0),
    };
    let days = crate::calendar::days_from_civil(y, mo as u32, d as u32);
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let digits = tz.trim_start_matches(['+', '-']);
    let offset = digits.get(0..2).and_then(|h| h.parse::<i64>().ok()).unwrap_or(0) * 3600
        + digits.get(2..4).and_then(|m| m.parse::<i64>().ok()).unwrap_or(0) * 60;
    (days * 86400 + h * 3600 + mi * 60 + s - sign * offset) as f64
}

/// Permission string to bits as Ansible's `_permstr_to_octal` (s and t count as x).
fn perm_bits(perm: &str) -> u32 {
    let rev: Vec<char> = perm.chars().rev().collect();
    let mut mode = 0;
    for (k, c) in rev.iter().take(9).enumerate() {
        if "rwxst".contains(*c) {
            mode += 1 << k;
        }
    }
    mode
}

pub(super) async fn examine(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    src: &str,
    dest: &str,
    body: &str,
    tz: &str,
) -> Result<Job, ModuleError> {
    let (info, rest) = body
        .split_once("__ph_zipinfo__\n")
        .map(|(_, r)| r)
        .unwrap_or(body)
        .split_once("__ph_unzipv__\n")
        .unwrap_or((body, ""));
    let excludes = p.exclude.clone().unwrap_or_default();
    let includes = p.include.clone().unwrap_or_default();
    let all = crcs(rest);
    let mut files = Vec::new();
    for (name, _) in &all {
        if !includes.is_empty() {
            for inc in &includes {
                if fnmatch(name, inc) {
                    files.push(name.clone());
                }
            }
        } else if !excludes.iter().any(|e| fnmatch(name, e)) {
            files.push(name.clone());
        }
    }
    let entries: Vec<Entry> = entries(info)
        .into_iter()
        .filter(|e| !excludes.contains(&e.path))
        .collect();
    let base = dest.trim_end_matches('/');
    let paths: Vec<String> = entries
        .iter()
        .map(|e| format!("{base}/{}", e.path.trim_end_matches('/')))
        .collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let stats = files::stat_many(ctx.conn, &refs, StatOptions::default(), &ctx.via).await?;
    // CRC-32 of the regular files there: the first four bytes of gzip's trailer.
    let regular: Vec<&String> = paths
        .iter()
        .zip(&stats)
        .filter(|(_, st)| st.as_ref().is_some_and(FileStat::is_file))
        .map(|(p, _)| p)
        .collect();
    let mut crc_of: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    if !regular.is_empty() {
        let mut script = String::new();
        for path in &regular {
            script.push_str(&format!(
                "printf '%s\\n' \"$(gzip -c < {} | tail -c8 | od -An -tu4 -N4 | tr -d ' ')\"\n",
                quote_path(path)
            ));
        }
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        for (path, line) in regular.iter().zip(text.lines()) {
            if let Ok(v) = line.trim().parse() {
                crc_of.insert((*path).clone(), v);
            }
        }
    }
    let want = attrs(p);
    let keep_newer = p.keep_newer.unwrap_or(false);
    let mut diff = String::new();
    let mut includes_changed = false;
    for ((e, path), st) in entries.iter().zip(&paths).zip(&stats) {
        let ftype = if e.path.ends_with('/') {
            'd'
        } else if e.ztype == 'l' {
            'L'
        } else {
            'f'
        };
        let Some(st) = st else {
            includes_changed = true;
            diff.push_str(&format!(">{ftype}++++++.?? {}\n", e.path));
            continue;
        };
        let wrong_type = match ftype {
            'd' => !st.is_dir(),
            'f' => !st.is_file(),
            _ => st.kind != FileKind::Symlink,
        };
        if wrong_type {
            includes_changed = true;
            diff.push_str(&format!("c{ftype}++++++.?? {}\n", e.path));
            continue;
        }
        let mut itemized: Vec<char> = format!(".{ftype}.......??").chars().collect();
        let mut change = false;
        if st.is_file() {
            let stamp = stamp_epoch(&e.stamp, tz);
            if keep_newer {
                if stamp > st.mtime {
                    change = true;
                    itemized[4] = 't';
                } else if stamp < st.mtime {
                    continue;
                }
            } else if stamp != st.mtime {
                change = true;
                itemized[4] = 't';
            }
            if e.size != st.size {
                change = true;
                itemized[3] = 's';
            }
            let crc = all.iter().find(|(n, _)| *n == e.path).map(|(_, c)| *c);
            if crc_of.get(path).copied() != crc {
                change = true;
                itemized[2] = 'c';
            }
        }
        if ftype != 'L' {
            let mode = match &want.mode {
                Some(m) => m.resolve(st.mode, st.is_dir(), st.umask),
                None => {
                    let perm = match e.perm.len() {
                        6 if e.path.ends_with('/') || e.perm == "rwx---" => "rwxrwxrwx".to_string(),
                        6 => "rw-rw-rw-".to_string(),
                        7 if e.perm == "rwxa---" => "rwxrwxrwx".to_string(),
                        7 => "rw-rw-rw-".to_string(),
                        _ => e.perm.clone(),
                    };
                    let umask = if matches!(e.perm.len(), 6 | 7) {
                        st.umask
                    } else {
                        0
                    };
                    perm_bits(&perm) & !umask
                }
            };
            if mode != st.mode {
                change = true;
                itemized[5] = 'p';
            }
        }
        let owner_differs = match &want.owner {
            Some(o) if o.chars().all(|c| c.is_ascii_digit()) => o.parse::<u32>().ok() != Some(st.uid),
            Some(o) => *o != st.owner,
            None => st.uid != 0,
        };
        if owner_differs {
            change = true;
            itemized[6] = 'o';
        }
        let group_differs = match &want.group {
            Some(g) if g.chars().all(|c| c.is_ascii_digit()) => g.parse::<u32>().ok() != Some(st.gid),
            Some(g) => *g != st.group,
            None => st.gid != 0,
        };
        if group_differs {
            change = true;
            itemized[6] = 'g';
        }
        if change {
            includes_changed = true;
            diff.push_str(&format!("{} {}\n", itemized.iter().collect::<String>(), e.path));
        }
    }
    let unzip = body
        .lines()
        .find_map(|l| l.strip_prefix("__ph_unzip__ "))
        .unwrap_or("/usr/bin/unzip")
        .to_string();
    let mut cmd = vec![unzip, "-o".to_string()];
    cmd.extend(p.extra_opts_list());
    cmd.push(src.to_string());
    if !excludes.is_empty() {
        cmd.push("-x".into());
        cmd.extend(excludes.iter().cloned());
    }
    cmd.extend(includes.iter().cloned());
    cmd.push("-d".into());
    cmd.push(dest.to_string());
    Ok(Job {
        handler: "ZipArchive",
        cmd,
        files,
        src: src.to_string(),
        diff: Some(diff),
        differs: includes_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipinfo_lines_and_crcs_parse() {
        let info = "Archive:  a.zip\nZip file size: 1 bytes, number of entries: 2\n\
                    drwxr-xr-x  3.0 unx        0 bx stor 20240101.120000 dir/\n\
                    -rw-r--r--  3.0 unx       12 tx stor 20240101.120000 dir/a file.txt\n\
                    2 files, 12 bytes uncompressed, 12 bytes compressed:  0.0%\n";
        let e = entries(info);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[1].path.as_str(), e[1].size, e[1].perm.as_str()),
            ("dir/a file.txt", 12, "rw-r--r--")
        );
        let v = "Archive:  a.zip\n Length   Method    Size  Cmpr    Date    Time   CRC-32   Name\n\
                 --------  ------  ------- ---- ---------- ----- --------  ----\n\
                        0  Stored        0   0% 2024-01-01 12:00 00000000  dir/\n\
                       12  Stored       12   0% 2024-01-01 12:00 3610a686  dir/a file.txt\n\
                 --------          -------  ---                            -------\n\
                       12               12   0%                            2 files\n";
        assert_eq!(
            crcs(v),
            vec![
                ("dir/".to_string(), 0),
                ("dir/a file.txt".to_string(), 0x3610a686)
            ]
        );
        assert_eq!(stamp_epoch("19700102.000000", "+0000"), 315_532_800.0);
        assert_eq!(stamp_epoch("20240101.000000", "+0100"), 1_704_067_200.0 - 3600.0);
        assert_eq!(perm_bits("rwxr-sr-t"), 0o755);
    }
}
