//! `fail`: fails the host with a message (`msg`, default "Failed as requested from task").

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::modules::params::display_text;
use crate::modules::{ModuleCtx, ModuleError, Outcome, ResultShow, Spec, TypedModule};

/// The `fail` module.
pub struct Fail;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    msg: Option<Value>,
}

#[async_trait]
impl TypedModule for Fail {
    type Params = Params;

    const SPEC: Spec = Spec::controller("fail").show(ResultShow::Message);

    async fn run(&self, p: Params, _ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let msg = p
            .msg
            .unwrap_or_else(|| Value::from("Failed as requested from task"));
        Err(ModuleError::failed(display_text(&msg)).with("msg", msg))
    }
}
