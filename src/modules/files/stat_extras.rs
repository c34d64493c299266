//! The parts of the `stat` result that come from other programs, read as Ansible reads them:
//! `mimetype` and `charset` from `file --mime-type --mime-encoding`, and `version`, `attr_flags`
//! and `attributes` from `lsattr -vd`. Where a program is missing or fails, the values stay
//! Ansible's defaults (`unknown`, `None`, empty).

use crate::connection::quote::quote_path;

/// What the extra programs said about one path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// `(mimetype, charset)`.
    pub mime: Option<(String, String)>,
    /// `(version, flags)`, the flags without their `-` placeholders.
    pub attrs: Option<(String, String)>,
}

/// The script asking `file` and `lsattr` about an existing path (each only when asked for and
/// installed).
pub fn script(path: &str, mime: bool, attrs: bool) -> String {
    let mut s = format!(
        "p={}\n[ -e \"$p\" ] || [ -L \"$p\" ] || exit 0\n",
        quote_path(path)
    );
    if mime {
        s.push_str(
            "if command -v file >/dev/null 2>&1 && o=$(file --mime-type --mime-encoding -- \"$p\" 2>/dev/null); \
             then printf 'mime=%s\\n' \"$o\"; fi\n",
        );
    }
    if attrs {
        s.push_str(
            "if command -v lsattr >/dev/null 2>&1 && o=$(lsattr -vd -- \"$p\" 2>/dev/null); \
             then printf 'attr=%s\\n' \"$o\"; fi\n",
        );
    }
    s.push_str("exit 0\n");
    s
}

/// Reads the script's output.
pub fn parse(text: &str) -> Extras {
    let mut extras = Extras::default();
    for line in text.lines() {
        if let Some(out) = line.strip_prefix("mime=") {
            // `PATH: TYPE; charset=CHARSET`; the path may hold `:`, the rest does not.
            let parsed = out.rsplit_once(':').and_then(|(_, rest)| {
                let (kind, charset) = rest.split_once(';')?;
                let (_, charset) = charset.split_once('=')?;
                Some((kind.trim().to_string(), charset.trim().to_string()))
            });
            extras.mime = parsed;
        } else if let Some(out) = line.strip_prefix("attr=") {
            let mut words = out.split_whitespace();
            if let (Some(version), Some(flags)) = (words.next(), words.next()) {
                extras.attrs = Some((version.to_string(), flags.replace('-', "")));
            }
        }
    }
    extras
}

/// The names of `lsattr` flags, in the order of the flags (Ansible's `format_attributes`).
pub fn attribute_names(flags: &str) -> Vec<&'static str> {
    flags
        .chars()
        .filter_map(|c| {
            Some(match c {
                'A' => "noatime",
                'a' => "append",
                'c' => "compressed",
                'C' => "nocow",
                'd' => "nodump",
                'D' => "dirsync",
                'e' => "extents",
                'E' => "encrypted",
                'h' => "blocksize",
                'i' => "immutable",
                'I' => "indexed",
                'j' => "journalled",
                'N' => "inline",
                's' => "zero",
                'S' => "synchronous",
                't' => "notail",
                'T' => "blockroot",
                'u' => "undelete",
                'X' => "compressedraw",
                'Z' => "compresseddirty",
                _ => return None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_file_and_lsattr_output() {
        let e = parse(
            "mime=/srv/a:b.txt: text/plain; charset=us-ascii\nattr=3161775398 --------------e------- /srv/a:b.txt\n",
        );
        assert_eq!(e.mime, Some(("text/plain".into(), "us-ascii".into())));
        assert_eq!(e.attrs, Some(("3161775398".into(), "e".into())));
        assert_eq!(attribute_names("eiA?"), ["extents", "immutable", "noatime"]);
        assert_eq!(parse("mime=x: cannot open `x'\n"), Extras::default());
    }

    #[test]
    fn asks_a_real_shell() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("it's.txt");
        std::fs::write(&path, "hello\n").expect("write");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script(&path.to_string_lossy(), true, false))
            .output()
            .expect("sh");
        let e = parse(&String::from_utf8_lossy(&out.stdout));
        match std::process::Command::new("file").arg("--version").output() {
            Ok(_) => assert_eq!(e.mime, Some(("text/plain".into(), "us-ascii".into()))),
            Err(_) => assert_eq!(e.mime, None),
        }
        assert_eq!(e.attrs, None, "not asked for");
    }
}
