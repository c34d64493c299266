//! Masking: every secret, and the base64, URL-encoded, JSON- and quote-escaped forms it takes in
//! output, replaced by `********` in any text playhook writes.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// What a secret becomes in masked text.
pub const MASK: &str = "********";

/// Values (and forms) shorter than this are not masked: they would hide ordinary words.
pub const MIN_MASKED_LEN: usize = 4;

/// Replaces secrets in text. Cheap to clone; an empty masker changes nothing.
#[derive(Clone, Default)]
pub struct Masker {
    matcher: Option<Arc<AhoCorasick>>,
    /// The patterns, kept so maskers can be combined.
    patterns: Arc<Vec<String>>,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Masker({} patterns)",
            self.matcher.as_ref().map_or(0, |m| m.patterns_len())
        )
    }
}

impl Masker {
    /// A masker for these secret values and every form of them that output can contain.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Masker {
        let mut patterns: Vec<String> = Vec::new();
        for secret in secrets {
            for base in base_forms(secret) {
                if base.chars().count() < MIN_MASKED_LEN {
                    continue;
                }
                patterns.extend(encoded_forms(&base));
                patterns.push(base);
            }
        }
        Masker::from_patterns(patterns)
    }

    /// A masker that hides what either of the two hides.
    pub fn combined(&self, other: &Masker) -> Masker {
        let mut patterns = self.patterns.as_ref().clone();
        patterns.extend(other.patterns.iter().cloned());
        Masker::from_patterns(patterns)
    }

    fn from_patterns(mut patterns: Vec<String>) -> Masker {
        patterns.retain(|p| p.chars().count() >= MIN_MASKED_LEN);
        patterns.sort();
        patterns.dedup();
        if patterns.is_empty() {
            return Masker::default();
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("a leftmost-longest automaton over a few thousand literals always builds");
        Masker {
            matcher: Some(Arc::new(matcher)),
            patterns: Arc::new(patterns),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// The text with every secret replaced by `********`; borrowed when there was none.
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(matcher) = &self.matcher else {
            return Cow::Borrowed(text);
        };
        if !matcher.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        matcher.replace_all_with(text, &mut out, |_, _, dst| {
            dst.push_str(MASK);
            true
        });
        Cow::Owned(out)
    }
}

/// The value, the value trimmed, and each line of a multi-line value (diffs show them apart).
fn base_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string(), secret.trim().to_string()];
    if secret.contains('\n') {
        forms.extend(secret.lines().map(|l| l.trim().to_string()));
    }
    forms
}

/// The forms a value takes when a template or a printer encodes it.
fn encoded_forms(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    let mut forms = vec![
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ];
    forms.extend(base64_fragments(bytes));
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    forms.push(percent_encode(value, unreserved, false, false));
    forms.push(percent_encode(value, unreserved, false, true));
    forms.push(percent_encode(value, unreserved, true, false));
    forms.push(percent_encode(value, |c| unreserved(c) || c == '/', false, false));
    forms.push(percent_encode(
        value,
        |c| unreserved(c) || "!*'()".contains(c),
        false,
        false,
    ));
    let json = serde_json::Value::from(value).to_string();
    forms.push(json[1..json.len() - 1].to_string());
    forms.push(
        value
            .replace('\\', "\\\\")
            .replace('\'', "\\'")
            .replace('\n', "\\n"),
    );
    forms
}

/// The base64 characters that stand for `bytes` wherever they sit inside a longer encoded
/// text: for each of the three alignments, the characters that depend on these bytes only.
fn base64_fragments(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(bytes);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&padded);
            let start = (8 * offset).div_ceil(6);
            let end = (8 * (offset + bytes.len())) / 6;
            if end > start + 1 {
                out.push(encoded[start..end].to_string());
            }
        }
    }
    out
}

/// `value` with every character `keep` rejects as `%XX` (UTF-8 bytes, upper or lower hex).
fn percent_encode(value: &str, keep: impl Fn(char) -> bool, plus_for_space: bool, lower: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for c in value.chars() {
        if keep(c) {
            out.push(c);
        } else if c == ' ' && plus_for_space {
            out.push('+');
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&if lower {
                    format!("%{b:02x}")
                } else {
                    format!("%{b:02X}")
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_plain_and_encoded_forms() {
        let secret = "p@ss w/rd+\"x\"";
        let masker = Masker::new([secret]);
        let texts = [
            format!("password is {secret}!"),
            format!("b64 {}", STANDARD.encode(secret)),
            format!("b64url {}", URL_SAFE_NO_PAD.encode(secret)),
            format!("embedded {}", STANDARD.encode(format!("user:{secret}"))),
            format!("embedded2 {}", STANDARD.encode(format!("xy{secret}zz"))),
            format!(
                "url {}",
                percent_encode(secret, |c| c.is_ascii_alphanumeric(), false, false)
            ),
            format!(
                "form {}",
                percent_encode(
                    secret,
                    |c| c.is_ascii_alphanumeric() || "-._~".contains(c),
                    true,
                    false
                )
            ),
            format!("json {}", serde_json::json!({ "v": secret })),
        ];
        for text in &texts {
            let masked = masker.mask(text);
            assert!(masked.contains(MASK), "not masked: {text}");
            assert!(!masked.contains("w/rd"), "leaked: {masked}");
        }
        assert!(matches!(masker.mask("nothing here"), Cow::Borrowed(_)));
        let both = masker.combined(&Masker::new(["other-secret"]));
        assert_eq!(
            both.mask(&format!("{secret} other-secret")),
            format!("{MASK} {MASK}")
        );
    }

    #[test]
    fn masks_each_line_of_multi_line_secrets() {
        let key = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----\n";
        let masker = Masker::new([key]);
        let diff = "+AAAAsecretline1\n+BBBBsecretline2\n";
        let masked = masker.mask(diff);
        assert!(!masked.contains("secretline"), "{masked}");
    }

    #[test]
    fn short_values_are_left_alone() {
        let masker = Masker::new(["1", "abc", ""]);
        assert!(masker.is_empty());
        assert_eq!(masker.mask("1 abc"), "1 abc");
    }
}
