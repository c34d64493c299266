//! Lookups that run a command on the controller with `sh -c`, in the playbook's directory and
//! with the run's environment: `pipe` (its output, trailing whitespace stripped) and `lines`
//! (its output's lines).

use std::process::Command;

use minijinja::{Error, Value};

use super::search::base_dir;
use super::{Ctx, fail, string_terms};

fn run(ctx: &Ctx<'_, '_, '_>, lookup: &str, command: &str) -> Result<String, Error> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(base_dir(ctx))
        .env_clear()
        .envs(&ctx.options.environment)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(format!("lookup_plugin.{lookup}({command}) could not run sh: {e}")))?;
    if !output.status.success() {
        return Err(fail(format!(
            "lookup_plugin.{lookup}({command}) returned {}",
            output.status.code().unwrap_or(-1)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(crate) fn pipe(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    string_terms(&terms)?
        .iter()
        .map(|term| Ok(Value::from(run(ctx, "pipe", term)?.trim_end())))
        .collect()
}

pub(crate) fn lines(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        out.extend(run(ctx, "lines", &term)?.lines().map(Value::from));
    }
    Ok(out)
}
