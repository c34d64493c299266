//! Writes a secrets tree as block-style YAML that reads back exactly (through `crate::yaml`):
//! plain scalars where they are unambiguous, literal blocks for multi-line text, double quotes
//! otherwise.

use minijinja::Value;
use zeroize::Zeroizing;

use super::tree::{Kind, Scalar, Tree};
use crate::yaml::resolve_plain;

/// The tree as YAML text; the root is a mapping (`{}` when empty).
pub fn to_yaml(tree: &Tree<Scalar>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    match tree {
        Tree::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0, false),
        Tree::List(items) if !items.is_empty() => write_list(&mut out, items, 0),
        Tree::Map(_) => out.push_str("{}\n"),
        Tree::List(_) => out.push_str("[]\n"),
        Tree::Leaf(s) => write_scalar(&mut out, s, 0),
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, entries: &[(String, Tree<Scalar>)], indent: usize, first_inline: bool) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, indent);
        }
        write_key(out, key);
        out.push(':');
        write_child(out, value, indent, false);
    }
}

fn write_list(out: &mut String, items: &[Tree<Scalar>], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        write_child(out, item, indent, true);
    }
}

/// Writes what follows a key's `:` or an item's `-`: a scalar, `{}` / `[]`, or a nested block;
/// a mapping that is a list item starts on the dash's line (`map_inline`).
fn write_child(out: &mut String, value: &Tree<Scalar>, indent: usize, map_inline: bool) {
    match value {
        Tree::Leaf(s) => {
            out.push(' ');
            write_scalar(out, s, indent + 2);
        }
        Tree::Map(inner) if inner.is_empty() => out.push_str(" {}\n"),
        Tree::List(inner) if inner.is_empty() => out.push_str(" []\n"),
        Tree::Map(inner) if map_inline => {
            out.push(' ');
            write_map(out, inner, indent + 2, true);
        }
        Tree::Map(inner) => {
            out.push('\n');
            write_map(out, inner, indent + 2, false);
        }
        Tree::List(inner) => {
            out.push('\n');
            write_list(out, inner, indent + 2);
        }
    }
}

fn write_key(out: &mut String, key: &str) {
    if is_plain_safe(key) {
        out.push_str(key);
    } else {
        write_double_quoted(out, key);
    }
}

/// Writes one scalar and the line break after it; literal block lines are indented by `indent`.
fn write_scalar(out: &mut String, scalar: &Scalar, indent: usize) {
    let text = scalar.text.expose();
    match scalar.kind {
        Kind::Null => out.push_str("null"),
        Kind::Bool | Kind::Int => out.push_str(text),
        Kind::Float => match text {
            "inf" => out.push_str(".inf"),
            "-inf" => out.push_str("-.inf"),
            "NaN" | "nan" => out.push_str(".nan"),
            _ => out.push_str(text),
        },
        Kind::Str if is_plain_safe(text) => out.push_str(text),
        Kind::Str if fits_literal_block(text) => {
            write_literal_block(out, text, indent);
            return;
        }
        Kind::Str => write_double_quoted(out, text),
    }
    out.push('\n');
}

/// Characters that YAML treats as line breaks or forbids unescaped.
fn is_special_char(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_whitespace()
        || s.ends_with(char::is_whitespace)
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.starts_with("---")
        || s.starts_with("...")
        || s.chars().any(|c| c == '\t' || c == '\n' || is_special_char(c))
    {
        return false;
    }
    matches!(resolve_plain(s).as_str(), Some(v) if v == s)
}

fn fits_literal_block(s: &str) -> bool {
    let body = s.trim_end_matches('\n');
    s.contains('\n')
        && !body.is_empty()
        && !body.starts_with([' ', '\t', '\n'])
        && !s.chars().any(|c| c == '\r' || is_special_char(c))
}

fn write_literal_block(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_special_char(c) || c == '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A scalar for a number or string in the file's metadata section.
pub fn meta_scalar(value: Value) -> Tree<Scalar> {
    Tree::Leaf(Scalar::from_value(&value))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::secrets::plain::tree_from_node;

    fn round_trip(tree: &Tree<Scalar>) {
        let text = to_yaml(tree);
        let node = crate::yaml::load_str(&text, Path::new("t.yaml"))
            .expect("parses")
            .expect("not empty");
        let back = tree_from_node(&node);
        assert_eq!(&back, tree, "YAML was:\n{}", text.as_str());
    }

    fn s(text: &str) -> Tree<Scalar> {
        Tree::Leaf(Scalar::string(text.into()))
    }

    #[test]
    fn awkward_strings_read_back_unchanged() {
        let values = [
            "plain",
            "",
            " leading",
            "trailing ",
            "yes",
            "no",
            "null",
            "~",
            "0644",
            "1.5",
            "1e3",
            "- dash",
            "-dash",
            "a: b",
            "a #b",
            "#x",
            "ENC[v1,str,abc,def]",
            "line1\nline2",
            "line1\nline2\n",
            "line1\n\n\n",
            "  indented\nx",
            "\nleading newline",
            "tab\there",
            "\ttab first\nx",
            "cr\r\nlf",
            "quote\"back\\slash",
            "unicode é ✓",
            "sep\u{2028}arated",
            "nel\u{85}x",
            "bell\u{7}",
            "--- doc",
            "...",
            "a\n  b\n    \nc",
            "'single'",
            "@at",
            "%pct",
            "*star",
            "&amp",
            "!bang",
            "|pipe",
            ">gt",
            "{brace}",
            "[bracket]",
            "x,y",
        ];
        let map = Tree::Map(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("k{i}"), s(v)))
                .collect(),
        );
        round_trip(&map);
        let keys = Tree::Map(
            values
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| (v.to_string(), s("x")))
                .collect(),
        );
        round_trip(&keys);
        let list = Tree::List(values.iter().map(|v| s(v)).collect());
        round_trip(&Tree::Map(vec![("l".into(), list)]));
    }

    #[test]
    fn nesting_and_types_read_back_unchanged() {
        let typed = |kind, text: &str| {
            Tree::Leaf(Scalar {
                kind,
                text: crate::secrets::SecretString::new(text.into()),
            })
        };
        let tree = Tree::Map(vec![
            ("port".into(), typed(Kind::Int, "5432")),
            ("ratio".into(), typed(Kind::Float, "0.5")),
            ("on".into(), typed(Kind::Bool, "true")),
            ("nothing".into(), typed(Kind::Null, "")),
            ("empty_map".into(), Tree::Map(vec![])),
            ("empty_list".into(), Tree::List(vec![])),
            (
                "users".into(),
                Tree::List(vec![
                    Tree::Map(vec![("name".into(), s("a")), ("pw".into(), s("multi\nline\n"))]),
                    Tree::List(vec![s("x"), Tree::List(vec![s("y")]), Tree::Map(vec![])]),
                    Tree::Map(vec![("deep".into(), Tree::Map(vec![("er".into(), s("z"))]))]),
                ]),
            ),
        ]);
        round_trip(&tree);
    }
}
