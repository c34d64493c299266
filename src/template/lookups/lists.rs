//! Lookups that reshape their terms: `items` (flattened one level), `community.general.flattened` (all levels), `list`, `dict` (`{key, value}` pairs), `indexed_items` (`[index, item]`),
//! `nested` (the product of lists), `together` (lists zipped), `random_choice` and
//! `inventory_hostnames`.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};
use rand::seq::IndexedRandom;

use super::{Ctx, fail};
use crate::value::{entries, map_of};

fn is_list(v: &Value) -> bool {
    v.kind() == ValueKind::Seq
}

/// Ansible's `_flatten`: list terms give their elements, others themselves.
fn flatten_once(terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        if is_list(&term) {
            out.extend(term.try_iter()?);
        } else {
            out.push(term);
        }
    }
    Ok(out)
}

/// `community.general.flattened`: every list flattened, however deep; a list of one list is
/// that list; a term `None`/`null` (the text) ends its level, as the collection's lookup does.
pub(crate) fn flattened(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    flatten_all(terms)
}

fn flatten_all(terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        let mut term = term;
        while is_list(&term) && term.len() == Some(1) {
            term = term.get_item_by_index(0)?;
        }
        if matches!(term.as_str(), Some("None" | "null")) {
            break;
        }
        if is_list(&term) {
            out.extend(flatten_all(term.try_iter()?.collect())?);
        } else {
            out.push(term);
        }
    }
    Ok(out)
}

pub(crate) fn items(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    flatten_once(terms)
}

pub(crate) fn list(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    Ok(terms)
}

pub(crate) fn dict(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        if term.kind() != ValueKind::Map {
            return Err(fail(format!(
                "the 'dict' lookup accepts only mappings, got '{}'",
                crate::template::python_repr(&term)
            )));
        }
        out.extend(
            entries(&term)
                .into_iter()
                .map(|(k, v)| map_of([("key", k), ("value", v)])),
        );
    }
    Ok(out)
}

pub(crate) fn indexed_items(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    Ok(flatten_once(terms)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| Value::from(vec![Value::from(i), item]))
        .collect())
}

fn lists_of(terms: Vec<Value>, lookup: &str) -> Result<Vec<Vec<Value>>, Error> {
    terms
        .into_iter()
        .map(|t| {
            if is_list(&t) {
                Ok(t.try_iter()?.collect())
            } else if t.as_str().is_some() || t.kind() == ValueKind::Map {
                Ok(vec![t])
            } else {
                Err(fail(format!("the '{lookup}' lookup needs lists")))
            }
        })
        .collect()
}

pub(crate) fn nested(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let lists = lists_of(terms, "nested")?;
    if lists.is_empty() {
        return Err(fail(
            "with_nested requires at least one element in the nested list",
        ));
    }
    let mut result: Vec<Vec<Value>> = vec![Vec::new()];
    for list in lists {
        let mut next = Vec::new();
        for prefix in &result {
            for item in &list {
                let mut row = prefix.clone();
                if is_list(item) {
                    row.extend(item.try_iter()?);
                } else {
                    row.push(item.clone());
                }
                next.push(row);
            }
        }
        result = next;
    }
    Ok(result.into_iter().map(Value::from).collect())
}

pub(crate) fn together(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let lists = lists_of(terms, "together")?;
    if lists.is_empty() {
        return Err(fail("with_together requires at least one element in each list"));
    }
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..longest {
        let mut row = Vec::new();
        for list in &lists {
            match list.get(i) {
                Some(item) if is_list(item) => row.extend(item.try_iter()?),
                Some(item) => row.push(item.clone()),
                None => row.push(Value::from(())),
            }
        }
        out.push(Value::from(row));
    }
    Ok(out)
}

pub(crate) fn random_choice(_: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    Ok(terms.choose(&mut rand::rng()).cloned().into_iter().collect())
}

/// `inventory_hostnames`: the hosts a pattern names, in inventory order: `all`, group and
/// host names, joined by `:` or `,`, with `!name` to leave out and `&name` to intersect.
pub(crate) fn inventory_hostnames(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let groups = ctx.var("groups").unwrap_or_default();
    let all: Vec<String> = groups
        .get_attr("all")
        .ok()
        .and_then(|a| a.try_iter().ok())
        .map(|it| it.map(|v| v.to_string()).collect())
        .unwrap_or_default();
    let hosts_of = |name: &str| -> Vec<String> {
        match groups.get_attr(name).ok().filter(is_list) {
            Some(g) => g
                .try_iter()
                .map(|it| it.map(|v| v.to_string()).collect())
                .unwrap_or_default(),
            None if name == "*" => all.clone(),
            None => all
                .iter()
                .filter(|h| super::files::wildcard(name, h))
                .cloned()
                .collect(),
        }
    };
    let mut chosen: Vec<String> = Vec::new();
    for term in super::string_terms(&terms)? {
        for part in term.split([':', ',']).map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(name) = part.strip_prefix('!') {
                let out = hosts_of(name);
                chosen.retain(|h| !out.contains(h));
            } else if let Some(name) = part.strip_prefix('&') {
                let keep = hosts_of(name);
                chosen.retain(|h| keep.contains(h));
            } else {
                for h in hosts_of(part) {
                    if !chosen.contains(&h) {
                        chosen.push(h);
                    }
                }
            }
        }
    }
    let order = |h: &String| all.iter().position(|a| a == h).unwrap_or(usize::MAX);
    chosen.sort_by_key(order);
    Ok(chosen.into_iter().map(Value::from).collect())
}
