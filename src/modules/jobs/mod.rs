//! Background jobs: a task with `async: SECONDS` and `poll: 0` (fire and forget), as Ansible's
//! async wrapper runs it. The job's status lives on the host in `~/.ansible_async/<jid>` (the
//! home of the user the task runs as, so of the become user), where `async_status` reads it
//! ([`status`]).
//!
//! A module that can give its work as one shell script (`command`, `shell`: [`JobCommand`])
//! runs detached: a supervisor started with `setsid` (its own session, so closing the
//! connection does not stop it) runs the script in a session of its own with its output in
//! `<jid>.out`/`<jid>.err`, kills that whole session with SIGKILL when `async` seconds pass (as
//! the wrapper does), and writes the exit status and times into `<jid>`; `async_status` turns
//! them into the module's result ([`crate::modules::Module::job_outcome`]) with the task's
//! arguments kept in `<jid>.job`. Any other module (and every module in check mode) runs to
//! its end when the task starts, and its result is written into `<jid>` as Ansible's wrapper
//! writes a module's result. Either way the task registers what Ansible's does: `started`,
//! `finished: false`, `ansible_job_id`, `results_file`, `changed: true`.

pub mod status;

use std::time::{Duration, SystemTime};

use minijinja::Value;

use super::{Module, ModuleCtx, ModuleError, Outcome};
use crate::connection::quote::quote;
use crate::connection::{ConnectionError, Output};

/// Where jobs keep their status, as Ansible's default `async_dir`.
pub const ASYNC_DIR: &str = "~/.ansible_async";

/// A module's work as one script run detached on the host.
pub struct JobCommand {
    pub script: String,
    /// What the script reads on its standard input (none: `/dev/null`).
    pub stdin: Option<Vec<u8>>,
}

/// What a finished detached job left: its exit status and outputs, when it started (UTC) and
/// how long it ran.
pub struct JobOutput {
    pub output: Output,
    pub start: SystemTime,
    pub elapsed: Duration,
}

/// The supervisor, run by `setsid sh -c` with the status file, the time limit (0: none) and
/// the job's script as `$1`, `$2`, `$3`.
const SUPERVISOR: &str = r#"f=$1; limit=$2
ns() { t=$(date +%s%N); case $t in *[!0-9]*|'') t=$(date +%s)000000000;; esac; printf '%s' "$t"; }
in=/dev/null; [ -e "$f.in" ] && in=$f.in
start=$(ns)
setsid sh -c "$3" <"$in" >"$f.out" 2>"$f.err" &
pid=$!
if [ "$limit" -gt 0 ]; then
  ( n=0; while [ "$n" -lt "$limit" ]; do sleep 1; kill -0 "$pid" 2>/dev/null || exit 0; n=$((n+1)); done
    : >"$f.timeout"; kill -s KILL -- -"$pid" 2>/dev/null ) &
fi
wait "$pid"; rc=$?
end=$(ns)
timeout=false; [ -e "$f.timeout" ] && timeout=true
printf '{"started": 1, "finished": 1, "playhook_job": 1, "rc": %s, "start_ns": %s, "end_ns": %s, "timeout": %s, "child_pid": %s}\n' \
  "$rc" "$start" "$end" "$timeout" "$pid" >"$f.tmp" && mv -f "$f.tmp" "$f"
"#;

/// Starts `module` with `args` as a background job with a time limit of `limit` seconds (0:
/// none) and returns what the task registers.
pub async fn start(
    module: &dyn Module,
    args: &Value,
    ctx: &mut ModuleCtx<'_>,
    limit: u64,
) -> Result<Outcome, ModuleError> {
    let detached = if ctx.check {
        None
    } else {
        module.job_command(args, ctx)?
    };
    let prelude = format!(
        "d={ASYNC_DIR}; j=\"j{}.$$\"; f=\"$d/$j\"\nmkdir -p \"$d\" || exit 1\n",
        rand::random_range(0..=999_999_999_999u64)
    );
    let (jid, path) = match detached {
        Some(job) => launch(module, args, ctx, limit, &prelude, job).await?,
        None => run_and_keep(module, args, ctx, &prelude).await?,
    };
    Ok(Outcome::changed(true)
        .with("ansible_job_id", jid)
        .with("started", true)
        .with("finished", false)
        .with("results_file", path))
}

/// Launches the detached supervisor; returns the job id and its status file.
async fn launch(
    module: &dyn Module,
    args: &Value,
    ctx: &mut ModuleCtx<'_>,
    limit: u64,
    prelude: &str,
    job: JobCommand,
) -> Result<(String, String), ModuleError> {
    let meta = serde_json::json!({ "module": module.name(), "args": args });
    let mut script = String::from(prelude);
    script.push_str(
        "command -v setsid >/dev/null 2>&1 || { echo 'playhook: `setsid` (util-linux) is missing on the host; \
         a task with `poll: 0` needs it to run in the background' >&2; exit 127; }\n",
    );
    // The job's files are private, as its arguments may hold secrets; the job itself runs with
    // the session's umask.
    script.push_str(&format!(
        "( umask 077; printf '%s' {meta} >\"$f.job\" && printf '{{\"started\": 1, \"finished\": 0, \"ansible_job_id\": \"%s\"}}\\n' \"$j\" >\"$f\"",
        meta = quote(&meta.to_string()),
    ));
    if let Some(stdin) = &job.stdin {
        script.push_str(&format!(
            " && printf '%s' {} >\"$f.in\"",
            quote(&String::from_utf8_lossy(stdin))
        ));
    }
    script.push_str(" ) || exit 1\n");
    script.push_str(&format!(
        "setsid sh -c {} sh \"$f\" {limit} {} </dev/null >/dev/null 2>&1 &\nprintf '%s\\n%s\\n' \"$j\" \"$f\"\n",
        quote(SUPERVISOR),
        quote(&job.script),
    ));
    let out = ctx.run(script).await?;
    launched(ctx.host, &out)
}

/// Runs the module to its end now and keeps its result as the job's, as Ansible's wrapper
/// writes it; returns the job id and its status file.
async fn run_and_keep(
    module: &dyn Module,
    args: &Value,
    ctx: &mut ModuleCtx<'_>,
    prelude: &str,
) -> Result<(String, String), ModuleError> {
    let result = match module.run(args, ctx).await {
        Ok(outcome) => status::result_json(&outcome),
        Err(ModuleError::Failed { msg, data }) => status::failure_json(&msg, &data),
        Err(ModuleError::Connection(ConnectionError::Timeout(_))) => {
            serde_json::json!({ "msg": "Timeout exceeded", "failed": true })
        }
        Err(e) => return Err(e),
    };
    let script = format!(
        "{prelude}( umask 077; printf '%s\\n' {} >\"$f\" ) || exit 1\nprintf '%s\\n%s\\n' \"$j\" \"$f\"\n",
        quote(&result.to_string())
    );
    let out = ctx.run(script).await?;
    launched(ctx.host, &out)
}

/// The job id and status file a start script printed.
fn launched(host: &str, out: &Output) -> Result<(String, String), ModuleError> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    match (out.rc, lines.next(), lines.next()) {
        (0, Some(jid), Some(path)) => Ok((jid.to_string(), path.to_string())),
        _ => Err(ModuleError::failed(format!(
            "could not start the background job on {host} in {ASYNC_DIR}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .with("rc", out.rc)),
    }
}
