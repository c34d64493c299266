//! `raw`: the free-form text run as it is by the host's shell (or `executable -c TEXT`), with
//! no module around it, as Ansible's action runs it: skipped in check mode, always `changed`,
//! and without the task's `environment` (Ansible warns and ignores it).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::low_level;
use super::words::sh_quote;
use crate::connection::Via;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Raw;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(rename = "_raw_params")]
    raw_params: Option<String>,
    executable: Option<String>,
}

#[async_trait]
impl TypedModule for Raw {
    type Params = Params;

    const SPEC: Spec = Spec::host("raw").free_form().without_async();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let Some(text) = p.raw_params.filter(|t| !t.trim().is_empty()) else {
            return Err(ModuleError::Params(
                "raw: the command to run is missing (write it after the module name)".into(),
            ));
        };
        let mut warnings = Vec::new();
        if !ctx.via.env.is_empty() {
            warnings.push(Value::from("raw module does not support the environment keyword"));
        }
        if ctx.check {
            let mut outcome = Outcome::ok();
            outcome.skipped = true;
            if !warnings.is_empty() {
                outcome.data.insert("warnings".into(), Value::from(warnings));
            }
            return Ok(outcome);
        }
        let script = match p.executable.as_deref().filter(|e| !e.is_empty()) {
            Some(exe) => format!("{exe} -c {}", sh_quote(&text)),
            None => text,
        };
        let via = Via {
            env: Vec::new(),
            ..ctx.via.clone()
        };
        let out = ctx.conn.run(&via.command(script), ctx.live).await?;
        let mut result = low_level::result(&out);
        if !warnings.is_empty() {
            match &mut result {
                Ok(o) => {
                    o.data.insert("warnings".into(), Value::from(warnings));
                }
                Err(ModuleError::Failed { data, .. }) => {
                    data.insert("warnings".into(), Value::from(warnings));
                }
                Err(_) => {}
            }
        }
        result
    }
}
