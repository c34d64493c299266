//! `playhook status`: per host, the last commit applied and its result.

use crate::cli::out::{errln, outln};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::Exit;
use crate::hook::layout::Layout;
use crate::hook::pending;
use crate::hook::status::per_host;
use crate::shown::shown;

/// Show, per host, the last commit a deploy applied and how it went.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit status: 0 listed; 1 error (not a git repository); 5 bad options.")]
pub struct StatusArgs {
    /// The repository (the bare repository pushes go to, or a clone with refs/notes/playhook).
    #[arg(short = 'C', long = "dir", default_value = ".")]
    pub dir: PathBuf,
    /// One JSON object per host and line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StatusArgs) -> anyhow::Result<Exit> {
    let records = super::history::load(&args.dir)?;
    let states = per_host(&records);
    // Handlers owed to hosts, kept in the bare repository (a clone has none).
    let git_dir = git2::Repository::discover(&args.dir)
        .with_context(|| format!("opening the repository `{}`", args.dir.display()))?
        .path()
        .to_path_buf();
    let layout = Layout::new(git_dir);
    let mut owed = std::collections::BTreeMap::new();
    for s in &states {
        let env = &s.record.environment;
        if !owed.contains_key(env) {
            owed.insert(env.clone(), pending::load(&layout.pending(env))?);
        }
    }
    let owed_to = |host: &str, env: &str| -> Vec<String> {
        owed.get(env)
            .and_then(|p| p.get(host))
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    };
    if states.is_empty() && !args.json {
        errln!("no host has been deployed from `{}` yet", args.dir.display());
    }
    let width = states.iter().map(|s| s.host.len()).max().unwrap_or(4).max(4);
    if !args.json && !states.is_empty() {
        outln!(
            "{:<width$}  {:<10}  {:<24}  {:<11}  {:<12}  COUNTS",
            "HOST",
            "COMMIT",
            "WHEN",
            "RESULT",
            "ENVIRONMENT"
        );
    }
    for s in &states {
        let r = &s.record;
        if args.json {
            let v = serde_json::json!({
                "host": s.host,
                "commit": r.commit,
                "ref": r.refname,
                "environment": r.environment,
                "when": r.when,
                "kind": r.kind,
                "result": s.counts.result(),
                "counts": s.counts,
                "pending_handlers": owed_to(&s.host, &r.environment),
            });
            outln!("{}", serde_json::to_string(&v).context("writing JSON")?);
        } else {
            let c = &s.counts;
            // Records come from notes anyone with push access can write: no control characters
            // reach the terminal.
            outln!(
                "{:<width$}  {:<10}  {:<24}  {:<11}  {:<12}  ok={} changed={} unreachable={} failed={}{}",
                shown(&s.host),
                shown(r.short_commit()),
                shown(&r.when),
                s.counts.result(),
                shown(&r.environment),
                c.ok,
                c.changed,
                c.unreachable,
                c.failed,
                if r.kind == "rollback" { " (rollback)" } else { "" }
            );
            let handlers = owed_to(&s.host, &r.environment);
            if !handlers.is_empty() {
                outln!("{:<width$}  handlers still to run: {}", "", handlers.join(", "));
            }
        }
    }
    Ok(Exit::Success)
}
