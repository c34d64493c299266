//! `playhook history`: the deploys recorded in `refs/notes/playhook`, newest first.

use crate::cli::out::{errln, outln};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::Exit;
use crate::hook::layout::Layout;
use crate::hook::notes::{self, Record};
use crate::shown::shown;

/// List the deploys of a repository, newest first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 listed (also when nothing is recorded); 1 error (not a git repository); 5 bad options."
)]
pub struct HistoryArgs {
    /// The repository (the bare repository pushes go to, or a clone that fetched
    /// refs/notes/playhook).
    #[arg(short = 'C', long = "dir", default_value = ".")]
    pub dir: PathBuf,
    /// One JSON object per deploy and line, as recorded.
    #[arg(long)]
    pub json: bool,
    /// Show only this many deploys.
    #[arg(short = 'n', long)]
    pub max_count: Option<usize>,
}

pub fn run(args: HistoryArgs) -> anyhow::Result<Exit> {
    let records = load(&args.dir)?;
    // In the bare repository the hook deploys from, logs live beside the records; old ones are
    // removed (`keep_logs`), which the listing says.
    let logs_root = git2::Repository::discover(&args.dir)
        .ok()
        .map(|repo| repo.path().to_path_buf())
        .filter(|git_dir| Layout::new(git_dir).logs().is_dir());
    for r in records.iter().take(args.max_count.unwrap_or(usize::MAX)) {
        if args.json {
            outln!(
                "{}",
                serde_json::to_string(r).context("writing a record as JSON")?
            );
        } else {
            print_record(r, logs_root.as_deref())?;
        }
    }
    if records.is_empty() && !args.json {
        errln!("no deploys recorded in `{}` yet", args.dir.display());
    }
    Ok(Exit::Success)
}

/// The records of the repository at (or above) `dir`; notes that are not records are reported
/// on stderr.
pub(crate) fn load(dir: &std::path::Path) -> anyhow::Result<Vec<Record>> {
    let repo = git2::Repository::discover(dir)
        .with_context(|| format!("opening the repository `{}`", dir.display()))?;
    let (records, problems) = notes::all(&repo)?;
    for p in problems {
        errln!("warning: {p}");
    }
    Ok(records)
}

fn print_record(r: &Record, logs_root: Option<&Path>) -> anyhow::Result<()> {
    let short = r.short_commit();
    let branch = r.refname.strip_prefix("refs/heads/").unwrap_or(&r.refname);
    let mut head = format!(
        "{} {short} {branch} → {} {} {}",
        r.when, r.environment, r.kind, r.result
    );
    if r.mode == "check" {
        head.push_str(" (check mode)");
    }
    head.push_str(&format!(" in {:.1}s", r.duration_secs));
    if let Some(p) = &r.pusher {
        head.push_str(&format!(" by {p}"));
    }
    // Records come from notes anyone with push access can write: no control characters reach
    // the terminal.
    outln!("{}", shown(&head));
    let tags = if r.tags.is_empty() {
        "all".to_string()
    } else {
        r.tags.join(",")
    };
    let mut what = format!("    tags {tags}");
    if let Some(l) = &r.limit {
        what.push_str(&format!(", limit {l}"));
    }
    if let Some(log) = &r.log {
        what.push_str(&format!(", log {log}"));
        if logs_root.is_some_and(|root| !root.join(log).exists()) {
            what.push_str(" (removed: keep_logs)");
        }
    }
    outln!("{}", shown(&what));
    if let Some(e) = &r.error {
        outln!("    error: {}", shown(e));
    }
    for (host, c) in &r.hosts {
        outln!(
            "    {}: ok={} changed={} unreachable={} failed={} skipped={} rescued={} ignored={}",
            shown(host),
            c.ok,
            c.changed,
            c.unreachable,
            c.failed,
            c.skipped,
            c.rescued,
            c.ignored
        );
    }
    Ok(())
}
