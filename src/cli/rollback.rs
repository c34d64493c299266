//! `playhook rollback REV`: deploy an earlier commit out of band, recorded like a push.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::Exit;
use crate::hook::checkout;
use crate::hook::config::HookConfig;
use crate::hook::deploy::{self, Job, Kind, Outcome};
use crate::hook::push_options::PushOptions;
use crate::hook::run::Pusher;
use crate::hook::stream::{self, Sink};

/// Deploy an earlier commit of a bare repository (the branch does not move: the next push
/// deploys normally again).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 success; 1 error; 2 a host failed; 3 a host was unreachable; 99 interrupted; 5 bad options."
)]
pub struct RollbackArgs {
    /// The commit to deploy: an id from `playhook history`, a tag, `main~1`, ...
    pub rev: String,
    /// The bare repository.
    #[arg(short = 'C', long = "dir", default_value = ".")]
    pub dir: PathBuf,
    /// Whose rule (environment, tags, limit) applies; default: the branch HEAD names.
    #[arg(long = "ref")]
    pub refname: Option<String>,
    /// Only these tags (default: the rule's).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Narrow the hosts further (a host pattern).
    #[arg(short = 'l', long)]
    pub limit: Option<String>,
    /// Dry run.
    #[arg(long)]
    pub check: bool,
    /// Show file differences.
    #[arg(long)]
    pub diff: bool,
}

pub fn run(args: RollbackArgs) -> anyhow::Result<Exit> {
    // A rollback, once started, runs to its end like a pushed deploy.
    stream::shield_signals()?;
    let mut ctx = super::hook::context(&args.dir)?;
    let repo = checkout::open(&ctx.layout.git_dir, &[])?;
    let commit = checkout::resolve(&repo, &args.rev)?;
    let refname = match &args.refname {
        Some(r) if r.starts_with("refs/") => r.clone(),
        Some(r) => format!("refs/heads/{r}"),
        None => repo
            .find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().map(str::to_string))
            .context("the repository's HEAD names no branch: give --ref BRANCH")?,
    };
    let config = HookConfig::load(&ctx.layout.config())?;
    ctx.keep_logs = config.keep_logs;
    let rule = config.rule_for(&refname).cloned().with_context(|| {
        format!(
            "no rule in `{}` deploys `{refname}`: give --ref with a branch that deploys",
            ctx.layout.config().display()
        )
    })?;
    let options = PushOptions {
        tags: (!args.tags.is_empty()).then(|| args.tags.clone()),
        limit: args.limit.clone(),
        check: args.check,
        diff: args.diff,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let job = Job {
        commit,
        refname,
        rule,
        options,
        kind: Kind::Rollback,
        pusher: Pusher::find(|k| std::env::var(k).ok()),
        ticket: None,
    };
    let sink = Sink::new(Box::new(std::io::stderr()));
    let outcome = deploy::run(&ctx, &repo, &job, &sink);
    sink.finish();
    match outcome? {
        Outcome::Deployed(record) => Ok(Exit::for_result(&record.result)),
        Outcome::Superseded { .. } => Ok(Exit::Success),
    }
}
