//! How deeply a template nests, checked before minijinja parses it: its parser recurses a dozen
//! frames per level of `(`, `[` or `{` and a frame per unary operator (`- - -x`, `not not x`),
//! and a pushed template nesting a few hundred levels would overflow the stack (an abort, not
//! an error).

use super::error::{TemplateError, TemplateErrorKind};

/// Brackets nested deeper than this in an expression are refused; real templates nest a few.
pub const MAX_NESTING: usize = 32;

/// Operators (`.`, `|`, `+`, `and`, ...) one `{{ }}` or `{% %}` block, or one bare expression,
/// may hold: a chain `a.b.c...` or `x|f|f...` is a tree as deep as it is long, walked
/// recursively by the check and by minijinja's compiler.
pub const MAX_OPERATORS: usize = 256;

/// Refuses `source` (a whole template, `{{ }}` and `{% %}` blocks found in its text) when a
/// block nests brackets deeper than [`MAX_NESTING`].
pub fn check_template(source: &str) -> Result<(), TemplateError> {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%') {
            i = scan(source, i + 2, true)?;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Refuses a bare expression (a `when:` condition) nesting deeper than [`MAX_NESTING`].
pub fn check_expression(expr: &str) -> Result<(), TemplateError> {
    scan(expr, 0, false).map(|_| ())
}

/// Scans from `start` to the end of the block (`}}` or `%}` at depth 0 when `in_block`, else
/// the end of the text), skipping quoted strings; returns where scanning stopped.
fn scan(text: &str, start: usize, in_block: bool) -> Result<usize, TemplateError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    // Unary operators in a row (`- - + x`, `not not x`): each is a level of the parser too.
    let mut unary = 0usize;
    let mut operators = 0usize;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        let is_not = b == b'n'
            && bytes[i..].starts_with(b"not")
            && !bytes
                .get(i + 3)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if b == b'-' || b == b'+' || is_not {
            unary += 1;
        } else if !b.is_ascii_whitespace() {
            unary = 0;
        }
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let is_word_op = word_start
            && ["and", "or", "is", "if"].iter().any(|w| {
                bytes[i..].starts_with(w.as_bytes())
                    && !bytes
                        .get(i + w.len())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            });
        if is_word_op || is_not || b".|~+-*/%<>=".contains(&b) {
            operators += 1;
            if operators > MAX_OPERATORS {
                let mut err = too_deep(text, i);
                err.message = format!("an expression with more than {MAX_OPERATORS} operators is refused");
                return Err(err);
            }
        }
        if depth + unary > MAX_NESTING {
            return Err(too_deep(text, i));
        }
        if is_not {
            i += 3;
            continue;
        }
        match b {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth + unary > MAX_NESTING {
                    return Err(too_deep(text, i));
                }
            }
            b')' | b']' if depth > 0 => depth -= 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' | b'%' if in_block && bytes.get(i + 1) == Some(&b'}') => return Ok(i + 2),
            _ => {}
        }
        i += 1;
    }
    Ok(i)
}

fn too_deep(text: &str, at: usize) -> TemplateError {
    let mut err = TemplateError::new(
        TemplateErrorKind::Syntax,
        format!("brackets and unary operators nested more than {MAX_NESTING} levels deep are refused"),
    );
    err.line = Some(text[..at].matches('\n').count() + 1);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_templates_pass_and_deep_ones_are_refused_with_their_line() {
        check_template("{{ {'a': {'b': [1, (2)]}} }} ((((( text {% if x %}{{ '((((' }}{% endif %}")
            .expect("ordinary");
        check_template(&"(".repeat(1000)).expect("brackets in text are text");
        let deep = format!("a\n{{{{ {}1{} }}}}", "f(".repeat(40), ")".repeat(40));
        let err = check_template(&deep).expect_err("too deep");
        assert_eq!(err.line, Some(2));
        check_expression(&format!("{}1{}", "(".repeat(32), ")".repeat(32))).expect("at the limit");
        assert!(check_expression(&"[".repeat(33)).is_err());
        assert!(check_expression(&"- ".repeat(33)).is_err());
        assert!(check_expression(&"not ".repeat(33)).is_err());
        check_expression(&"a - b + c - note - nothing ".repeat(20)).expect("binary operators");
        assert!(check_expression(&"a.b".repeat(300)).is_err());
        assert!(check_template(&format!("{{{{ x{} }}}}", "|f".repeat(300))).is_err());
        check_template(&"{{ a.b | c and d }}\n".repeat(300)).expect("operators count per block");
    }
}
