//! Ansible's `key=value` argument strings: `copy: src=a dest=/b mode=0644`, and the free form of
//! `command`/`shell` (`shell: echo hi creates=/tmp/x`).

/// Keys that `command`-like modules take from a free-form string; every other word is command text.
const FREE_FORM_KEYS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Splits `text` into words like Ansible's `split_args`: whitespace separates words, except
/// inside quotes and inside `{{ }}`, `{% %}` and `{# #}` blocks. Quotes are kept.
pub fn split_args(text: &str) -> Vec<String> {
    split_words(text).into_iter().map(|(w, _)| w).collect()
}

/// [`split_args`], each word with whether a line ends after it (a line break outside quotes
/// and blocks follows it): the free form of `shell` keeps its lines.
fn split_words(text: &str) -> Vec<(String, bool)> {
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if quote.is_none() && c == '{' && matches!(next, Some('{') | Some('%') | Some('#')) {
            depth += 1;
            current.push(c);
            current.push(next.unwrap_or_default());
            i += 2;
            continue;
        }
        if quote.is_none() && depth > 0 && matches!(c, '}' | '%' | '#') && next == Some('}') {
            depth -= 1;
            current.push(c);
            current.push('}');
            i += 2;
            continue;
        }
        match quote {
            Some(q) if c == q && !current.ends_with('\\') => {
                quote = None;
                current.push(c);
            }
            Some(_) => current.push(c),
            None if (c == '"' || c == '\'') && depth == 0 => {
                quote = Some(c);
                current.push(c);
            }
            None if c.is_whitespace() && depth == 0 => {
                if !current.is_empty() {
                    words.push((std::mem::take(&mut current), false));
                }
                if c == '\n' {
                    if let Some(last) = words.last_mut() {
                        last.1 = true;
                    }
                }
            }
            None => current.push(c),
        }
        i += 1;
    }
    if !current.is_empty() {
        words.push((current, false));
    }
    words
}

/// Removes one pair of matching outer quotes.
fn unquote(s: &str) -> String {
    let bytes = s.as_bytes();
    if bytes.len() >= 2 && (bytes[0] == b'"' || bytes[0] == b'\'') && bytes[bytes.len() - 1] == bytes[0] {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// Parses `k=v` words into pairs. With `free_form`, words that are not one of the command keys
/// form `_raw_params`, joined by single spaces, and by a line break where a line ended (as
/// Ansible's `join_args`: a multi-line `shell: |` script keeps its lines).
pub fn parse_kv(text: &str, free_form: bool) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut raw = String::new();
    let mut line_ended = false;
    for (word, ends_line) in split_words(text) {
        let key_value = word.find('=').and_then(|eq| {
            let key = &word[..eq];
            let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_key.then(|| (key.to_string(), unquote(&word[eq + 1..])))
        });
        match key_value {
            Some((k, v)) if !free_form || FREE_FORM_KEYS.contains(&k.as_str()) => pairs.push((k, v)),
            _ => {
                if !raw.is_empty() {
                    raw.push(if line_ended { '\n' } else { ' ' });
                }
                raw.push_str(&word);
                line_ended = ends_line;
                continue;
            }
        }
        // A key's line break belongs to the text before it.
        line_ended |= ends_line;
    }
    if free_form && !raw.is_empty() {
        pairs.push(("_raw_params".to_string(), raw));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_respect_quotes_and_jinja() {
        let pairs = parse_kv(
            "src=a.j2 dest='/etc/my file' mode={{ m | default('0644') }}",
            false,
        );
        assert_eq!(
            pairs,
            vec![
                ("src".into(), "a.j2".into()),
                ("dest".into(), "/etc/my file".into()),
                ("mode".into(), "{{ m | default('0644') }}".into())
            ]
        );
    }

    #[test]
    fn free_form_keeps_its_lines() {
        let pairs = parse_kv(
            "echo a\nfor i in 1 2; do\n  echo \"$i\n x\"\ndone creates=/x\nexit 0\n",
            true,
        );
        assert_eq!(
            pairs,
            vec![
                ("creates".into(), "/x".into()),
                (
                    "_raw_params".into(),
                    "echo a\nfor i in 1 2; do\necho \"$i\n x\"\ndone\nexit 0".into()
                )
            ]
        );
    }

    #[test]
    fn free_form_keeps_command_words() {
        let pairs = parse_kv("echo a=b 'c d' creates=/tmp/x", true);
        assert_eq!(
            pairs,
            vec![
                ("creates".into(), "/tmp/x".into()),
                ("_raw_params".into(), "echo a=b 'c d'".into())
            ]
        );
    }
}
