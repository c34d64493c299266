//! The inventory: hosts, groups and their variables, read from YAML and INI files,
//! directories of them and dynamic inventory scripts, with `group_vars/` and `host_vars/`
//! beside each source and beside the playbook, merged with Ansible's precedence.
//!
//! ```text
//! Inventory::load(sources) ── source::parse_source ── yaml | ini | script ──▶ model::Graph
//!                          └─ varsdir::VarsDir per source dir and for the playbook dir
//! inventory.select("web:&prod")  ── repo::pattern
//! inventory.host_vars("web1")    ── merge (precedence)
//! ```

pub mod dump;
mod error;
pub mod hostrange;
mod ini;
mod merge;
pub mod model;
mod pyliteral;
mod runtime;
pub mod script;
mod source;
mod varsdir;
mod yaml;

use std::path::{Path, PathBuf};

use minijinja::Value;

pub use error::InventoryError;
pub use model::{Graph, Group, Host, Vars, vars_to_value};
pub use varsdir::VarsDir;

use crate::repo::config::Config;

/// Names that stand for the controller when no inventory host has them.
pub const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// What besides the sources themselves shapes the inventory.
#[derive(Clone, Debug, Default)]
pub struct InventoryOptions {
    /// The playbook's directory: its `group_vars/` and `host_vars/` override the inventory's.
    pub playbook_dir: Option<PathBuf>,
}

/// A loaded inventory.
#[derive(Clone, Debug)]
pub struct Inventory {
    graph: Graph,
    sources: Vec<PathBuf>,
    /// `group_vars/`/`host_vars/` beside each source, in source order.
    source_vars: Vec<VarsDir>,
    playbook_vars: Option<VarsDir>,
    localhost: Host,
    warnings: Vec<String>,
}

impl Inventory {
    /// Reads every source in order into one inventory.
    pub fn load(sources: &[PathBuf], options: &InventoryOptions) -> Result<Inventory, InventoryError> {
        let mut graph = Graph::new();
        let mut warnings = Vec::new();
        for source in sources {
            source::parse_source(&mut graph, source, &mut warnings)?;
        }
        graph.reconcile().map_err(|e| InventoryError::Invalid {
            loc: crate::loc::Loc::file(sources.first().map(PathBuf::as_path).unwrap_or(Path::new("."))),
            message: e.to_string(),
        })?;
        let group_names: Vec<String> = graph.groups.keys().cloned().collect();
        let mut host_names: Vec<String> = graph.hosts.keys().cloned().collect();
        for name in LOCALHOST_NAMES {
            if !graph.hosts.contains_key(name) {
                host_names.push(name.to_string());
            }
        }
        let load_dir = |dir: &Path| {
            VarsDir::load(
                dir,
                group_names.iter().map(String::as_str),
                host_names.iter().map(String::as_str),
            )
        };
        let mut source_vars = Vec::new();
        for source in sources {
            if !source.exists() {
                continue;
            }
            let dir = if source.is_dir() {
                source.clone()
            } else {
                source.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            source_vars.push(load_dir(&dir)?);
        }
        let playbook_vars = match &options.playbook_dir {
            Some(dir) => Some(load_dir(dir)?),
            None => None,
        };
        let mut localhost_vars = Vars::new();
        localhost_vars.insert("ansible_connection".into(), Value::from("local"));
        let localhost = Host {
            name: "localhost".into(),
            vars: localhost_vars,
            groups: Vec::new(),
            source: None,
            implicit: true,
        };
        Ok(Inventory {
            graph,
            sources: sources.to_vec(),
            source_vars,
            playbook_vars,
            localhost,
            warnings,
        })
    }

    /// The sources used when none is given: `inventory` from `ansible.cfg`, else `inventory/`
    /// or `hosts` in the repository, else none (only the implicit localhost).
    pub fn default_sources(repo_dir: &Path, config: &Config) -> Vec<PathBuf> {
        if !config.inventory.is_empty() {
            return config.inventory.clone();
        }
        for candidate in ["inventory", "hosts"] {
            let path = repo_dir.join(candidate);
            if path.exists() {
                return vec![path];
            }
        }
        Vec::new()
    }

    /// The hosts and groups as parsed.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }

    /// Things Ansible would warn about while reading the sources (skipped keys, ...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A host of the inventory, or the implicit localhost for `localhost`-like names.
    pub fn host(&self, name: &str) -> Option<&Host> {
        match self.graph.hosts.get(name) {
            Some(h) => Some(h),
            None if LOCALHOST_NAMES.contains(&name) => Some(&self.localhost),
            None => None,
        }
    }

    /// Every host of the inventory, in inventory order (the implicit localhost is not one).
    pub fn host_names(&self) -> Vec<String> {
        self.graph.hosts.keys().cloned().collect()
    }

    /// Whether `name` is a host of the inventory (the implicit localhost is not).
    pub fn has_host(&self, name: &str) -> bool {
        self.graph.hosts.contains_key(name)
    }

    /// The groups a host is in, sorted, without `all` (Ansible's `group_names`).
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .host(host)
            .map(|h| h.groups.iter().filter(|g| *g != "all").cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Ansible's `groups` variable: every group with its hosts, in inventory order.
    pub fn groups_value(&self) -> Value {
        Value::from_pairs(self.graph.groups.keys().map(|g| {
            let hosts: Vec<Value> = self.graph.group_hosts(g).into_iter().map(Value::from).collect();
            (Value::from(g.as_str()), Value::from(hosts))
        }))
    }

    /// The variables Ansible derives from the inventory itself: `inventory_hostname`,
    /// `inventory_hostname_short`, `group_names`, `inventory_file`, `inventory_dir`.
    pub fn magic_vars(&self, host: &str) -> Vars {
        let mut vars = Vars::new();
        vars.insert("inventory_hostname".into(), Value::from(host));
        let short = if hostrange::is_ip_address(host) {
            host
        } else {
            host.split('.').next().unwrap_or(host)
        };
        vars.insert("inventory_hostname_short".into(), Value::from(short));
        let groups: Vec<Value> = self.group_names(host).into_iter().map(Value::from).collect();
        vars.insert("group_names".into(), Value::from(groups));
        let source = self.host(host).and_then(|h| h.source.clone());
        let file = source.as_ref().map(|p| absolute(p));
        let dir = file.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
        vars.insert(
            "inventory_file".into(),
            file.map(|p| Value::from(p.to_string_lossy().into_owned()))
                .unwrap_or(Value::from(())),
        );
        vars.insert(
            "inventory_dir".into(),
            dir.map(|p| Value::from(p.to_string_lossy().into_owned()))
                .unwrap_or(Value::from(())),
        );
        vars
    }

    /// All inventory-side variables of a host, merged with Ansible's precedence (see `merge`).
    /// Unknown hosts get the variables of `all`.
    pub fn host_vars(&self, host: &str) -> Value {
        vars_to_value(&self.host_vars_map(host))
    }

    /// [`Inventory::host_vars`] as an ordered map.
    pub fn host_vars_map(&self, host: &str) -> Vars {
        merge::host_vars(self, host)
    }

    /// A group's own variables with its `group_vars/` files (what `--graph --vars` shows).
    pub fn group_vars_map(&self, group: &str) -> Vars {
        merge::group_vars(self, group)
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

impl Inventory {
    /// The hosts matching a host pattern, in inventory order (see [`crate::repo::pattern`]).
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, crate::repo::pattern::PatternError> {
        crate::repo::pattern::select(self, pattern)
    }

    /// Like [`Inventory::select`], returning names that matched nothing instead of failing.
    pub fn select_lenient(
        &self,
        pattern: &str,
    ) -> Result<(Vec<String>, Vec<String>), crate::repo::pattern::PatternError> {
        crate::repo::pattern::select_lenient(self, pattern)
    }

    /// The hosts matching `pattern` and the `--limit`, if any (`@FILE` relative to `base_dir`).
    pub fn select_limited(
        &self,
        pattern: &str,
        limit: Option<&str>,
        base_dir: &Path,
    ) -> Result<Vec<String>, crate::repo::pattern::PatternError> {
        crate::repo::pattern::select_limited(self, pattern, limit, base_dir)
    }
}
