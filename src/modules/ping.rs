//! `ping`: checks that the host answers a command, and returns `ping: pong` (or `data`).

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use super::command_common::str_param;
use super::{Module, ModuleCtx, ModuleError, Outcome};
use crate::connection::Command;

/// The `ping` module.
pub struct PingModule;

#[async_trait]
impl Module for PingModule {
    fn name(&self) -> &'static str {
        "ping"
    }

    fn params(&self) -> &'static [&'static str] {
        &["data"]
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let data = str_param(args, "data").unwrap_or_else(|| "pong".into());
        ctx.conn.run(&Command::new("true"), None).await?;
        let mut result = IndexMap::new();
        result.insert("ping".to_string(), Value::from(data));
        Ok(Outcome {
            data: result,
            ..Outcome::default()
        })
    }
}
