//! `playhook inventory`: shows the inventory as Ansible sees it, printing exactly what
//! `ansible-inventory` prints for `--list`, `--host NAME` and `--graph [GROUP] [--vars]`.

use crate::cli::out::{errln, outln};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::ArgGroup;

use crate::cli::Exit;
use crate::repo::config::Config;
use crate::repo::extra_vars;
use crate::repo::inventory::{Inventory, InventoryOptions, dump};

/// Show the inventory: hosts, groups and variables, as `ansible-inventory` shows them.
///
/// Without `-i`, the inventory is `inventory` from the repository's `ansible.cfg`, else
/// `inventory/` or `hosts` in the repository, else only the implicit localhost.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("action").required(true).args(["list", "graph", "host"])))]
#[command(
    after_help = "Exit status: 0 printed; 1 error (an inventory that cannot be read, an unknown host or group); 5 bad options."
)]
pub struct Args {
    /// The repository (where `ansible.cfg`, `group_vars/` and the playbook are).
    #[arg(short = 'C', long = "directory", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// An inventory source: a YAML or INI file, a directory, an executable script, or
    /// `host1,host2,` (repeatable). Relative paths not found here are looked up in the
    /// repository.
    #[arg(short, long = "inventory", value_name = "SOURCE")]
    pub inventory: Vec<PathBuf>,

    /// Only these hosts (a host pattern) in `--list`.
    #[arg(short, long, value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Extra variables: `k=v`, `@file.yml` (relative to the repository) or a JSON/YAML mapping
    /// (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,

    /// Print every group, host and its variables as JSON (the inventory script format).
    #[arg(long)]
    pub list: bool,

    /// Print the tree of groups and hosts.
    #[arg(long)]
    pub graph: bool,

    /// Print one host's variables as JSON.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    /// With `--graph`: show the variables too.
    #[arg(long)]
    pub vars: bool,

    /// With `--graph`: print the tree as JSON (`--list` and `--host` always print JSON).
    #[arg(long)]
    pub json: bool,

    /// With `--graph`: start at this group instead of `all`.
    #[arg(value_name = "GROUP")]
    pub group: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    let mut config = Config::load(&args.dir).context("reading ansible.cfg")?;
    if let Some(home) = std::env::var_os("HOME") {
        config = config.expand_home(std::path::Path::new(&home));
    }
    // As `playhook deploy`: a relative path that does not exist from here is in the repository.
    let sources = if args.inventory.is_empty() {
        Inventory::default_sources(&args.dir, &config)
    } else {
        args.inventory
            .iter()
            .map(|p| {
                if p.is_absolute() || p.exists() {
                    p.clone()
                } else {
                    args.dir.join(p)
                }
            })
            .collect()
    };
    let options = InventoryOptions {
        playbook_dir: Some(args.dir.clone()),
    };
    let inventory = Inventory::load(&sources, &options)?;
    for warning in inventory.warnings() {
        errln!("warning: {warning}");
    }
    let extra = extra_vars::parse_vars(&args.extra_vars, &args.dir)?;
    let output = if let Some(pattern) = &args.host {
        let hosts = inventory.select(pattern)?;
        let [host] = hosts.as_slice() else {
            bail!(
                "--host needs exactly one host, but `{pattern}` matches {}",
                if hosts.is_empty() {
                    "none".to_string()
                } else {
                    hosts.join(", ")
                }
            );
        };
        dump::host(&inventory, host, &extra)
    } else if args.graph {
        let group = args.group.as_deref().unwrap_or("all");
        let graph = if args.json {
            dump::graph_json(&inventory, group, args.vars, &extra)
                .map(|tree| serde_json::to_string_pretty(&tree))
                .transpose()
                .context("writing the graph as JSON")?
        } else {
            dump::graph(&inventory, group, args.vars, &extra)
        };
        match graph {
            Some(text) => text,
            None => bail!("--graph {group}: there is no group `{group}` in the inventory"),
        }
    } else {
        let hosts = inventory.select_limited("all", args.limit.as_deref(), &args.dir)?;
        dump::list(&inventory, &hosts, &extra)
    };
    outln!("{output}");
    Ok(Exit::Success)
}
