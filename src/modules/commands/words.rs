//! What `command` and `shell` share: Python-compatible word splitting (`shlex.split`) and line splitting (`str.splitlines`),
//! POSIX shell quoting, and the way Ansible expands `~` and `$VAR` in arguments, rebuilt as
//! shell words so the expansion happens on the target, where Ansible does it.

use minijinja::Value;

/// Splits a command line the way Python's `shlex.split` does (POSIX mode, no comments).
pub(crate) fn shlex_split(s: &str) -> Result<Vec<String>, String> {
    #[derive(PartialEq)]
    enum State {
        Between,
        Word,
        Single,
        Double,
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Between;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Between | State::Word => match c {
                ' ' | '\t' | '\r' | '\n' => {
                    if state == State::Word {
                        words.push(std::mem::take(&mut word));
                        state = State::Between;
                    }
                }
                '\\' => {
                    let Some(next) = chars.next() else {
                        return Err("No escaped character".into());
                    };
                    word.push(next);
                    state = State::Word;
                }
                '\'' => state = State::Single,
                '"' => state = State::Double,
                _ => {
                    word.push(c);
                    state = State::Word;
                }
            },
            State::Single => {
                if c == '\'' {
                    state = State::Word;
                } else {
                    word.push(c);
                }
            }
            State::Double => match c {
                '"' => state = State::Word,
                '\\' => {
                    let Some(next) = chars.next() else {
                        return Err("No closing quotation".into());
                    };
                    if next != '"' && next != '\\' {
                        word.push('\\');
                    }
                    word.push(next);
                }
                _ => word.push(c),
            },
        }
    }
    match state {
        State::Single | State::Double => Err("No closing quotation".into()),
        State::Word => {
            words.push(word);
            Ok(words)
        }
        State::Between => Ok(words),
    }
}

/// Quotes one word for POSIX `sh`.
pub(crate) fn sh_quote(s: &str) -> String {
    crate::connection::quote::shlex_quote(s)
}

/// Splits text into lines like Python's `str.splitlines()`.
pub(crate) fn python_splitlines(s: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                lines.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// A list of strings as a registered value.
pub(crate) fn lines_value(lines: Vec<String>) -> Value {
    Value::from(lines.into_iter().map(Value::from).collect::<Vec<_>>())
}

/// Which characters of a word the shell should leave active.
#[derive(Clone, Copy)]
pub(crate) enum Expand {
    /// `~` and `$VAR` as Ansible's `expand_argument_vars` (and `type='path'`) do.
    Vars,
    /// The same, and glob characters too (`creates`, `removes`).
    VarsAndGlob,
}

/// Builds a shell word that yields `word` after Ansible's argument expansion on the target:
/// a leading `~` or `~user` becomes the home directory, `$NAME` and `${NAME}` become the
/// variable's value when it is set and stay as written when it is not (unlike a shell).
///
/// The word relies on `IFS` being empty (no field splitting of the values) and, unless glob
/// characters are meant, on `set -f`; see [`WORD_PRELUDE`].
pub(crate) fn expanding_word(word: &str, mode: Expand) -> String {
    let mut out = String::new();
    let mut literal = String::new();
    let mut rest = word;
    if let Some(after) = word.strip_prefix('~') {
        let end = after.find('/').unwrap_or(after.len());
        let user = &after[..end];
        if user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            out.push('~');
            out.push_str(user);
            rest = &after[end..];
            if let Some(r) = rest.strip_prefix('/') {
                out.push('/');
                rest = r;
            }
        }
    }
    let flush = |literal: &mut String, out: &mut String| {
        if !literal.is_empty() {
            out.push_str(&format!("'{}'", literal.replace('\'', r"'\''")));
            literal.clear();
        }
    };
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '$' => {
                let tail = &rest[i + 1..];
                let (name, written_len) = if let Some(braced) = tail.strip_prefix('{') {
                    match braced.find('}') {
                        Some(close) => (&braced[..close], close + 2),
                        None => ("", 0),
                    }
                } else {
                    let len = tail
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                    (&tail[..len], len)
                };
                let valid = !name.is_empty()
                    && !name.as_bytes()[0].is_ascii_digit()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if valid && written_len > 0 {
                    flush(&mut literal, &mut out);
                    if out.is_empty() {
                        // Keeps the word when the value is empty.
                        out.push_str("''");
                    }
                    let written = &rest[i..i + 1 + written_len];
                    out.push_str(&format!("${{{name}-'{}'}}", written.replace('\'', r"'\''")));
                    for _ in 0..written_len {
                        chars.next();
                    }
                } else {
                    literal.push('$');
                }
            }
            '*' | '?' | '[' | ']' if matches!(mode, Expand::VarsAndGlob) => {
                flush(&mut literal, &mut out);
                out.push(c);
            }
            _ => literal.push(c),
        }
    }
    flush(&mut literal, &mut out);
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

/// Shell settings under which [`expanding_word`] words expand exactly once, unsplit.
pub(crate) const WORD_PRELUDE: &str = "IFS=";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_matches_python() {
        assert_eq!(
            shlex_split(r#"echo "a  b" 'c d' e\ f"#).expect("valid input"),
            ["echo", "a  b", "c d", "e f"]
        );
        assert_eq!(
            shlex_split(r#"x "a\$b\"c" '' "#).expect("valid input"),
            ["x", r#"a\$b"c"#, ""]
        );
        assert_eq!(shlex_split("a#b # c").expect("valid input"), ["a#b", "#", "c"]);
        assert!(shlex_split("echo 'open").is_err());
    }

    #[test]
    fn splitlines_matches_python() {
        assert_eq!(python_splitlines("a\nb\r\nc\rd\n"), ["a", "b", "c", "d"]);
        assert_eq!(python_splitlines("a\n\nb"), ["a", "", "b"]);
        assert!(python_splitlines("").is_empty());
    }

    #[test]
    fn expansion_words() {
        assert_eq!(expanding_word("plain", Expand::Vars), "'plain'");
        assert_eq!(expanding_word("~/x", Expand::Vars), "~/'x'");
        assert_eq!(expanding_word("~", Expand::Vars), "~");
        assert_eq!(expanding_word("$HOME!", Expand::Vars), "''${HOME-'$HOME'}'!'");
        assert_eq!(expanding_word("a${B}", Expand::Vars), "'a'${B-'${B}'}");
        assert_eq!(expanding_word("$1 ${}", Expand::Vars), "'$1 ${}'");
        assert_eq!(
            expanding_word("/a b/*.txt", Expand::VarsAndGlob),
            "'/a b/'*'.txt'"
        );
        assert_eq!(expanding_word("", Expand::Vars), "''");
    }
}
