//! `slurp`: a remote file's contents, base64-encoded, as Ansible registers them.

use async_trait::async_trait;
use base64::Engine as _;
use minijinja::Value;
use serde::Deserialize;

use super::params::{self, failed, file_failure, string};
use super::{Module, ModuleCtx, ModuleError, Outcome};
use crate::connection::files::{self, FileError};

pub struct Slurp;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(alias = "path", deserialize_with = "string")]
    src: String,
}

#[async_trait]
impl Module for Slurp {
    fn name(&self) -> &'static str {
        "slurp"
    }

    fn params(&self) -> &'static [&'static str] {
        &["src", "path"]
    }

    async fn run(&self, args: &Value, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let p: Params = params::parse("slurp", args)?;
        let bytes = match files::read(ctx.conn, &p.src, ctx.privilege.as_ref()).await {
            Ok(bytes) => bytes,
            Err(FileError::Remote { message, .. }) if message.contains("No such file") => {
                return Ok(failed(format!("file not found: {}", p.src)));
            }
            Err(FileError::Remote { message, .. }) if message.contains("Is a directory") => {
                return Ok(failed(format!(
                    "source is a directory and must be a file: {}",
                    p.src
                )));
            }
            Err(e) => return file_failure(e),
        };
        let mut outcome = Outcome::default();
        let content = base64::engine::general_purpose::STANDARD.encode(bytes);
        outcome.data.insert("content".into(), Value::from(content));
        outcome.data.insert("source".into(), Value::from(p.src));
        outcome.data.insert("encoding".into(), Value::from("base64"));
        Ok(outcome)
    }
}
