//! Whitespace inside `{{ }}` and `{% %}` as Jinja reads it: Python's `\s`, which includes the
//! non-breaking space (U+00A0), the other Unicode spaces and `\v`, `\x1c`-`\x1f`, where
//! minijinja accepts only ASCII whitespace. Such characters outside string literals inside tags
//! become plain spaces; text outside tags, comments, `{% raw %}` blocks and string literals are
//! kept as written.

/// Whitespace for Python's `str.isspace` that minijinja's lexer does not skip.
fn foreign_space(c: char) -> bool {
    !c.is_ascii_whitespace() && (c.is_whitespace() || matches!(c, '\u{0b}' | '\u{1c}'..='\u{1f}'))
}

/// The template with foreign whitespace inside its tags made plain; `None` when unchanged.
pub fn normalize_template(src: &str) -> Option<String> {
    if !src.chars().any(foreign_space) {
        return None;
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let (end, code) = if rest.starts_with("{{") {
            ("}}", true)
        } else if rest.starts_with("{%") {
            ("%}", true)
        } else if rest.starts_with("{#") {
            ("#}", false)
        } else {
            out.push('{');
            rest = &rest[1..];
            continue;
        };
        if code && is_raw(&rest[2..]) {
            // `{% raw %}` ... `{% endraw %}` is copied as it is.
            let stop = find_endraw(rest).unwrap_or(rest.len());
            out.push_str(&rest[..stop]);
            rest = &rest[stop..];
            continue;
        }
        out.push_str(&rest[..2]);
        rest = &rest[2..];
        let used = if code {
            code_until(rest, end, &mut out)
        } else {
            let n = rest.find(end).map_or(rest.len(), |i| i + end.len());
            out.push_str(&rest[..n]);
            n
        };
        rest = &rest[used..];
    }
    out.push_str(rest);
    Some(out)
}

/// A bare expression (a `when:` condition) with foreign whitespace made plain outside string
/// literals; `None` when unchanged.
pub fn normalize_expression(expr: &str) -> Option<String> {
    if !expr.chars().any(foreign_space) {
        return None;
    }
    let mut out = String::with_capacity(expr.len());
    code_until(expr, "", &mut out);
    Some(out)
}

/// Copies code up to and including `end` (the whole text when `end` is empty or absent),
/// replacing foreign whitespace outside string literals; returns the bytes consumed.
fn code_until(text: &str, end: &str, out: &mut String) -> usize {
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some((_, next)) = chars.next() {
                        out.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if !end.is_empty() && text[i..].starts_with(end) {
                    out.push_str(end);
                    return i + end.len();
                }
                match c {
                    '\'' | '"' => {
                        quote = Some(c);
                        out.push(c);
                    }
                    c if foreign_space(c) => out.push(' '),
                    c => out.push(c),
                }
            }
        }
    }
    text.len()
}

/// Whether a block's text (after `{%`) is `raw`.
fn is_raw(after: &str) -> bool {
    let t = after.trim_start_matches(['-', '+']);
    let t = t.trim_start_matches(|c: char| c.is_whitespace());
    t.strip_prefix("raw").is_some_and(|r| {
        r.trim_start_matches(|c: char| c.is_whitespace())
            .trim_start_matches(['-', '+'])
            .starts_with("%}")
    })
}

/// The end (after `%}`) of the `{% endraw %}` closing a raw block that starts `text`.
fn find_endraw(text: &str) -> Option<usize> {
    let mut from = 2;
    while let Some(i) = text[from..].find("{%") {
        let at = from + i;
        let after = text[at + 2..].trim_start_matches(['-', '+']);
        let after = after.trim_start_matches(|c: char| c.is_whitespace());
        if after.starts_with("endraw") {
            return text[at..].find("%}").map(|j| at + j + 2);
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_spaces_in_tags_become_plain_outside_strings() {
        assert_eq!(normalize_template("{{ x }}"), None);
        assert_eq!(
            normalize_template("a\u{a0}{{\u{a0}x\u{a0}|\u{2003}upper }}\u{a0}b").as_deref(),
            Some("a\u{a0}{{ x | upper }}\u{a0}b")
        );
        assert_eq!(
            normalize_template("{{ 'a\u{a0}b' ~ \"\\\"\u{a0}\" }}{%\u{a0}if x %}{# \u{a0} #}{% endif %}")
                .as_deref(),
            Some("{{ 'a\u{a0}b' ~ \"\\\"\u{a0}\" }}{% if x %}{# \u{a0} #}{% endif %}")
        );
        assert_eq!(
            normalize_template("{% raw %}{{\u{a0}x }}{% endraw %}{{\u{a0}y }}").as_deref(),
            Some("{% raw %}{{\u{a0}x }}{% endraw %}{{ y }}")
        );
        assert_eq!(
            normalize_expression("x\u{a0}is defined and 'a\u{a0}'").as_deref(),
            Some("x is defined and 'a\u{a0}'")
        );
    }
}
