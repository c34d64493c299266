//! Fully qualified names: `x | ansible.builtin.to_json` and `x is ansible.builtin.match(...)`
//! name the same filters and tests as their short forms; the prefix is dropped before parsing.

const PREFIX: &str = "ansible.builtin.";

/// The text with `ansible.builtin.` removed after `|` and after `is` / `is not`, or `None`
/// when there is none.
pub fn strip(text: &str) -> Option<String> {
    if !text.contains(PREFIX) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(PREFIX) {
        let before = &rest[..pos];
        let trimmed = before.trim_end();
        let after_operator = trimmed.ends_with('|')
            || ends_with_word(trimmed, "is")
            || (ends_with_word(trimmed, "not")
                && ends_with_word(trimmed[..trimmed.len() - 3].trim_end(), "is"));
        out.push_str(before);
        if !after_operator {
            out.push_str(PREFIX);
        }
        rest = &rest[pos + PREFIX.len()..];
    }
    out.push_str(rest);
    Some(out)
}

fn ends_with_word(text: &str, word: &str) -> bool {
    text.ends_with(word)
        && !text[..text.len() - word.len()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_builtin_prefix_of_filters_and_tests() {
        assert_eq!(
            strip("{{ x | ansible.builtin.to_json }} {{ y is ansible.builtin.match('a') }}").as_deref(),
            Some("{{ x | to_json }} {{ y is match('a') }}")
        );
        assert_eq!(
            strip("y is not ansible.builtin.defined").as_deref(),
            Some("y is not defined")
        );
        assert_eq!(
            strip("{{ lookup('ansible.builtin.file', 'a') }}").as_deref(),
            Some("{{ lookup('ansible.builtin.file', 'a') }}")
        );
        assert_eq!(strip("plain"), None);
    }
}
