//! `tempfile`: a new private file (0600) or directory (0700) named `PREFIX` + 8 random
//! characters of Python's alphabet + `SUFFIX` in `path` or the host's temp directory
//! (`$TMPDIR`, `$TEMP`, `$TMP`, else `/tmp`, as Python's `tempfile`), created exclusively by
//! the shell itself. Always `changed`; skipped in check mode, as Ansible skips a module
//! without check-mode support.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::find_walk::normpath;
use crate::connection::quote::{quote, quote_path};
use crate::modules::params::path_info;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::python::python_repr;

pub struct TempFile;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum State {
    File,
    Directory,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    state: Option<State>,
    path: Option<String>,
    prefix: Option<String>,
    suffix: Option<String>,
}

/// 8 characters of Python's `tempfile` alphabet.
fn random_name() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    (0..8)
        .map(|_| char::from(CHARS[rand::random_range(0..CHARS.len())]))
        .collect()
}

/// Refuses a prefix or suffix with a `/` in it, with Ansible's message.
fn component(what: &str, value: &str) -> Result<(), ModuleError> {
    if value.contains('/') {
        return Err(ModuleError::failed(format!(
            "{what} must be a valid file name component, got {}",
            python_repr(&Value::from(value))
        )));
    }
    Ok(())
}

#[async_trait]
impl TypedModule for TempFile {
    type Params = Params;

    const SPEC: Spec = Spec::host("tempfile");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let prefix = p.prefix.unwrap_or_else(|| "ansible.".into());
        let suffix = p.suffix.unwrap_or_default();
        component("prefix", &prefix)?;
        component("suffix", &suffix)?;
        if ctx.check {
            let msg = "remote module (tempfile) does not support check mode";
            let mut outcome = Outcome::ok();
            outcome.skipped = true;
            outcome.msg = Some(msg.into());
            return Ok(outcome);
        }
        let dir = match p.path.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => quote_path(d),
            None => "\"${TMPDIR:-${TEMP:-${TMP:-/tmp}}}\"".into(),
        };
        // Python's names: 8 characters of `[a-z0-9_]`, a new one on each collision.
        let names: Vec<String> = (0..8)
            .map(|_| quote(&format!("{prefix}{}{suffix}", random_name())))
            .collect();
        let create = if p.state == Some(State::Directory) {
            "mkdir -m 700 -- \"$p\""
        } else {
            "( umask 077; set -C; : > \"$p\" )"
        };
        let script = format!(
            "d={dir}; case $d in /*) ;; *) d=\"$PWD/$d\" ;; esac\n\
             if [ ! -d \"$d\" ]; then printf 'ENOENT %s' \"$d/\"{first}; exit 1; fi\n\
             if [ ! -w \"$d\" ] || [ ! -x \"$d\" ]; then printf 'EACCES %s' \"$d/\"{first}; exit 1; fi\n\
             for n in {all}; do p=\"$d/$n\"; if {create} 2>/dev/null; then printf '%s' \"$p\"; exit 0; fi; done\n\
             printf 'EEXIST %s' \"$p\"; exit 1",
            first = names[0],
            all = names.join(" "),
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.rc != 0 {
            let (code, path) = text.split_once(' ').unwrap_or(("", text.as_str()));
            let path = python_repr(&Value::from(normpath(path)));
            return Err(ModuleError::failed(match code {
                "ENOENT" => format!("[Errno 2] No such file or directory: {path}"),
                "EACCES" => format!("[Errno 13] Permission denied: {path}"),
                "EEXIST" => format!("[Errno 17] No usable temporary file name found: {path}"),
                _ => format!(
                    "could not create the temporary file: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            }));
        }
        let path = normpath(&text);
        let mut outcome = Outcome::changed(true).with("path", path.clone());
        // Ansible adds the new file's fields (`state`, `mode`, `owner`, ...) to the result.
        if ctx.result_seen {
            path_info(ctx, &path, &mut outcome).await?;
        }
        Ok(outcome)
    }
}
