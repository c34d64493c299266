//! What `command` and `shell` share, and the parameter readers of the controller-side modules:
//! Python-compatible word splitting (`shlex.split`) and line splitting (`str.splitlines`),
//! POSIX shell quoting, and the way Ansible expands `~` and `$VAR` in arguments, rebuilt as
//! shell words so the expansion happens on the target, where Ansible does it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use minijinja::Value;

use super::ModuleError;

/// One task parameter, or `None` when it is absent or null (Ansible treats both alike).
pub(crate) fn param(args: &Value, name: &str) -> Option<Value> {
    let v = args.get_item(&Value::from(name)).ok()?;
    if v.is_undefined() || v.is_none() {
        None
    } else {
        Some(v)
    }
}

/// A parameter as text; numbers and booleans are converted as Ansible's `str` type does.
pub(crate) fn str_param(args: &Value, name: &str) -> Option<String> {
    param(args, name).map(|v| value_to_text(&v))
}

/// A value as Python's `str()` would give it for scalars.
pub(crate) fn value_to_text(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    match v.kind() {
        minijinja::value::ValueKind::Bool => {
            if v.is_true() {
                "True".into()
            } else {
                "False".into()
            }
        }
        minijinja::value::ValueKind::None | minijinja::value::ValueKind::Undefined => "None".into(),
        _ => v.to_string(),
    }
}

/// A message value as one line of text: strings as they are, anything else as JSON.
pub(crate) fn display_text(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
}

/// A boolean parameter with Ansible's spelling rules (`yes`/`no`, `true`/`false`, `on`/`off`, `1`/`0`).
pub(crate) fn bool_param(args: &Value, name: &str, default: bool) -> Result<bool, ModuleError> {
    let Some(v) = param(args, name) else {
        return Ok(default);
    };
    parse_bool(&v).ok_or_else(|| {
        ModuleError::Params(format!(
            "argument '{name}' is of type {} and we were unable to convert to bool: \
             '{}' is not a valid boolean; use true or false",
            python_type(&v),
            value_to_text(&v)
        ))
    })
}

/// Ansible's `boolean()` conversion.
pub(crate) fn parse_bool(v: &Value) -> Option<bool> {
    match v.kind() {
        minijinja::value::ValueKind::Bool => Some(v.is_true()),
        minijinja::value::ValueKind::Number => match v.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => match f64::try_from(v.clone()).ok() {
                Some(1.0) => Some(true),
                Some(0.0) => Some(false),
                _ => None,
            },
        },
        _ => {
            let s = v.as_str()?.trim().to_ascii_lowercase();
            match s.as_str() {
                "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
                "n" | "no" | "off" | "0" | "false" | "f" | "" => Some(false),
                _ => None,
            }
        }
    }
}

/// An integer parameter (`verbosity`).
pub(crate) fn int_param(args: &Value, name: &str, default: i64) -> Result<i64, ModuleError> {
    let Some(v) = param(args, name) else {
        return Ok(default);
    };
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    v.as_str().and_then(|s| s.trim().parse().ok()).ok_or_else(|| {
        ModuleError::Params(format!(
            "argument '{name}' is of type {} and we were unable to convert to int: \
             '{}' cannot be converted to an int",
            python_type(&v),
            value_to_text(&v)
        ))
    })
}

/// The Python type name Ansible's messages use for a value.
pub(crate) fn python_type(v: &Value) -> &'static str {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if v.as_i64().is_some() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        ValueKind::None | ValueKind::Undefined => "NoneType",
        _ => "object",
    }
}

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

/// A wall-clock instant formatted like Python's `str(datetime)` (UTC).
pub(crate) fn python_datetime(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, dd) = crate::calendar::civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{dd:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    );
    let micros = d.subsec_micros();
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

/// A duration formatted like Python's `str(timedelta)`.
pub(crate) fn python_timedelta(d: Duration) -> String {
    let secs = d.as_secs();
    let days = secs / 86_400;
    let sod = secs % 86_400;
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    ));
    let micros = d.subsec_micros();
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

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

    #[test]
    fn python_time_formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_315_469_165_533);
        assert_eq!(python_datetime(t), "2026-11-22 02:44:29.165533");
        assert_eq!(python_datetime(UNIX_EPOCH), "1970-01-01 00:00:00");
        assert_eq!(python_timedelta(Duration::from_micros(4153)), "0:00:00.004153");
        assert_eq!(python_timedelta(Duration::from_secs(90_061)), "1 day, 1:01:01");
    }
}
