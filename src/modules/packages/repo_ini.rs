//! `.repo` files as Python's `configparser.RawConfigParser` reads and writes them, which is how
//! Ansible's `yum_repository` edits them: sections in file order, keys lower-cased in insertion
//! order, comments dropped, continuation lines joined with `\n` on reading and written back
//! indented with a tab, `key = value`, a blank line after every section. [`dump`] is the
//! module's sorted rendering, which decides `changed` and is its diff.

use indexmap::IndexMap;

/// Sections, each an ordered map of keys to values.
pub type Ini = IndexMap<String, IndexMap<String, String>>;

/// Parses a file's text; lines it cannot read are skipped (configparser would refuse the file).
pub fn parse(text: &str) -> Ini {
    let mut ini = Ini::new();
    let mut section: Option<String> = None;
    let mut last_key: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.is_empty() {
            last_key = None;
            continue;
        }
        let indented = line.len() != trimmed.len();
        if indented {
            if let (Some(s), Some(k)) = (&section, &last_key) {
                if let Some(v) = ini.get_mut(s).and_then(|m| m.get_mut(k)) {
                    v.push('\n');
                    v.push_str(trimmed);
                    continue;
                }
            }
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            ini.entry(name.to_string()).or_default();
            section = Some(name.to_string());
            last_key = None;
            continue;
        }
        let Some(s) = &section else { continue };
        let at = trimmed.find(['=', ':']);
        let (key, value) = match at {
            Some(i) => (trimmed[..i].trim(), trimmed[i + 1..].trim()),
            None => (trimmed, ""),
        };
        let key = key.to_lowercase();
        if let Some(m) = ini.get_mut(s) {
            m.insert(key.clone(), value.to_string());
        }
        last_key = Some(key);
    }
    ini
}

/// The file's text as configparser writes it.
pub fn write(ini: &Ini) -> String {
    let mut out = String::new();
    for (section, keys) in ini {
        out.push_str(&format!("[{section}]\n"));
        for (k, v) in keys {
            out.push_str(&format!("{k} = {}\n", v.replace('\n', "\n\t")));
        }
        out.push('\n');
    }
    out
}

/// Ansible's `YumRepo.dump()`: sections and keys sorted, values as they are.
pub fn dump(ini: &Ini) -> String {
    let mut sections: Vec<&String> = ini.keys().collect();
    sections.sort();
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!("[{s}]\n"));
        let mut keys: Vec<(&String, &String)> = ini[s].iter().collect();
        keys.sort();
        for (k, v) in keys {
            out.push_str(&format!("{k} = {v}\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_and_write_as_configparser_does() {
        let text = "# comment\n[b]\nName=B\nbaseurl = http://a/\n  http://b/\n\n[a]\nenabled: 1\n";
        let ini = parse(text);
        assert_eq!(ini["b"]["name"], "B");
        assert_eq!(ini["b"]["baseurl"], "http://a/\nhttp://b/");
        assert_eq!(
            write(&ini),
            "[b]\nname = B\nbaseurl = http://a/\n\thttp://b/\n\n[a]\nenabled = 1\n\n"
        );
        assert_eq!(
            dump(&ini),
            "[a]\nenabled = 1\n\n[b]\nbaseurl = http://a/\nhttp://b/\nname = B\n\n"
        );
        assert_eq!(parse(&write(&ini)), ini);
    }
}
