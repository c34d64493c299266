//! Mode, owner and group of remote paths: comparing them with what a task asks for, applying
//! them, and creating directories with them.

use super::super::quote::{quote, quote_path};
use super::super::{Connection, Via};
use super::mode::{Mode, format_mode};
use super::stat::FileStat;
use super::{FileError, remote_error, run_script};

/// The attributes a task asks for; `None` leaves the current value alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAttrs {
    pub mode: Option<Mode>,
    /// A user name or a numeric uid.
    pub owner: Option<String>,
    /// A group name or a numeric gid.
    pub group: Option<String>,
}

/// Which attributes of an existing path differ from what was asked, with before/after values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrChanges {
    /// `(before, after)` permission bits.
    pub mode: Option<(u32, u32)>,
    pub owner: Option<(String, String)>,
    pub group: Option<(String, String)>,
}

impl AttrChanges {
    pub fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }

    /// The attributes that need setting, mode already resolved to bits.
    pub fn to_attrs(&self) -> FileAttrs {
        FileAttrs {
            mode: self.mode.map(|(_, after)| Mode::Bits(after)),
            owner: self.owner.as_ref().map(|(_, a)| a.clone()),
            group: self.group.as_ref().map(|(_, a)| a.clone()),
        }
    }

    /// Ansible's `diff` fragments: `(before, after)` maps of the changed attributes.
    pub fn diff_fields(&self) -> (AttrFields, AttrFields) {
        let mut before = Vec::new();
        let mut after = Vec::new();
        if let Some((b, a)) = self.mode {
            before.push(("mode", format_mode(b)));
            after.push(("mode", format_mode(a)));
        }
        if let Some((b, a)) = &self.owner {
            before.push(("owner", b.clone()));
            after.push(("owner", a.clone()));
        }
        if let Some((b, a)) = &self.group {
            before.push(("group", b.clone()));
            after.push(("group", a.clone()));
        }
        (before, after)
    }
}

/// Named attribute values, in a fixed order (`mode`, `owner`, `group`).
pub type AttrFields = Vec<(&'static str, String)>;

/// Compares `attrs` with an existing path's `stat`.
pub fn attrs_differ(st: &FileStat, attrs: &FileAttrs) -> AttrChanges {
    let mut changes = AttrChanges::default();
    if let Some(mode) = &attrs.mode {
        let want = mode.resolve(st.mode, st.is_dir(), st.umask);
        if want != st.mode {
            changes.mode = Some((st.mode, want));
        }
    }
    if let Some(owner) = &attrs.owner {
        if *owner != st.owner && *owner != st.uid.to_string() {
            changes.owner = Some((st.owner.clone(), owner.clone()));
        }
    }
    if let Some(group) = &attrs.group {
        if *group != st.group && *group != st.gid.to_string() {
            changes.group = Some((st.group.clone(), group.clone()));
        }
    }
    changes
}

/// `owner:group`, `owner` or `:group` for chown, if either is set.
pub(crate) fn chown_spec(attrs: &FileAttrs) -> Option<String> {
    match (&attrs.owner, &attrs.group) {
        (None, None) => None,
        (Some(o), None) => Some(o.clone()),
        (None, Some(g)) => Some(format!(":{g}")),
        (Some(o), Some(g)) => Some(format!("{o}:{g}")),
    }
}

/// A mode as chmod understands it.
pub(crate) fn mode_arg(mode: &Mode) -> String {
    match mode {
        Mode::Bits(b) => format!("{b:o}"),
        Mode::Symbolic(s) => s.clone(),
    }
}

/// Shell lines applying `attrs` to the path in the shell variable `var` (`-R` with `recurse`).
pub fn attrs_lines(var: &str, attrs: &FileAttrs, recurse: bool) -> String {
    let r = if recurse { "-R " } else { "" };
    let mut s = String::new();
    if let Some(spec) = chown_spec(attrs) {
        s.push_str(&format!("chown -h {r}{} -- \"${var}\"\n", quote(&spec)));
    }
    if let Some(mode) = &attrs.mode {
        s.push_str(&format!(
            "[ -L \"${var}\" ] || chmod {r}{} -- \"${var}\"\n",
            quote(&mode_arg(mode))
        ));
    }
    s
}

/// Applies `attrs` to `path` (and, with `recurse`, to everything below it).
pub async fn apply_attrs(
    conn: &mut dyn Connection,
    path: &str,
    attrs: &FileAttrs,
    recurse: bool,
    via: &Via,
) -> Result<(), FileError> {
    let body = attrs_lines("p", attrs, recurse);
    if body.is_empty() {
        return Ok(());
    }
    let script = format!("set -e\np={}\n{body}", quote_path(path));
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    Ok(())
}

/// Creates `path` and any missing parents, giving each directory it creates `attrs` (as
/// Ansible's `file: state=directory` does). Returns whether anything was created.
pub async fn ensure_dir(
    conn: &mut dyn Connection,
    path: &str,
    attrs: &FileAttrs,
    via: &Via,
) -> Result<bool, FileError> {
    let script = ensure_dir_script(path, attrs);
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(path, &out));
    }
    Ok(!out.stdout.is_empty())
}

/// The script behind [`ensure_dir`]: prints `created` for each directory it makes.
pub fn ensure_dir_script(path: &str, attrs: &FileAttrs) -> String {
    // Permission bits go to `mkdir -m` (exact, whatever the umask); a symbolic mode is relative
    // to the new directory's mode, so `chmod` applies it after.
    let (mkdir, rest) = match &attrs.mode {
        Some(Mode::Bits(bits)) => (
            format!("mkdir -m {bits:o} --"),
            FileAttrs {
                mode: None,
                ..attrs.clone()
            },
        ),
        _ => ("mkdir --".to_string(), attrs.clone()),
    };
    let lines = attrs_lines("d", &rest, false);
    let mut script = String::from("set -e\n");
    for dir in ancestors(path) {
        script.push_str(&format!(
            "d={}\nif [ ! -e \"$d\" ] && [ ! -L \"$d\" ]; then {mkdir} \"$d\"\n{lines}echo created; fi\n",
            quote_path(&dir),
        ));
    }
    script.push_str(&format!(
        "if [ ! -d {p} ]; then printf '%s exists and is not a directory\\n' {p} >&2; exit 1; fi\n",
        p = quote_path(path)
    ));
    script
}

/// `a/b/c` → `a`, `a/b`, `a/b/c` (`/x/y` → `/x`, `/x/y`), skipping `.` and empty parts.
fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = if path.starts_with('/') {
        String::from("/")
    } else {
        String::new()
    };
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if !cur.is_empty() && !cur.ends_with('/') {
            cur.push('/');
        }
        cur.push_str(part);
        out.push(cur.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_paths() {
        assert_eq!(ancestors("/a/b//c/"), ["/a", "/a/b", "/a/b/c"]);
        assert_eq!(ancestors("a/./b"), ["a", "a/b"]);
    }
}

/// One entry below a directory, as listed by [`list_tree`].
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEntry {
    pub path: String,
    pub is_dir: bool,
    pub is_link: bool,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
}

/// Everything below `dir` (not `dir` itself), without following symlinks, in one round trip.
pub async fn list_tree(conn: &mut dyn Connection, dir: &str, via: &Via) -> Result<Vec<TreeEntry>, FileError> {
    let script = format!(
        "__ph_walk() {{ for e in \"$1\"/* \"$1\"/.[!.]* \"$1\"/..?*; do [ -e \"$e\" ] || [ -L \"$e\" ] || continue; \
         stat --printf '%f|%u|%g|%U|%G|%n\\0' -- \"$e\" || return 1; \
         if [ -d \"$e\" ] && [ ! -L \"$e\" ]; then __ph_walk \"$e\" || return 1; fi; done; }}\n__ph_walk {}",
        quote_path(dir.trim_end_matches('/'))
    );
    let out = run_script(conn, script, None, via).await?;
    if out.rc != 0 {
        return Err(remote_error(dir, &out));
    }
    let mut entries = Vec::new();
    for record in out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let mut f = text.splitn(6, '|');
        let (Some(raw), Some(uid), Some(gid), Some(owner), Some(group), Some(path)) =
            (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let raw = u32::from_str_radix(raw, 16).unwrap_or(0);
        entries.push(TreeEntry {
            path: path.to_string(),
            is_dir: raw & 0o170000 == 0o040000,
            is_link: raw & 0o170000 == 0o120000,
            mode: raw & 0o7777,
            uid: uid.parse().unwrap_or(0),
            gid: gid.parse().unwrap_or(0),
            owner: owner.to_string(),
            group: group.to_string(),
        });
    }
    Ok(entries)
}
