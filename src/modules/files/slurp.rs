//! `slurp`: a remote file's contents, base64-encoded, as Ansible registers them.

use async_trait::async_trait;
use base64::Engine as _;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::{self, FileError};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Slurp;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "path")]
    src: String,
}

#[async_trait]
impl TypedModule for Slurp {
    type Params = Params;

    const SPEC: Spec = Spec::host("slurp");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let bytes = match files::read(ctx.conn, &p.src, &ctx.via).await {
            Ok(bytes) => bytes,
            Err(FileError::Remote { message, .. }) if message.contains("No such file") => {
                return Err(ModuleError::failed(format!("file not found: {}", p.src)));
            }
            Err(FileError::Remote { message, .. }) if message.contains("Is a directory") => {
                return Err(ModuleError::failed(format!(
                    "source is a directory and must be a file: {}",
                    p.src
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let mut outcome = Outcome::default();
        let content = base64::engine::general_purpose::STANDARD.encode(bytes);
        outcome.data.insert("content".into(), Value::from(content));
        outcome.data.insert("source".into(), Value::from(p.src));
        outcome.data.insert("encoding".into(), Value::from("base64"));
        Ok(outcome)
    }
}
