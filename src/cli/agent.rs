//! `playhook agent`: pull mode on a server — install, run a pass, status, freeze, rollback.
//!
//! Exit codes of `agent run` and `agent rollback`: 0 applied or nothing to do (up to date,
//! frozen, or a pass already running that will run once more); 2 a task failed; 3 the host was
//! unreachable; 6 refused (local ahead, diverged or rewound without `allow_rewind`); 1 any
//! other error (fetch failed, no inventory host is this machine, bad configuration).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Exit;
use super::out::{errln, outln};
use crate::agent::config::{self, Config, DriftAction};
use crate::agent::pass::{Agent, Request, short};
use crate::agent::report::PassResult;
use crate::agent::state::State;
use crate::agent::{install, trigger};
use crate::hook::stream::Sink;

/// Pull mode: this server fetches the repository on a timer and applies it to itself.
///
/// `playhook agent install --repo URL` sets it up (config, systemd service and timer); each
/// pass fetches first, compares the applied commit with the branch head (up to date,
/// fast-forward, local ahead, diverged, rewound), applies the playbook to the inventory hosts
/// named like this machine over the local connection, and records the pass as a deploy note
/// pushed to origin. See README, "Pull mode".
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 done; 1 error; for run also 2 a task failed, 3 unreachable, 6 refused; 5 bad options."
)]
pub struct AgentArgs {
    /// The agent configuration file.
    #[arg(long, global = true, value_name = "FILE", default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,

    #[command(subcommand)]
    pub command: AgentCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    /// Write the configuration (0600), the systemd service and timer (and playhook-serve.service
    /// with a `serve:` section), and enable them; without systemd, print the cron line. Safe to
    /// run again: options given replace the configured ones, the rest is kept.
    Install(Box<InstallArgs>),
    /// Stop and remove the service, timer and serve units (the configuration and state stay
    /// unless --purge).
    Uninstall(UninstallArgs),
    /// One pass now: fetch, compare, apply or refuse, record. What the timer runs.
    ///
    /// Exit status: 0 applied or nothing to do (also when a pass was already running: it runs
    /// once more); 1 error (fetch failed, no inventory host is this machine, configuration);
    /// 2 a task failed; 3 the host was unreachable; 6 refused (local ahead, diverged or rewound
    /// without `allow_rewind`).
    Run(RunArgs),
    /// The agent's state: applied and fetched commits, last pass, frozen, drift.
    Status(StatusArgs),
    /// Keep fetching and reporting, apply nothing until `unfreeze`.
    Freeze,
    /// Follow the branch again (also ends a rollback).
    Unfreeze,
    /// Apply an earlier commit and freeze there (until `unfreeze`).
    Rollback(RollbackArgs),
    /// Serve `POST /trigger` (a signed webhook starts a pass now) and `GET /metrics`.
    Serve(super::agent_serve::ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The repository URL, as `git fetch` takes it (ssh://, https://, git://, a path).
    #[arg(long, value_name = "URL")]
    pub repo: Option<String>,
    /// The branch to follow.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Time between passes (30s, 5min, 1h).
    #[arg(long, value_name = "SPAN")]
    pub interval: Option<String>,
    /// Random delay added to each pass, so a fleet does not pull at once.
    #[arg(long, value_name = "SPAN")]
    pub splay: Option<String>,
    /// Tags to run (comma-separated; default everything).
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Option<Vec<String>>,
    /// This machine's inventory name (default: its hostname).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// More inventory names this machine answers to (comma-separated).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub aliases: Option<Vec<String>>,
    /// The secrets key file (mode 0600).
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// The secrets key as a systemd credential of this name (from /etc/credstore/).
    #[arg(long, value_name = "NAME")]
    pub key_credential: Option<String>,
    /// Apply a branch even when it was force-pushed (rewound or diverged).
    #[arg(long)]
    pub allow_rewind: bool,
    /// Look for drift every Nth pass (check mode).
    #[arg(long, value_name = "N")]
    pub drift_every: Option<u32>,
    /// What to do about drift: report it, or correct it.
    #[arg(long, value_name = "ACTION", value_parser = ["report", "correct"])]
    pub drift_action: Option<String>,
    /// Follow this branch instead (a canary host); wins over the inventory variable
    /// `playhook_agent_branch`.
    #[arg(long, value_name = "BRANCH")]
    pub canary_branch: Option<String>,
    /// A shell command run before each apply; if it fails, nothing is applied.
    #[arg(long, value_name = "CMD")]
    pub pre_apply: Option<String>,
    /// A shell command run after each apply (PLAYHOOK_RESULT, PLAYHOOK_COMMIT set).
    #[arg(long, value_name = "CMD")]
    pub post_apply: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Also remove the configuration and the state (applied commit, logs, mirror).
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// What started this pass, shown to a deploy that waits for it (timer, cron, manual).
    #[arg(long, value_name = "WHAT", default_value = "manual")]
    pub trigger: String,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// One JSON object instead of lines for people.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The commit to apply: an id (short ids too), a tag, `origin/main~2`.
    #[arg(value_name = "REV")]
    pub rev: String,
}

pub fn run(args: AgentArgs) -> Result<Exit> {
    match args.command {
        AgentCommand::Install(a) => install_cmd(&args.config, *a),
        AgentCommand::Uninstall(a) => uninstall_cmd(&args.config, a),
        AgentCommand::Run(a) => run_cmd(&args.config, &a.trigger),
        AgentCommand::Status(a) => status_cmd(&args.config, a.json),
        AgentCommand::Freeze => set_frozen(&args.config, true),
        AgentCommand::Unfreeze => set_frozen(&args.config, false),
        AgentCommand::Rollback(a) => rollback_cmd(&args.config, &a.rev),
        AgentCommand::Serve(a) => super::agent_serve::run(&args.config, a),
    }
}

fn install_cmd(config_path: &Path, a: InstallArgs) -> Result<Exit> {
    let existing = if config_path.exists() {
        Some(Config::load(config_path)?)
    } else {
        None
    };
    let mut c = match (existing, &a.repo) {
        (Some(mut c), Some(repo)) => {
            c.repo = repo.clone();
            c
        }
        (Some(c), None) => c,
        (None, Some(repo)) => Config::new(repo),
        (None, None) => anyhow::bail!(
            "`{}` does not exist yet: give the repository with `--repo URL`",
            config_path.display()
        ),
    };
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = a.$field { c.$field = v; } )* };
    }
    set!(branch, interval, splay, tags, aliases);
    if a.host.is_some() {
        c.host = a.host;
    }
    if let Some(k) = a.key_file {
        c.secrets_key_file = Some(std::path::absolute(&k).unwrap_or(k));
        c.secrets_credential = None;
    }
    if let Some(k) = a.key_credential {
        c.secrets_credential = Some(k);
        c.secrets_key_file = None;
    }
    if a.allow_rewind {
        c.allow_rewind = true;
    }
    if a.canary_branch.is_some() {
        c.canary_branch = a.canary_branch;
    }
    if a.pre_apply.is_some() {
        c.pre_apply = a.pre_apply;
    }
    if a.post_apply.is_some() {
        c.post_apply = a.post_apply;
    }
    if a.drift_every.is_some() || a.drift_action.is_some() {
        let mut d = c.drift.clone().unwrap_or(config::Drift {
            every: 12,
            action: DriftAction::Report,
        });
        if let Some(n) = a.drift_every {
            d.every = n;
        }
        if let Some(action) = a.drift_action {
            d.action = if action == "correct" {
                DriftAction::Correct
            } else {
                DriftAction::Report
            };
        }
        c.drift = Some(d);
    }
    // Checked as a file read back would be.
    let text = serde_yaml_ng::to_string(&c).context("serializing the configuration")?;
    let c = Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", config_path.display()))?;
    let wrote = c.save(config_path)?;
    outln!(
        "{} {} (mode 0600)",
        if wrote { "wrote" } else { "unchanged" },
        config_path.display()
    );
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the playhook binary's own path")?;
    if install::systemd_running() {
        for line in install::install_units(&c, &exe, config_path, Path::new(install::UNIT_DIR))? {
            outln!("{line}");
        }
        outln!(
            "the first pass starts within seconds; then every {} (+ up to {} splay). `playhook agent status` shows it; `journalctl -u {}` has the output",
            c.interval,
            c.splay,
            install::SERVICE
        );
    } else {
        outln!("systemd is not running here; add this line to /etc/crontab (or a file in /etc/cron.d/):");
        outln!("{}", install::cron_line(&c, &exe, config_path));
        if let Some(name) = &c.secrets_credential {
            errln!(
                "warning: `secrets_credential: {name}` needs systemd (LoadCredential=); without it give the key with `--key-file PATH` (mode 0600)"
            );
        }
    }
    Ok(Exit::Success)
}

fn uninstall_cmd(config_path: &Path, a: UninstallArgs) -> Result<Exit> {
    let state_dir = Config::load(config_path).ok().map(|c| c.state_dir());
    for line in install::uninstall_units(Path::new(install::UNIT_DIR))? {
        outln!("{line}");
    }
    if a.purge {
        if let Some(dir) = state_dir.filter(|d| d.exists()) {
            std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove `{}`", dir.display()))?;
            outln!("removed {}", dir.display());
        }
        if config_path.exists() {
            std::fs::remove_file(config_path)
                .with_context(|| format!("cannot remove `{}`", config_path.display()))?;
            outln!("removed {}", config_path.display());
        }
    } else {
        outln!(
            "kept {} and the agent's state (`--purge` removes them)",
            config_path.display()
        );
    }
    Ok(Exit::Success)
}

/// The agent for this machine, from its configuration.
fn agent(config_path: &Path, trigger: &str) -> Result<Agent> {
    let config = Config::load(config_path)?;
    let host = match &config.host {
        Some(h) => h.clone(),
        None => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .context("cannot read this machine's hostname; set `host:` in the agent configuration")?,
    };
    let mut names = vec![host.clone()];
    names.extend(config.aliases.iter().cloned());
    let key_file = match (&config.secrets_key_file, &config.secrets_credential) {
        (Some(file), _) => {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(file).with_context(|| {
                format!(
                    "{}: `secrets_key_file: {}` cannot be read",
                    config_path.display(),
                    file.display()
                )
            })?;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                anyhow::bail!(
                    "the secrets key `{}` is readable by others (mode {mode:04o}): `chmod 600 {}`",
                    file.display(),
                    file.display()
                );
            }
            Some(file.clone())
        }
        (None, Some(name)) => {
            let dir = std::env::var_os("CREDENTIALS_DIRECTORY").with_context(|| {
                format!(
                    "`secrets_credential: {name}` needs systemd credentials (LoadCredential={name}); run the pass through the service: `systemctl start {}`",
                    install::SERVICE
                )
            })?;
            Some(Path::new(&dir).join(name))
        }
        (None, None) => None,
    };
    Ok(Agent {
        config,
        config_path: config_path.to_path_buf(),
        exe: std::env::current_exe().context("cannot find the playhook binary's own path")?,
        host,
        names,
        key_file,
        trigger: trigger.to_string(),
    })
}

fn exit_for(result: PassResult, failed_tasks: u32) -> Exit {
    match result {
        PassResult::Ok | PassResult::Unchanged => Exit::Success,
        PassResult::Failed if failed_tasks > 0 => Exit::HostFailed,
        PassResult::Failed => Exit::HostUnreachable,
        PassResult::Refused => Exit::Refused,
        PassResult::Error => Exit::Error,
    }
}

fn run_cmd(config_path: &Path, trigger_name: &str) -> Result<Exit> {
    let agent = agent(config_path, trigger_name)?;
    let sink = Sink::new(Box::new(std::io::stdout()));
    let state_dir = agent.state_dir();
    let ran = trigger::coalesced(&state_dir, || agent.pass(&Request::Pass, &sink));
    sink.finish();
    match ran? {
        trigger::Ran::Coalesced => {
            outln!("playhook agent: a pass is running; it will run once more for this request");
            Ok(Exit::Success)
        }
        trigger::Ran::Passes(passes) => {
            let mut exit = Exit::Success;
            for p in passes {
                let p = p?;
                exit = exit_for(p.report.result, p.report.failed());
            }
            Ok(exit)
        }
    }
}

fn set_frozen(config_path: &Path, frozen: bool) -> Result<Exit> {
    let c = Config::load(config_path)?;
    let dir = c.state_dir();
    let state = trigger::exclusive(
        &dir,
        || eprintln!("playhook agent: waiting for the running pass to finish"),
        || -> Result<State> {
            let mut s = State::load(&dir)?;
            s.frozen = frozen;
            if !frozen {
                s.pin = None;
            }
            s.save(&dir)?;
            Ok(s)
        },
    )??;
    if frozen {
        outln!(
            "frozen at {}: passes keep fetching and reporting, nothing is applied until `playhook agent unfreeze`",
            state
                .applied
                .as_deref()
                .map(short)
                .unwrap_or("nothing applied yet")
        );
    } else {
        outln!("unfrozen: the next pass follows {} again", c.followed_branch());
    }
    Ok(Exit::Success)
}

fn rollback_cmd(config_path: &Path, rev: &str) -> Result<Exit> {
    let agent = agent(config_path, "rollback")?;
    let sink = Sink::new(Box::new(std::io::stdout()));
    let dir = agent.state_dir();
    let outcome = trigger::exclusive(
        &dir,
        || sink.line("playhook agent: waiting for the running pass to finish"),
        || agent.pass(&Request::Rollback(rev.to_string()), &sink),
    );
    sink.finish();
    let outcome = outcome??;
    Ok(exit_for(outcome.report.result, outcome.report.failed()))
}

fn status_cmd(config_path: &Path, json: bool) -> Result<Exit> {
    let c = Config::load(config_path)?;
    let dir = c.state_dir();
    let s = State::load(&dir)?;
    let mirror = crate::agent::git::Mirror::new(&dir);
    let at = s.pin.clone().or(s.applied.clone());
    let behind = match (&at, &s.fetched) {
        (Some(a), Some(f)) if mirror.has_commit(a) && mirror.has_commit(f) => mirror.count_between(a, f).ok(),
        _ => None,
    };
    let owed = crate::hook::pending::load(&dir.join("pending.json")).unwrap_or_default();
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let pending_reboot =
        crate::agent::reboot::RebootState::load(&dir.join(crate::agent::reboot::in_pass::STATE_FILE))
            .ok()
            .and_then(|r| r.pending(boot_id.trim()));
    // The branch the last pass followed (the inventory may name a canary branch).
    let branch = s.last.as_ref().map_or(c.followed_branch(), |l| l.branch.as_str());
    if json {
        let v = serde_json::json!({
            "repo": crate::agent::git::redact_url(&c.repo),
            "branch": branch,
            "state": s.mode(),
            "frozen": s.frozen,
            "pin": s.pin,
            "applied": s.applied,
            "applied_unix_ms": s.applied_unix_ms,
            "fetched": s.fetched,
            "behind": behind,
            "passes": s.passes,
            "fetch_errors_total": s.fetch_errors_total,
            "last_success_unix_ms": s.last_success_unix_ms,
            "last": s.last,
            "last_log": s.last_log,
            "drift": s.drift,
            "drift_unix_ms": s.drift_unix_ms,
            "handlers_owed": owed,
            "pending_reboot_unix": pending_reboot,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&v).context("serializing the status")?
        );
        return Ok(Exit::Success);
    }
    let when = |ms: Option<i64>| {
        ms.map(crate::hook::time::rfc3339_ms)
            .unwrap_or_else(|| "never".into())
    };
    outln!(
        "repository: {} ({})",
        crate::agent::git::redact_url(&c.repo),
        branch
    );
    outln!("state:      {}", s.mode());
    outln!(
        "applied:    {} at {}",
        s.applied.as_deref().unwrap_or("nothing yet"),
        when(s.applied_unix_ms)
    );
    if let Some(pin) = &s.pin {
        outln!("pinned at:  {pin} (rollback)");
    }
    outln!(
        "fetched:    {}{}",
        s.fetched.as_deref().unwrap_or("nothing yet"),
        behind
            .map(|b| format!(" ({b} commit(s) ahead of the applied one)"))
            .unwrap_or_default()
    );
    if let Some(last) = &s.last {
        outln!(
            "last pass:  {} at {}, {:.1}s{}{}",
            serde_json::to_value(last.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            when(Some(last.started_unix_ms)),
            last.duration_secs,
            last.comparison
                .map(|c| format!(", {}", crate::agent::compare::describe(c)))
                .unwrap_or_default(),
            last.error
                .as_deref()
                .map(|e| format!("\n            {e}"))
                .unwrap_or_default()
        );
    }
    outln!("last ok:    {}", when(s.last_success_unix_ms));
    if s.drift.is_empty() {
        outln!("drift:      none found (last check {})", when(s.drift_unix_ms));
    } else {
        outln!(
            "drift:      {} (found {})",
            s.drift.join("; "),
            when(s.drift_unix_ms)
        );
    }
    if let Some(t) = pending_reboot {
        outln!("reboot:     scheduled for {}", crate::hook::time::rfc3339(t));
    }
    for (host, handlers) in &owed {
        let list: Vec<&str> = handlers.iter().map(String::as_str).collect();
        outln!("handlers owed on {host}: {}", list.join(", "));
    }
    if let Some(log) = &s.last_log {
        outln!("last log:   {}", log.display());
    }
    Ok(Exit::Success)
}
