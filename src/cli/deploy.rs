//! `playhook deploy`: run the repository's playbook against its hosts.

use crate::cli::out::{errln, out};
use std::fs::OpenOptions;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::exec::{EventSink, RunOptions, Runner};
use crate::output::{Mask, Printer, Style};
use crate::plan::TagFilter;
use crate::template::Engine;

use super::Exit;
use super::listing;
use super::repo_args::RepoArgs;

/// Run the playbook: `playhook deploy all`, `playhook deploy dns web`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Exit status: 0 success; 1 error; 2 a host failed; 3 a host was unreachable; 4 the repository could not be read; 5 bad options."
)]
pub struct DeployArgs {
    /// Tags to run; none or `all` runs everything (tasks tagged `never` excepted).
    #[arg(value_name = "TAG")]
    pub tags: Vec<String>,

    #[command(flatten)]
    pub repo: RepoArgs,

    /// Only run tasks with these tags (comma-separated; same as the positional TAGs).
    #[arg(short = 't', long = "tags", value_name = "TAGS", value_delimiter = ',')]
    pub tags_option: Vec<String>,

    /// Skip tasks with these tags (comma-separated).
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub skip_tags: Vec<String>,

    /// Only deploy to hosts matching this pattern (`web01`, `web:&staging`, `all:!db`).
    #[arg(short = 'l', long, value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Change nothing: report what would change.
    #[arg(long)]
    pub check: bool,

    /// Show the changes made (or that would be made) to files.
    #[arg(short = 'D', long)]
    pub diff: bool,

    /// How many hosts to work on at once (default: ansible.cfg's forks, else up to 50).
    #[arg(short = 'f', long, value_name = "N")]
    pub forks: Option<usize>,

    /// Run notified handlers even on hosts that failed (the play keyword `force_handlers`
    /// overrides it; ansible.cfg's `force_handlers` is the default).
    #[arg(long)]
    pub force_handlers: bool,

    /// Print one JSON object per event instead of lines for people; with --list-tags,
    /// --list-tasks or --list-hosts, the listing as one JSON object.
    #[arg(long)]
    pub json: bool,

    /// Also append every event, as JSON lines, to this file.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,

    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Accept and record host keys of hosts never seen before (changed keys are still refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,

    /// Seconds to wait for a host to answer when connecting.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,

    /// Stop a task that runs longer than this many seconds on a host.
    #[arg(long, value_name = "SECS")]
    pub task_timeout: Option<u64>,

    /// Handlers owed to hosts by an earlier deploy: a JSON file `{"host": ["handler", ...]}`
    /// (written by the git hook). They are notified on those hosts in the first play that has them.
    #[arg(long, value_name = "FILE")]
    pub pending_handlers: Option<PathBuf>,

    /// Who this run is in the per-host deploy lock (default: `playhook deploy by USER@HOST`);
    /// the pull-mode agent names its pass here.
    #[arg(long, value_name = "TEXT", hide = true)]
    pub lock_holder: Option<String>,

    /// List the tags of every play and exit.
    #[arg(long)]
    pub list_tags: bool,

    /// List the tasks that would run and exit.
    #[arg(long)]
    pub list_tasks: bool,

    /// List the hosts each play would run on and exit.
    #[arg(long)]
    pub list_hosts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

pub fn run(args: DeployArgs, verbosity: u8) -> Result<Exit> {
    let key = std::env::var("SECRETS_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .map(crate::secrets::SecretString::new);
    let loaded = args.repo.load(key)?;
    let masker = loaded.secrets.as_ref().map(|s| s.masker());
    // Secrets lookups make during the run (`password`) are masked from then on too.
    let learned = crate::secrets::LearnedSecrets::default();
    let mask: Mask = {
        let base = masker.clone();
        let learned = learned.clone();
        Arc::new(move |text: &str| {
            let text = match &base {
                Some(m) => m.mask(text).into_owned(),
                None => text.to_string(),
            };
            learned.masker().mask(&text).into_owned()
        })
    };
    let tags = TagFilter::new(
        args.tags
            .iter()
            .chain(&args.tags_option)
            .filter(|t| *t != "all")
            .cloned(),
        args.skip_tags.clone(),
    );
    let engine = Arc::new(Engine::new(crate::template::EngineOptions {
        environment: std::env::vars().collect(),
        learned_secrets: learned,
    }));
    // Notes (includes followed only when they run) are for `playhook check`.
    let checked = loaded.check(&engine);
    let var_sources = match checked {
        Ok(checked) => Arc::new(checked.vars),
        Err(problems) => {
            errln!("{}", mask(&problems.to_string()));
            return Ok(Exit::ParseError);
        }
    };
    for warning in loaded.inventory.warnings() {
        errln!("{}", mask(&format!("[WARNING]: {warning}")));
    }
    for warning in crate::plan::check::warnings(&loaded.playbook, &tags) {
        errln!("{}", mask(&format!("[WARNING]: {warning}")));
    }
    if args.list_tags || args.list_tasks || args.list_hosts {
        let lists = listing::Lists {
            tags: args.list_tags,
            tasks: args.list_tasks,
            hosts: args.list_hosts,
        };
        let listed = listing::collect(&loaded, &tags, args.limit.as_deref(), lists);
        let text = if args.json {
            let mut json = serde_json::to_string(&listed).context("writing the listing as JSON")?;
            json.push('\n');
            json
        } else {
            listing::render(&listed)
        };
        out!("{}", mask(&text));
        return Ok(Exit::Success);
    }

    let config = &loaded.config;
    let opts = RunOptions {
        check: args.check,
        diff: args.diff,
        force_handlers: args.force_handlers || config.force_handlers,
        forks: args
            .forks
            .unwrap_or(if config.forks != 5 { config.forks } else { 50 }),
        tags,
        limit: args.limit.clone(),
        extra_vars: loaded.extra_vars.clone(),
        verbosity,
        gather_by_default: config.gathering != crate::repo::config::Gathering::Explicit,
        remote_user: config.remote_user.clone(),
        private_key_file: config.private_key_file.as_ref().map(|p| p.display().to_string()),
        ssh_args: config
            .ssh_args
            .as_deref()
            .map(crate::exec::split_words)
            .unwrap_or_default(),
        accept_new_host_keys: args.accept_new_host_keys,
        skip_host_key_checking: !config.host_key_checking,
        connect_timeout: Duration::from_secs(args.timeout.unwrap_or(config.timeout)),
        task_timeout: args.task_timeout.map(Duration::from_secs),
        roles_path: config.role_search_path(),
        var_sources,
        pending_handlers: match &args.pending_handlers {
            Some(path) => read_pending(path)?,
            None => Default::default(),
        },
        deploy_lock: Some(deploy_lock(args.lock_holder.clone())),
    };
    let events_file = match &args.events {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the events file `{}`", path.display()))?,
        ),
        None => None,
    };
    let terminal = std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let style = if args.json {
        Style::Json
    } else {
        Style::Human {
            color,
            progress: terminal && verbosity < 2,
        }
    };
    let secrets_value = loaded
        .secrets
        .as_ref()
        .map(|s| s.to_value())
        .unwrap_or_else(crate::value::empty_map);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut printer = Printer::new(style, mask, events_file);
    let printing = std::thread::spawn(move || {
        while let Some(event) = rx.blocking_recv() {
            printer.print(&event);
        }
        printer.finish();
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(async {
        let runner = Runner::new(
            &loaded.playbook,
            &loaded.inventory,
            engine,
            &opts,
            EventSink::new(tx),
            secrets_value,
        );
        runner.run().await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = printing.join();
    Ok(if summary.any_unreachable() {
        Exit::HostUnreachable
    } else if summary.any_failed() {
        Exit::HostFailed
    } else {
        Exit::Success
    })
}

fn read_pending(path: &std::path::Path) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "`{}` is not a pending-handlers file: expected {{\"host\": [\"handler\", ...]}}",
            path.display()
        )
    })
}

/// This run's entry in the per-host deploy lock: who runs it, from where, since when.
fn deploy_lock(holder: Option<String>) -> crate::exec::DeployLock {
    let pid = std::process::id();
    let since = crate::hook::time::rfc3339(crate::hook::time::now_unix());
    let holder = holder.unwrap_or_else(|| {
        let user = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "someone".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        format!("playhook deploy by {user}@{host}")
    });
    crate::exec::DeployLock {
        holder: format!("{holder} (pid {pid}) since {since}"),
        run_id: format!("{:016x}", rand::random::<u64>()),
    }
}
