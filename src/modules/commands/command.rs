//! `command`: runs a program with arguments on the host, without a shell in between, with
//! Ansible's semantics for `creates`, `removes`, `chdir`, `stdin`, check mode and the registered
//! result. `shell` reuses [`run_command`] with a shell in between.

use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::words::{
    Expand, WORD_PRELUDE, expanding_word, lines_value, python_splitlines, sh_quote, shlex_split,
};
use crate::calendar::{python_datetime, python_timedelta};
use crate::connection::{Command as ShellCommand, LiveLines, Output};
use crate::modules::jobs::{JobCommand, JobOutput};
use crate::modules::params::value_to_text;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `command` module.
pub struct Command;

/// Printed on stderr by the check part of a script, never by a user's command.
const MARKER: &str = "__playhook_command_check_2c41f0__";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(rename = "_raw_params")]
    pub(super) raw_params: Option<String>,
    pub(super) cmd: Option<String>,
    pub(super) argv: Option<Value>,
    pub(super) chdir: Option<String>,
    pub(super) creates: Option<String>,
    pub(super) removes: Option<String>,
    pub(super) stdin: Option<String>,
    pub(super) stdin_add_newline: Option<bool>,
    pub(super) strip_empty_ends: Option<bool>,
    pub(super) expand_argument_vars: Option<bool>,
    pub(super) executable: Option<String>,
}

#[async_trait]
impl TypedModule for Command {
    type Params = Params;

    const SPEC: Spec = Spec::host("command").free_form();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        run_command(p, ctx, false).await
    }

    fn job_command(&self, p: Params, ctx: &ModuleCtx<'_>) -> Result<Option<JobCommand>, ModuleError> {
        job_command(p, ctx, false)
    }

    fn job_outcome(&self, p: Params, ctx: &ModuleCtx<'_>, done: &JobOutput) -> Result<Outcome, ModuleError> {
        job_outcome(p, ctx, false, done)
    }
}

/// What the task asked to run, after parameter checks.
enum Program {
    /// `command`: argument words, each becoming one argv entry.
    Argv(Vec<String>),
    /// `shell`: a script for `executable -c`.
    Shell { script: String, executable: String },
}

/// Checks the parameters and builds the script (or decides without one, in check mode).
fn prepare(p: Params, ctx: &ModuleCtx<'_>, uses_shell: bool) -> Result<Step, ModuleError> {
    let raw = p.raw_params.filter(|s| !s.is_empty());
    let given: Vec<&str> = [
        ("_raw_params", raw.is_some()),
        ("cmd", p.cmd.is_some()),
        ("argv", p.argv.is_some()),
    ]
    .iter()
    .filter(|(_, present)| *present)
    .map(|(name, _)| *name)
    .collect();
    if given.len() > 1 {
        return Err(ModuleError::Params(format!(
            "parameters are mutually exclusive: {}",
            given.join("|")
        )));
    }
    if given.is_empty() {
        return Err(ModuleError::Params(
            "one of the following is required: _raw_params, cmd, argv (write the command after the \
             module name, or give `cmd`)"
                .into(),
        ));
    }
    let expand_vars = p.expand_argument_vars.unwrap_or(true);
    let stdin_add_newline = p.stdin_add_newline.unwrap_or(true);
    let strip = p.strip_empty_ends.unwrap_or(true);
    let (chdir, creates, removes, stdin, argv) = (p.chdir, p.creates, p.removes, p.stdin, p.argv);

    let text = raw.or(p.cmd);
    let program = if uses_shell {
        let script = match (&text, &argv) {
            (Some(t), _) => t.clone(),
            (None, Some(list)) => list_words(list)?
                .iter()
                .map(|w| sh_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
            (None, None) => String::new(),
        };
        // `executable`, else the host's `ansible_shell_executable`, else `/bin/sh`, as Ansible.
        let executable = p
            .executable
            .clone()
            .or_else(|| shell_executable(ctx.vars))
            .unwrap_or_else(|| "/bin/sh".into());
        Program::Shell { script, executable }
    } else {
        let words = match (&text, &argv) {
            (Some(t), _) => {
                shlex_split(t).map_err(|e| ModuleError::Params(format!("cannot split the command: {e}")))?
            }
            (None, Some(list)) => list_words(list)?,
            (None, None) => Vec::new(),
        };
        if words.is_empty() {
            return Err(ModuleError::Params("no command given".into()));
        }
        Program::Argv(words)
    };

    let cmd_value = match &program {
        Program::Argv(words) => {
            Value::from(words.iter().map(|w| Value::from(w.as_str())).collect::<Vec<_>>())
        }
        Program::Shell { script, .. } => Value::from(script.as_str()),
    };
    let mut r = Registered::new(cmd_value);
    if !uses_shell {
        if let Some(exe) = &p.executable {
            r.warnings.push(format!(
                "As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' \
                 module. Not using '{exe}'."
            ));
        }
    }
    let would = if ctx.check { "Would" } else { "Did" };

    let checks = checks_script(chdir.as_deref(), creates.as_deref(), removes.as_deref());
    let run_part = run_script(&program, expand_vars);

    let decided_here = creates.is_some() || removes.is_some();
    if ctx.check && checks.is_empty() {
        return Ok(Step::Decided(r.check_mode_outcome(decided_here)));
    }
    let mut script = format!("{WORD_PRELUDE}\n{checks}");
    if ctx.check {
        script.push_str(&format!("printf '%s\\n' '{MARKER}run' >&2\n"));
    } else {
        script.push_str(&run_part);
    }
    let stdin = stdin.filter(|s| !s.is_empty() && !ctx.check).map(|input| {
        let mut bytes = input.into_bytes();
        if stdin_add_newline {
            bytes.push(b'\n');
        }
        bytes
    });
    Ok(Step::Run(Box::new(Prepared {
        r,
        script,
        stdin,
        program,
        strip,
        would,
        decided_here,
    })))
}

/// Runs `command` (`uses_shell` false) or `shell` (`uses_shell` true; `shell`'s parameters
/// are `command`'s without `argv` and `expand_argument_vars`).
pub(crate) async fn run_command(
    p: Params,
    ctx: &mut ModuleCtx<'_>,
    uses_shell: bool,
) -> Result<Outcome, ModuleError> {
    let run = match prepare(p, ctx, uses_shell)? {
        Step::Decided(outcome) => return outcome,
        Step::Run(run) => run,
    };
    let mut command = ctx.command(run.script.clone());
    command.stdin = run.stdin.clone();
    let started_wall = SystemTime::now();
    let started = Instant::now();
    let out = run_filtered(ctx, &command).await?;
    let elapsed = started.elapsed();
    run.finish(&out, shift_to_host_time(started_wall, ctx.vars), elapsed)
}

/// The script of `command`/`shell` as a background job (`async` with `poll: 0`); `None` when
/// the module decides without running anything (check mode).
pub(crate) fn job_command(
    p: Params,
    ctx: &ModuleCtx<'_>,
    uses_shell: bool,
) -> Result<Option<JobCommand>, ModuleError> {
    Ok(match prepare(p, ctx, uses_shell)? {
        Step::Decided(_) => None,
        Step::Run(run) => {
            let Prepared { script, stdin, .. } = *run;
            Some(JobCommand { script, stdin })
        }
    })
}

/// The result of a finished background job of `command`/`shell`, as the module reports it.
pub(crate) fn job_outcome(
    p: Params,
    ctx: &ModuleCtx<'_>,
    uses_shell: bool,
    done: &JobOutput,
) -> Result<Outcome, ModuleError> {
    match prepare(p, ctx, uses_shell)? {
        Step::Decided(outcome) => outcome,
        Step::Run(run) => run.finish(
            &done.output,
            shift_to_host_time(done.start, ctx.vars),
            done.elapsed,
        ),
    }
}

/// What `prepare` decided: a result without running anything, or the script to run.
enum Step {
    Decided(Result<Outcome, ModuleError>),
    Run(Box<Prepared>),
}

/// The script of a task and what turns its output into the registered result.
struct Prepared {
    r: Registered,
    script: String,
    stdin: Option<Vec<u8>>,
    program: Program,
    strip: bool,
    would: &'static str,
    decided_here: bool,
}

impl Prepared {
    /// The registered result of the script's `out`, started at `start` (the host's local time)
    /// and running for `elapsed`.
    fn finish(
        self: Box<Self>,
        out: &Output,
        start: SystemTime,
        elapsed: Duration,
    ) -> Result<Outcome, ModuleError> {
        let Prepared {
            mut r,
            program,
            strip,
            would,
            decided_here,
            ..
        } = *self;
        let stderr_text = String::from_utf8_lossy(&out.stderr);
        let marker = stderr_text
            .lines()
            .find_map(|l| l.strip_prefix(MARKER))
            .map(str::to_string);
        match marker.as_deref() {
            Some("chdir") => {
                r.msg = "Unable to change directory before execution.".into();
                r.rc = Value::from(());
                return r.outcome(false, true);
            }
            Some(m) if m.starts_with("creates:") => {
                let path = &m["creates:".len()..];
                r.msg = format!("{would} not run command since '{path}' exists");
                r.stdout = format!("skipped, since {path} exists");
                r.rc = Value::from(0);
                return r.outcome(false, false);
            }
            Some(m) if m.starts_with("removes:") => {
                let path = &m["removes:".len()..];
                r.msg = format!("{would} not run command since '{path}' does not exist");
                r.stdout = format!("skipped, since {path} does not exist");
                r.rc = Value::from(0);
                return r.outcome(false, false);
            }
            Some(_) => return r.check_mode_outcome(decided_here),
            None => {}
        }

        if let Program::Argv(words) = &program {
            if let Some((errno, text)) = exec_error(out, &words[0]) {
                return Err(exec_failure(words, errno, text));
            }
        }
        let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut stderr = stderr_text.into_owned();
        if strip {
            stdout = stdout.trim_end_matches(['\r', '\n']).to_string();
            stderr = stderr.trim_end_matches(['\r', '\n']).to_string();
        }
        r.stdout = stdout;
        r.stderr = stderr;
        r.rc = Value::from(out.rc);
        r.start = Value::from(python_datetime(start));
        r.end = Value::from(python_datetime(start + elapsed));
        r.delta = Value::from(python_timedelta(elapsed));
        let failed = out.rc != 0;
        if failed {
            r.msg = "non-zero return code".into();
        }
        r.outcome(true, failed)
    }
}

/// The host's local time for `start`/`end`, as Ansible reports them: the UTC offset comes from
/// the gathered `date_time` fact; without facts the times stay in UTC.
fn shift_to_host_time(t: SystemTime, vars: &Value) -> SystemTime {
    let offset = vars
        .get_attr("ansible_facts")
        .and_then(|f| f.get_attr("date_time"))
        .and_then(|d| d.get_attr("tz_offset"))
        .ok()
        .and_then(|v| v.as_str().and_then(parse_utc_offset));
    match offset {
        Some(secs) if secs >= 0 => t + Duration::from_secs(secs.unsigned_abs()),
        Some(secs) => t - Duration::from_secs(secs.unsigned_abs()),
        None => t,
    }
}

/// `+0100` / `-0530` to seconds east of UTC.
fn parse_utc_offset(s: &str) -> Option<i64> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The checks Ansible makes before running, in its order: `chdir`, `creates`, `removes`. Each
/// decision is reported on stderr as a marker line; the markers of `creates`/`removes` carry the
/// path as Ansible's messages show it, with `~` and variables expanded.
fn checks_script(chdir: Option<&str>, creates: Option<&str>, removes: Option<&str>) -> String {
    let mut checks = String::new();
    if let Some(dir) = chdir {
        checks.push_str(&format!(
            "set -f; cd -- {} 2>/dev/null || {{ printf '%s\\n' '{MARKER}chdir' >&2; exit 1; }}; set +f\n",
            expanding_word(dir, Expand::Vars)
        ));
    }
    if let Some(pattern) = creates {
        checks.push_str(&format!(
            "for f in {glob}; do if [ -e \"$f\" ] || [ -h \"$f\" ]; then \
             set -f; printf '%s%s\\n' '{MARKER}creates:' {word} >&2; exit 0; fi; done\n",
            glob = expanding_word(pattern, Expand::VarsAndGlob),
            word = expanding_word(pattern, Expand::Vars),
        ));
    }
    if let Some(pattern) = removes {
        checks.push_str(&format!(
            "found=; for f in {glob}; do if [ -e \"$f\" ] || [ -h \"$f\" ]; then found=1; fi; done\n\
             [ -n \"$found\" ] || {{ set -f; printf '%s%s\\n' '{MARKER}removes:' {word} >&2; exit 0; }}\n",
            glob = expanding_word(pattern, Expand::VarsAndGlob),
            word = expanding_word(pattern, Expand::Vars),
        ));
    }
    checks
}

/// The part of the script that starts the program.
fn run_script(program: &Program, expand_vars: bool) -> String {
    // Connections run every script in a subshell of their own, so `exec` ends only that
    // subshell and saves starting another process.
    match program {
        Program::Argv(words) => {
            let quoted: Vec<String> = words
                .iter()
                .map(|w| {
                    if expand_vars {
                        expanding_word(w, Expand::Vars)
                    } else {
                        sh_quote(w)
                    }
                })
                .collect();
            format!("set -f; exec {}\n", quoted.join(" "))
        }
        Program::Shell { script, executable } => {
            format!("exec {} -c {}\n", sh_quote(executable), sh_quote(script))
        }
    }
}

/// Runs the script, passing live lines on except the check markers.
async fn run_filtered(ctx: &mut ModuleCtx<'_>, command: &ShellCommand) -> Result<Output, ModuleError> {
    let Some(live) = ctx.live else {
        return Ok(ctx.conn.run(command, None).await?);
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let conn = &mut *ctx.conn;
    let run = async move {
        let sender: LiveLines = tx;
        conn.run(command, Some(&sender)).await
    };
    let forward = async {
        while let Some(line) = rx.recv().await {
            if !line.contains(MARKER) {
                // A closed receiver only means nobody watches the live lines any more.
                let _ = live.send(line);
            }
        }
    };
    let (result, ()) = tokio::join!(run, forward);
    Ok(result?)
}

/// The program could not be started: Ansible reports the OS error where a shell says 127/126.
fn exec_error(out: &Output, program: &str) -> Option<(i32, &'static str)> {
    if !out.stdout.is_empty() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.rc {
        127 if stderr.contains(&format!("{program}: not found"))
            || stderr.contains("No such file or directory") =>
        {
            Some((2, "No such file or directory"))
        }
        126 if stderr.contains("Permission denied") => Some((13, "Permission denied")),
        _ => None,
    }
}

/// Ansible's result when the program cannot be started: no times, `cmd` as one quoted string.
fn exec_failure(words: &[String], errno: i32, text: &str) -> ModuleError {
    let joined: Vec<String> = words.iter().map(|w| sh_quote(w)).collect();
    let registered = Outcome::ok()
        .with("cmd", joined.join(" "))
        .with("msg", "Error executing command.")
        .with("rc", errno)
        .with("stdout", "")
        .with("stderr", "")
        .with("stdout_lines", lines_value(Vec::new()))
        .with("stderr_lines", lines_value(Vec::new()));
    ModuleError::failed_with(
        format!("Error executing command: [Errno {errno}] {text}: b'{}'", words[0]),
        registered,
    )
}

/// The host's `ansible_shell_executable`, the `shell` module's default.
fn shell_executable(vars: &Value) -> Option<String> {
    let v = vars.get_attr("ansible_shell_executable").ok()?;
    (!v.is_undefined() && !v.is_none()).then(|| value_to_text(&v))
}

/// The words of an `argv` list, each converted to text.
fn list_words(list: &Value) -> Result<Vec<String>, ModuleError> {
    if list.as_str().is_some() {
        return Ok(list
            .as_str()
            .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
            .unwrap_or_default());
    }
    let iter = list
        .try_iter()
        .map_err(|_| ModuleError::Params("argument 'argv' must be a list of strings".into()))?;
    Ok(iter.map(|v| value_to_text(&v)).collect())
}

/// The registered result Ansible's command module always returns.
struct Registered {
    cmd: Value,
    stdout: String,
    stderr: String,
    rc: Value,
    start: Value,
    end: Value,
    delta: Value,
    msg: String,
    warnings: Vec<String>,
}

impl Registered {
    fn new(cmd: Value) -> Self {
        Registered {
            cmd,
            stdout: String::new(),
            stderr: String::new(),
            rc: Value::from(()),
            start: Value::from(()),
            end: Value::from(()),
            delta: Value::from(()),
            msg: String::new(),
            warnings: Vec::new(),
        }
    }

    /// Check mode where the command would run: skipped unless `creates`/`removes` decided.
    fn check_mode_outcome(mut self, decided_by_paths: bool) -> Result<Outcome, ModuleError> {
        self.rc = Value::from(0);
        self.msg = "Command would have run if not in check mode".into();
        let mut outcome = self.outcome(decided_by_paths, false)?;
        if !decided_by_paths {
            outcome.skipped = true;
            outcome.data.insert("skipped".into(), Value::from(true));
        }
        Ok(outcome)
    }

    /// The registered result; a failure when `failed`, registering the same fields.
    fn outcome(self, changed: bool, failed: bool) -> Result<Outcome, ModuleError> {
        let mut data = indexmap::IndexMap::new();
        data.insert("cmd".to_string(), self.cmd);
        data.insert("stdout".to_string(), Value::from(self.stdout.as_str()));
        data.insert("stderr".to_string(), Value::from(self.stderr.as_str()));
        data.insert("rc".to_string(), self.rc);
        data.insert("start".to_string(), self.start);
        data.insert("end".to_string(), self.end);
        data.insert("delta".to_string(), self.delta);
        data.insert("msg".to_string(), Value::from(self.msg.as_str()));
        data.insert(
            "stdout_lines".to_string(),
            lines_value(python_splitlines(&self.stdout)),
        );
        data.insert(
            "stderr_lines".to_string(),
            lines_value(python_splitlines(&self.stderr)),
        );
        if !self.warnings.is_empty() {
            data.insert("warnings".to_string(), lines_value(self.warnings));
        }
        let outcome = Outcome {
            changed,
            skipped: false,
            msg: if self.msg.is_empty() {
                None
            } else {
                Some(self.msg.clone())
            },
            diff: Vec::new(),
            data,
        };
        match failed {
            true => Err(ModuleError::failed_with(self.msg, outcome)),
            false => Ok(outcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+0100"), Some(3600));
        assert_eq!(parse_utc_offset("-0530"), Some(-19_800));
        assert_eq!(parse_utc_offset("+0000"), Some(0));
        assert_eq!(parse_utc_offset("UTC"), None);
        let t = std::time::UNIX_EPOCH + Duration::from_secs(7200);
        let date_time = Value::from_pairs([("tz_offset", Value::from("-0100"))]);
        let facts = Value::from_pairs([("date_time", date_time)]);
        let vars = Value::from_pairs([("ansible_facts", facts)]);
        assert_eq!(
            shift_to_host_time(t, &vars),
            std::time::UNIX_EPOCH + Duration::from_secs(3600)
        );
        assert_eq!(shift_to_host_time(t, &Value::from(())), t);
    }
}
