//! `--diff` text: a module's before/after pair as a unified diff, in the shape Ansible prints
//! (`--- before: path`, `+++ after: path`, `@@` hunks with three lines of context, and
//! `\ No newline at end of file` where a side lacks its final newline).

use similar::{Algorithm, DiffTag, capture_diff_slices, group_diff_ops};

use crate::modules::Diff;

/// Lines of context around each change, as Ansible's default `DIFF_CONTEXT`.
const CONTEXT: usize = 3;

const GREEN: &str = "\x1b[0;32m";
const RED: &str = "\x1b[0;31m";
const CYAN: &str = "\x1b[0;36m";
const RESET: &str = "\x1b[0m";

/// Renders one before/after pair; empty when both sides are equal.
pub fn render(diff: &Diff, color: bool) -> String {
    let before = lines_for_diff(&diff.before);
    let after = lines_for_diff(&diff.after);
    let groups = group_diff_ops(capture_diff_slices(Algorithm::Myers, &before, &after), CONTEXT);
    if groups.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let paint = |out: &mut String, code: &str, line: &str| {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if color {
            out.push_str(code);
            out.push_str(body);
            out.push_str(RESET);
        } else {
            out.push_str(body);
        }
        out.push_str(newline);
    };
    paint(
        &mut out,
        RED,
        &format!("--- {}\n", header("before", &diff.before_header)),
    );
    paint(
        &mut out,
        GREEN,
        &format!("+++ {}\n", header("after", &diff.after_header)),
    );
    for group in groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        paint(
            &mut out,
            CYAN,
            &format!(
                "@@ -{} +{} @@\n",
                hunk_range(old.start, old.end),
                hunk_range(new.start, new.end)
            ),
        );
        for op in &group {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            match tag {
                DiffTag::Equal => {
                    for line in &before[old_range] {
                        out.push(' ');
                        out.push_str(line);
                    }
                }
                DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                    for line in &before[old_range] {
                        paint(&mut out, RED, &format!("-{line}"));
                    }
                    for line in &after[new_range] {
                        paint(&mut out, GREEN, &format!("+{line}"));
                    }
                }
            }
        }
    }
    out.push('\n');
    out
}

/// `before: path`, or just `before` when the module gave no header.
fn header(side: &str, given: &str) -> String {
    if given.is_empty() {
        side.to_string()
    } else {
        format!("{side}: {given}")
    }
}

/// The text split after each newline; a last line without one carries the marker line.
fn lines_for_diff(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if let Some(last) = lines.last_mut() {
        if !last.ends_with('\n') {
            last.push_str("\n\\ No newline at end of file\n");
        }
    }
    lines
}

/// A hunk range as Python's `difflib` writes it (`start,length`, 1-based; `start` alone for one line).
fn hunk_range(start: usize, stop: usize) -> String {
    let length = stop - start;
    match length {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{length}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(before: &str, after: &str) -> Diff {
        Diff {
            before_header: "/etc/app.conf".into(),
            after_header: "/etc/app.conf".into(),
            before: before.into(),
            after: after.into(),
        }
    }

    #[test]
    fn unified_like_ansible() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
        let text = render(&diff(before, after), false);
        assert_eq!(
            text,
            "--- before: /etc/app.conf\n+++ after: /etc/app.conf\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n+i\n\n"
        );
    }

    #[test]
    fn missing_final_newline_and_new_file() {
        let text = render(&diff("", "x\ny"), false);
        assert_eq!(
            text,
            "--- before: /etc/app.conf\n+++ after: /etc/app.conf\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n\n"
        );
    }

    #[test]
    fn equal_sides_render_nothing_and_color_wraps_lines() {
        assert_eq!(render(&diff("same\n", "same\n"), true), "");
        let text = render(&diff("old\n", "new\n"), true);
        assert!(text.contains("\x1b[0;31m-old\x1b[0m\n"), "{text:?}");
        assert!(text.contains("\x1b[0;32m+new\x1b[0m\n"), "{text:?}");
        assert!(text.contains("\x1b[0;36m@@ -1 +1 @@\x1b[0m\n"), "{text:?}");
    }
}
