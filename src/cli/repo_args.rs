//! Options shared by the commands that read a repository (`deploy`, `check`), and loading it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use minijinja::Value;

use crate::repo::config::{Config, ConfigError};
use crate::repo::error::LoadError;
use crate::repo::extra_vars::ExtraVarsError;
use crate::repo::find_playbook::find_playbook;
use crate::repo::inventory::{Inventory, InventoryError, InventoryOptions};
use crate::repo::playbook::{Playbook, load_playbook};
use crate::secrets::{KeySource, Secrets};

/// Where the repository is and what of it to use.
#[derive(Debug, Clone, clap::Args)]
pub struct RepoArgs {
    /// The repository to deploy (the directory holding the playbook).
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The playbook, relative to DIR (default: `[playhook] playbook` in ansible.cfg, else the
    /// first of deploy.yaml, deploy.yml, site.yml, site.yaml, playbook.yml, playbook.yaml).
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,

    /// Inventory source: a file, a directory or an executable script (repeatable).
    #[arg(short = 'i', long = "inventory", value_name = "SOURCE")]
    pub inventory: Vec<PathBuf>,

    /// Extra variables: `k=v`, `@file.yml` or JSON; they override every other variable.
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,

    /// The secrets key file (default: SECRETS_KEY, else `secret.key` beside the secrets file).
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
}

/// A repository read and checked, ready to run.
pub struct Loaded {
    pub dir: PathBuf,
    pub config: Config,
    pub playbook: Playbook,
    pub inventory: Inventory,
    pub extra_vars: Value,
    pub secrets: Option<Secrets>,
}

impl Loaded {
    /// Variable names defined outside the playbook: every host's inventory variables and `-e`.
    pub fn global_names(&self) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        let hosts = self.inventory.select("all").unwrap_or_default();
        let maps = hosts
            .iter()
            .map(|h| self.inventory.host_vars(h))
            .chain([self.extra_vars.clone()]);
        for map in maps {
            for (k, _) in crate::value::entries(&map) {
                if let Some(k) = k.as_str() {
                    names.insert(k.to_string());
                }
            }
        }
        names
    }

    /// `plan::check` of this repository: the playbook against the inventory, `-e` and roles path.
    pub fn check(
        &self,
        engine: &std::sync::Arc<crate::template::Engine>,
    ) -> Result<crate::plan::check::Checked, crate::plan::check::Problems> {
        crate::plan::check::check(
            &self.playbook,
            engine,
            &self.global_names(),
            &self.config.role_search_path(),
            self.inventory.sources(),
        )
    }
}

/// The repository could not be read: exits with code 4, as ansible-playbook's parse errors
/// (see [`super::CommandError::exit`]). Each variant's message is its source's, which names the
/// file and line; the source is kept for its own causes.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// `ansible.cfg`.
    #[error("{0}")]
    Config(#[source] ConfigError),
    /// The playbook, its imports and roles.
    #[error("{0}")]
    Playbook(#[source] LoadError),
    /// The inventory sources.
    #[error("{0}")]
    Inventory(#[source] InventoryError),
    /// `-e` values.
    #[error("{0}")]
    ExtraVars(#[source] ExtraVarsError),
}

impl RepoArgs {
    /// Reads config, secrets, playbook and inventory, in that order.
    pub fn load(&self, secrets_key: Option<crate::secrets::SecretString>) -> Result<Loaded> {
        let dir = self
            .dir
            .canonicalize()
            .with_context(|| format!("repository directory `{}` not found", self.dir.display()))?;
        let mut config = Config::load(&dir).map_err(RepoError::Config)?;
        if let Some(home) = std::env::var_os("HOME") {
            config = config.expand_home(Path::new(&home));
        }
        let key = match (secrets_key, &self.key_file) {
            (Some(passphrase), _) => KeySource::passphrase(passphrase, "SECRETS_KEY"),
            (None, Some(file)) => KeySource::KeyFile(absolute(&dir, file)),
            (None, None) => KeySource::BesideFile,
        };
        let secrets = Secrets::open(&dir, &key)?;
        let configured = config.playbook.as_ref().map(|(p, loc)| (p.as_path(), loc));
        let playbook_path =
            find_playbook(&dir, self.playbook.as_deref(), configured).map_err(RepoError::Playbook)?;
        let playbook =
            load_playbook(&playbook_path, config.role_search_path()).map_err(RepoError::Playbook)?;
        let sources: Vec<PathBuf> = if self.inventory.is_empty() {
            Inventory::default_sources(&dir, &config)
        } else {
            self.inventory.iter().map(|p| absolute(&dir, p)).collect()
        };
        let options = InventoryOptions {
            playbook_dir: Some(playbook.dir.clone()),
        };
        let inventory = Inventory::load(&sources, &options).map_err(RepoError::Inventory)?;
        let extra_vars =
            crate::repo::extra_vars::parse(&self.extra_vars, &dir).map_err(RepoError::ExtraVars)?;
        Ok(Loaded {
            dir,
            config,
            playbook,
            inventory,
            extra_vars,
            secrets,
        })
    }
}

/// A path given on the command line: as written if it exists from the current directory,
/// else relative to the repository.
fn absolute(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || p.exists() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}
