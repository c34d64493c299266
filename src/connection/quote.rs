//! POSIX shell quoting, the one implementation of it: every value a script carries (paths,
//! users, modes, whole inner scripts) goes through [`quote`] (or [`shlex_quote`]), so nothing a
//! task says can change the shape of the script. [`shlex_quote`] is Python's `shlex.quote`, for
//! the text Ansible itself shows quoted (a command's `cmd`, the `quote` filter).

/// Quotes `s` as one POSIX `sh` word: `'...'`, with every `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Quotes `s` as one POSIX `sh` word the way Python's `shlex.quote` does: unchanged when it is
/// not empty and made only of ASCII letters, digits and `_@%+=:,./-`; else `'...'`, with every
/// `'` written as `'"'"'`.
pub fn shlex_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\"'\"'"))
    }
}

/// Quotes a path as one word, expanding a leading `~` or `~/` to the home directory of the user
/// the command runs as (`"$HOME"`), as Ansible's `path` parameters do.
pub fn quote_path(path: &str) -> String {
    if path == "~" {
        return "\"$HOME\"".to_string();
    }
    match path.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
        None => quote(path),
    }
}

/// Whether a remote path is absolute once `~` is expanded.
pub fn is_absolute_path(path: &str) -> bool {
    path.starts_with('/') || path == "~" || path.starts_with("~/")
}

/// Whether `name` can be used as a shell variable name (`export NAME=...`).
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes() {
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME `x` \"y\""), "'$HOME `x` \"y\"'");
    }

    #[test]
    fn shlex_quotes_like_python() {
        assert_eq!(shlex_quote(""), "''");
        assert_eq!(shlex_quote("/usr/bin/env"), "/usr/bin/env");
        assert_eq!(shlex_quote("a_b@c%d+e=f:g,h.i/j-k"), "a_b@c%d+e=f:g,h.i/j-k");
        assert_eq!(shlex_quote("a b"), "'a b'");
        assert_eq!(shlex_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shlex_quote("caf\u{e9}"), "'caf\u{e9}'");
    }

    #[test]
    fn home_paths() {
        assert_eq!(quote_path("~/.ssh/x y"), "\"$HOME\"/'.ssh/x y'");
        assert_eq!(quote_path("~"), "\"$HOME\"");
        assert_eq!(quote_path("/a/~b"), "'/a/~b'");
        assert_eq!(quote_path("~user/x"), "'~user/x'");
    }

    #[test]
    fn var_names() {
        assert!(is_var_name("PATH"));
        assert!(is_var_name("_a1"));
        assert!(!is_var_name("1a"));
        assert!(!is_var_name("a-b"));
        assert!(!is_var_name(""));
    }
}
