//! `ping`: checks that the host answers a command, and returns `ping: pong` (or `data`).

use async_trait::async_trait;
use serde::Deserialize;

use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `ping` module.
pub struct Ping;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    data: Option<String>,
}

#[async_trait]
impl TypedModule for Ping {
    type Params = Params;

    const SPEC: Spec = Spec::host("ping");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        ctx.run("true").await?;
        Ok(Outcome::ok().with("ping", p.data.unwrap_or_else(|| "pong".into())))
    }
}
