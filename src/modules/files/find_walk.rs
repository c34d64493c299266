//! The host side of `find`: one script lists every entry under the searched paths with its
//! `lstat` fields (GNU `find -printf`, NUL-separated), and the parser turns that listing back
//! into directories in the host's `readdir` order, so the module can replay Python's `os.walk`
//! exactly (files before directories, hidden directories descended, depth pruning). A second
//! script, only when `contains` or `get_checksum` needs them, brings the candidates' contents
//! and checksums.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::connection::quote::quote_path;

/// One directory entry, as `lstat` saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    /// The path as `find` printed it (the searched path, `/`, the names below it).
    pub path: String,
    /// The directory it is in, as `find` printed it.
    pub parent: String,
    pub name: String,
    /// `f`, `d`, `l`, `c`, `b`, `p`, `s` (of the entry itself).
    pub kind: char,
    /// Whether it is a directory once symlinks are followed (`os.walk`'s `is_dir()`).
    pub is_dir: bool,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Empty when the id has no name, as Ansible's `pw_name`/`gr_name`.
    pub user: String,
    pub group: String,
    pub size: u64,
    pub inode: u64,
    pub dev: u64,
    pub nlink: u64,
    pub atime: f64,
    pub mtime: f64,
    pub ctime: f64,
}

/// What the host said about one searched path.
#[derive(Debug, Default)]
pub struct Listing {
    /// `false`: not a directory (or missing), Ansible skips it with a warning.
    pub is_dir: bool,
    pub entries: Vec<Entry>,
    /// Directories `find` could not read: path → Python's `OSError` text.
    pub errors: Vec<(String, String)>,
}

/// The listing of every searched path, and the host's clock and umask.
#[derive(Debug, Default)]
pub struct Listings {
    pub now: f64,
    pub umask: u32,
    pub paths: Vec<Listing>,
}

const FIELDS: &str =
    "%y\\0%Y\\0%m\\0%U\\0%G\\0%u\\0%g\\0%s\\0%i\\0%D\\0%n\\0%A@\\0%T@\\0%C@\\0%h\\0%f\\0%p\\0";

/// `stat`'s format for a symlink's own fields, in the order of [`FIELDS`] from `%m` on.
const LSTAT: &str = "K\\0%f\\0%u\\0%g\\0%U\\0%G\\0%s\\0%i\\0%d\\0%h\\0%.9X\\0%.9Y\\0%.9Z\\0%n\\0";

/// The listing script. `maxdepth` bounds the walk (`1` without `recurse`); `follow` descends
/// into symlinked directories (`find -L`; `-H` otherwise, so a searched path that is a symlink
/// to a directory is still searched, as `os.walk` does).
pub fn list_script(paths: &[String], maxdepth: Option<u32>, follow: bool) -> String {
    let mut s = String::from(
        "command -v find >/dev/null 2>&1 || { echo 'find: command not found (the find module needs GNU findutils on the host)' >&2; exit 127; }\n\
         printf 'now=%s\\0umask=%s\\0' \"$(date +%s.%N)\" \"$(umask)\"\n",
    );
    let depth = maxdepth.map(|d| format!(" -maxdepth {d}")).unwrap_or_default();
    let (opt, link) = if follow {
        ("-L", "\\( -xtype l -printf 'L\\0' \\) , ")
    } else {
        ("-H", "")
    };
    // Under `-L` the fields are the target's; a symlink's own (`lstat`, as Ansible reports it)
    // come from one `stat` of every symlink, in the same script.
    let lstat = if follow {
        format!(
            "find -L \"$_p\" -mindepth 1{depth} -xtype l -print0 2>/dev/null \
             | xargs -0 -r stat --printf '{LSTAT}' -- 2>/dev/null; "
        )
    } else {
        String::new()
    };
    for (i, p) in paths.iter().enumerate() {
        let _ = write!(
            s,
            "_p={}\nprintf 'P\\0'; printf '\\n#P{i}\\n' >&2\n\
             if [ -d \"$_p\" ]; then printf 'D\\0'; \
             find {opt} \"$_p\" -mindepth 1{depth} {link}-printf 'E\\0{FIELDS}' || true; {lstat}fi\n",
            quote_path(p)
        );
    }
    s
}

/// Parses the listing script's output (`stdout`) and its error lines (`stderr`).
pub fn parse_listing(stdout: &[u8], stderr: &str) -> Option<Listings> {
    let text = String::from_utf8_lossy(stdout);
    let mut tokens = text.split('\0');
    let mut out = Listings::default();
    let mut link_next = false;
    while let Some(tok) = tokens.next() {
        if let Some(v) = tok.strip_prefix("now=") {
            out.now = v.parse().ok()?;
        } else if let Some(v) = tok.strip_prefix("umask=") {
            out.umask = u32::from_str_radix(v.trim(), 8).ok()?;
        } else if tok == "P" {
            out.paths.push(Listing::default());
        } else if tok == "D" {
            out.paths.last_mut()?.is_dir = true;
        } else if tok == "L" {
            link_next = true;
        } else if tok == "K" {
            let f: Vec<&str> = tokens.by_ref().take(13).collect();
            if f.len() < 13 {
                return None;
            }
            let listing = out.paths.last_mut()?;
            let Some(e) = listing.entries.iter_mut().find(|e| e.path == f[12]) else {
                continue;
            };
            let num = |i: usize| f[i].parse::<u64>().ok();
            let float = |i: usize| f[i].parse::<f64>().ok();
            let named = |name: &str| {
                if name == "UNKNOWN" {
                    String::new()
                } else {
                    name.to_string()
                }
            };
            e.mode = u32::from_str_radix(f[0], 16).ok()? & 0o7777;
            e.uid = num(1)?;
            e.gid = num(2)?;
            e.user = named(f[3]);
            e.group = named(f[4]);
            e.size = num(5)?;
            e.inode = num(6)?;
            e.dev = num(7)?;
            e.nlink = num(8)?;
            e.atime = float(9)?;
            e.mtime = float(10)?;
            e.ctime = float(11)?;
        } else if tok == "E" {
            let f: Vec<&str> = tokens.by_ref().take(17).collect();
            if f.len() < 17 {
                return None;
            }
            let num = |i: usize| f[i].parse::<u64>().ok();
            let float = |i: usize| f[i].parse::<f64>().ok();
            let mut kind = f[0].chars().next()?;
            if link_next {
                kind = 'l';
                link_next = false;
            }
            let named = |name: &str, id: &str| {
                if name == id {
                    String::new()
                } else {
                    name.to_string()
                }
            };
            out.paths.last_mut()?.entries.push(Entry {
                kind,
                is_dir: f[1] == "d",
                mode: u32::from_str_radix(f[2], 8).ok()?,
                uid: num(3)?,
                gid: num(4)?,
                user: named(f[5], f[3]),
                group: named(f[6], f[4]),
                size: num(7)?,
                inode: num(8)?,
                dev: num(9)?,
                nlink: num(10)?,
                atime: float(11)?,
                mtime: float(12)?,
                ctime: float(13)?,
                parent: f[14].to_string(),
                name: f[15].to_string(),
                path: f[16].to_string(),
            });
        }
    }
    let mut current: Option<usize> = None;
    for line in stderr.lines() {
        if let Some(n) = line.strip_prefix("#P") {
            current = n.parse().ok();
            continue;
        }
        let (Some(i), Some(rest)) = (
            current,
            line.strip_prefix("find: ‘")
                .or_else(|| line.strip_prefix("find: '")),
        ) else {
            continue;
        };
        let Some((path, why)) = rest.split_once("’: ").or_else(|| rest.split_once("': ")) else {
            continue;
        };
        let errno = match why {
            "Permission denied" => 13,
            "No such file or directory" => 2,
            "Operation not permitted" => 1,
            _ => continue,
        };
        if let Some(listing) = out.paths.get_mut(i) {
            listing
                .errors
                .push((path.to_string(), format!("[Errno {errno}] {why}: '{path}'")));
        }
    }
    Some(out)
}

/// Directories' entries, keyed by the directory as `find` printed it, in `readdir` order.
pub fn by_parent(entries: &[Entry]) -> HashMap<&str, Vec<&Entry>> {
    let mut map: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in entries {
        map.entry(e.parent.as_str()).or_default().push(e);
    }
    map
}

/// What the second script said about a candidate file.
#[derive(Debug, Default, Clone)]
pub struct Extra {
    /// `None`: not readable.
    pub content: Option<Vec<u8>>,
    pub checksum: Option<String>,
}

/// The script that brings the contents of `read` and the checksums (with `tool`) of `sums`.
pub fn extra_script(read: &[&str], sums: &[&str], tool: &str) -> String {
    let mut s = String::new();
    if !sums.is_empty() {
        let _ = write!(s, "printf 'S\\0'; {tool} -z --");
        for p in sums {
            let _ = write!(s, " {}", quote_path(p));
        }
        s.push_str(" 2>/dev/null; printf 'ENDSUM\\0'\n");
    }
    for (i, p) in read.iter().enumerate() {
        let _ = writeln!(
            s,
            "_f={}; if [ -r \"$_f\" ]; then printf 'C\\0%s\\0%s\\0' {i} \"$(wc -c < \"$_f\")\"; \
             cat -- \"$_f\"; else printf 'U\\0%s\\0' {i}; fi",
            quote_path(p)
        );
    }
    s
}

/// Parses [`extra_script`]'s output into per-path results.
pub fn parse_extra(out: &[u8], read: &[&str]) -> HashMap<String, Extra> {
    let mut map: HashMap<String, Extra> = HashMap::new();
    let mut rest = out;
    let next_token = |rest: &mut &[u8]| -> Option<String> {
        let at = rest.iter().position(|b| *b == 0)?;
        let tok = String::from_utf8_lossy(&rest[..at]).into_owned();
        *rest = &rest[at + 1..];
        Some(tok)
    };
    while let Some(tok) = next_token(&mut rest) {
        match tok.as_str() {
            "S" => {
                while let Some(line) = next_token(&mut rest) {
                    if line == "ENDSUM" {
                        break;
                    }
                    if let Some((hash, name)) = line.split_once("  ") {
                        map.entry(name.to_string()).or_default().checksum = Some(hash.to_string());
                    }
                }
            }
            "C" => {
                let (Some(i), Some(n)) = (next_token(&mut rest), next_token(&mut rest)) else {
                    break;
                };
                let (Ok(i), Ok(n)) = (i.parse::<usize>(), n.trim().parse::<usize>()) else {
                    break;
                };
                let n = n.min(rest.len());
                if let Some(p) = read.get(i) {
                    map.entry((*p).to_string()).or_default().content = Some(rest[..n].to_vec());
                }
                rest = &rest[n..];
            }
            "U" => {
                let _ = next_token(&mut rest);
            }
            _ => {}
        }
    }
    map
}

/// Python's `os.path.normpath` for POSIX paths.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let initial = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if !initial.is_empty() && parts.is_empty() {
                    continue;
                }
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = format!("{initial}{}", parts.join("/"));
    if joined.is_empty() { ".".into() } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_parses_entries_links_and_errors() {
        let fields = [
            "now=100.5",
            "umask=0022",
            "P",
            "D",
            "E",
            "f",
            "f",
            "644",
            "0",
            "0",
            "root",
            "root",
            "3",
            "12",
            "66",
            "1",
            "99.5",
            "99.5",
            "99.5",
            "/t",
            "a",
            "/t/a",
            "L",
            "E",
            "d",
            "d",
            "777",
            "1001",
            "1001",
            "1001",
            "g",
            "4",
            "13",
            "66",
            "1",
            "1",
            "1",
            "1",
            "/t",
            "ln",
            "/t/ln",
            "P",
            "",
        ];
        let out = fields.join("\0").into_bytes();
        let err = "#P0\nfind: \u{2018}/t/x\u{2019}: Permission denied\n#P1\n";
        let l = parse_listing(&out, err).expect("parses");
        assert_eq!(l.now, 100.5);
        assert_eq!(l.umask, 0o022);
        assert_eq!(l.paths.len(), 2);
        assert!(l.paths[0].is_dir && !l.paths[1].is_dir);
        let e = &l.paths[0].entries;
        assert_eq!((e[0].kind, e[0].mode, e[0].user.as_str()), ('f', 0o644, "root"));
        assert_eq!(
            (e[1].kind, e[1].is_dir, e[1].user.as_str(), e[1].group.as_str()),
            ('l', true, "", "g")
        );
        assert_eq!(
            l.paths[0].errors,
            vec![(
                "/t/x".to_string(),
                "[Errno 13] Permission denied: '/t/x'".to_string()
            )]
        );
    }

    #[test]
    fn extra_parses_sums_and_contents() {
        let out = b"S\0abc  /t/a\0ENDSUM\0C\x000\x004\0x\0y\nU\x001\0";
        let m = parse_extra(out, &["/t/a", "/t/b"]);
        assert_eq!(m["/t/a"].checksum.as_deref(), Some("abc"));
        assert_eq!(m["/t/a"].content.as_deref(), Some(&b"x\0y\n"[..]));
        assert!(!m.contains_key("/t/b"));
    }

    #[test]
    fn normpath_is_pythons() {
        assert_eq!(normpath("/a//b/./c/"), "/a/b/c");
        assert_eq!(normpath("a/../.."), "..");
        assert_eq!(normpath("//x"), "//x");
        assert_eq!(normpath("/../x"), "/x");
    }
}
