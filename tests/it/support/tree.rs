//! Compares two directory trees: the same paths, the same kinds (file, directory, symlink), the
//! same bytes, the same link targets and the same permission bits. Mismatches come back as a
//! list that reads well in a failed assertion.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What one path in a tree is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(PathBuf),
    /// A socket, fifo or device: compared by kind and mode only.
    Special,
}

/// One path in a tree: its kind and its permission bits (`mode & 0o7777`; 0 for symlinks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub mode: u32,
}

/// Every path under a root (the root itself is `.`), read into memory.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub entries: BTreeMap<PathBuf, Entry>,
}

/// One difference between an expected tree and the tree obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub path: PathBuf,
    pub what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.what)
    }
}

impl Tree {
    /// Reads the tree under `root` (symlinks are not followed). Panics with the path on an I/O
    /// error: a tree that cannot be read is a failed test.
    pub fn read(root: &Path) -> Tree {
        let mut tree = Tree::default();
        tree.walk(root, Path::new("."));
        tree
    }

    fn walk(&mut self, root: &Path, rel: &Path) {
        let path = root.join(rel);
        let meta = fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("reading metadata of {}: {e}", path.display()));
        let file_type = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777;
        let entry = if file_type.is_symlink() {
            let target =
                fs::read_link(&path).unwrap_or_else(|e| panic!("reading link {}: {e}", path.display()));
            Entry {
                kind: Kind::Symlink(target),
                mode: 0,
            }
        } else if file_type.is_dir() {
            Entry {
                kind: Kind::Dir,
                mode,
            }
        } else if file_type.is_file() {
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            Entry {
                kind: Kind::File(bytes),
                mode,
            }
        } else {
            Entry {
                kind: Kind::Special,
                mode,
            }
        };
        let is_dir = entry.kind == Kind::Dir;
        self.entries.insert(clean(rel), entry);
        if is_dir {
            let mut names: Vec<_> = fs::read_dir(&path)
                .unwrap_or_else(|e| panic!("listing {}: {e}", path.display()))
                .map(|d| {
                    d.unwrap_or_else(|e| panic!("listing {}: {e}", path.display()))
                        .file_name()
                })
                .collect();
            names.sort();
            for name in names {
                self.walk(root, &rel.join(name));
            }
        }
    }

    /// Every difference between `expected` and `got`, in path order.
    pub fn diff(expected: &Tree, got: &Tree) -> Vec<Mismatch> {
        let mut out = Vec::new();
        for (path, want) in &expected.entries {
            let Some(have) = got.entries.get(path) else {
                out.push(Mismatch {
                    path: path.clone(),
                    what: format!("missing (expected {})", describe(want)),
                });
                continue;
            };
            if let Some(what) = entry_diff(want, have) {
                out.push(Mismatch {
                    path: path.clone(),
                    what,
                });
            }
        }
        for (path, have) in &got.entries {
            if !expected.entries.contains_key(path) {
                out.push(Mismatch {
                    path: path.clone(),
                    what: format!("unexpected {}", describe(have)),
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

/// Compares the trees under two roots. Empty when they are the same.
pub fn compare(expected: &Path, got: &Path) -> Vec<Mismatch> {
    Tree::diff(&Tree::read(expected), &Tree::read(got))
}

/// The mismatches, one per line, under a heading naming both roots.
pub fn report(expected: &Path, got: &Path, mismatches: &[Mismatch]) -> String {
    let mut out = format!(
        "{} difference(s) between {} (expected) and {} (got):\n",
        mismatches.len(),
        expected.display(),
        got.display()
    );
    for m in mismatches {
        out.push_str(&format!("  {m}\n"));
    }
    out
}

fn clean(rel: &Path) -> PathBuf {
    match rel.strip_prefix(".") {
        Ok(p) if p.as_os_str().is_empty() => PathBuf::from("."),
        Ok(p) => p.to_path_buf(),
        Err(_) => rel.to_path_buf(),
    }
}

fn describe(entry: &Entry) -> String {
    match &entry.kind {
        Kind::Dir => format!("directory, mode {:04o}", entry.mode),
        Kind::File(bytes) => format!("file of {} bytes, mode {:04o}", bytes.len(), entry.mode),
        Kind::Symlink(target) => format!("symlink to {}", target.display()),
        Kind::Special => format!("special file, mode {:04o}", entry.mode),
    }
}

fn entry_diff(want: &Entry, have: &Entry) -> Option<String> {
    let mut parts = Vec::new();
    match (&want.kind, &have.kind) {
        (Kind::File(a), Kind::File(b)) if a != b => parts.push(content_diff(a, b)),
        (Kind::Symlink(a), Kind::Symlink(b)) if a != b => parts.push(format!(
            "link target: expected {}, got {}",
            a.display(),
            b.display()
        )),
        (Kind::File(_), Kind::File(_))
        | (Kind::Symlink(_), Kind::Symlink(_))
        | (Kind::Dir, Kind::Dir)
        | (Kind::Special, Kind::Special) => {}
        _ => return Some(format!("expected {}, got {}", describe(want), describe(have))),
    }
    if want.mode != have.mode {
        parts.push(format!("mode: expected {:04o}, got {:04o}", want.mode, have.mode));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

/// Where two contents first differ: the line (text) or the byte offset (binary).
fn content_diff(want: &[u8], have: &[u8]) -> String {
    let sizes = format!("expected {} bytes, got {}", want.len(), have.len());
    match (std::str::from_utf8(want), std::str::from_utf8(have)) {
        (Ok(a), Ok(b)) => {
            let (a_lines, b_lines): (Vec<_>, Vec<_>) = (
                a.split_inclusive('\n').collect(),
                b.split_inclusive('\n').collect(),
            );
            let n = a_lines.iter().zip(&b_lines).take_while(|(x, y)| x == y).count();
            let show = |lines: &[&str]| {
                lines
                    .get(n)
                    .map_or("<end of file>".to_string(), |l| format!("{l:?}"))
            };
            format!(
                "content differs at line {} ({sizes}):\n      expected {}\n      got      {}",
                n + 1,
                show(&a_lines),
                show(&b_lines)
            )
        }
        _ => {
            let n = want.iter().zip(have).take_while(|(x, y)| x == y).count();
            format!("binary content differs from byte {n} ({sizes})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(root: &Path, rel: &str, content: &str, mode: u32) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("a file has a parent")).expect("mkdir");
        fs::write(&path, content).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn pair() -> (tempfile::TempDir, tempfile::TempDir) {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        for root in [a.path(), b.path()] {
            write(root, "etc/motd", "hello\nworld\n", 0o644);
            write(root, "etc/key", "secret\n", 0o640);
            symlink("../etc/motd", root.join("etc/link")).expect("symlink");
        }
        (a, b)
    }

    #[test]
    fn same_trees_have_no_mismatch() {
        let (a, b) = pair();
        assert_eq!(compare(a.path(), b.path()), Vec::new());
    }

    #[test]
    fn every_kind_of_difference_is_reported() {
        let (a, b) = pair();
        write(b.path(), "etc/motd", "hello\nthere\n", 0o644);
        fs::set_permissions(b.path().join("etc/key"), fs::Permissions::from_mode(0o600)).expect("chmod");
        fs::remove_file(b.path().join("etc/link")).expect("rm");
        symlink("motd", b.path().join("etc/link")).expect("symlink");
        write(a.path(), "only-in-a", "", 0o644);
        write(b.path(), "only-in-b", "", 0o644);

        let found = compare(a.path(), b.path());
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 5, "{text:#?}");
        assert_eq!(text[0], "etc/key: mode: expected 0640, got 0600");
        assert_eq!(text[1], "etc/link: link target: expected ../etc/motd, got motd");
        assert!(
            text[2].starts_with("etc/motd: content differs at line 2"),
            "{}",
            text[2]
        );
        assert!(text[2].contains("expected \"world\\n\"") && text[2].contains("got      \"there\\n\""));
        assert_eq!(
            text[3],
            "only-in-a: missing (expected file of 0 bytes, mode 0644)"
        );
        assert_eq!(text[4], "only-in-b: unexpected file of 0 bytes, mode 0644");
    }

    #[test]
    fn kind_changes_and_binary_files_are_reported() {
        let (a, b) = pair();
        fs::remove_file(b.path().join("etc/key")).expect("rm");
        fs::create_dir(b.path().join("etc/key")).expect("mkdir");
        fs::write(a.path().join("bin"), [0u8, 1, 2, 0xff]).expect("write");
        fs::write(b.path().join("bin"), [0u8, 1, 3, 0xff]).expect("write");

        let text: Vec<String> = compare(a.path(), b.path())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text.len(), 2, "{text:#?}");
        assert_eq!(
            text[0],
            "bin: binary content differs from byte 2 (expected 4 bytes, got 4)"
        );
        assert!(text[1].starts_with("etc/key: expected file of 7 bytes, mode 0640, got directory"));
    }
}
