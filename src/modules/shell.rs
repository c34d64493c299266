//! `shell`: runs a script through `/bin/sh -c` (or `executable`), with the same parameters and
//! result as `command`.

use async_trait::async_trait;
use minijinja::Value;

use super::command::run_command;
use super::{Module, ModuleCtx, ModuleError, Outcome};

/// The `shell` module.
pub struct ShellModule;

#[async_trait]
impl Module for ShellModule {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn params(&self) -> &'static [&'static str] {
        &[
            "_raw_params",
            "cmd",
            "chdir",
            "creates",
            "removes",
            "stdin",
            "stdin_add_newline",
            "strip_empty_ends",
            "executable",
        ]
    }

    fn free_form(&self) -> bool {
        true
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        run_command(args, ctx, true).await
    }
}
