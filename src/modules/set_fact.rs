//! `set_fact`: sets host variables for the rest of the run. Returns them as `ansible_facts`;
//! the executor stores them (and, with `cacheable`, also as facts).

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use super::command_common::bool_param;
use super::{Module, ModuleCtx, ModuleError, Outcome};

/// The `set_fact` module.
pub struct SetFactModule;

/// Accepts any variable name: the names are the facts to set.
pub const ANY_PARAM: &str = "*";

#[async_trait]
impl Module for SetFactModule {
    fn name(&self) -> &'static str {
        "set_fact"
    }

    /// Any key is a fact name; `cacheable` is the only option.
    fn params(&self) -> &'static [&'static str] {
        &["cacheable", ANY_PARAM]
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let cacheable = bool_param(args, "cacheable", false)?;
        let keys = args.try_iter().map_err(|_| {
            ModuleError::Params("set_fact takes a mapping of variable names to values".into())
        })?;
        let mut facts: IndexMap<String, Value> = IndexMap::new();
        for key in keys {
            let Some(raw_name) = key.as_str() else {
                return Err(ModuleError::Params(format!(
                    "Invalid variable name {key}: variable names must be strings starting with a letter \
                     or underscore, and contain only letters, numbers and underscores"
                )));
            };
            if raw_name == "cacheable" {
                continue;
            }
            let name = if raw_name.contains("{{") || raw_name.contains("{%") {
                ctx.templates.render_str(raw_name, ctx.vars).map_err(|e| {
                    ModuleError::Params(format!("templating the variable name {raw_name:?}: {e}"))
                })?
            } else {
                raw_name.to_string()
            };
            validate_variable_name(&name)?;
            let value = args.get_item(&key).unwrap_or_default();
            facts.insert(name, value);
        }
        if facts.is_empty() {
            return Err(ModuleError::Params(
                "No key/value pairs provided, at least one is required for this action to succeed".into(),
            ));
        }
        let mut data = IndexMap::new();
        data.insert("ansible_facts".to_string(), Value::from_pairs(facts));
        if cacheable {
            data.insert("_ansible_facts_cacheable".to_string(), Value::from(true));
        }
        Ok(Outcome {
            data,
            ..Outcome::default()
        })
    }
}

/// Ansible's rule: an ASCII Python identifier that is not a Jinja constant or `not`.
pub fn validate_variable_name(name: &str) -> Result<(), ModuleError> {
    const RESERVED: &[&str] = &["true", "false", "none", "True", "False", "None", "not"];
    let mut bytes = name.bytes();
    let valid = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !RESERVED.contains(&name);
    if valid {
        Ok(())
    } else {
        Err(ModuleError::Params(format!(
            "Invalid variable name '{name}'. Variable names must be strings starting with a letter or \
             underscore character, and contain only letters, numbers and underscores."
        )))
    }
}
