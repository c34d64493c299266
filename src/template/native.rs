//! Native results: a string that is exactly one `{{ expression }}` evaluates to the expression's
//! value (a list, a dict, a number) instead of its text, as Ansible's templating does.

use minijinja::Value;
use minijinja::machinery::ast::Stmt;

/// Whether the string holds any Jinja delimiter at all (otherwise it is plain text).
pub fn may_be_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// The expression inside `s` when `s` is exactly one `{{ expression }}` and nothing else.
pub fn single_expression(s: &str) -> Option<&str> {
    if !s.starts_with("{{") || !s.ends_with("}}") {
        return None;
    }
    super::depth::check_template(s).ok()?;
    let syntax = minijinja::syntax::SyntaxConfig::default();
    let ast = minijinja::machinery::parse(s, "<string>", syntax).ok()?;
    let Stmt::Template(template) = ast else {
        return None;
    };
    match template.children.as_slice() {
        [Stmt::EmitExpr(_)] => {
            let inner = &s[2..s.len() - 2];
            let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
            Some(inner.strip_suffix('-').unwrap_or(inner).trim())
        }
        _ => None,
    }
}

/// Normalizes a native result (nothing to do today; kept as the one place for it).
pub fn finalize(value: Value) -> Value {
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_expressions_are_recognized() {
        assert_eq!(single_expression("{{ users }}"), Some("users"));
        assert_eq!(
            single_expression("{{ a | default([]) }}"),
            Some("a | default([])")
        );
        assert_eq!(single_expression("{{ a }} {{ b }}"), None);
        assert_eq!(single_expression("{{ a }} "), None);
        assert_eq!(single_expression("x{{ a }}"), None);
        assert_eq!(single_expression("{% if a %}{{ a }}{% endif %}"), None);
    }
}
