//! The `hostvars` magic variable: every host's variables, facts and set facts, read lazily.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use crate::template::Engine;

use super::lazy::LazyVars;

/// Per-host variables visible to other hosts, kept up to date as tasks set facts.
#[derive(Debug, Default)]
pub struct HostVarsTable {
    hosts: RwLock<indexmap::IndexMap<String, Value>>,
}

impl HostVarsTable {
    /// Records (replaces) the variables of `host` as other hosts see them.
    pub fn set(&self, host: &str, vars: Value) {
        if let Ok(mut h) = self.hosts.write() {
            h.insert(host.to_string(), vars);
        }
    }

    pub fn get(&self, host: &str) -> Option<Value> {
        self.hosts.read().ok()?.get(host).cloned()
    }

    fn names(&self) -> Vec<Value> {
        self.hosts
            .read()
            .map(|h| h.keys().map(|k| Value::from(k.as_str())).collect())
            .unwrap_or_default()
    }
}

/// The object behind `hostvars`.
pub struct HostVars {
    pub table: Arc<HostVarsTable>,
    pub engine: Arc<Engine>,
    cache: RwLock<HashMap<String, Value>>,
}

impl HostVars {
    pub fn new(table: Arc<HostVarsTable>, engine: Arc<Engine>) -> Self {
        HostVars {
            table,
            engine,
            cache: RwLock::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for HostVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostVars").finish_non_exhaustive()
    }
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let host = key.as_str()?;
        if let Some(v) = self.cache.read().ok()?.get(host) {
            return Some(v.clone());
        }
        let raw = self.table.get(host)?;
        let lazy = LazyVars::new(raw, Arc::clone(&self.engine)).context();
        if let Ok(mut c) = self.cache.write() {
            c.insert(host.to_string(), lazy.clone());
        }
        Some(lazy)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.table.names())
    }
}
