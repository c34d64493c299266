//! The fstab edits of `ansible.posix.mount`, as its Linux code makes them, byte for byte: the
//! entry set (`_set_mount_save_old`: a matching line rewritten in the module's one format when a
//! field differs, a new line appended when none matches) and removed (`unset_mount`), with the
//! module's escapes (`\040` space, `\046` ampersand, `\134` backslash). Pure, unit-tested.

/// The fields of the wanted entry, as the module's `args` hold them (unescaped).
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub src: Option<String>,
    pub name: String,
    pub fstype: Option<String>,
    pub opts: String,
    pub dump: String,
    pub passno: String,
}

/// What setting an entry gives: the lines to write, the file's lines as read (each ending in a
/// newline, for the restore after a failed mount), and whether anything changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetResult {
    pub lines: Vec<String>,
    pub old_lines: Vec<String>,
    pub changed: bool,
}

/// The module's `_escape_fstab`.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('&', "\\046")
}

/// Python's `readlines()` of a file opened in text mode: universal newlines, ends kept.
pub fn read_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// Whether a line's fields name the entry: the same mount point, and for swap (`none`) the
/// same source when one is given.
fn matches(name: &str, fstype: &str, src: &str, want_name: &str, want_src: Option<&str>) -> bool {
    let swap_other = want_src.is_some_and(|s| name == "none" && fstype == "swap" && src != s);
    name == want_name && !swap_other
}

/// The module's `_set_mount_save_old` on Linux.
pub fn set(text: &str, want: &Entry) -> SetResult {
    let esc = |v: &str| escape(v);
    let want_src = esc(want.src.as_deref().unwrap_or(""));
    let want_fstype = esc(want.fstype.as_deref().unwrap_or(""));
    let wanted = [
        want_src.clone(),
        want_fstype.clone(),
        esc(&want.opts),
        esc(&want.dump),
        esc(&want.passno),
    ];
    let want_name = esc(&want.name);
    let mut lines = Vec::new();
    let mut old_lines = Vec::new();
    let mut exists = false;
    let mut changed = false;
    for line in read_lines(text) {
        let line = if line.ends_with('\n') {
            line
        } else {
            format!("{line}\n")
        };
        old_lines.push(line.clone());
        let stripped = line.trim();
        if stripped.is_empty() || stripped.starts_with('#') {
            lines.push(line);
            continue;
        }
        let before_comment = line.split('#').next().unwrap_or("");
        let fields: Vec<&str> = before_comment.split_whitespace().collect();
        if !(4..=6).contains(&fields.len()) {
            lines.push(line);
            continue;
        }
        // src, name, fstype, opts, dump, passno; the last two default to the integer 0,
        // which no string equals.
        let mut ld: Vec<Option<String>> = vec![None; 6];
        for (i, f) in fields.iter().enumerate() {
            ld[i] = Some((*f).to_string());
        }
        let field = |i: usize| ld[i].clone().unwrap_or_default();
        if !matches(&field(1), &field(2), &field(0), &want_name, want.src.as_deref()) {
            lines.push(line);
            continue;
        }
        exists = true;
        for (slot, value) in [0usize, 2, 3, 4, 5].into_iter().zip(&wanted) {
            if ld[slot].as_deref() != Some(value.as_str()) {
                ld[slot] = Some(value.clone());
                changed = true;
            }
        }
        if changed {
            let shown = |i: usize| ld[i].clone().unwrap_or_else(|| "0".into());
            lines.push(format!(
                "{} {} {} {} {} {}\n",
                shown(0),
                shown(1),
                shown(2),
                shown(3),
                shown(4),
                shown(5)
            ));
        } else {
            lines.push(line);
        }
    }
    if !exists {
        lines.push(format!(
            "{} {} {} {} {} {}\n",
            wanted[0], want_name, wanted[1], wanted[2], wanted[3], wanted[4]
        ));
        changed = true;
    }
    SetResult {
        lines,
        old_lines,
        changed,
    }
}

/// The module's `unset_mount` on Linux: the lines left, and whether any was removed. Only lines
/// of exactly six fields are entries here.
pub fn unset(text: &str, name: &str, src: Option<&str>) -> (Vec<String>, bool) {
    let want_name = escape(name);
    let mut lines = Vec::new();
    let mut changed = false;
    for line in read_lines(text) {
        let stripped = line.trim();
        let fields: Vec<&str> = line.split_whitespace().collect();
        if stripped.is_empty() || stripped.starts_with('#') || fields.len() != 6 {
            lines.push(line);
            continue;
        }
        if !matches(fields[1], fields[2], fields[0], &want_name, src) {
            lines.push(line);
            continue;
        }
        changed = true;
    }
    (lines, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(src: &str, name: &str, fstype: &str, opts: &str) -> Entry {
        Entry {
            src: Some(src.into()),
            name: name.into(),
            fstype: Some(fstype.into()),
            opts: opts.into(),
            dump: "0".into(),
            passno: "0".into(),
        }
    }

    #[test]
    fn a_new_entry_is_appended_and_a_last_line_gets_its_newline() {
        let r = set(
            "# head\nproc /proc proc defaults 0 0",
            &entry("tmpfs", "/mnt/a b", "tmpfs", "size=1m"),
        );
        assert!(r.changed);
        assert_eq!(
            r.lines.concat(),
            "# head\nproc /proc proc defaults 0 0\ntmpfs /mnt/a\\040b tmpfs size=1m 0 0\n"
        );
        assert_eq!(r.old_lines.concat(), "# head\nproc /proc proc defaults 0 0\n");
    }

    #[test]
    fn a_matching_line_is_kept_or_rewritten_in_the_modules_format() {
        let same = "tmpfs\t/mnt/t  tmpfs size=1m 0 0 # mine\n";
        let r = set(same, &entry("tmpfs", "/mnt/t", "tmpfs", "size=1m"));
        assert!(!r.changed);
        assert_eq!(r.lines.concat(), same);
        // Four fields: dump and passno are the integer 0 and differ from '0'.
        let short = "tmpfs /mnt/t tmpfs size=1m\n";
        let r = set(short, &entry("tmpfs", "/mnt/t", "tmpfs", "size=1m"));
        assert!(r.changed);
        assert_eq!(r.lines.concat(), "tmpfs /mnt/t tmpfs size=1m 0 0\n");
        let r = set(same, &entry("tmpfs", "/mnt/t", "tmpfs", "size=2m"));
        assert_eq!(r.lines.concat(), "tmpfs /mnt/t tmpfs size=2m 0 0\n");
    }

    #[test]
    fn unset_removes_six_field_lines_only() {
        let text = "a /m t o 0 0\na /m t o\n#a /m t o 0 0\nb /n t o 0 0\n";
        let (lines, changed) = unset(text, "/m", None);
        assert!(changed);
        assert_eq!(lines.concat(), "a /m t o\n#a /m t o 0 0\nb /n t o 0 0\n");
        let swap = "/dev/a none swap sw 0 0\n/dev/b none swap sw 0 0\n";
        let (lines, _) = unset(swap, "none", Some("/dev/b"));
        assert_eq!(lines.concat(), "/dev/a none swap sw 0 0\n");
    }
}
