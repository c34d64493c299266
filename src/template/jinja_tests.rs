//! Ansible's tests (`x is defined`, `result is changed`, `name is match('^web')`, ...). Where
//! Ansible's semantics differ from minijinja's built-in test of the same name, it is replaced.

use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::filters::compile_regex;
use super::python;

/// Every test a template may use.
pub const NAMES: &[&str] = &[
    "abs",
    "all",
    "any",
    "boolean",
    "change",
    "changed",
    "contains",
    "defined",
    "divisibleby",
    "eq",
    "equalto",
    "even",
    "failed",
    "failure",
    "falsy",
    "float",
    "ge",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lower",
    "lt",
    "mapping",
    "match",
    "ne",
    "none",
    "number",
    "odd",
    "regex",
    "reachable",
    "sameas",
    "search",
    "sequence",
    "skip",
    "skipped",
    "string",
    "subset",
    "success",
    "succeeded",
    "successful",
    "superset",
    "truthy",
    "undefined",
    "unreachable",
    "upper",
    "version",
    "version_compare",
];

pub(crate) fn register(env: &mut Environment<'static>) {
    for name in ["version", "version_compare"] {
        env.add_test(name, |v: Value, a: Rest<ValueOrKwargs>| {
            super::version::version_test(v, a.0.into_iter().map(ValueOrKwargs::into_value).collect())
        });
    }
    for name in ["match", "search", "regex"] {
        env.add_test(name, move |v: Value, a: Rest<ValueOrKwargs>| {
            regex_test(name, v, a.0.into_iter().map(ValueOrKwargs::into_value).collect())
        });
    }
    env.add_test("failed", |v: Value| result_flag("failed", &v));
    env.add_test("failure", |v: Value| result_flag("failed", &v));
    env.add_test("succeeded", |v: Value| result_flag("failed", &v).map(|f| !f));
    env.add_test("success", |v: Value| result_flag("failed", &v).map(|f| !f));
    env.add_test("successful", |v: Value| result_flag("failed", &v).map(|f| !f));
    env.add_test("skipped", |v: Value| result_flag("skipped", &v));
    env.add_test("skip", |v: Value| result_flag("skipped", &v));
    env.add_test("unreachable", |v: Value| result_flag("unreachable", &v));
    env.add_test("reachable", |v: Value| result_flag("unreachable", &v).map(|f| !f));
    env.add_test("changed", changed);
    env.add_test("change", changed);
    env.add_test("truthy", |v: Value| v.is_true());
    env.add_test("falsy", |v: Value| !v.is_true());
    env.add_test("any", |v: Value| -> Result<bool, Error> {
        Ok(v.try_iter()?.any(|x| x.is_true()))
    });
    env.add_test("all", |v: Value| -> Result<bool, Error> {
        Ok(v.try_iter()?.all(|x| x.is_true()))
    });
    env.add_test("subset", |v: Value, o: Value| -> Result<bool, Error> {
        let other: Vec<Value> = o.try_iter()?.collect();
        Ok(v.try_iter()?.all(|x| other.contains(&x)))
    });
    env.add_test("superset", |v: Value, o: Value| -> Result<bool, Error> {
        let mine: Vec<Value> = v.try_iter()?.collect();
        Ok(o.try_iter()?.all(|x| mine.contains(&x)))
    });
    env.add_test("contains", |v: Value, item: Value| -> Result<bool, Error> {
        Ok(v.try_iter()?.any(|x| x == item))
    });
    env.add_test("abs", |v: Value| v.as_str().is_some_and(|p| p.starts_with('/')));
    env.add_test("iterable", |v: Value| {
        matches!(
            v.kind(),
            ValueKind::Seq | ValueKind::Map | ValueKind::String | ValueKind::Iterable | ValueKind::Bytes
        )
    });
    env.add_test("sequence", |v: Value| {
        matches!(
            v.kind(),
            ValueKind::Seq | ValueKind::Map | ValueKind::String | ValueKind::Bytes
        )
    });
    env.add_test("number", |v: Value| {
        v.kind() == ValueKind::Number || v.kind() == ValueKind::Bool
    });
    env.add_test("integer", |v: Value| {
        v.is_integer() || v.kind() == ValueKind::Bool
    });
}

fn regex_test(name: &'static str, value: Value, args: Vec<Value>) -> Result<bool, Error> {
    let names: &'static [&'static str] = &["pattern", "ignorecase", "multiline", "match_type"];
    let a = super::filters::bind_args(name, names, args)?;
    let text = python::python_str(&value);
    let pattern = a.string("pattern", "");
    let re = compile_regex(&pattern, a.flag("ignorecase", false), a.flag("multiline", false))?;
    let match_type = match name {
        "match" => "match".to_string(),
        "search" => "search".to_string(),
        _ => a.string("match_type", "search"),
    };
    if match_type == "match" {
        re.is_match_at_start(&text)
    } else {
        Ok(re.search(&text)?.is_some())
    }
}

fn result_flag(key: &str, value: &Value) -> Result<bool, Error> {
    if value.kind() != ValueKind::Map {
        return Err(Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("The '{key}' test expects a dictionary"),
        ));
    }
    Ok(value.get_attr(key).map(|v| v.is_true()).unwrap_or(false))
}

fn changed(value: Value) -> Result<bool, Error> {
    if value.kind() != ValueKind::Map {
        return Err(Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "The 'changed' test expects a dictionary",
        ));
    }
    let changed = value.get_attr("changed")?;
    if !changed.is_undefined() {
        return Ok(changed.is_true());
    }
    let results = value.get_attr("results")?;
    if results.kind() == ValueKind::Seq {
        for r in results.try_iter()? {
            if r.kind() == ValueKind::Map && r.get_attr("changed")?.is_true() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
