//! Dictionary filters: `combine` (with `recursive` and `list_merge`), `dict2items`,
//! `items2dict`, `dictsort`, `extract`.

use minijinja::value::{Rest, Value, ValueKind};

use crate::template::ValueMap;
use minijinja::{Environment, Error, State};

use super::args::bind;
use super::lists::{items, py_cmp};
use super::{add, fail, text};
use crate::template::python;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "combine", |_, v, a| combine(v, Rest(a)));
    add(env, "dict2items", |_, v, a| dict2items(v, Rest(a)));
    add(env, "items2dict", |_, v, a| items2dict(v, Rest(a)));
    add(env, "dictsort", |_, v, a| dictsort(v, Rest(a)));
    add(env, "extract", |s, v, a| extract(s, v, Rest(a)));
}

fn to_map(value: &Value) -> Result<ValueMap, Error> {
    if value.kind() != ValueKind::Map {
        return Err(fail(format!(
            "expected a dictionary, got '{}'",
            python::type_name(value)
        )));
    }
    let mut map = ValueMap::new();
    for key in value.try_iter()? {
        let v = value.get_item(&key)?;
        map.insert(key, v);
    }
    Ok(map)
}

fn combine(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let mut args = args.0;
    let mut recursive = false;
    let mut list_merge = "replace".to_string();
    if let Some(last) = args.last().filter(|v| v.is_kwargs()) {
        let kwargs = minijinja::value::Kwargs::try_from(last.clone())?;
        if kwargs.has("recursive") {
            recursive = kwargs.get::<Value>("recursive")?.is_true();
        }
        if kwargs.has("list_merge") {
            list_merge = text(&kwargs.get::<Value>("list_merge")?);
        }
        kwargs
            .assert_all_used()
            .map_err(|_| fail("'recursive' and 'list_merge' are the only valid keyword arguments"))?;
        args.pop();
    }
    if !matches!(
        list_merge.as_str(),
        "replace" | "keep" | "append" | "prepend" | "append_rp" | "prepend_rp"
    ) {
        return Err(fail(
            "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', \
             'prepend', 'append_rp' or 'prepend_rp'",
        ));
    }
    // `[d1, d2] | combine` and `d1 | combine(d2, [d3, d4])` flatten one level.
    let mut dicts = Vec::new();
    for term in std::iter::once(value).chain(args) {
        if term.kind() == ValueKind::Seq {
            dicts.extend(items(&term)?);
        } else {
            dicts.push(term);
        }
    }
    let mut iter = dicts.iter().rev();
    let Some(last) = iter.next() else {
        return Ok(Value::from_object(ValueMap::new()));
    };
    let mut result = to_map(last)?;
    for dict in iter {
        result = merge_hash(&to_map(dict)?, &result, recursive, &list_merge)?;
    }
    Ok(Value::from_object(result))
}

/// Ansible's `merge_hash(x, y)`: keys of `y` win, `x`'s order is kept, new keys are appended.
pub fn merge_hash(x: &ValueMap, y: &ValueMap, recursive: bool, list_merge: &str) -> Result<ValueMap, Error> {
    if x.is_empty() || x == y {
        return Ok(y.clone());
    }
    if y.is_empty() {
        return Ok(x.clone());
    }
    let mut out = x.clone();
    for (key, y_value) in y {
        let Some(x_value) = out.get(key).cloned() else {
            out.insert(key.clone(), y_value.clone());
            continue;
        };
        let merged = match (x_value.kind(), y_value.kind()) {
            (ValueKind::Map, ValueKind::Map) if recursive => Value::from_object(merge_hash(
                &to_map(&x_value)?,
                &to_map(y_value)?,
                recursive,
                list_merge,
            )?),
            (ValueKind::Seq, ValueKind::Seq) => {
                let xs = items(&x_value)?;
                let ys = items(y_value)?;
                let kept = || xs.iter().filter(|z| !ys.contains(z)).cloned();
                Value::from(match list_merge {
                    "keep" => xs.clone(),
                    "append" => xs.iter().chain(ys.iter()).cloned().collect(),
                    "prepend" => ys.iter().chain(xs.iter()).cloned().collect(),
                    "append_rp" => kept().chain(ys.iter().cloned()).collect(),
                    "prepend_rp" => ys.iter().cloned().chain(kept()).collect::<Vec<_>>(),
                    _ => ys.clone(),
                })
            }
            _ => y_value.clone(),
        };
        out.insert(key.clone(), merged);
    }
    Ok(out)
}

fn dict2items(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("dict2items", &["key_name", "value_name"], args.0)?;
    if value.kind() != ValueKind::Map {
        return Err(fail(format!(
            "dict2items requires a dictionary, got {} instead.",
            python::type_name(&value)
        )));
    }
    let key_name = a.string("key_name", "key");
    let value_name = a.string("value_name", "value");
    let mut out = Vec::new();
    for key in value.try_iter()? {
        let v = value.get_item(&key)?;
        let mut entry = ValueMap::new();
        entry.insert(Value::from(key_name.as_str()), key);
        entry.insert(Value::from(value_name.as_str()), v);
        out.push(Value::from_object(entry));
    }
    Ok(Value::from(out))
}

fn items2dict(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("items2dict", &["key_name", "value_name"], args.0)?;
    if value.kind() != ValueKind::Seq {
        return Err(fail(format!(
            "items2dict requires a list, got {} instead.",
            python::type_name(&value)
        )));
    }
    let key_name = Value::from(a.string("key_name", "key"));
    let value_name = Value::from(a.string("value_name", "value"));
    let mut out = ValueMap::new();
    for item in items(&value)? {
        let k = item.get_item(&key_name).ok().filter(|v| !v.is_undefined());
        let v = item.get_item(&value_name).ok().filter(|v| !v.is_undefined());
        match (k, v) {
            (Some(k), Some(v)) => {
                out.insert(k, v);
            }
            _ => {
                return Err(fail(format!(
                    "items2dict requires each dictionary in the list to contain the keys '{}' and '{}', \
                     got {} instead.",
                    text(&key_name),
                    text(&value_name),
                    python::python_repr(&value)
                )));
            }
        }
    }
    Ok(Value::from_object(out))
}

/// Jinja's `dictsort(case_sensitive=False, by='key', reverse=False)`: a list of pairs.
fn dictsort(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("dictsort", &["case_sensitive", "by", "reverse"], args.0)?;
    let case_sensitive = a.flag("case_sensitive", false);
    let by_value = match a.string("by", "key").as_str() {
        "key" => false,
        "value" => true,
        _ => return Err(fail("You can only sort by either \"key\" or \"value\"")),
    };
    let reverse = a.flag("reverse", false);
    let map = to_map(&value)?;
    let mut pairs: Vec<(Value, Value)> = map.into_iter().collect();
    let key_of = |pair: &(Value, Value)| {
        let v = if by_value { &pair.1 } else { &pair.0 };
        match v.as_str() {
            Some(s) if !case_sensitive => Value::from(s.to_lowercase()),
            _ => v.clone(),
        }
    };
    let mut failure = None;
    pairs.sort_by(|x, y| match py_cmp(&key_of(x), &key_of(y)) {
        Ok(o) => {
            if reverse {
                o.reverse()
            } else {
                o
            }
        }
        Err(e) => {
            failure.get_or_insert(e);
            std::cmp::Ordering::Equal
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Value::from(
        pairs
            .into_iter()
            .map(|(k, v)| Value::from(vec![k, v]))
            .collect::<Vec<_>>(),
    ))
}

/// `extract(item, container, morekeys=None)`: `container[item][morekey]...`.
fn extract(_state: &State, item: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("extract", &["container", "morekeys"], args.0)?;
    let mut keys = vec![item];
    match a.get("morekeys").filter(|v| !v.is_none()) {
        Some(more) if more.kind() == ValueKind::Seq => keys.extend(items(more)?),
        Some(more) => keys.push(more.clone()),
        None => {}
    }
    let mut current = a.required("container")?.clone();
    for key in keys {
        let next = current.get_item(&key).unwrap_or(Value::UNDEFINED);
        current = if next.is_undefined() {
            match key.as_str() {
                Some(name) => current.get_attr(name).unwrap_or(Value::UNDEFINED),
                None => next,
            }
        } else {
            next
        };
    }
    Ok(current)
}
