//! `playhook reboot-check` (hidden): the reboot step of an agent pass on its own, against a
//! checked-out repository, for tests and for trying requests out on a host.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::agent::reboot::{self, RebootConfig};
use crate::cli::Exit;
use crate::cli::out::outln;
use crate::repo::config::Config;
use crate::repo::inventory::{Inventory, InventoryOptions};

/// Decide and carry out this host's reboot requests, as an agent pass does after applying.
#[derive(Debug, clap::Args)]
pub struct RebootCheckArgs {
    /// The checked-out repository (its `playhook.yaml` and inventory).
    #[arg(short = 'C', long = "directory", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// This host's inventory name (default: the hostname).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The agent's config file (only its `reboot:` key is read).
    #[arg(long, value_name = "FILE", default_value = "/etc/playhook/agent.yaml")]
    pub config: PathBuf,
    /// The reboot state file.
    #[arg(long, value_name = "FILE", default_value = reboot::DEFAULT_STATE)]
    pub state: PathBuf,
    /// Decide and save the state, but schedule and reboot nothing.
    #[arg(long)]
    pub no_act: bool,
}

pub fn run(args: RebootCheckArgs) -> anyhow::Result<Exit> {
    let config = RebootConfig::load(&args.config)?;
    let repo_config = Config::load(&args.dir).context("reading ansible.cfg")?;
    let sources = Inventory::default_sources(&args.dir, &repo_config);
    let options = InventoryOptions {
        playbook_dir: Some(args.dir.clone()),
    };
    let inventory = Inventory::load(&sources, &options)?;
    let host = match args.host {
        Some(h) => h,
        None => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .context("reading the hostname; give --host")?
            .trim()
            .to_string(),
    };
    let decision = reboot::pass(&config, &args.dir, &inventory, &host, &args.state)?;
    for line in &decision.lines {
        outln!("{line}");
    }
    if !args.no_act {
        for line in reboot::execute(&decision)? {
            outln!("{line}");
        }
    }
    Ok(Exit::Success)
}
