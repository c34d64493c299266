//! `setup`: gathers facts as a task (`gather_subset`, `filter`), in one round trip, and adds
//! them to the host's facts, as Ansible's `setup` module does.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::facts::{self, FactsError, Selection};
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `setup` module.
pub struct Setup;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    gather_subset: Option<Vec<String>>,
    filter: Option<Vec<String>>,
    gather_timeout: Option<u64>,
    fact_path: Option<String>,
}

#[async_trait]
impl TypedModule for Setup {
    type Params = Params;

    const SPEC: Spec = Spec::host("setup").defines(Defines::Facts(&[]));

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.fact_path.is_some() {
            return Err(ModuleError::Params(
                "setup: `fact_path` (local facts, `ansible_local`) is not supported; \
                 remove it, or read the files with `slurp`"
                    .into(),
            ));
        }
        let subset = p.gather_subset.unwrap_or_else(|| vec!["all".to_string()]);
        let filter = p.filter.unwrap_or_default();
        let selection =
            Selection::parse(&subset, &filter).map_err(|e| ModuleError::Params(format!("setup: {e}")))?;
        // Ansible bounds each collector by `gather_timeout`; playhook gathers in one command,
        // which a given `gather_timeout` bounds (or the task timeout, if shorter).
        let mut via = ctx.via.clone();
        if let Some(secs) = p.gather_timeout {
            let limit = std::time::Duration::from_secs(secs.max(1));
            via.timeout = Some(via.timeout.map_or(limit, |t| t.min(limit)));
        }
        let gathered = match facts::gather(ctx.conn, &via, &selection).await {
            Ok(facts) => facts,
            Err(FactsError::Connection(e)) => return Err(ModuleError::Connection(e)),
            Err(other) => return Err(ModuleError::failed(other.to_string())),
        };
        let mut registered: Vec<(String, Value)> = crate::value::entries(&gathered)
            .into_iter()
            .map(|(k, v)| (format!("ansible_{}", k.as_str().unwrap_or_default()), v))
            .collect();
        // The filter applies to these two as well, as in Ansible.
        let kept = |name: &str| filter.is_empty() || filter.iter().any(|f| facts::fnmatch(f, name));
        if kept("gather_subset") {
            let subset_value: Vec<Value> = subset.iter().map(|s| Value::from(s.as_str())).collect();
            registered.push(("gather_subset".to_string(), Value::from(subset_value)));
        }
        if kept("module_setup") {
            registered.push(("module_setup".to_string(), Value::from(true)));
        }
        Ok(Outcome::ok().with("ansible_facts", Value::from_pairs(registered)))
    }
}
