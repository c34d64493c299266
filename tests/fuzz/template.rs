//! Templates and expressions as the check pass reads them (`Engine::check_template`,
//! `check_source`, `check_expression`): parse, then the walk that lists variables, filters,
//! tests, lookups and referenced templates.

use proptest::prelude::*;

use crate::harness::{self, check_message};
use playhook::template::{Engine, EngineOptions};

fn seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| harness::ext(p, &["j2"]),
        &[
            "{{ '%s-%05d' % (a, b) }} {{ x | regex_replace('(a+)+$', '\\\\1') | strftime('%Y') }}\n\
           {% set y = {'a': [1, 2][0:1]} %}{% macro m(a, b=2) %}{{ caller() }}{% endmacro %}\
           {% call m(1) %}x{% endcall %}{{ lookup('env', 'HOME') }}{{ q is version('1.2', '>=') }}",
        ],
    )
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn a_template_checks_or_fails_with_a_message(text in harness::mutated_text(seeds())) {
        let engine = Engine::new(EngineOptions::default());
        for result in [engine.check_template(&text), engine.check_source(&text)] {
            if let Err(e) = result {
                check_message(&e, true, &[])?;
            }
        }
    }

    #[test]
    fn an_expression_checks_or_fails_with_a_message(text in harness::mutated_text(vec![
        b"a is defined and b | default([]) | length > 0".to_vec(),
        b"ansible_facts['os_family'] == 'Debian' or x in ['a', 'b'][1:]".to_vec(),
        b"(item.0.name ~ '-' ~ item.1) is match('^w[0-9]+') and not (y | bool)".to_vec(),
        b"lookup('file', 'x') | from_yaml | dict2items | selectattr('key', 'eq', 'a') | list".to_vec(),
    ])) {
        let engine = Engine::new(EngineOptions::default());
        if let Err(e) = engine.check_expression(&text) {
            check_message(&e, true, &[])?;
        }
    }
}

/// Deep nesting in a template or an expression is an error, not a stack overflow.
#[test]
fn deeply_nested_templates_are_refused() {
    let engine = Engine::new(EngineOptions::default());
    for text in [
        format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{{{{ {}1{} }}}}", "[".repeat(10_000), "]".repeat(10_000)),
        "{% if a %}".repeat(5_000),
        format!("{{{{ x{} }}}}", "|default(".repeat(3_000)),
    ] {
        let err = engine.check_template(&text).expect_err("too deep");
        assert!(!err.to_string().is_empty());
    }
    for depth in [33, 100, 3000] {
        for (open, close) in [
            ("(", ")"),
            ("[", "]"),
            ("{'a': ", "}"),
            ("x|f(", ")"),
            ("a.b(", ")"),
            ("a[", "]"),
            ("lookup('x', ", ")"),
        ] {
            let expr = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let err = engine.check_expression(&expr).expect_err("too deep");
            assert!(err.to_string().contains("nested more than"), "{err}");
            let err = engine
                .check_template(&format!("line 1\n{{{{ {expr} }}}}"))
                .expect_err("too deep");
            assert_eq!(err.line, Some(2), "{err}");
            let vars = minijinja::Value::from(());
            assert!(engine.render_str(&format!("{{{{ {expr} }}}}"), &vars).is_err());
            assert!(engine.eval_expression(&expr, &vars).is_err());
        }
    }
}

/// The limits on nesting and operators refuse no template of the corpora.
#[test]
fn the_limits_refuse_no_real_template() {
    let engine = Engine::new(EngineOptions::default());
    let seeds = harness::seeds(|p| harness::ext(p, &["j2"]), &[]);
    assert!(seeds.len() > 100, "{}", seeds.len());
    for text in seeds {
        let text = String::from_utf8_lossy(&text);
        if let Err(e) = engine.check_template(&text) {
            let message = e.to_string();
            assert!(
                !message.contains("nested more than") && !message.contains("operators is refused"),
                "{message}\n{text}"
            );
        }
    }
}
