//! `fail`: fails the host with a message (`msg`, default "Failed as requested from task").

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use super::command_common::{display_text, param};
use super::{Module, ModuleCtx, ModuleError, Outcome};

/// The `fail` module.
pub struct FailModule;

#[async_trait]
impl Module for FailModule {
    fn name(&self) -> &'static str {
        "fail"
    }

    fn params(&self) -> &'static [&'static str] {
        &["msg"]
    }

    async fn run(&self, args: &Value, _ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let msg = match param(args, "msg") {
            Some(v) => display_text(&v),
            None => "Failed as requested from task".to_string(),
        };
        let mut data = IndexMap::new();
        data.insert(
            "msg".to_string(),
            param(args, "msg").unwrap_or_else(|| Value::from(msg.as_str())),
        );
        Ok(Outcome {
            failed: true,
            msg: Some(msg),
            data,
            ..Outcome::default()
        })
    }
}
