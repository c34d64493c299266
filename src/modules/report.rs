//! The report a module's shell script prints on stdout (`vcs/git.sh`, `packages/pip.sh`,
//! `packages/npm.sh`): sections, each a line "\036key" and the value on the lines after it (the
//! last newline is the separator's). Values keep their own trailing newlines, so a command's
//! output arrives as printed.

/// Starts a section's line: the record separator, which no command output carries.
pub const MARK: char = '\u{1e}';

/// The report's sections in order: (name, value). Anything before the first mark is ignored.
pub fn sections(stdout: &str) -> Vec<(String, String)> {
    stdout
        .split(MARK)
        .skip(1)
        .map(|chunk| {
            let (key, value) = chunk.split_once('\n').unwrap_or((chunk, ""));
            let value = value.strip_suffix('\n').unwrap_or(value);
            (key.to_string(), value.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_back_in_sections() {
        let out = "noise\n\u{1e}before\nabc\n\u{1e}diff\nline 1\nline 2\n\n\u{1e}changed\n1\n";
        assert_eq!(
            sections(out),
            [
                ("before".to_string(), "abc".to_string()),
                ("diff".to_string(), "line 1\nline 2\n".to_string()),
                ("changed".to_string(), "1".to_string())
            ]
        );
    }
}
