//! One pass: fetch first, always; compare; apply, refuse, or look for drift; record.
//!
//! Every pass fetches before it reads anything of the repository (the inventory included), so
//! a host dropped from the inventory and put back, or frozen and unfrozen, catches up on its
//! next pass. The state on disk ([`State`]) is read at the start and written at the end; a
//! crash in between leaves the previous state, and the next pass does the work again.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::apply::{self, Applied};
use super::canary::{self, FollowError};
use super::compare::{self, Comparison};
use super::config::{Config, DriftAction};
use super::git::Mirror;
use super::report::{PassReport, PassResult};
use super::state::State;
use crate::hook::stream::Sink;
use crate::hook::{checkout, pending, retention, time};

/// Who and where this agent is: what the CLI found out about the machine.
#[derive(Clone, Debug)]
pub struct Agent {
    pub config: Config,
    /// Where the configuration was read from (the reboot settings are read from it).
    pub config_path: PathBuf,
    /// The `playhook` binary (run as the child that applies).
    pub exe: PathBuf,
    /// This machine's name (the hostname, or `host` from the configuration).
    pub host: String,
    /// Inventory names this machine answers to: `host` and the aliases.
    pub names: Vec<String>,
    /// The secrets key file to pass on (from the configuration or a systemd credential).
    pub key_file: Option<PathBuf>,
    /// What started the pass (`timer`, `manual`, ...), for the lock's holder line.
    pub trigger: String,
}

/// What a pass is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The normal pass.
    Pass,
    /// Apply this revision and freeze there.
    Rollback(String),
}

/// A pass's outcome: the report and where its log is.
#[derive(Debug)]
pub struct Outcome {
    pub report: PassReport,
    pub log: Option<PathBuf>,
    /// Why the history note did not reach origin, when it did not.
    pub history_warning: Option<String>,
}

/// The pass's log: lines to the sink and to the log file once it is open.
struct Log<'a> {
    sink: &'a Sink,
    /// The repository's secrets, once opened: every line is masked with it.
    masker: crate::secrets::Masker,
    early: Vec<String>,
    file: Option<(PathBuf, std::fs::File)>,
}

impl Log<'_> {
    fn line(&mut self, text: &str) {
        let text = &*self.masker.mask(text);
        self.sink.line(text);
        match &mut self.file {
            Some((_, f)) => {
                let _ = writeln!(f, "{text}");
            }
            None => self.early.push(text.to_string()),
        }
    }

    /// Opens `<logs>/<time>-agent-<commit>.log` and writes the lines so far into it.
    fn open(&mut self, logs: &Path, start_ms: i64, commit: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(logs)?;
        let short = &commit[..commit.len().min(10)];
        let path = logs.join(format!(
            "{}-agent-{short}.log",
            time::compact(start_ms.div_euclid(1000))
        ));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        for l in self.early.drain(..) {
            writeln!(f, "{l}")?;
        }
        self.file = Some((path, f));
        Ok(())
    }
}

impl Agent {
    pub fn state_dir(&self) -> PathBuf {
        self.config.state_dir()
    }

    /// Runs one pass. Errors are for what prevents keeping the state; everything else (a
    /// failed fetch, a refused comparison, a failed apply) is in the report.
    pub fn pass(&self, request: &Request, sink: &Sink) -> Result<Outcome, super::AgentError> {
        let state_dir = self.state_dir();
        std::fs::create_dir_all(&state_dir)
            .map_err(|e| crate::hook::HookError::io("creating", &state_dir, e))?;
        let mut state = State::load(&state_dir)?;
        state.passes += 1;
        let started = Instant::now();
        let start_ms = time::now_unix_ms();
        let configured = self.config.followed_branch().to_string();
        let mut log = Log {
            sink,
            masker: crate::secrets::Masker::new(std::iter::empty::<&str>()),
            early: Vec::new(),
            file: None,
        };
        let mut report = PassReport {
            host: self.host.clone(),
            branch: configured.clone(),
            fetched: None,
            previous: state.applied.clone(),
            applied: state.applied.clone(),
            comparison: None,
            result: PassResult::Unchanged,
            mode: "real".into(),
            started_unix_ms: start_ms,
            duration_secs: 0.0,
            counts: Default::default(),
            drift: Vec::new(),
            frozen: state.frozen,
            error: None,
            log: String::new(),
        };
        log.line(&format!(
            "playhook agent: pass {} on {} ({}), branch {configured} of {}",
            state.passes,
            self.host,
            state.mode(),
            super::git::redact_url(&self.config.repo)
        ));

        let mirror = Mirror::new(&state_dir);
        let (branch, fetched) = match canary::fetch_followed(&self.config, &self.names, &mirror) {
            Ok(followed) => {
                if let Some(why) = &followed.why {
                    log.line(&format!("playhook agent: {why}"));
                }
                (followed.branch, followed.head)
            }
            Err(e) => {
                let msg = match e {
                    FollowError::Fetch(e) => {
                        state.fetch_errors_total += 1;
                        format!("fetch failed, nothing applied: {e}")
                    }
                    FollowError::Choice(e) => format!("{e}; nothing applied"),
                };
                log.line(&format!("playhook agent: {msg}"));
                let _ = log.open(&state_dir.join("logs"), start_ms, "nofetch");
                report.result = PassResult::Error;
                report.error = Some(msg);
                return self.finish(state, report, log, started, &mirror, "pull");
            }
        };
        report.branch = branch.clone();
        state.fetched = Some(fetched.clone());
        report.fetched = Some(fetched.clone());
        if let Err(e) = log.open(&state_dir.join("logs"), start_ms, &fetched) {
            log.line(&format!(
                "playhook agent: warning: cannot write the pass log: {e}"
            ));
        }

        let kind;
        match request {
            Request::Rollback(rev) => {
                kind = "rollback";
                let target = match mirror.resolve(rev) {
                    Ok(c) => c,
                    Err(e) => {
                        let msg = format!(
                            "rollback: `{rev}` is not a commit of {}: {e}; `playhook agent status` and `playhook history` name the deployed commits",
                            super::git::redact_url(&self.config.repo)
                        );
                        log.line(&format!("playhook agent: {msg}"));
                        report.result = PassResult::Error;
                        report.error = Some(msg);
                        return self.finish(state, report, log, started, &mirror, kind);
                    }
                };
                log.line(&format!(
                    "playhook agent: rolling back to {} ({}) and freezing there",
                    short(&target),
                    mirror.subject(&target)
                ));
                state.frozen = true;
                state.pin = Some(target.clone());
                report.frozen = true;
                self.apply_commit(&mut state, &mut report, &mut log, &mirror, &target, false)?;
            }
            Request::Pass if state.frozen => {
                kind = "pull";
                let at = state.pin.clone().or(state.applied.clone());
                let behind = at
                    .as_deref()
                    .and_then(|a| mirror.count_between(a, &fetched).ok())
                    .unwrap_or(0);
                log.line(&format!(
                    "playhook agent: {}: {} is {behind} commit(s) behind {branch} ({}); nothing applied (`playhook agent unfreeze` to follow the branch again)",
                    state.mode(),
                    at.as_deref().map(short).unwrap_or("nothing"),
                    short(&fetched)
                ));
                self.maybe_drift(&mut state, &mut report, &mut log, &mirror)?;
            }
            Request::Pass => {
                kind = "pull";
                let applied = state.applied.clone();
                let same_branch = state.applied_branch.as_deref() == Some(branch.as_str());
                let c = compare::compare(applied.as_deref(), &fetched, same_branch, |a, b| {
                    if !mirror.has_commit(a) || !mirror.has_commit(b) {
                        return None;
                    }
                    mirror.is_ancestor(a, b).ok()
                });
                report.comparison = Some(c);
                log.line(&format!(
                    "playhook agent: {} -> {}: {}",
                    applied.as_deref().map(short).unwrap_or("nothing"),
                    short(&fetched),
                    compare::describe(c)
                ));
                if compare::applies(c, self.config.allow_rewind) {
                    if c != Comparison::First && c != Comparison::FastForward {
                        log.line("playhook agent: applying anyway: allow_rewind is set");
                    }
                    self.apply_commit(&mut state, &mut report, &mut log, &mirror, &fetched, false)?;
                } else if c == Comparison::UpToDate {
                    self.maybe_drift(&mut state, &mut report, &mut log, &mirror)?;
                } else {
                    let msg = format!(
                        "refused: {}; nothing applied. Push a commit that descends from {}, `playhook agent rollback REV`, or set `allow_rewind: true` in the agent configuration",
                        compare::describe(c),
                        applied.as_deref().map(short).unwrap_or("?")
                    );
                    log.line(&format!("playhook agent: {msg}"));
                    report.result = PassResult::Refused;
                    report.error = Some(msg);
                }
            }
        }
        self.finish(state, report, log, started, &mirror, kind)
    }

    /// A check-mode pass on the applied commit when the schedule says so; corrects the drift
    /// found when the configuration asks.
    fn maybe_drift(
        &self,
        state: &mut State,
        report: &mut PassReport,
        log: &mut Log<'_>,
        mirror: &Mirror,
    ) -> Result<(), super::AgentError> {
        let (Some(drift), Some(applied)) = (&self.config.drift, state.applied.clone()) else {
            return Ok(());
        };
        if state.passes % u64::from(drift.every) != 0 {
            return Ok(());
        }
        log.line(&format!(
            "playhook agent: drift check of {} (check mode)",
            short(&applied)
        ));
        self.apply_commit(state, report, log, mirror, &applied, true)?;
        state.drift_unix_ms = Some(time::now_unix_ms());
        state.drift = report.drift.clone();
        if report.drift.is_empty() {
            log.line("playhook agent: no drift");
            return Ok(());
        }
        log.line(&format!(
            "playhook agent: drift: {} task(s) would change: {}",
            report.drift.len(),
            report.drift.join("; ")
        ));
        if drift.action == DriftAction::Correct && report.result != PassResult::Error {
            log.line("playhook agent: correcting the drift (drift.action: correct)");
            let found = std::mem::take(&mut report.drift);
            self.apply_commit(state, report, log, mirror, &applied, false)?;
            report.drift = found;
            state.drift.clear();
        }
        Ok(())
    }

    /// Checks `commit` out and runs the playbook on it (in check mode for a drift pass), with
    /// the pre/post commands around a real run.
    fn apply_commit(
        &self,
        state: &mut State,
        report: &mut PassReport,
        log: &mut Log<'_>,
        mirror: &Mirror,
        commit: &str,
        check: bool,
    ) -> Result<(), super::AgentError> {
        report.mode = if check { "check" } else { "real" }.into();
        let fail = |report: &mut PassReport, log: &mut Log<'_>, msg: String| {
            log.line(&format!("playhook agent: {msg}"));
            report.result = PassResult::Error;
            report.error = Some(msg);
        };
        let repo = checkout::open(&mirror.git_dir, &[])?;
        let co = match checkout::checkout(&repo, commit) {
            Ok(c) => c,
            Err(e) => {
                fail(report, log, format!("cannot check {} out: {e}", short(commit)));
                return Ok(());
            }
        };
        if let Some(key) = &self.key_file {
            // For the webhook and these lines; the run masks its own output.
            let source = crate::secrets::KeySource::KeyFile(key.clone());
            if let Ok(Some(secrets)) = crate::secrets::Secrets::open(co.path(), &source) {
                log.masker = secrets.masker();
            }
        }
        let hosts = match super::hosts::matching(co.path(), &self.names) {
            Ok(h) => h,
            Err(e) => {
                fail(
                    report,
                    log,
                    format!("cannot read the inventory of {}: {e}", short(commit)),
                );
                return Ok(());
            }
        };
        if hosts.is_empty() {
            let msg = format!(
                "no inventory host of {} is this machine (names tried: {}); nothing applied. Add `host:` or `aliases:` to the agent configuration, or the host to the inventory",
                short(commit),
                self.names.join(", ")
            );
            fail(report, log, msg);
            return Ok(());
        }
        if !check {
            if let Some(cmd) = &self.config.pre_apply {
                if let Err(e) = hook_command("pre_apply", cmd, commit, None, log) {
                    fail(report, log, format!("{e}; nothing applied"));
                    return Ok(());
                }
            }
        }
        let state_dir = self.state_dir();
        let pending_path = state_dir.join("pending.json");
        let before = pending::load(&pending_path)?;
        let pending_file = state_dir.join("pending-now.json");
        let pending_arg = if before.is_empty() || check {
            None
        } else {
            let text = serde_json::to_string(&before).expect("pending handlers serialize");
            std::fs::write(&pending_file, text)
                .map_err(|e| crate::hook::HookError::io("writing", &pending_file, e))?;
            Some(pending_file.as_path())
        };
        let events = match &log.file {
            Some((p, _)) => p.with_extension(if check {
                "check.events.jsonl"
            } else {
                "events.jsonl"
            }),
            None => state_dir.join("last.events.jsonl"),
        };
        let _ = std::fs::remove_file(&events);
        let holder = format!(
            "playhook agent ({}) on {} {} {}",
            self.trigger,
            self.host,
            if check { "checking" } else { "applying" },
            short(commit)
        );
        let job = apply::Job {
            exe: &self.exe,
            checkout: co.path(),
            hosts: &hosts,
            tags: &self.config.tags,
            check,
            key_file: self.key_file.as_deref(),
            pending_file: pending_arg,
            events: &events,
            holder: &holder,
        };
        log.line(&format!(
            "playhook agent: {} {} to {} (tags {})",
            if check { "checking" } else { "applying" },
            short(commit),
            hosts.join(", "),
            if self.config.tags.is_empty() {
                "all".to_string()
            } else {
                self.config.tags.join(",")
            }
        ));
        let ran = match &mut log.file {
            Some((_, f)) => job.run(log.sink, f),
            None => {
                let mut devnull = std::fs::File::create("/dev/null")
                    .map_err(|e| crate::hook::HookError::io("opening", "/dev/null", e))?;
                job.run(log.sink, &mut devnull)
            }
        };
        let _ = std::fs::remove_file(&pending_file);
        let applied: Applied = match ran {
            Ok(a) => a,
            Err(e) => {
                fail(report, log, format!("cannot run the playbook: {e}"));
                return Ok(());
            }
        };
        report.counts = applied.counts.clone();
        if check {
            report.drift = applied.changed_tasks;
            if applied.result != PassResult::Ok {
                report.result = applied.result;
                report.error = Some(format!(
                    "the drift check ended with exit code {:?}",
                    applied.exit_code
                ));
            }
            return Ok(());
        }
        pending::store(
            &pending_path,
            &pending::after_run(&before, &applied.counts, &applied.pending),
        )?;
        report.result = applied.result;
        if applied.result == PassResult::Ok {
            state.applied = Some(commit.to_string());
            state.applied_unix_ms = Some(time::now_unix_ms());
            state.applied_branch = Some(report.branch.clone());
            state.last_success_unix_ms = state.applied_unix_ms;
            report.applied = Some(commit.to_string());
            if let Err(e) = mirror.keep_applied(commit) {
                log.line(&format!("playhook agent: warning: {e}"));
            }
        } else {
            report.error = Some(format!(
                "the playbook failed on {} (exit code {:?}); the applied commit stays {}",
                hosts.join(", "),
                applied.exit_code,
                state.applied.as_deref().map(short).unwrap_or("none")
            ));
        }
        if let Some(cmd) = &self.config.post_apply {
            let result = serde_json::to_value(report.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            if let Err(e) = hook_command("post_apply", cmd, commit, Some(&result), log) {
                log.line(&format!("playhook agent: warning: {e}"));
            }
        }
        Ok(())
    }

    /// Saves the state, records the pass in git, prunes old logs.
    fn finish(
        &self,
        mut state: State,
        mut report: PassReport,
        mut log: Log<'_>,
        started: Instant,
        mirror: &Mirror,
        kind: &str,
    ) -> Result<Outcome, super::AgentError> {
        report.duration_secs = started.elapsed().as_secs_f64();
        let mut history_warning = None;
        let hosts: Vec<String> = report.counts.keys().cloned().collect();
        if let Some(record) = super::history::record(&report, kind, &self.config.tags, &hosts) {
            match super::history::publish(mirror, &record) {
                Ok(()) => log.line("playhook agent: recorded in refs/notes/playhook on origin"),
                Err(e) => {
                    let msg = format!("the deploy record was not pushed to origin: {e}");
                    log.line(&format!("playhook agent: warning: {msg}"));
                    history_warning = Some(msg);
                }
            }
        }
        // Reboots the applied commit asks for (agent::reboot); a reboot waits for this pass's end.
        let reboots = super::reboot::in_pass::step(
            &self.config,
            &mirror.git_dir,
            state.applied.as_deref(),
            &self.names,
        );
        match reboots {
            Ok(lines) => lines
                .iter()
                .for_each(|l| log.line(&format!("playhook agent: {l}"))),
            Err(e) => log.line(&format!("playhook agent: reboots: {e}")),
        }
        log.line(&format!(
            "playhook agent: pass done: {} in {:.1}s",
            serde_json::to_value(report.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            report.duration_secs
        ));
        let log_path = log.file.as_ref().map(|(p, _)| p.clone());
        report.log = log_path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_else(|| log.early.join("\n"));
        report.frozen = state.frozen;
        let mut kept = report.clone();
        kept.log.clear();
        state.last = Some(kept);
        state.last_log = log_path.clone();
        state.save(&self.state_dir())?;
        // The configuration's sections were checked when it was read.
        if let Ok(reporters) =
            super::reporters::Reporters::parse(self.config.webhook.as_ref(), self.config.metrics.as_ref())
        {
            for warning in reporters.after_pass(&self.state_dir(), &report, &log.masker) {
                log.line(&format!("playhook agent: warning: {warning}"));
            }
        }
        let logs = self.state_dir().join("logs");
        if logs.is_dir() {
            if let Err(e) = retention::prune(&logs, "agent", self.config.keep_logs) {
                log.line(&format!("playhook agent: warning: {e}"));
            }
        }
        Ok(Outcome {
            report,
            log: log_path,
            history_warning,
        })
    }
}

/// Runs a `pre_apply` / `post_apply` command with `sh -c`, its output into the log.
fn hook_command(
    what: &str,
    cmd: &str,
    commit: &str,
    result: Option<&str>,
    log: &mut Log<'_>,
) -> Result<(), String> {
    log.line(&format!("playhook agent: {what}: {cmd}"));
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .env("PLAYHOOK_COMMIT", commit)
        .stdin(std::process::Stdio::null());
    if let Some(r) = result {
        c.env("PLAYHOOK_RESULT", r);
    }
    let out = c.output().map_err(|e| format!("{what}: cannot run `sh`: {e}"))?;
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
    {
        log.line(&format!("{what}: {line}"));
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} `{cmd}` failed ({})", out.status))
    }
}

/// The first ten characters of a commit id.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}
