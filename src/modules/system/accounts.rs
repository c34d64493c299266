//! What the `user` and `group` modules share: their `state` choice, the check that the
//! shadow-utils programs are on the host, and command output as text.

use minijinja::Value;

use crate::connection::Output;
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome};

pub use crate::modules::params::state::State;

/// Exit status of a script whose program is missing (the shell's own "not found").
const MISSING: i32 = 127;
/// Prefix of the line naming the missing program.
const MISSING_MARK: &str = "playhook-missing-program:";

/// A script prefix that exits with [`MISSING`] naming the first of `programs` not on the
/// host's PATH.
pub fn require_programs(programs: &[&str]) -> String {
    programs
        .iter()
        .map(|p| {
            format!(
                "command -v {q} >/dev/null 2>&1 || {{ echo {m}{q} >&2; exit {MISSING}; }}\n",
                q = quote(p),
                m = MISSING_MARK
            )
        })
        .collect()
}

/// The one-line failure for a script stopped by [`require_programs`], naming the program,
/// the account and the host.
pub fn program_missing(out: &Output, account: &str, host: &str) -> Option<String> {
    if out.rc != MISSING {
        return None;
    }
    let err = text(&out.stderr);
    let program = err.lines().find_map(|l| l.strip_prefix(MISSING_MARK))?;
    Some(format!(
        "{account}: `{program}` is not installed on {host} (it comes with the `passwd` package of \
         shadow-utils, or `openssh-client` for ssh-keygen); install it first"
    ))
}

/// Runs `script` on the host once `program` is known to be installed; its exit code, stdout
/// and stderr, or the task's failure naming the missing program, the account and the host.
pub async fn run_account_command(
    ctx: &mut ModuleCtx<'_>,
    account: &str,
    program: &str,
    script: &str,
) -> Result<(i32, String, String), ModuleError> {
    let out = ctx
        .run(format!("{}{script}", require_programs(&[program])))
        .await?;
    if let Some(msg) = program_missing(&out, account, ctx.host) {
        return Err(ModuleError::failed(msg));
    }
    Ok((out.rc, text(&out.stdout), text(&out.stderr)))
}

/// [`run_account_command`], failing as Ansible's user module fails when the command does: its
/// stderr with `name` and `rc`.
pub async fn run_user_command(
    ctx: &mut ModuleCtx<'_>,
    account: &str,
    program: &str,
    script: &str,
) -> Result<(String, String), ModuleError> {
    let (rc, stdout, stderr) = run_account_command(ctx, account, program, script).await?;
    if rc != 0 {
        return Err(ModuleError::failed(stderr).with("name", account).with("rc", rc));
    }
    Ok((stdout, stderr))
}

/// Command output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's `stdout`/`stderr` in the result when not empty, with the `_lines` lists
/// Ansible's action layer adds beside them.
pub fn command_output(outcome: &mut Outcome, stdout: String, stderr: String) {
    for (key, text) in [("stdout", stdout), ("stderr", stderr)] {
        if text.is_empty() {
            continue;
        }
        let lines: Vec<Value> = text.lines().map(Value::from).collect();
        outcome.data.insert(key.into(), text.into());
        outcome.data.insert(format!("{key}_lines"), Value::from(lines));
    }
}
