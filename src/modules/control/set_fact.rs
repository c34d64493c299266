//! `set_fact`: sets host variables for the rest of the run. Returns them as `ansible_facts`;
//! the executor stores them (and, with `cacheable`, also as facts).

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `set_fact` module.
pub struct SetFact;

#[async_trait]
impl TypedModule for SetFact {
    /// Any key is a variable name; `cacheable` is the only option.
    type Params = IndexMap<String, Value>;

    const SPEC: Spec = Spec::controller("set_fact").defines(Defines::ArgumentKeys);

    async fn run(&self, args: Self::Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let mut cacheable = false;
        let mut facts: IndexMap<String, Value> = IndexMap::new();
        for (raw_name, value) in args {
            if raw_name == "cacheable" {
                cacheable = crate::truthy::boolean(&value).ok_or_else(|| {
                    ModuleError::Params(format!(
                        "set_fact: argument 'cacheable': '{value}' is not a valid boolean; use true or false"
                    ))
                })?;
                continue;
            }
            let name = if raw_name.contains("{{") || raw_name.contains("{%") {
                ctx.templates.render_str(&raw_name, ctx.vars).map_err(|e| {
                    ModuleError::Params(format!("templating the variable name {raw_name:?}: {e}"))
                })?
            } else {
                raw_name
            };
            validate_variable_name(&name)?;
            facts.insert(name, value);
        }
        if facts.is_empty() {
            return Err(ModuleError::Params(
                "No key/value pairs provided, at least one is required for this action to succeed".into(),
            ));
        }
        let mut outcome = Outcome::ok().with("ansible_facts", Value::from_pairs(facts));
        if cacheable {
            outcome = outcome.with("_ansible_facts_cacheable", true);
        }
        Ok(outcome)
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
