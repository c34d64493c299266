//! The authorized_keys model of `ansible.posix.authorized_key`, as its module computes it:
//! lines parsed into keys (`parsekey`: options, type, key, comment; anything else kept as it
//! is), the file as an ordered map by key with each entry's rank (`parsekeys`, where a repeated
//! key or line keeps its first place and its last rank), the wanted keys applied
//! (`enforce_state`: added after the existing keys, replaced when options or comment differ,
//! removed, `exclusive`), and the file written back in rank order (`serialize`, with the
//! module's `TYPE KEY COMMENT\n` even for an empty comment). Pure, unit-tested.

use indexmap::IndexMap;

/// The key types the module recognises.
const TYPES: &[&str] = &[
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

/// Key options in their order, repeats kept (the module's `keydict`).
#[derive(Clone, Debug, Default)]
pub struct Options(Vec<(String, Option<String>)>);

impl Options {
    /// The module's `parseoptions`: split on commas outside quotes.
    pub fn parse(text: &str) -> Options {
        let mut parts: Vec<String> = Vec::new();
        // re.split with the capturing pattern ((?:[^,"']|"[^"]*"|'[^']*')+): separators and
        // matches alternate; the module drops the first and last separator.
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut sep = String::new();
        let mut pieces: Vec<String> = Vec::new();
        while i < chars.len() {
            let start = i;
            let mut j = i;
            loop {
                match chars.get(j) {
                    Some(c) if *c != ',' && *c != '"' && *c != '\'' => j += 1,
                    Some(q @ ('"' | '\'')) => match chars[j + 1..].iter().position(|c| c == q) {
                        Some(end) => j += end + 2,
                        None => break,
                    },
                    _ => break,
                }
            }
            if j > start {
                pieces.push(std::mem::take(&mut sep));
                pieces.push(chars[start..j].iter().collect());
                i = j;
            } else {
                sep.push(chars[i]);
                i += 1;
            }
        }
        pieces.push(sep);
        if pieces.len() > 2 {
            parts.extend(pieces[1..pieces.len() - 1].iter().cloned());
        }
        let mut opts = Options::default();
        for part in parts {
            if let Some((k, v)) = part.split_once('=') {
                opts.0.push((k.to_string(), Some(v.to_string())));
            } else if part != "," {
                opts.0.push((part, None));
            }
        }
        opts
    }

    /// The options as the module compares them: a dict of each key's values, order of keys
    /// ignored.
    fn as_dict(&self) -> std::collections::BTreeMap<&str, Vec<Option<&str>>> {
        let mut d: std::collections::BTreeMap<&str, Vec<Option<&str>>> = Default::default();
        for (k, v) in &self.0 {
            d.entry(k.as_str()).or_default().push(v.as_deref());
        }
        d
    }

    fn render(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect();
        format!("{} ", parts.join(","))
    }
}

impl PartialEq for Options {
    fn eq(&self, other: &Options) -> bool {
        self.as_dict() == other.as_dict()
    }
}

/// One line of the file, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A key: its type, options and comment.
    Key {
        kind: String,
        options: Options,
        comment: String,
    },
    /// Anything else, written back as it was.
    Skipped,
}

/// A parsed line: its identity (the key, or the line itself) and its rank.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: String,
    pub line: Line,
    pub rank: usize,
}

/// The module's `parsekey`: `Ok(None)` for a line without a known key type, `Err` for a type
/// with nothing after it (the module fails there).
pub fn parse_key(raw: &str, rank: usize) -> Result<Option<Entry>, String> {
    let raw = raw.replace("\\#", "#");
    let parts: Vec<&str> = raw
        .split([' ', '\t', '\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.first() == Some(&"#") {
        return Ok(Some(Entry {
            id: raw.clone(),
            line: Line::Skipped,
            rank,
        }));
    }
    let Some(ti) = parts.iter().position(|p| TYPES.contains(p)) else {
        return Ok(None);
    };
    let options = if ti > 0 {
        Options::parse(&parts[..ti].join(" "))
    } else {
        Options::default()
    };
    let key = parts.get(ti + 1).ok_or_else(|| {
        format!(
            "the key of type {} has no key data: {}",
            parts[ti],
            raw.trim_end()
        )
    })?;
    Ok(Some(Entry {
        id: (*key).to_string(),
        line: Line::Key {
            kind: parts[ti].to_string(),
            options,
            comment: parts[ti + 2..].join(" "),
        },
        rank,
    }))
}

/// Python's `str.splitlines(True)`.
fn splitlines_keep(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = match c {
            '\r' => match iter.peek() {
                Some((j, '\n')) => {
                    let e = j + 1;
                    iter.next();
                    e
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' => i + 1,
            '\u{85}' | '\u{2028}' | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        out.push(&s[start..end]);
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The file as the module holds it: id → entry, in first-insertion order.
pub type Keys = IndexMap<String, Entry>;

/// The module's `parsekeys`.
pub fn parse_file(text: &str) -> Result<Keys, String> {
    let mut keys = Keys::new();
    for (rank, line) in splitlines_keep(text).into_iter().enumerate() {
        let entry = parse_key(line, rank)?.unwrap_or_else(|| Entry {
            id: line.to_string(),
            line: Line::Skipped,
            rank,
        });
        keys.insert(entry.id.clone(), entry);
    }
    Ok(keys)
}

/// The module's `serialize`.
pub fn serialize(keys: &Keys) -> String {
    let mut entries: Vec<&Entry> = keys.values().collect();
    entries.sort_by_key(|e| e.rank);
    entries
        .into_iter()
        .map(|e| match &e.line {
            Line::Skipped => e.id.clone(),
            Line::Key {
                kind,
                options,
                comment,
            } => format!("{}{kind} {} {comment}\n", options.render(), e.id),
        })
        .collect()
}

/// What the task asks.
pub struct Wanted<'a> {
    pub key: &'a str,
    pub present: bool,
    pub key_options: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub exclusive: bool,
}

/// The module's `enforce_state` on the file's text: the new text when it writes one.
pub fn enforce(existing_text: &str, w: &Wanted) -> Result<Option<String>, String> {
    let new_keys: Vec<String> = crate::modules::commands::words::python_splitlines(w.key)
        .into_iter()
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .collect();
    let mut existing = parse_file(existing_text)?;
    let max_rank = existing.len();
    let mut keep: Vec<String> = Vec::new();
    let mut write = false;
    for (i, raw) in new_keys.iter().enumerate() {
        let Some(mut parsed) = parse_key(raw, i)? else {
            return Err(format!("invalid key specified: {raw}"));
        };
        if let Line::Key { options, comment, .. } = &mut parsed.line {
            if let Some(o) = w.key_options {
                *options = Options::parse(o);
            }
            if let Some(c) = w.comment {
                *comment = c.to_string();
            }
        }
        let mut matched = false;
        let mut differs = false;
        if let Some(old) = existing.get(&parsed.id) {
            if old.line != parsed.line && w.present {
                differs = true;
            } else {
                matched = true;
            }
        }
        if w.present {
            keep.push(parsed.id.clone());
            if differs && existing.shift_remove(&parsed.id).is_some() {
                write = true;
            }
            if !matched {
                parsed.rank += max_rank;
                existing.insert(parsed.id.clone(), parsed);
                write = true;
            }
        } else if matched {
            existing.shift_remove(&parsed.id);
            write = true;
        }
    }
    if w.present && w.exclusive {
        let before = existing.len();
        existing.retain(|id, _| keep.contains(id));
        write |= existing.len() != before;
    }
    Ok(write.then(|| serialize(&existing)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want<'a>(key: &'a str) -> Wanted<'a> {
        Wanted {
            key,
            present: true,
            key_options: None,
            comment: None,
            exclusive: false,
        }
    }

    #[test]
    fn keys_are_added_after_the_existing_ones_with_the_modules_spacing() {
        let file = "# mine\nssh-rsa AAA a@b\n";
        let out = enforce(file, &want("ssh-ed25519 BBB\nssh-rsa AAA a@b\n# skipped\n")).expect("ok");
        assert_eq!(
            out.as_deref(),
            Some("# mine\nssh-rsa AAA a@b\nssh-ed25519 BBB \n")
        );
        assert_eq!(enforce(file, &want("ssh-rsa AAA a@b")).expect("ok"), None);
    }

    #[test]
    fn changed_options_or_comment_replace_the_key_at_the_end() {
        let file = "ssh-rsa AAA one\nssh-rsa CCC two\n";
        let w = Wanted {
            key_options: Some("no-pty,from=\"10.0.0.1,10.0.0.2\""),
            ..want("ssh-rsa AAA one")
        };
        let out = enforce(file, &w).expect("ok");
        assert_eq!(
            out.as_deref(),
            Some("ssh-rsa CCC two\nno-pty,from=\"10.0.0.1,10.0.0.2\" ssh-rsa AAA one\n")
        );
        // Options in another order are the same options.
        let file = "b=1,a ssh-rsa AAA one\n";
        let w = Wanted {
            key_options: Some("a,b=1"),
            ..want("ssh-rsa AAA one")
        };
        assert_eq!(enforce(file, &w).expect("ok"), None);
    }

    #[test]
    fn absent_and_exclusive_remove() {
        let file = "# c\nssh-rsa AAA one\nssh-rsa CCC two\n";
        let w = Wanted {
            present: false,
            ..want("ssh-rsa AAA other-comment")
        };
        assert_eq!(
            enforce(file, &w).expect("ok").as_deref(),
            Some("# c\nssh-rsa CCC two\n")
        );
        let w = Wanted {
            exclusive: true,
            ..want("ssh-rsa CCC two")
        };
        assert_eq!(
            enforce(file, &w).expect("ok").as_deref(),
            Some("ssh-rsa CCC two\n")
        );
        assert_eq!(
            enforce(file, &want("nonsense")).expect_err("invalid"),
            "invalid key specified: nonsense"
        );
    }

    #[test]
    fn options_split_as_the_modules_pattern() {
        let o = Options::parse("command=\"a,b\",no-pty,,x");
        assert_eq!(o.render(), "command=\"a,b\",no-pty,,,,x ");
    }
}
