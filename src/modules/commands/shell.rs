//! `shell`: runs a script through `/bin/sh -c` (or `executable`), with the same parameters and
//! result as `command`.

use async_trait::async_trait;
use serde::Deserialize;

use super::command::{self, run_command};
use crate::modules::jobs::{JobCommand, JobOutput};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `shell` module.
pub struct Shell;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(rename = "_raw_params")]
    raw_params: Option<String>,
    cmd: Option<String>,
    chdir: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
    stdin: Option<String>,
    stdin_add_newline: Option<bool>,
    strip_empty_ends: Option<bool>,
    executable: Option<String>,
}

#[async_trait]
impl TypedModule for Shell {
    type Params = Params;

    const SPEC: Spec = Spec::host("shell").free_form();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        run_command(p.into(), ctx, true).await
    }

    fn job_command(&self, p: Params, ctx: &ModuleCtx<'_>) -> Result<Option<JobCommand>, ModuleError> {
        command::job_command(p.into(), ctx, true)
    }

    fn job_outcome(&self, p: Params, ctx: &ModuleCtx<'_>, done: &JobOutput) -> Result<Outcome, ModuleError> {
        command::job_outcome(p.into(), ctx, true, done)
    }
}

impl From<Params> for command::Params {
    /// `command`'s parameters without `argv` and `expand_argument_vars`.
    fn from(p: Params) -> command::Params {
        command::Params {
            raw_params: p.raw_params,
            cmd: p.cmd,
            argv: None,
            chdir: p.chdir,
            creates: p.creates,
            removes: p.removes,
            stdin: p.stdin,
            stdin_add_newline: p.stdin_add_newline,
            strip_empty_ends: p.strip_empty_ends,
            expand_argument_vars: None,
            executable: p.executable,
        }
    }
}
