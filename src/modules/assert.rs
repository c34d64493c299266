//! `assert`: evaluates conditions (`that`) like `when` and fails with `fail_msg` (alias `msg`)
//! at the first false one, naming it in `assertion`; otherwise reports `success_msg`.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use super::command_common::{bool_param, display_text, param, value_to_text};
use super::debug::VERBOSE_ALWAYS;
use super::{Module, ModuleCtx, ModuleError, Outcome};

/// The `assert` module.
pub struct AssertModule;

#[async_trait]
impl Module for AssertModule {
    fn name(&self) -> &'static str {
        "assert"
    }

    fn params(&self) -> &'static [&'static str] {
        &["that", "fail_msg", "msg", "success_msg", "quiet"]
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let that = param(args, "that")
            .ok_or_else(|| ModuleError::Params("missing required arguments: that".into()))?;
        let conditions: Vec<Value> = if that.kind() == minijinja::value::ValueKind::Seq {
            that.try_iter()
                .map_err(|_| ModuleError::Params("argument 'that' must be a string or a list".into()))?
                .collect()
        } else {
            vec![that]
        };
        if param(args, "fail_msg").is_some() && param(args, "msg").is_some() {
            return Err(ModuleError::Params(
                "parameters are mutually exclusive: fail_msg|msg".into(),
            ));
        }
        let fail_msg = message(args, &["fail_msg", "msg"], "Assertion failed")?;
        let success_msg = message(args, &["success_msg"], "All assertions passed")?;
        let quiet = bool_param(args, "quiet", false)?;

        let mut data = IndexMap::new();
        if !quiet {
            data.insert(VERBOSE_ALWAYS.to_string(), Value::from(true));
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
                data.insert("assertion".to_string(), condition);
                data.insert("evaluated_to".to_string(), Value::from(false));
                data.insert("msg".to_string(), fail_msg.clone());
                return Ok(Outcome {
                    failed: true,
                    msg: Some(display_text(&fail_msg)),
                    data,
                    ..Outcome::default()
                });
            }
        }
        data.insert("msg".to_string(), success_msg.clone());
        Ok(Outcome {
            msg: Some(display_text(&success_msg)),
            data,
            ..Outcome::default()
        })
    }
}

/// A message parameter: a string or a list of strings, under the first of `names` present.
fn message(args: &Value, names: &[&str], default: &str) -> Result<Value, ModuleError> {
    for name in names {
        if let Some(v) = param(args, name) {
            let ok = v.as_str().is_some()
                || v.try_iter()
                    .map(|mut it| it.all(|x| x.as_str().is_some()))
                    .unwrap_or(false);
            if !ok {
                return Err(ModuleError::Params(format!(
                    "argument '{name}' must be a string or a list of strings"
                )));
            }
            return Ok(v);
        }
    }
    Ok(Value::from(default))
}
