//! List filters: `join`, `list`, `min`, `max`, `sum`, `unique`, `sort`, `flatten`, `zip`,
//! `zip_longest` and the set-like `union`, `intersect`, `difference`, `symmetric_difference`.
//! Strings compare case-insensitively by default, as Jinja's `sort`, `min`, `max`, `unique` do.

use std::cmp::Ordering;

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::pyset::IntSet;
use super::{add, fail, text};
use crate::template::python;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "join", |_, v, a| join(v, Rest(a)));
    add(env, "list", |_, v, a| {
        bind("list", &[], a)?;
        Ok(Value::from(items(&v)?))
    });
    add(env, "min", |_, v, a| extreme("min", v, Rest(a), Ordering::Less));
    add(env, "max", |_, v, a| {
        extreme("max", v, Rest(a), Ordering::Greater)
    });
    add(env, "sum", |_, v, a| sum(v, Rest(a)));
    add(env, "unique", |_, v, a| unique(v, Rest(a)));
    add(env, "sort", |_, v, a| sort(v, Rest(a)));
    add(env, "flatten", |_, v, a| flatten(v, Rest(a)));
    add(env, "zip", |_, v, a| zip(v, Rest(a)));
    add(env, "zip_longest", |_, v, a| zip_longest(v, Rest(a)));
    add(env, "product", |_, v, a| product(v, a));
    add(env, "first", |_, v, a| {
        bind("first", &[], a)?;
        Ok(items(&v)?.into_iter().next().unwrap_or(Value::UNDEFINED))
    });
    add(env, "last", |_, v, a| {
        bind("last", &[], a)?;
        Ok(items(&v)?.into_iter().next_back().unwrap_or(Value::UNDEFINED))
    });
    add(env, "reverse", |_, v, a| {
        bind("reverse", &[], a)?;
        match v.as_str() {
            Some(s) => Ok(Value::from(s.chars().rev().collect::<String>())),
            None => Ok(Value::from(items(&v)?.into_iter().rev().collect::<Vec<_>>())),
        }
    });
    add(env, "subelements", |_, v, a| subelements(v, Rest(a)));
    add(env, "union", |_, v, a| set_op("union", v, a, SetOp::Union));
    add(env, "intersect", |_, v, a| {
        set_op("intersect", v, a, SetOp::Intersect)
    });
    add(env, "difference", |_, v, a| {
        set_op("difference", v, a, SetOp::Difference)
    });
    add(env, "symmetric_difference", |_, v, a| {
        set_op("symmetric_difference", v, a, SetOp::Symmetric)
    });
}

/// The items of an iterable: a string's characters, a dict's keys, a list's items.
pub(crate) fn items(value: &Value) -> Result<Vec<Value>, Error> {
    match value.kind() {
        ValueKind::String => Ok(value
            .as_str()
            .unwrap_or_default()
            .chars()
            .map(Value::from)
            .collect()),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => Ok(value.try_iter()?.collect()),
        ValueKind::Undefined => Err(fail("cannot iterate over an undefined value")),
        _ => Err(fail(format!(
            "'{}' object is not iterable",
            python::type_name(value)
        ))),
    }
}

/// Jinja's attribute getter: `a.b.0` walks keys, numbers index lists.
pub(crate) fn get_path(value: &Value, path: &str) -> Value {
    let mut current = value.clone();
    for part in path.split('.') {
        let next = match part.parse::<i64>() {
            Ok(i) => current
                .get_item(&Value::from(i))
                .ok()
                .filter(|v| !v.is_undefined()),
            Err(_) => None,
        };
        current = match next {
            Some(v) => v,
            None => current.get_attr(part).unwrap_or(Value::UNDEFINED),
        };
    }
    current
}

/// Python's ordering between two values, failing across incompatible types as Python does.
pub(crate) fn py_cmp(a: &Value, b: &Value) -> Result<Ordering, Error> {
    let num = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    if num(a) && num(b) {
        let fa = number(a);
        let fb = number(b);
        if a.is_integer() && b.is_integer() {
            let ia = i128::try_from(a.clone()).unwrap_or_default();
            let ib = i128::try_from(b.clone()).unwrap_or_default();
            return Ok(ia.cmp(&ib));
        }
        return Ok(fa.partial_cmp(&fb).unwrap_or(Ordering::Equal));
    }
    match (a.kind(), b.kind()) {
        (ValueKind::String, ValueKind::String) => Ok(a.as_str().cmp(&b.as_str())),
        (ValueKind::Seq, ValueKind::Seq) => {
            let la = items(a)?;
            let lb = items(b)?;
            for (x, y) in la.iter().zip(lb.iter()) {
                match py_cmp(x, y)? {
                    Ordering::Equal => continue,
                    other => return Ok(other),
                }
            }
            Ok(la.len().cmp(&lb.len()))
        }
        _ => Err(fail(format!(
            "'<' not supported between instances of '{}' and '{}'",
            python::type_name(a),
            python::type_name(b)
        ))),
    }
}

fn number(v: &Value) -> f64 {
    if v.kind() == ValueKind::Bool {
        return if v.is_true() { 1.0 } else { 0.0 };
    }
    f64::try_from(v.clone()).unwrap_or(0.0)
}

/// The sort key Jinja uses: strings lower-cased unless case-sensitive.
fn sort_key(value: &Value, attribute: Option<&str>, case_sensitive: bool) -> Value {
    let v = match attribute {
        Some(attr) => get_path(value, attr),
        None => value.clone(),
    };
    match v.as_str() {
        Some(s) if !case_sensitive => Value::from(s.to_lowercase()),
        _ => v,
    }
}

fn join(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("join", &["d", "attribute"], args.0)?;
    let sep = a.string("d", "");
    let attribute = a.get("attribute").filter(|v| !v.is_none()).map(text);
    let parts: Vec<String> = items(&value)?
        .iter()
        .map(|item| match &attribute {
            Some(attr) => text(&get_path(item, attr)),
            None => text(item),
        })
        .collect();
    Ok(Value::from(parts.join(&sep)))
}

fn extreme(name: &'static str, value: Value, args: Rest<Value>, want: Ordering) -> Result<Value, Error> {
    let a = bind(name, &["case_sensitive", "attribute"], args.0)?;
    let case_sensitive = a.flag("case_sensitive", false);
    let attribute = a.get("attribute").filter(|v| !v.is_none()).map(text);
    let mut best: Option<(Value, Value)> = None;
    for item in items(&value)? {
        let key = sort_key(&item, attribute.as_deref(), case_sensitive);
        best = match best {
            Some((bk, bv)) if py_cmp(&key, &bk)? != want => Some((bk, bv)),
            _ => Some((key, item)),
        };
    }
    Ok(best.map(|(_, v)| v).unwrap_or(Value::UNDEFINED))
}

fn sum(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("sum", &["attribute", "start"], args.0)?;
    let attribute = a.get("attribute").filter(|v| !v.is_none()).map(text);
    let mut total = a.get("start").cloned().unwrap_or_else(|| Value::from(0));
    for item in items(&value)? {
        let item = match &attribute {
            Some(attr) => get_path(&item, attr),
            None => item,
        };
        total = py_add(&total, &item)?;
    }
    Ok(total)
}

/// Python's `+` for numbers and lists.
fn py_add(a: &Value, b: &Value) -> Result<Value, Error> {
    let num = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    if num(a) && num(b) {
        if (a.is_integer() || a.kind() == ValueKind::Bool) && (b.is_integer() || b.kind() == ValueKind::Bool)
        {
            let ia = if a.kind() == ValueKind::Bool {
                i128::from(a.is_true())
            } else {
                i128::try_from(a.clone())?
            };
            let ib = if b.kind() == ValueKind::Bool {
                i128::from(b.is_true())
            } else {
                i128::try_from(b.clone())?
            };
            return Ok(super::types::int_value(ia + ib));
        }
        return Ok(Value::from(number(a) + number(b)));
    }
    if a.kind() == ValueKind::Seq && b.kind() == ValueKind::Seq {
        let mut out = items(a)?;
        out.extend(items(b)?);
        return Ok(Value::from(out));
    }
    Err(fail(format!(
        "unsupported operand type(s) for +: '{}' and '{}'",
        python::type_name(a),
        python::type_name(b)
    )))
}

fn unique(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("unique", &["case_sensitive", "attribute"], args.0)?;
    let case_sensitive = a.flag("case_sensitive", false);
    let attribute = a.get("attribute").filter(|v| !v.is_none()).map(text);
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in items(&value)? {
        let key = sort_key(&item, attribute.as_deref(), case_sensitive);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

fn sort(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("sort", &["reverse", "case_sensitive", "attribute"], args.0)?;
    let reverse = a.flag("reverse", false);
    let case_sensitive = a.flag("case_sensitive", false);
    let attributes: Vec<String> = match a.get("attribute").filter(|v| !v.is_none()) {
        Some(attr) => text(attr).split(',').map(|s| s.trim().to_string()).collect(),
        None => vec![],
    };
    let list = items(&value)?;
    let mut keyed: Vec<(Vec<Value>, Value)> = list
        .into_iter()
        .map(|item| {
            let keys = if attributes.is_empty() {
                vec![sort_key(&item, None, case_sensitive)]
            } else {
                attributes
                    .iter()
                    .map(|attr| sort_key(&item, Some(attr), case_sensitive))
                    .collect()
            };
            (keys, item)
        })
        .collect();
    let mut failure = None;
    keyed.sort_by(|(ka, _), (kb, _)| {
        for (x, y) in ka.iter().zip(kb.iter()) {
            match py_cmp(x, y) {
                Ok(Ordering::Equal) => continue,
                Ok(o) => return if reverse { o.reverse() } else { o },
                Err(e) => {
                    failure.get_or_insert(e);
                    return Ordering::Equal;
                }
            }
        }
        Ordering::Equal
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Value::from(keyed.into_iter().map(|(_, v)| v).collect::<Vec<_>>()))
}

fn flatten(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("flatten", &["levels", "skip_nulls"], args.0)?;
    let levels = match a.get("levels").filter(|v| !v.is_none()) {
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| fail("flatten(): levels must be an integer"))?,
        ),
        None => None,
    };
    let skip_nulls = a.flag("skip_nulls", true);
    let mut out = Vec::new();
    flatten_into(&value, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

fn flatten_into(
    value: &Value,
    levels: Option<i64>,
    skip_nulls: bool,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    for element in items(value)? {
        let is_null = element.is_none() || matches!(element.as_str(), Some("None" | "null"));
        if skip_nulls && is_null {
            continue;
        }
        if element.kind() == ValueKind::Seq {
            match levels {
                None => flatten_into(&element, None, skip_nulls, out)?,
                Some(l) if l >= 1 => flatten_into(&element, Some(l - 1), skip_nulls, out)?,
                Some(_) => out.push(element),
            }
        } else {
            out.push(element);
        }
    }
    Ok(())
}

fn zip(value: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut lists = vec![items(&value)?];
    for other in others.0 {
        lists.push(items(&other)?);
    }
    let len = lists.iter().map(Vec::len).min().unwrap_or(0);
    let rows: Vec<Value> = (0..len)
        .map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
        .collect();
    Ok(Value::from(rows))
}

fn zip_longest(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let mut args = args.0;
    let mut fill = Value::from(());
    if let Some(last) = args.last().filter(|v| v.is_kwargs()) {
        let kwargs = minijinja::value::Kwargs::try_from(last.clone())?;
        if kwargs.has("fillvalue") {
            fill = kwargs.get::<Value>("fillvalue")?;
        }
        kwargs.assert_all_used()?;
        args.pop();
    }
    let mut lists = vec![items(&value)?];
    for other in args {
        lists.push(items(&other)?);
    }
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    let rows: Vec<Value> = (0..len)
        .map(|i| {
            Value::from(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Ok(Value::from(rows))
}

/// `itertools.product(value, *others)`: every combination, as lists.
fn product(value: Value, others: Vec<Value>) -> Result<Value, Error> {
    let mut rows: Vec<Vec<Value>> = vec![vec![]];
    for list in std::iter::once(&value).chain(others.iter()) {
        if list.is_kwargs() {
            return Err(fail("product() takes no keyword arguments here"));
        }
        let choices = items(list)?;
        rows = rows
            .into_iter()
            .flat_map(|row| {
                choices.iter().map(move |c| {
                    let mut next = row.clone();
                    next.push(c.clone());
                    next
                })
            })
            .collect();
    }
    Ok(Value::from(rows.into_iter().map(Value::from).collect::<Vec<_>>()))
}

/// `subelements(obj, 'key.path', skip_missing=False)`: `[element, item]` for every item of
/// the list found under the path in each element.
fn subelements(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("subelements", &["subelements", "skip_missing"], args.0)?;
    let skip_missing = a.flag("skip_missing", false);
    let elements = match value.kind() {
        ValueKind::Map => value
            .try_iter()?
            .map(|k| value.get_item(&k))
            .collect::<Result<Vec<_>, _>>()?,
        ValueKind::Seq => items(&value)?,
        _ => return Err(fail("obj must be a list of dicts or a nested dict")),
    };
    let path = a.required("subelements")?;
    let keys: Vec<Value> = match path.kind() {
        ValueKind::Seq => items(path)?,
        ValueKind::String => text(path).split('.').map(Value::from).collect(),
        _ => return Err(fail("subelements must be a list or a string")),
    };
    let mut out = Vec::new();
    for element in elements {
        let mut values = element.clone();
        let mut missing = false;
        for key in &keys {
            let next = values.get_item(key).unwrap_or(Value::UNDEFINED);
            if next.is_undefined() {
                if skip_missing {
                    missing = true;
                    break;
                }
                return Err(fail(format!(
                    "could not find {} key in iterated item {}",
                    python::python_repr(key),
                    python::python_repr(&values)
                )));
            }
            values = next;
        }
        if missing {
            continue;
        }
        if values.kind() != ValueKind::Seq {
            return Err(fail(format!(
                "the key {} should point to a list, got {}",
                python::python_repr(keys.last().unwrap_or(&Value::UNDEFINED)),
                python::python_repr(&values)
            )));
        }
        for item in items(&values)? {
            out.push(Value::from(vec![element.clone(), item]));
        }
    }
    Ok(Value::from(out))
}

#[derive(Clone, Copy)]
enum SetOp {
    Union,
    Intersect,
    Difference,
    Symmetric,
}

/// Set operations. For integers the result is in CPython's set order, as Ansible returns it;
/// other values keep the order of first appearance (Ansible's order follows Python's string
/// hashing, which changes from run to run, or is the first-appearance order for unhashable
/// values such as dicts).
fn set_op(name: &'static str, a: Value, args: Vec<Value>, op: SetOp) -> Result<Value, Error> {
    let bound = bind(name, &["other"], args)?;
    let b = bound.required("other")?;
    let la = items(&a)?;
    let lb = items(b)?;
    if let (Some(ia), Some(ib)) = (ints(&la), ints(&lb)) {
        let (sa, sb) = (IntSet::from_items(&ia), IntSet::from_items(&ib));
        let result = match op {
            SetOp::Union => sa.union(&sb),
            SetOp::Intersect => sa.intersection(&sb),
            SetOp::Difference => sa.difference(&sb),
            SetOp::Symmetric => sa.symmetric_difference(&sb),
        };
        return Ok(Value::from(result.items()));
    }
    let candidates: Vec<Value> = match op {
        SetOp::Union => la.iter().chain(lb.iter()).cloned().collect(),
        SetOp::Intersect => la.iter().filter(|x| lb.contains(x)).cloned().collect(),
        SetOp::Difference => la.iter().filter(|x| !lb.contains(x)).cloned().collect(),
        SetOp::Symmetric => la
            .iter()
            .filter(|x| !lb.contains(x))
            .chain(lb.iter().filter(|x| !la.contains(x)))
            .cloned()
            .collect(),
    };
    let mut out: Vec<Value> = Vec::new();
    for c in candidates {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(Value::from(out))
}

/// The values as integers, when every one is an integer (booleans excluded).
fn ints(values: &[Value]) -> Option<Vec<i64>> {
    values
        .iter()
        .map(|v| {
            if v.kind() == ValueKind::Number && v.is_integer() {
                v.as_i64()
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(json: serde_json::Value) -> Value {
        Value::from(minijinja::value::Serde(json))
    }

    #[test]
    fn sort_is_case_insensitive_by_default() {
        let v = sort(list(serde_json::json!(["b", "A", "a", "C"])), Rest(vec![])).expect("sorts");
        assert_eq!(python::python_repr(&v), "['A', 'a', 'b', 'C']");
    }

    #[test]
    fn sort_refuses_mixed_types() {
        assert!(sort(list(serde_json::json!([1, "a"])), Rest(vec![])).is_err());
    }

    #[test]
    fn flatten_skips_nulls() {
        let v = flatten(list(serde_json::json!([1, [2, [3, null]], "None"])), Rest(vec![])).expect("flat");
        assert_eq!(python::python_repr(&v), "[1, 2, 3]");
    }

    #[test]
    fn sum_keeps_ints() {
        let v = sum(list(serde_json::json!([1, 2, 3])), Rest(vec![])).expect("sum");
        assert_eq!(python::python_repr(&v), "6");
        let v = sum(list(serde_json::json!([1, 2.5])), Rest(vec![])).expect("sum");
        assert_eq!(python::python_repr(&v), "3.5");
    }
}
