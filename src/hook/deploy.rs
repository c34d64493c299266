//! One deploy from the bare repository: lock, checkout, `playhook deploy` as a child with its
//! output teed, then the record (note) and the pending handlers.
//!
//! The push hook and `playhook rollback` both deploy through [`run`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::Repository;

use super::config::Rule;
use super::layout::Layout;
use super::notes::{self, Record};
use super::pending::{self, Pending};
use super::push_options::PushOptions;
use super::run::Pusher;
use super::stream::{self, Sink};
use super::{HookError, checkout, lock, retention, running, time};
use crate::output::Counts;

/// What every deploy of one bare repository shares.
#[derive(Clone, Debug)]
pub struct Context {
    pub layout: Layout,
    /// The `playhook` binary that runs `deploy`.
    pub exe: PathBuf,
    /// `SECRETS_KEY` is set for the child: do not look for `secret.key`.
    pub key_in_environment: bool,
    /// Environment variables the child must not inherit (git's `GIT_*` hook variables).
    pub remove_env: Vec<OsString>,
    /// A keepalive line goes to the pusher after this much silence.
    pub keepalive: Duration,
    /// Logs of the last this many deploys per environment are kept (0: all).
    pub keep_logs: usize,
}

/// Why a deploy runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Push,
    Rollback,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Push => "push",
            Kind::Rollback => "rollback",
        }
    }
}

/// One commit to deploy.
#[derive(Clone, Debug)]
pub struct Job {
    pub commit: String,
    pub refname: String,
    pub rule: Rule,
    pub options: PushOptions,
    pub kind: Kind,
    pub pusher: Option<Pusher>,
    /// The queue ticket of a push (see [`lock::enqueue`]); `None` never steps aside.
    pub ticket: Option<u64>,
}

impl Job {
    /// Tags to run: the push's, else the rule's. Empty: everything.
    pub fn tags(&self) -> Vec<String> {
        self.options
            .tags
            .clone()
            .unwrap_or_else(|| self.rule.tags.clone())
    }

    /// The host pattern: the rule's, narrowed by the push's (`RULE:&PUSH`).
    pub fn limit(&self) -> Result<Option<String>, HookError> {
        match (&self.rule.limit, &self.options.limit) {
            (None, l) | (l, None) => Ok(l.clone()),
            (Some(rule), Some(push)) if push.contains([',', ':']) => Err(HookError::Invalid(format!(
                "push option `limit={push}`: the rule for `{}` already limits to `{rule}`; give one host or group",
                self.rule.pattern
            ))),
            (Some(rule), Some(push)) => Ok(Some(format!("{rule}:&{push}"))),
        }
    }

    pub fn check(&self) -> bool {
        self.options.check || self.rule.check
    }
}

/// How a deploy ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// It ran (or failed to start); the record was written.
    Deployed(Box<Record>),
    /// A newer push to the same ref was queued; this one stepped aside.
    Superseded { by: String },
}

/// Runs `job`: waits for the environment's lock (telling the pusher whom it waits for),
/// deploys, records. Errors are for what prevents recording; a deploy that fails is an
/// [`Outcome::Deployed`] whose record says so.
pub fn run(ctx: &Context, repo: &Repository, job: &Job, sink: &Sink) -> Result<Outcome, HookError> {
    let env = &job.rule.environment;
    let short = &job.commit[..job.commit.len().min(10)];
    let who = job.pusher.as_ref().map_or("someone", |p| p.name.as_str());
    let holder = format!(
        "{who} deploying {short} ({}) since {}, pid {}",
        job.refname,
        time::rfc3339(time::now_unix()),
        std::process::id()
    );
    let lock_path = lock::environment_lock(&ctx.layout.locks(), env);
    let held = lock::acquire(&lock_path, &holder, ctx.keepalive, &mut |other, waited| {
        sink.line(&format!(
            "playhook: waiting for the `{env}` deploy lock ({}s): {other}",
            waited.as_secs()
        ));
    })?;
    // Holding the lock: a marker left now belongs to a deploy whose hook was killed.
    match running::recover(&ctx.layout, repo, env) {
        Ok(Some(killed)) => sink.line(&format!(
            "playhook: the deploy of {} ({}) to `{env}` started {} did not end (its hook was killed); \
             recorded as interrupted",
            &killed.commit[..killed.commit.len().min(10)],
            killed.refname,
            killed.when
        )),
        Ok(None) => {}
        Err(e) => sink.line(&format!("playhook: warning: {}", crate::error_chain::render(&e))),
    }
    if let Some(ticket) = job.ticket {
        if let Some(newer) = lock::superseded_by(&ctx.layout.locks(), env, &job.refname, ticket)? {
            let newer_short = &newer[..newer.len().min(10)];
            sink.line(&format!(
                "playhook: not deploying {short}: a newer push to {} ({newer_short}) is queued and deploys instead",
                job.refname,
            ));
            let now = time::now_unix_ms();
            let mut record = base_record(job, now, None);
            record.result = "superseded".into();
            record.error = Some(format!(
                "a newer push to {} ({newer_short}) was queued and deployed instead",
                job.refname
            ));
            notes::append(&ctx.layout, repo, &record)?;
            return Ok(Outcome::Superseded { by: newer });
        }
    }

    let start_ms = time::now_unix_ms();
    let started = Instant::now();
    let logs = ctx.layout.logs();
    std::fs::create_dir_all(&logs).map_err(|e| HookError::io("creating", &logs, e))?;
    let stem = format!("{}-{env}-{short}", time::compact(start_ms.div_euclid(1000)));
    let log_path = logs.join(format!("{stem}.log"));
    let events_path = logs.join(format!("{stem}.events.jsonl"));
    let mut log = std::fs::File::create(&log_path).map_err(|e| HookError::io("creating", &log_path, e))?;

    let tags = job.tags();
    let check = job.check();
    let header = format!(
        "playhook: {} {short} ({}) to `{env}`, tags {}, {}{}",
        if job.kind == Kind::Rollback {
            "rolling back to"
        } else {
            "deploying"
        },
        job.refname,
        if tags.is_empty() {
            "all".to_string()
        } else {
            tags.join(",")
        },
        if check { "check mode" } else { "for real" },
        job.pusher
            .as_ref()
            .map(|p| format!(", pushed by {}", p.name))
            .unwrap_or_default(),
    );
    sink.line(&header);
    let _ = std::io::Write::write_all(&mut log, format!("{header}\n").as_bytes());

    let mut unfinished = base_record(job, start_ms, Some(notes::relative_log(&ctx.layout, &log_path)));
    unfinished.result = "interrupted".into();
    unfinished.error = Some(running::KILLED.into());
    running::mark(&ctx.layout, &unfinished, &events_path, &log_path)?;

    let pending_path = ctx.layout.pending(env);
    let before = pending::load(&pending_path)?;
    let ran = deploy_child(ctx, repo, job, &events_path, &before, sink, &mut log, &held);
    let (finished, error) = match ran {
        Ok(f) => (Some(f), None),
        Err(e) => {
            let msg = crate::error_chain::render(&e);
            sink.line(&format!("playhook: error: {msg}"));
            let _ = std::io::Write::write_all(&mut log, format!("playhook: error: {msg}\n").as_bytes());
            (None, Some(msg))
        }
    };
    let events = read_events(&events_path);
    if let Some(f) = &finished {
        if !check && f.code.is_some() {
            pending::store(
                &pending_path,
                &pending::after_run(&before, &events.recap, &events.pending),
            )?;
        }
    }
    let result = match finished {
        None => "error",
        Some(f) if f.terminated => "interrupted",
        Some(f) => match f.code {
            Some(0) => "ok",
            Some(2) => "failed",
            Some(3) => "unreachable",
            Some(99) | None => "interrupted",
            Some(_) => "error",
        },
    };
    let duration = started.elapsed().as_secs_f64();
    let record = Record {
        result: result.to_string(),
        exit_code: finished.and_then(|f| f.code),
        duration_secs: (duration * 1000.0).round() / 1000.0,
        hosts: events.recap,
        error,
        ..unfinished
    };
    notes::append(&ctx.layout, repo, &record)?;
    running::clear(&ctx.layout, env)?;
    let summary = format!(
        "playhook: {short} to `{env}`: {result} in {:.1}s; log {}; recorded in refs/notes/playhook",
        duration,
        record.log.as_deref().unwrap_or_default()
    );
    sink.line(&summary);
    let _ = std::io::Write::write_all(&mut log, format!("{summary}\n").as_bytes());
    if let Err(e) = retention::prune(&logs, env, ctx.keep_logs) {
        sink.line(&format!("playhook: warning: {}", crate::error_chain::render(&e)));
    }
    Ok(Outcome::Deployed(Box::new(record)))
}

/// The record of `job` started at `start_ms`, before its outcome is known: no counts, result
/// `error`, duration 0.
fn base_record(job: &Job, start_ms: i64, log: Option<String>) -> Record {
    Record {
        when: time::rfc3339_ms(start_ms),
        unix_ms: start_ms,
        commit: job.commit.clone(),
        refname: job.refname.clone(),
        environment: job.rule.environment.clone(),
        kind: job.kind.as_str().to_string(),
        mode: if job.check() { "check" } else { "real" }.to_string(),
        tags: job.tags(),
        limit: job.limit().ok().flatten(),
        pusher: job.pusher.as_ref().map(|p| p.name.clone()),
        pusher_source: job.pusher.as_ref().map(|p| p.source.clone()),
        result: "error".into(),
        exit_code: None,
        duration_secs: 0.0,
        hosts: BTreeMap::new(),
        log,
        error: None,
    }
}

/// Checks out, then runs and streams `playhook deploy` (which holds `lock` as long as it runs,
/// even past this process); the checkout is removed on return.
#[allow(clippy::too_many_arguments)]
fn deploy_child(
    ctx: &Context,
    repo: &Repository,
    job: &Job,
    events: &Path,
    pending: &Pending,
    sink: &Sink,
    log: &mut std::fs::File,
    lock: &lock::Lock,
) -> Result<stream::Finished, HookError> {
    let key_file = key_file(&ctx.layout, ctx.key_in_environment)?;
    let limit = job.limit()?;
    let co = checkout::checkout(repo, &job.commit)?;
    let pending_file = if pending.is_empty() {
        None
    } else {
        let path = co.path().with_extension("pending.json");
        let text = serde_json::to_string(pending).expect("pending handlers serialize");
        std::fs::write(&path, text).map_err(|e| HookError::io("writing", &path, e))?;
        Some(TempFile(path))
    };
    let args = DeployArgs {
        checkout: co.path(),
        tags: &job.tags(),
        limit: limit.as_deref(),
        rule: &job.rule,
        check: job.check(),
        diff: job.options.diff,
        color: !job.options.no_color,
        events,
        key_file: key_file.as_deref(),
        pending: pending_file.as_ref().map(|f| f.0.as_path()),
    };
    let mut cmd = std::process::Command::new(&ctx.exe);
    cmd.args(args.to_args()).current_dir(co.path());
    for name in &ctx.remove_env {
        cmd.env_remove(name);
    }
    stream::run(cmd, sink, log, ctx.keepalive, Some(lock))
}

/// A file removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The `playhook deploy` command line for one job.
#[derive(Debug)]
pub struct DeployArgs<'a> {
    pub checkout: &'a Path,
    pub tags: &'a [String],
    pub limit: Option<&'a str>,
    pub rule: &'a Rule,
    pub check: bool,
    pub diff: bool,
    pub color: bool,
    pub events: &'a Path,
    pub key_file: Option<&'a Path>,
    pub pending: Option<&'a Path>,
}

impl DeployArgs<'_> {
    pub fn to_args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = vec!["deploy".into(), "-C".into(), self.checkout.into()];
        a.extend([
            "--color".into(),
            if self.color { "always" } else { "never" }.into(),
        ]);
        a.extend(["--events".into(), self.events.into()]);
        if let Some(l) = self.limit {
            a.extend(["-l".into(), l.into()]);
        }
        for inv in &self.rule.inventory {
            a.extend(["-i".into(), inv.into()]);
        }
        if let Some(p) = &self.rule.playbook {
            a.extend(["--playbook".into(), p.into()]);
        }
        if self.check {
            a.push("--check".into());
        }
        if self.diff {
            a.push("--diff".into());
        }
        if let Some(k) = self.key_file {
            a.extend(["--key-file".into(), k.into()]);
        }
        if let Some(p) = self.pending {
            a.extend(["--pending-handlers".into(), p.into()]);
        }
        if !self.tags.is_empty() {
            a.push("--".into());
            a.extend(self.tags.iter().map(OsString::from));
        }
        a
    }
}

/// `secret.key` in the bare repository, unless the key comes from the environment. It must be
/// readable by its owner only.
pub fn key_file(layout: &Layout, key_in_environment: bool) -> Result<Option<PathBuf>, HookError> {
    if key_in_environment {
        return Ok(None);
    }
    let path = layout.secret_key();
    match std::fs::metadata(&path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(HookError::KeyMode { path, mode });
            }
            Ok(Some(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HookError::io("reading", path, e)),
    }
}

/// What the deploy's event file tells the hook.
#[derive(Debug, Default)]
pub struct EventSummary {
    pub recap: BTreeMap<String, Counts>,
    pub pending: Pending,
}

/// Reads the recap and the `handlers_pending` events of a deploy's `--events` file. Lines that
/// are not JSON objects (a cut-off last line) are skipped.
pub fn read_events(path: &Path) -> EventSummary {
    let mut out = EventSummary::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match v.get("event").and_then(|e| e.as_str()) {
            Some("recap") => {
                if let Some(hosts) = v.get("hosts").and_then(|h| h.as_object()) {
                    for (host, counts) in hosts {
                        if let Ok(c) = serde_json::from_value::<Counts>(counts.clone()) {
                            out.recap.insert(host.clone(), c);
                        }
                    }
                }
            }
            Some("handlers_pending") => {
                let host = v.get("host").and_then(|h| h.as_str());
                let handlers = v.get("handlers").and_then(|h| h.as_array());
                if let (Some(host), Some(handlers)) = (host, handlers) {
                    out.pending
                        .entry(host.to_string())
                        .or_default()
                        .extend(handlers.iter().filter_map(|h| h.as_str().map(str::to_string)));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(rule_limit: Option<&str>, push_limit: Option<&str>) -> Job {
        let mut rule = Rule::everything("main");
        rule.limit = rule_limit.map(str::to_string);
        Job {
            commit: "a".repeat(40),
            refname: "refs/heads/main".into(),
            rule,
            options: PushOptions {
                limit: push_limit.map(str::to_string),
                ..Default::default()
            },
            kind: Kind::Push,
            pusher: None,
            ticket: None,
        }
    }

    #[test]
    fn push_limit_narrows_the_rule_limit() {
        assert_eq!(job(None, None).limit().expect("ok"), None);
        assert_eq!(
            job(Some("staging"), None).limit().expect("ok").as_deref(),
            Some("staging")
        );
        assert_eq!(
            job(None, Some("web1")).limit().expect("ok").as_deref(),
            Some("web1")
        );
        assert_eq!(
            job(Some("staging"), Some("web1")).limit().expect("ok").as_deref(),
            Some("staging:&web1")
        );
        assert!(job(Some("staging"), Some("a,b")).limit().is_err());
    }

    #[test]
    fn deploy_command_line() {
        let mut rule = Rule::everything("main");
        rule.inventory = vec!["inv/prod".into()];
        rule.playbook = Some("site.yaml".into());
        let tags = vec!["dns".to_string(), "web".to_string()];
        let args = DeployArgs {
            checkout: Path::new("/tmp/co"),
            tags: &tags,
            limit: Some("web1"),
            rule: &rule,
            check: true,
            diff: false,
            color: false,
            events: Path::new("/b/ev.jsonl"),
            key_file: Some(Path::new("/b/secret.key")),
            pending: None,
        };
        let line: Vec<String> = args
            .to_args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            line.join(" "),
            "deploy -C /tmp/co --color never --events /b/ev.jsonl -l web1 -i inv/prod --playbook site.yaml \
             --check --key-file /b/secret.key -- dns web"
        );
    }

    #[test]
    fn key_file_must_be_private() {
        let tmp = tempfile::tempdir().expect("tmp");
        let layout = Layout::new(tmp.path());
        assert_eq!(key_file(&layout, false).expect("none"), None);
        std::fs::write(layout.secret_key(), "k").expect("write");
        std::fs::set_permissions(layout.secret_key(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = key_file(&layout, false).expect_err("too open");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert_eq!(key_file(&layout, true).expect("env wins"), None);
        std::fs::set_permissions(layout.secret_key(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(key_file(&layout, false).expect("ok"), Some(layout.secret_key()));
    }

    #[test]
    fn events_give_recap_and_pending_handlers() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("e.jsonl");
        std::fs::write(
            &path,
            "{\"event\":\"play_start\",\"name\":\"x\",\"hosts\":[\"web1\"]}\n\
             {\"event\":\"handlers_pending\",\"host\":\"web1\",\"handlers\":[\"restart nginx\"]}\n\
             {\"event\":\"recap\",\"hosts\":{\"web1\":{\"ok\":2,\"changed\":1,\"unreachable\":0,\"failed\":1,\"skipped\":0,\"rescued\":0,\"ignored\":0}}}\n\
             {\"event\":\"rec",
        )
        .expect("write");
        let s = read_events(&path);
        assert_eq!(s.recap["web1"].failed, 1);
        assert_eq!(s.recap["web1"].changed, 1);
        assert!(s.pending["web1"].contains("restart nginx"));
    }
}
