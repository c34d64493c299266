//! Input text quoted in a one-line message: control characters (line breaks, tabs, escape
//! sequences) are shown escaped, so a pattern, option or value read from a file or a push
//! cannot break a message over lines or colour the terminal.

use std::borrow::Cow;

/// `text` with every control character escaped (`\n`, `\t`, `\u{1b}`); unchanged otherwise.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(shown("web:&prod"), "web:&prod");
        assert_eq!(shown("a\nb\tc\u{1b}[31m"), "a\\nb\\tc\\u{1b}[31m");
        assert_eq!(shown("café ✓"), "café ✓");
    }
}
