//! `group_by`: puts the host into the group `key` (created under `parents`, default `all`), for
//! later plays. Like Ansible's action it returns `add_group` and `parent_groups` (spaces become
//! `-`), and the executor applies them and decides `changed`.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::add_host::text_list;
use crate::modules::params::value_to_text;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `group_by` module.
pub struct GroupBy;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    key: Value,
    parents: Option<Value>,
}

#[async_trait]
impl TypedModule for GroupBy {
    type Params = Params;

    const SPEC: Spec = Spec::controller("group_by");

    async fn run(&self, p: Params, _ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let group = value_to_text(&p.key).replace(' ', "-");
        if group.trim().is_empty() {
            return Err(ModuleError::Params("group_by: `key` is empty".into()));
        }
        let parents = match &p.parents {
            Some(v) => text_list(v),
            None => vec!["all".to_string()],
        };
        let parents: Vec<Value> = parents.iter().map(|p| Value::from(p.replace(' ', "-"))).collect();
        Ok(Outcome::ok()
            .with("add_group", group)
            .with("parent_groups", Value::from(parents)))
    }
}
