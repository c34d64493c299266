//! `debug`: shows a message (`msg`, default "Hello world!") or the value of an expression
//! (`var`), only when the run's verbosity reaches `verbosity`.
//!
//! The run's verbosity is read from the `ansible_verbosity` variable, as Ansible names it.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::modules::params::display_text;
use crate::modules::{ModuleCtx, ModuleError, Outcome, ResultShow, Spec, TypedModule};
use crate::template::TemplateErrorKind;

/// The `debug` module.
pub struct Debug;

/// Set in a result that the printer shows even without `-v`, as Ansible's key of that name.
pub const VERBOSE_ALWAYS: &str = "_ansible_verbose_always";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    msg: Option<Value>,
    var: Option<String>,
    verbosity: Option<i64>,
}

#[async_trait]
impl TypedModule for Debug {
    type Params = Params;

    const SPEC: Spec = Spec::controller("debug").show(ResultShow::Debug);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.var.is_some() && p.msg.is_some() {
            return Err(ModuleError::Params(
                "parameters are mutually exclusive: msg|var".into(),
            ));
        }
        let verbosity = p.verbosity.unwrap_or(0);
        let current = ctx
            .vars
            .get_attr("ansible_verbosity")
            .ok()
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let mut data = IndexMap::new();
        if verbosity > current {
            data.insert(
                "skipped_reason".to_string(),
                Value::from("Verbosity threshold not met."),
            );
            return Ok(Outcome {
                skipped: true,
                data,
                ..Outcome::default()
            });
        }
        let mut shown = None;
        let mut warnings = Vec::new();
        if let Some(expr) = p.var {
            let value = match evaluate(ctx, &expr) {
                Ok(value) => value,
                Err(error) => {
                    warnings.push(Value::from(format!(
                        "Encountered 1 template error.\nerror 1 - {error}"
                    )));
                    Value::from(format!("<< error 1 - {error} >>"))
                }
            };
            data.insert(expr, value);
        } else {
            let value = p.msg.unwrap_or_else(|| Value::from("Hello world!"));
            shown = Some(display_text(&value));
            data.insert("msg".to_string(), value);
        }
        if !warnings.is_empty() {
            data.insert("warnings".to_string(), Value::from(warnings));
        }
        data.insert(VERBOSE_ALWAYS.to_string(), Value::from(true));
        Ok(Outcome {
            msg: shown,
            data,
            ..Outcome::default()
        })
    }
}

/// The value of a `var` expression, or the error text Ansible puts in its placeholder.
fn evaluate(ctx: &ModuleCtx<'_>, expr: &str) -> Result<Value, String> {
    let name = expr.trim();
    match ctx.templates.eval_expression(expr, ctx.vars) {
        Ok(v) if v.is_undefined() => Err(format!("'{name}' is undefined")),
        Ok(v) => Ok(v),
        Err(e) => {
            let plain_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if plain_name && e.kind == TemplateErrorKind::Undefined {
                Err(format!("'{name}' is undefined"))
            } else {
                Err(e.message)
            }
        }
    }
}
