//! `assert`: evaluates conditions (`that`) like `when` and fails with `fail_msg` (alias `msg`)
//! at the first false one, naming it in `assertion`; otherwise reports `success_msg`.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::debug::VERBOSE_ALWAYS;
use crate::modules::params::{display_text, value_to_text};
use crate::modules::{ModuleCtx, ModuleError, Outcome, ResultShow, Spec, TypedModule};

/// The `assert` module.
pub struct Assert;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    that: Option<Value>,
    fail_msg: Option<Value>,
    msg: Option<Value>,
    success_msg: Option<Value>,
    quiet: Option<bool>,
}

#[async_trait]
impl TypedModule for Assert {
    type Params = Params;

    const SPEC: Spec = Spec::controller("assert").show(ResultShow::Message);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let that = p
            .that
            .ok_or_else(|| ModuleError::Params("missing required arguments: that".into()))?;
        let conditions: Vec<Value> = if that.kind() == minijinja::value::ValueKind::Seq {
            that.try_iter()
                .map_err(|_| ModuleError::Params("argument 'that' must be a string or a list".into()))?
                .collect()
        } else {
            vec![that]
        };
        if p.fail_msg.is_some() && p.msg.is_some() {
            return Err(ModuleError::Params(
                "parameters are mutually exclusive: fail_msg|msg".into(),
            ));
        }
        let (fail_name, fail_given) = match p.fail_msg {
            Some(v) => ("fail_msg", Some(v)),
            None => ("msg", p.msg),
        };
        let fail_msg = message(fail_name, fail_given, "Assertion failed")?;
        let success_msg = message("success_msg", p.success_msg, "All assertions passed")?;

        let mut outcome = Outcome::default();
        if !p.quiet.unwrap_or(false) {
            outcome.data.insert(VERBOSE_ALWAYS.to_string(), Value::from(true));
        }
        for condition in conditions {
            let holds = ctx
                .templates
                .eval_condition_value(&condition, ctx.vars)
                .map_err(|e| {
                    ModuleError::Params(format!(
                        "evaluating the assertion {:?}: {e}",
                        value_to_text(&condition)
                    ))
                })?;
            if !holds {
                let data: IndexMap<String, Value> = outcome.data;
                let failure = ModuleError::Failed {
                    msg: display_text(&fail_msg),
                    data,
                };
                return Err(failure
                    .with("assertion", condition)
                    .with("evaluated_to", false)
                    .with("msg", fail_msg));
            }
        }
        outcome.msg = Some(display_text(&success_msg));
        Ok(outcome.with("msg", success_msg))
    }
}

/// A message parameter: a string or a list of strings, or `default` when not given.
fn message(name: &str, given: Option<Value>, default: &str) -> Result<Value, ModuleError> {
    let Some(v) = given else {
        return Ok(Value::from(default));
    };
    let ok = v.as_str().is_some()
        || v.try_iter()
            .map(|mut it| it.all(|x| x.as_str().is_some()))
            .unwrap_or(false);
    if !ok {
        return Err(ModuleError::Params(format!(
            "argument '{name}' must be a string or a list of strings"
        )));
    }
    Ok(v)
}
