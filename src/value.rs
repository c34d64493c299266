//! Small helpers over `minijinja::Value`, the runtime value type of every variable.

use minijinja::Value;
use minijinja::value::ValueKind;

/// An empty mapping.
pub fn empty_map() -> Value {
    Value::from_pairs(std::iter::empty::<(Value, Value)>())
}

/// Whether `v` is a mapping.
pub fn is_map(v: &Value) -> bool {
    v.kind() == ValueKind::Map
}

/// The entries of a mapping, in order (empty for anything else).
pub fn entries(v: &Value) -> Vec<(Value, Value)> {
    if !is_map(v) {
        return Vec::new();
    }
    let Ok(keys) = v.try_iter() else { return Vec::new() };
    keys.filter_map(|k| v.get_item(&k).ok().map(|val| (k, val)))
        .collect()
}

/// `base` with `over`'s keys on top (a shallow merge, as Ansible's default hash behaviour).
pub fn merged(base: &Value, over: &Value) -> Value {
    let mut map = indexmap::IndexMap::new();
    for (k, v) in entries(base).into_iter().chain(entries(over)) {
        map.insert(k, v);
    }
    Value::from_pairs(map)
}

/// A mapping from `(name, value)` pairs.
pub fn map_of<K: Into<Value>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
    Value::from_pairs(pairs.into_iter().map(|(k, v)| (k.into(), v)))
}
