//! Fully qualified names: `x | ansible.builtin.to_json` and `x is ansible.builtin.match(...)`
//! name the same filters and tests as their short forms; the prefix is dropped before parsing.
//! The collections' filters that playhook provides (`ansible.utils.ipaddr`, ...) too.

/// Each collection prefix and the names it is dropped before (`None`: any name).
const PREFIXES: &[(&str, Option<&[&str]>)] = &[
    ("ansible.builtin.", None),
    ("ansible.utils.", Some(IP_FILTERS)),
    ("ansible.netcommon.", Some(IP_FILTERS)),
    ("community.general.", Some(GENERAL_FILTERS)),
];

const IP_FILTERS: &[&str] = &[
    "ipaddr",
    "ipv4",
    "ipv6",
    "ipwrap",
    "ipmath",
    "ipsubnet",
    "nthhost",
    "next_nth_usable",
    "previous_nth_usable",
    "network_in_usable",
    "network_in_network",
];

const GENERAL_FILTERS: &[&str] = &["json_query"];

/// The text with the collection prefixes removed after `|` and after `is` / `is not`, or
/// `None` when there is none.
pub fn strip(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (prefix, names) in PREFIXES {
        let current = out.as_deref().unwrap_or(text);
        if let Some(stripped) = strip_one(current, prefix, *names) {
            out = Some(stripped);
        }
    }
    out
}

fn strip_one(text: &str, prefix: &str, names: Option<&[&str]>) -> Option<String> {
    if !text.contains(prefix) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(prefix) {
        let before = &rest[..pos];
        let trimmed = before.trim_end();
        let after_operator = trimmed.ends_with('|')
            || ends_with_word(trimmed, "is")
            || (ends_with_word(trimmed, "not")
                && ends_with_word(trimmed[..trimmed.len() - 3].trim_end(), "is"));
        let after = &rest[pos + prefix.len()..];
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let known = names.is_none_or(|names| names.contains(&&after[..name_len]));
        out.push_str(before);
        if !(after_operator && known) {
            out.push_str(prefix);
        }
        rest = after;
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
        assert_eq!(
            strip("{{ a | ansible.utils.ipaddr('net') | ansible.utils.nope }}").as_deref(),
            Some("{{ a | ipaddr('net') | ansible.utils.nope }}")
        );
    }
}
