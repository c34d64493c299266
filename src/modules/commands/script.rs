//! `script`: a controller script (found like `copy`'s `src`, in `files/`) uploaded to a private
//! temp directory on the host and run there with its free-form arguments, as Ansible's action
//! does: `creates`/`removes` skip it, `chdir` must be absolute, `executable` runs it through an
//! interpreter, check mode only reports what `creates`/`removes` decide, and the result is the
//! low-level `rc`/`stdout`/`stderr`. Upload, run and clean-up are one round trip.

use async_trait::async_trait;
use serde::Deserialize;

use super::low_level;
use super::words::shlex_split;
use crate::connection::quote::quote_path;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Script;

/// Printed on stderr when `creates`/`removes` decide the script does not run.
const SKIP: &str = "__playhook_script_skip_7d1e__";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(rename = "_raw_params")]
    raw_params: Option<String>,
    cmd: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
    chdir: Option<String>,
    executable: Option<String>,
}

/// The shell lines that end the script early (exit 0, a marker on stderr) when `creates`
/// exists or `removes` does not, as Ansible's `test -e`.
fn checks(creates: Option<&str>, removes: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(c) = creates.filter(|c| !c.is_empty()) {
        s.push_str(&format!(
            "if [ -e {} ]; then echo '{SKIP}creates' >&2; exit 0; fi\n",
            quote_path(c)
        ));
    }
    if let Some(r) = removes.filter(|r| !r.is_empty()) {
        s.push_str(&format!(
            "if [ ! -e {} ]; then echo '{SKIP}removes' >&2; exit 0; fi\n",
            quote_path(r)
        ));
    }
    s
}

/// Ansible's skip message, from the marker the checks printed.
fn skipped(stderr: &[u8], creates: Option<&str>, removes: Option<&str>) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let why = text.lines().find_map(|l| l.strip_prefix(SKIP))?;
    Some(match why {
        "creates" => format!("{} exists, matching creates option", creates.unwrap_or_default()),
        _ => format!(
            "{} does not exist, matching removes option",
            removes.unwrap_or_default()
        ),
    })
}

fn skip_outcome(msg: String) -> Outcome {
    Outcome {
        skipped: true,
        msg: Some(msg),
        ..Outcome::ok()
    }
}

#[async_trait]
impl TypedModule for Script {
    type Params = Params;

    const SPEC: Spec = Spec::host("script").free_form().without_async();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let raw = p.raw_params.clone().filter(|s| !s.is_empty());
        let text = match (raw, p.cmd.clone()) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Params(
                    "script: parameters are mutually exclusive: _raw_params|cmd".into(),
                ));
            }
            (None, None) => {
                return Err(ModuleError::Params(
                    "script: one of the following is required: _raw_params, cmd (write the script \
                     and its arguments after the module name, or give `cmd`)"
                        .into(),
                ));
            }
            (Some(t), None) | (None, Some(t)) => t,
        };
        let (creates, removes) = (p.creates.as_deref(), p.removes.as_deref());
        let checks = checks(creates, removes);
        if let Some(dir) = p.chdir.as_deref().filter(|d| !d.is_empty()) {
            if !dir.starts_with('/') {
                return Err(ModuleError::failed(format!(
                    "chdir {dir} must be an absolute path for a Unix-aware remote node"
                )));
            }
        }
        let parts = shlex_split(text.trim())
            .map_err(|e| ModuleError::Params(format!("script: cannot split `{text}`: {e}")))?;
        let Some(source) = parts.first() else {
            return Err(ModuleError::Params("script: no script given".into()));
        };
        let found = ctx.find_source("files", source);
        // Ansible decides `creates`/`removes` before it looks for the script.
        if (found.is_err() || ctx.check) && !checks.is_empty() {
            let out = ctx.run(format!("{checks}exit 0\n")).await?;
            if let Some(msg) = skipped(&out.stderr, creates, removes) {
                return Ok(skip_outcome(msg));
            }
        }
        let local = found?;
        let content = std::fs::read(&local)
            .map_err(|e| ModuleError::Local(format!("cannot read the script {}: {e}", local.display())))?;
        if ctx.check {
            if !checks.is_empty() {
                return Ok(Outcome::changed(true));
            }
            let mut outcome = skip_outcome("Check mode is not supported for this task.".into());
            outcome.changed = false;
            return Ok(outcome);
        }
        let name = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "script".into());
        let dir = format!("/tmp/.playhook-script-{:016x}", rand::random::<u64>());
        let remote = format!("{dir}/{name}");
        let command_line = text.trim().replace(source.as_str(), &remote);
        let command_line = match p.executable.as_deref().filter(|e| !e.is_empty()) {
            Some(exe) => format!("{exe} {command_line}"),
            None => command_line,
        };
        let cd = match p.chdir.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => format!("cd -- {} || exit 1\n", quote_path(d)),
            None => String::new(),
        };
        let script = format!(
            "{checks}d={dq}\nmkdir -m 700 -- \"$d\" || exit 1\ntrap 'rm -rf -- \"$d\"' EXIT\n\
             base64 -d > {rq} || exit 1\nchmod 700 {rq}\n{cd}(\n{command_line}\n) </dev/null\n",
            dq = quote_path(&dir),
            rq = quote_path(&remote),
        );
        let mut cmd = ctx.command(script);
        cmd.stdin = Some(content);
        cmd.stdin_base64 = true;
        let out = ctx.conn.run(&cmd, None).await?;
        if let Some(msg) = skipped(&out.stderr, creates, removes) {
            return Ok(skip_outcome(msg));
        }
        low_level::result(&out)
    }
}
