//! `--diff` text: a module's before/after pair as a unified diff, in the shape Ansible prints
//! (`--- before: path`, `+++ after: path`, `@@` hunks with three lines of context, and
//! `\ No newline at end of file` where a side lacks its final newline). The hunks are the ones
//! Python's `difflib` finds (its `SequenceMatcher`, reimplemented here), so the text is the
//! same as Ansible's, line for line.

use std::collections::HashMap;

use crate::modules::Diff;

/// Lines of context around each change, as Ansible's default `DIFF_CONTEXT`.
const CONTEXT: usize = 3;

const GREEN: &str = "\x1b[0;32m";
const RED: &str = "\x1b[0;31m";
const CYAN: &str = "\x1b[0;36m";
const RESET: &str = "\x1b[0m";

/// Renders one before/after pair; empty when both sides are equal.
pub fn render(diff: &Diff, color: bool) -> String {
    if let Some(text) = &diff.prepared {
        // Ansible's callback prints a prepared diff as it is, followed by a newline.
        return format!("{text}\n");
    }
    let before = lines_for_diff(&diff.before);
    let after = lines_for_diff(&diff.after);
    let groups = grouped_opcodes(&before, &after, CONTEXT);
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
        paint(
            &mut out,
            CYAN,
            &format!(
                "@@ -{} +{} @@\n",
                hunk_range(first.a.start, last.a.end),
                hunk_range(first.b.start, last.b.end)
            ),
        );
        for op in &group {
            if op.tag == Tag::Equal {
                for line in &before[op.a.clone()] {
                    out.push(' ');
                    out.push_str(line);
                }
                continue;
            }
            for line in &before[op.a.clone()] {
                paint(&mut out, RED, &format!("-{line}"));
            }
            for line in &after[op.b.clone()] {
                paint(&mut out, GREEN, &format!("+{line}"));
            }
        }
    }
    out.push('\n');
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Equal,
    Replace,
    Delete,
    Insert,
}

/// One opcode of `difflib.SequenceMatcher.get_opcodes()`: `a[a]` becomes `b[b]`.
#[derive(Clone, Debug)]
struct Op {
    tag: Tag,
    a: std::ops::Range<usize>,
    b: std::ops::Range<usize>,
}

/// `SequenceMatcher(None, a, b).get_grouped_opcodes(n)`.
fn grouped_opcodes(a: &[String], b: &[String], n: usize) -> Vec<Vec<Op>> {
    let mut codes = opcodes(a, b);
    if codes.is_empty() {
        codes.push(Op {
            tag: Tag::Equal,
            a: 0..1,
            b: 0..1,
        });
    }
    if let Some(first) = codes.first_mut().filter(|c| c.tag == Tag::Equal) {
        first.a.start = first.a.start.max(first.a.end.saturating_sub(n));
        first.b.start = first.b.start.max(first.b.end.saturating_sub(n));
    }
    if let Some(last) = codes.last_mut().filter(|c| c.tag == Tag::Equal) {
        last.a.end = last.a.end.min(last.a.start + n);
        last.b.end = last.b.end.min(last.b.start + n);
    }
    let mut groups = Vec::new();
    let mut group = Vec::new();
    for mut op in codes {
        if op.tag == Tag::Equal && op.a.len() > 2 * n {
            group.push(Op {
                tag: Tag::Equal,
                a: op.a.start..op.a.end.min(op.a.start + n),
                b: op.b.start..op.b.end.min(op.b.start + n),
            });
            groups.push(std::mem::take(&mut group));
            op.a.start = op.a.start.max(op.a.end.saturating_sub(n));
            op.b.start = op.b.start.max(op.b.end.saturating_sub(n));
        }
        group.push(op);
    }
    let only_context = group.len() == 1 && group[0].tag == Tag::Equal;
    if !group.is_empty() && !only_context {
        groups.push(group);
    }
    groups
}

/// `SequenceMatcher.get_opcodes()`.
fn opcodes(a: &[String], b: &[String]) -> Vec<Op> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    for (ai, bj, size) in matching_blocks(a, b) {
        let tag = match (i < ai, j < bj) {
            (true, true) => Some(Tag::Replace),
            (true, false) => Some(Tag::Delete),
            (false, true) => Some(Tag::Insert),
            (false, false) => None,
        };
        if let Some(tag) = tag {
            out.push(Op {
                tag,
                a: i..ai,
                b: j..bj,
            });
        }
        i = ai + size;
        j = bj + size;
        if size > 0 {
            out.push(Op {
                tag: Tag::Equal,
                a: ai..i,
                b: bj..j,
            });
        }
    }
    out
}

/// `SequenceMatcher.get_matching_blocks()`, with `autojunk` as Python applies it by default.
fn matching_blocks(a: &[String], b: &[String]) -> Vec<(usize, usize, usize)> {
    let mut b2j: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, line) in b.iter().enumerate() {
        b2j.entry(line.as_str()).or_default().push(j);
    }
    if b.len() >= 200 {
        let ntest = b.len() / 100 + 1;
        b2j.retain(|_, idxs| idxs.len() <= ntest);
    }
    let mut blocks = Vec::new();
    let mut queue = vec![(0, a.len(), 0, b.len())];
    while let Some((alo, ahi, blo, bhi)) = queue.pop() {
        let (i, j, k) = longest_match(a, b, &b2j, alo, ahi, blo, bhi);
        if k > 0 {
            blocks.push((i, j, k));
            if alo < i && blo < j {
                queue.push((alo, i, blo, j));
            }
            if i + k < ahi && j + k < bhi {
                queue.push((i + k, ahi, j + k, bhi));
            }
        }
    }
    blocks.sort_unstable();
    let mut merged: Vec<(usize, usize, usize)> = Vec::new();
    let (mut i1, mut j1, mut k1) = (0, 0, 0);
    for (i2, j2, k2) in blocks {
        if i1 + k1 == i2 && j1 + k1 == j2 {
            k1 += k2;
        } else {
            if k1 > 0 {
                merged.push((i1, j1, k1));
            }
            (i1, j1, k1) = (i2, j2, k2);
        }
    }
    if k1 > 0 {
        merged.push((i1, j1, k1));
    }
    merged.push((a.len(), b.len(), 0));
    merged
}

/// `SequenceMatcher.find_longest_match()` without a junk function.
fn longest_match(
    a: &[String],
    b: &[String],
    b2j: &HashMap<&str, Vec<usize>>,
    alo: usize,
    ahi: usize,
    blo: usize,
    bhi: usize,
) -> (usize, usize, usize) {
    let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
    let mut j2len: HashMap<usize, usize> = HashMap::new();
    for (i, line) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        if let Some(js) = b2j.get(line.as_str()) {
            for &j in js {
                if j < blo {
                    continue;
                }
                if j >= bhi {
                    break;
                }
                let k = j.checked_sub(1).and_then(|p| j2len.get(&p)).copied().unwrap_or(0) + 1;
                next.insert(j, k);
                if k > bestsize {
                    besti = i + 1 - k;
                    bestj = j + 1 - k;
                    bestsize = k;
                }
            }
        }
        j2len = next;
    }
    // Popular lines were left out of `b2j`; matches extend through them on both sides.
    while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
        besti -= 1;
        bestj -= 1;
        bestsize += 1;
    }
    while besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize] {
        bestsize += 1;
    }
    (besti, bestj, bestsize)
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
            prepared: None,
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

    /// Where several alignments are equally short, the one Python's difflib picks.
    #[test]
    fn ambiguous_alignment_follows_difflib() {
        let before = "listen 80;\n\nx = 1\n\nlisten 80;\na\nb\nc\nd\ne\nf\ng\nh\ni\nlisten 80;\n\n}\nx = 1\nb\nb\n\
                      # comment\nroot /srv;\nc\n";
        let after = "listen 80;\nroot /srv;\nx = 1\n\nlisten 80;\na\nb\nc\nd\ne\nf\ng\nh\ni\nlisten 80;\n\n}\nb\nb\nb\n\
                     # comment\nroot /srv;\nc\n";
        let d = Diff {
            before_header: "f".into(),
            after_header: "f".into(),
            before: before.into(),
            after: after.into(),
            prepared: None,
        };
        assert_eq!(
            render(&d, false),
            "--- before: f\n+++ after: f\n@@ -1,5 +1,5 @@\n listen 80;\n-\n+root /srv;\n x = 1\n \n listen 80;\n\
             @@ -15,7 +15,7 @@\n listen 80;\n \n }\n-x = 1\n+b\n b\n b\n # comment\n\n"
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
