//! `playhook hook install|uninstall|run|verify`: push-to-deploy in a bare repository.

use crate::cli::out::{errln, outln};
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::Exit;
use crate::hook::config::HookConfig;
use crate::hook::deploy::{self, Context, Job, Kind, Outcome};
use crate::hook::layout::Layout;
use crate::hook::push_options::PushOptions;
use crate::hook::run::{self, Decision, Pusher};
use crate::hook::stream::{self, Sink};
use crate::hook::{checkout, install, lock};

/// Make `git push` to a bare repository deploy it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 done; 1 error (for verify: a pushed commit fails the check); 2 a host failed; 3 a host was unreachable; 5 bad options or rejected push options; 99 a deploy was interrupted."
)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install the post-receive hook (and with --verify the pre-receive check) into a bare
    /// repository, enable push options, and write playhook.yaml (the rules) if missing.
    /// Running it again is safe.
    Install {
        /// The bare repository, e.g. /srv/git/infra.git.
        bare: PathBuf,
        /// Also check every pushed commit with `playhook check` and reject the push if it fails.
        #[arg(long)]
        verify: bool,
    },
    /// Remove playhook's hooks and restore the hooks they replaced.
    Uninstall {
        /// The bare repository.
        bare: PathBuf,
    },
    /// Deploy what was pushed (run by the post-receive hook, reads `OLD NEW REF` lines on stdin).
    Run {
        /// The bare repository.
        #[arg(long, default_value = ".")]
        git_dir: PathBuf,
    },
    /// Check what is being pushed (run by the pre-receive hook, reads `OLD NEW REF` lines).
    Verify {
        /// The bare repository.
        #[arg(long, default_value = ".")]
        git_dir: PathBuf,
    },
}

pub fn run(args: HookArgs) -> anyhow::Result<Exit> {
    match args.command {
        HookCommand::Install { bare, verify } => {
            let exe = playhook_exe()?;
            for line in install::install(&bare, &exe, verify)? {
                outln!("{line}");
            }
            outln!(
                "git push to {} now deploys; rules: {}",
                bare.display(),
                bare.join("playhook.yaml").display()
            );
            Ok(Exit::Success)
        }
        HookCommand::Uninstall { bare } => {
            for line in install::uninstall(&bare)? {
                outln!("{line}");
            }
            Ok(Exit::Success)
        }
        HookCommand::Run { git_dir } => post_receive(&git_dir),
        HookCommand::Verify { git_dir } => pre_receive(&git_dir),
    }
}

/// The running binary, by absolute path.
pub(crate) fn playhook_exe() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the path of the playhook binary")?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The hook variables git sets, which the deploy must not inherit.
pub(crate) fn git_env_names() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| k.to_string_lossy().starts_with("GIT_"))
        .collect()
}

/// Everything deploys need, for the repository at `git_dir`.
pub(crate) fn context(git_dir: &Path) -> anyhow::Result<Context> {
    let git_dir = git_dir
        .canonicalize()
        .with_context(|| format!("opening the repository `{}`", git_dir.display()))?;
    Ok(Context {
        layout: Layout::new(git_dir),
        exe: playhook_exe()?,
        key_in_environment: var("SECRETS_KEY").is_some_and(|k| !k.is_empty()),
        remove_env: git_env_names(),
        keepalive: Duration::from_secs(4),
        keep_logs: crate::hook::config::DEFAULT_KEEP_LOGS,
    })
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the pushed refs from standard input")?;
    Ok(text)
}

fn post_receive(git_dir: &Path) -> anyhow::Result<Exit> {
    // From here on the pusher going away does not stop us.
    stream::shield_signals()?;
    let input = read_stdin()?;
    let sink = Sink::new(Box::new(std::io::stderr()));
    let exit = match deploy_pushed(git_dir, &input, &sink) {
        Ok(exit) => exit,
        Err(e) => {
            sink.line(&format!(
                "playhook: error: {}",
                crate::error_chain::render(e.as_ref())
            ));
            Exit::Error
        }
    };
    sink.finish();
    Ok(exit)
}

fn deploy_pushed(git_dir: &Path, input: &str, sink: &Sink) -> anyhow::Result<Exit> {
    let mut ctx = context(git_dir)?;
    let updates = run::parse_updates(input)?;
    let config = HookConfig::load(&ctx.layout.config())?;
    ctx.keep_logs = config.keep_logs;
    let decisions = run::decide(&config, &updates);
    let wants_deploy = decisions.iter().any(|d| matches!(d, Decision::Deploy { .. }));
    let mut options = if wants_deploy {
        PushOptions::parse(&run::raw_push_options(var))?
    } else {
        PushOptions::default()
    };
    // The server's NO_COLOR turns colours off for every push.
    options.no_color |= var("NO_COLOR").is_some_and(|v| !v.is_empty());
    let pusher = Pusher::find(var);
    let repo = checkout::open(&ctx.layout.git_dir, &[])?;

    // Take every ticket first, so that later pushes already queued can supersede.
    let mut jobs = Vec::new();
    for d in decisions {
        match d {
            Decision::NoRule { refname } => sink.line(&format!("No rule to deploy {refname}")),
            Decision::Deleted { refname } => sink.line(&format!("{refname} deleted: nothing to deploy")),
            Decision::Deploy { update, rule } => {
                let ticket = lock::enqueue(
                    &ctx.layout.locks(),
                    &rule.environment,
                    &update.refname,
                    &update.new,
                )?;
                jobs.push(Job {
                    commit: update.new,
                    refname: update.refname,
                    rule: *rule,
                    options: options.clone(),
                    kind: Kind::Push,
                    pusher: pusher.clone(),
                    ticket: Some(ticket),
                });
            }
        }
    }
    let mut exit = Exit::Success;
    for job in &jobs {
        if let Outcome::Deployed(record) = deploy::run(&ctx, &repo, job, sink)? {
            exit = worse(exit, Exit::for_result(&record.result));
        }
    }
    Ok(exit)
}

fn worse(a: Exit, b: Exit) -> Exit {
    if a == Exit::Success { b } else { a }
}

fn pre_receive(git_dir: &Path) -> anyhow::Result<Exit> {
    let input = read_stdin()?;
    let ctx = context(git_dir)?;
    let updates = run::parse_updates(&input)?;
    let config = HookConfig::load(&ctx.layout.config())?;
    let decisions = run::decide(&config, &updates);
    if !decisions.iter().any(|d| matches!(d, Decision::Deploy { .. })) {
        return Ok(Exit::Success);
    }
    if let Err(e) = PushOptions::parse(&run::raw_push_options(var)) {
        errln!("playhook: push rejected: {}", crate::error_chain::render(&e));
        return Ok(Exit::BadOptions);
    }
    // During pre-receive the pushed objects wait in git's quarantine directory.
    let quarantine: Vec<PathBuf> = var("GIT_OBJECT_DIRECTORY")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let repo = checkout::open(&ctx.layout.git_dir, &quarantine)?;
    let key_file = deploy::key_file(&ctx.layout, ctx.key_in_environment)?;
    let mut exit = Exit::Success;
    for d in decisions {
        let Decision::Deploy { update, rule } = d else {
            continue;
        };
        let short = &update.new[..10];
        let co = checkout::checkout(&repo, &update.new)?;
        let mut cmd = std::process::Command::new(&ctx.exe);
        cmd.arg("check").arg("-C").arg(co.path()).current_dir(co.path());
        for inv in &rule.inventory {
            cmd.arg("-i").arg(inv);
        }
        if let Some(p) = &rule.playbook {
            cmd.arg("--playbook").arg(p);
        }
        if let Some(k) = &key_file {
            cmd.arg("--key-file").arg(k);
        }
        for name in &ctx.remove_env {
            cmd.env_remove(name);
        }
        // stdout of a hook reaches the pusher too; keep both on stderr, in order.
        let stderr = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stderr")?;
        cmd.stdout(stderr).stdin(std::process::Stdio::null());
        let status = cmd
            .status()
            .with_context(|| format!("running `{} check`", ctx.exe.display()))?;
        if status.success() {
            errln!("playhook: {short} ({}) passes `playhook check`", update.refname);
        } else {
            errln!(
                "playhook: push of {} rejected: {short} does not pass `playhook check` (reasons above); \
                 fix them and push again",
                update.refname
            );
            exit = Exit::Error;
        }
    }
    Ok(exit)
}
