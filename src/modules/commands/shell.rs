//! `shell`: runs a script through `/bin/sh -c` (or `executable`), with the same parameters and
//! result as `command`.

use async_trait::async_trait;
use serde::Deserialize;

use super::command::{self, run_command};
use crate::modules::params::{opt_bool, opt_string};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `shell` module.
pub struct Shell;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, rename = "_raw_params", deserialize_with = "opt_string")]
    raw_params: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    cmd: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    removes: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    stdin: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    stdin_add_newline: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    strip_empty_ends: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    executable: Option<String>,
}

#[async_trait]
impl TypedModule for Shell {
    type Params = Params;

    const SPEC: Spec = Spec {
        free_form: true,
        ..Spec::host("shell")
    };

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let p = command::Params {
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
        };
        run_command(p, ctx, true).await
    }
}
