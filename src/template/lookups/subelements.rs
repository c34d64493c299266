//! `subelements`: `[item, subitem]` for each element of a list (or the values of a mapping) and
//! each element of its sub-list named by a dotted key; `{skip_missing: true}` as third term
//! skips elements without the key instead of failing.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::{Ctx, fail};
use crate::value::entries;

pub(crate) fn subelements(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let base = "subelements lookup expects a list of two or three items, ";
    if !(2..=3).contains(&terms.len()) {
        return Err(fail(base));
    }
    let (list, key) = (&terms[0], &terms[1]);
    let Some(key) = key
        .as_str()
        .filter(|_| matches!(list.kind(), ValueKind::Seq | ValueKind::Map))
    else {
        return Err(fail(format!(
            "{base}first a dict or a list, second a string pointing to the subkey"
        )));
    };
    let skipped = |v: &Value| {
        v.get_attr("skipped")
            .ok()
            .is_some_and(|s| !s.is_undefined() && s != Value::from(false))
    };
    let elements: Vec<Value> = if list.kind() == ValueKind::Map {
        if skipped(list) {
            return Ok(Vec::new());
        }
        entries(list).into_iter().map(|(_, v)| v).collect()
    } else {
        list.try_iter()?.collect()
    };
    let skip_missing = match terms.get(2) {
        None => false,
        Some(flags) if flags.kind() == ValueKind::Map => flags
            .get_attr("skip_missing")
            .ok()
            .filter(|v| !v.is_undefined())
            .is_some_and(|v| crate::truthy::boolean(&v).unwrap_or(v.is_true())),
        Some(_) => {
            return Err(fail(format!(
                "{base}the optional third item must be a dict with flags ['skip_missing']"
            )));
        }
    };
    let path: Vec<&str> = key.split('.').collect();
    let mut out = Vec::new();
    'elements: for element in elements {
        if element.kind() != ValueKind::Map {
            return Err(fail(format!(
                "subelements lookup expects a dictionary, got '{}'",
                crate::template::python_repr(&element)
            )));
        }
        if skipped(&element) {
            continue;
        }
        let mut value = element.clone();
        let mut sublist = Vec::new();
        for (i, sub) in path.iter().enumerate() {
            let next = value.get_attr(sub).ok().filter(|v| !v.is_undefined());
            let Some(next) = next else {
                if skip_missing {
                    continue 'elements;
                }
                return Err(fail(format!(
                    "could not find '{sub}' key in iterated item '{}'",
                    crate::template::python_repr(&value)
                )));
            };
            if i + 1 < path.len() {
                if next.kind() != ValueKind::Map {
                    if skip_missing {
                        continue 'elements;
                    }
                    return Err(fail(format!(
                        "the key {sub} should point to a dictionary, got '{}'",
                        crate::template::python_repr(&next)
                    )));
                }
                value = next;
            } else {
                if next.kind() != ValueKind::Seq {
                    return Err(fail(format!(
                        "the key {sub} should point to a list, got '{}'",
                        crate::template::python_repr(&next)
                    )));
                }
                sublist = next.try_iter()?.collect();
            }
        }
        let item = without_key(&element, &path);
        for sub in sublist {
            out.push(Value::from(vec![item.clone(), sub]));
        }
    }
    Ok(out)
}

/// The element without the sub-list, as Ansible pops it from the item it yields.
fn without_key(element: &Value, path: &[&str]) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return element.clone();
    };
    let pairs: Vec<(Value, Value)> = entries(element)
        .into_iter()
        .filter_map(|(k, v)| {
            if k.as_str() != Some(first) {
                return Some((k, v));
            }
            if rest.is_empty() {
                None
            } else {
                Some((k, without_key(&v, rest)))
            }
        })
        .collect();
    crate::value::map_of(pairs)
}
