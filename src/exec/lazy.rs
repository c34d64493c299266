//! Variables that template themselves when read, as Ansible's are: `a: "{{ b }}"` reads as the
//! value of `b`, wherever `a` is used (templates, arguments, conditions, other variables).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use crate::template::{Engine, TemplateError};

/// A variable scope whose string values are templated, on first read, against the scope itself.
pub struct LazyVars {
    raw: Value,
    engine: Arc<Engine>,
    cache: Mutex<HashMap<String, Value>>,
    resolving: Mutex<HashSet<String>>,
    error: Mutex<Option<(String, TemplateError)>>,
}

impl LazyVars {
    /// Wraps a mapping of raw variables.
    pub fn new(raw: Value, engine: Arc<Engine>) -> Arc<Self> {
        Arc::new(LazyVars {
            raw,
            engine,
            cache: Mutex::new(HashMap::new()),
            resolving: Mutex::new(HashSet::new()),
            error: Mutex::new(None),
        })
    }

    /// The scope as a template context.
    pub fn context(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(Arc::clone(self))
    }

    /// The first error met while templating a variable, with the variable's name. Templates that
    /// failed because a variable could not be templated report this instead of "undefined".
    pub fn take_error(&self) -> Option<(String, TemplateError)> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// Every raw (untemplated) variable, as a mapping.
    pub fn raw_all(&self) -> &Value {
        &self.raw
    }

    /// The raw (untemplated) value of a variable.
    pub fn raw(&self, name: &str) -> Option<Value> {
        self.raw.get_attr(name).ok().filter(|v| !v.is_undefined())
    }
}

impl std::fmt::Debug for LazyVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyVars").finish_non_exhaustive()
    }
}

impl Object for LazyVars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if let Some(v) = self.cache.lock().ok()?.get(name) {
            return Some(v.clone());
        }
        let raw = self.raw(name)?;
        if !needs_templating(&raw) {
            return Some(raw);
        }
        if !self.resolving.lock().ok()?.insert(name.to_string()) {
            let mut slot = self.error.lock().ok()?;
            slot.get_or_insert_with(|| {
                (
                    name.to_string(),
                    TemplateError::new(
                        crate::template::TemplateErrorKind::Render,
                        format!("recursive loop detected in the value of `{name}`"),
                    ),
                )
            });
            return None;
        }
        let result = self.engine.template_value(&raw, &self.context());
        if let Ok(mut r) = self.resolving.lock() {
            r.remove(name);
        }
        match result {
            Ok(v) => {
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(name.to_string(), v.clone());
                }
                Some(v)
            }
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert((name.to_string(), e));
                }
                None
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.raw.try_iter() {
            Ok(keys) => Enumerator::Values(keys.collect()),
            Err(_) => Enumerator::Empty,
        }
    }
}

/// Whether a value holds any template text.
fn needs_templating(v: &Value) -> bool {
    if let Some(s) = v.as_str() {
        return s.contains("{{") || s.contains("{%");
    }
    match v.kind() {
        minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Map => match v.try_iter() {
            Ok(iter) => iter.into_iter().any(|k| {
                let item = if v.kind() == minijinja::value::ValueKind::Map {
                    v.get_item(&k).unwrap_or_default()
                } else {
                    k
                };
                needs_templating(&item)
            }),
            Err(_) => false,
        },
        _ => false,
    }
}
