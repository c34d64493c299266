//! Key paths: where a value sits in the secrets tree (`db.users[0]`), as people write them and as
//! the bytes that bind a ciphertext to its place.

use std::fmt;

/// One step of a [`KeyPath`]: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// The path from the root of the secrets tree to one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Segment>);

/// A key path written on the command line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{text}` is not a key path ({reason}); write keys separated by dots, list items as [N], and keys with dots or brackets as [\"a.b\"]"
)]
pub struct KeyPathError {
    pub text: String,
    pub reason: &'static str,
}

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with one more step.
    pub fn child(&self, segment: Segment) -> KeyPath {
        let mut segments = self.0.clone();
        segments.push(segment);
        KeyPath(segments)
    }

    pub fn key(&self, key: &str) -> KeyPath {
        self.child(Segment::Key(key.to_string()))
    }

    pub fn index(&self, index: usize) -> KeyPath {
        self.child(Segment::Index(index))
    }

    /// The unambiguous byte form bound into each value's ciphertext: a JSON array of the keys
    /// (strings) and indices (numbers), e.g. `["db","users",0]`.
    pub fn canonical(&self) -> String {
        let items: Vec<serde_json::Value> = self
            .0
            .iter()
            .map(|s| match s {
                Segment::Key(k) => serde_json::Value::from(k.as_str()),
                Segment::Index(i) => serde_json::Value::from(*i),
            })
            .collect();
        serde_json::Value::Array(items).to_string()
    }

    /// Reads a path as written on the command line: `ldap_password`, `db.users[0]`,
    /// `certs["example.com"].key`.
    pub fn parse(text: &str) -> Result<KeyPath, KeyPathError> {
        let err = |reason| KeyPathError {
            text: text.to_string(),
            reason,
        };
        let mut segments = Vec::new();
        let mut rest = text;
        if rest.is_empty() {
            return Err(err("it is empty"));
        }
        loop {
            if let Some(inner) = rest.strip_prefix('[') {
                if inner.starts_with('"') {
                    let (key, after) = split_json_string(inner).ok_or_else(|| err("unclosed quoted key"))?;
                    rest = after
                        .strip_prefix(']')
                        .ok_or_else(|| err("a quoted key must end with \"]"))?;
                    segments.push(Segment::Key(key));
                } else {
                    let end = inner.find(']').ok_or_else(|| err("missing ]"))?;
                    let index = inner[..end]
                        .parse::<usize>()
                        .map_err(|_| err("a list index must be a number"))?;
                    segments.push(Segment::Index(index));
                    rest = &inner[end + 1..];
                }
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if end == 0 {
                    return Err(err("empty key"));
                }
                segments.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('.') {
                if after.is_empty() {
                    return Err(err("it ends with a dot"));
                }
                rest = after;
            } else if !rest.starts_with('[') {
                return Err(err("unexpected text after ]"));
            }
        }
        Ok(KeyPath(segments))
    }
}

/// Splits a JSON string literal (starting with `"`) off the front of `text`.
fn split_json_string(text: &str) -> Option<(String, &str)> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let key: String = serde_json::from_str(&text[..=i]).ok()?;
                return Some((key, &text[i + 1..]));
            }
            _ => escaped = false,
        }
    }
    None
}

fn is_simple_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '.' | '[' | ']' | '"'))
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(the whole file)");
        }
        for (n, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if is_simple_key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_str()))?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_round_trip() {
        for text in [
            "a",
            "db.users[0]",
            "db.users[0].name",
            "certs[\"example.com\"].key",
            "x[1][2]",
        ] {
            let path = KeyPath::parse(text).expect("valid path");
            assert_eq!(path.to_string(), text);
            assert_eq!(KeyPath::parse(&path.to_string()).expect("reparse"), path);
        }
    }

    #[test]
    fn canonical_form_is_unambiguous() {
        assert_eq!(KeyPath::parse("a.b").expect("path").canonical(), r#"["a","b"]"#);
        assert_eq!(
            KeyPath::parse("[\"a.b\"]").expect("path").canonical(),
            r#"["a.b"]"#
        );
        assert_eq!(KeyPath::parse("a[0]").expect("path").canonical(), r#"["a",0]"#);
    }

    #[test]
    fn rejects_bad_paths() {
        for text in ["", "a.", ".a", "a..b", "a[x]", "a[0", "a[0]b", "[\"a"] {
            assert!(KeyPath::parse(text).is_err(), "{text} should be rejected");
        }
    }
}
