//! Playbooks and plays: the top of the repository format.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;

use crate::loc::Loc;
use crate::modules;
use crate::yaml::{self, Node as Yaml};

use super::error::LoadError;
use super::keywords::{Inherited, parse_bool, parse_connection, parse_tags, scalar_string};
use super::load::Loader;
use super::role::parse_role_entry;
use super::task::{Node, RoleInstance};
use super::tasks::Scope;

const PLAY_KEYWORDS: &[&str] = &[
    "name",
    "hosts",
    "become",
    "become_user",
    "become_method",
    "vars",
    "vars_files",
    "roles",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "gather_facts",
    "gather_subset",
    "tags",
    "strategy",
    "environment",
    "remote_user",
    "user",
    "connection",
    "throttle",
    "force_handlers",
    "order",
    "check_mode",
    "diff",
    "ignore_errors",
    "no_log",
    "any_errors_fatal",
    "serial",
    "max_fail_percentage",
];

/// A parsed playbook.
#[derive(Debug)]
pub struct Playbook {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub plays: Vec<Play>,
}

/// `order`: the order a play goes through its hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostOrder {
    #[default]
    Inventory,
    ReverseInventory,
    Sorted,
    ReverseSorted,
    Shuffle,
}

impl HostOrder {
    const NAMES: &[(&str, HostOrder)] = &[
        ("inventory", HostOrder::Inventory),
        ("reverse_inventory", HostOrder::ReverseInventory),
        ("sorted", HostOrder::Sorted),
        ("reverse_sorted", HostOrder::ReverseSorted),
        ("shuffle", HostOrder::Shuffle),
    ];

    fn parse(node: &Yaml) -> Result<HostOrder, LoadError> {
        let text = scalar_string(node)?;
        HostOrder::NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, order)| *order)
            .ok_or_else(|| {
                let names: Vec<&str> = HostOrder::NAMES.iter().map(|(n, _)| *n).collect();
                LoadError::at(
                    &node.loc,
                    format!("order `{text}` is not supported; supported: {}", names.join(", ")),
                )
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Linear,
    Free,
}

/// One play, compiled: its task sections with every import expanded.
#[derive(Debug)]
pub struct Play {
    pub name: String,
    pub loc: Loc,
    pub hosts: String,
    pub gather_facts: Option<bool>,
    /// Which facts gathering collects (`gather_subset`; everything when absent).
    pub gather_subset: crate::facts::Selection,
    pub strategy: Strategy,
    pub vars: Value,
    /// `vars_files` entries (may be templated), with where they were written.
    pub vars_files: Vec<(Value, Loc)>,
    /// Every role loaded by the play, in load order (their defaults and vars are play-wide).
    pub roles: Vec<Arc<RoleInstance>>,
    /// pre_tasks, roles + tasks, post_tasks: handlers are flushed after each section.
    pub sections: Vec<Vec<Node>>,
    /// The play's own handlers, then the roles', in definition order.
    pub handlers: Vec<Node>,
    /// `remote_user` (or its old name `user`).
    pub remote_user: Option<String>,
    /// `local` or `ssh`, from `connection` (see `keywords::parse_connection`).
    pub connection: Option<String>,
    pub any_errors_fatal: bool,
    /// `force_handlers`: notified handlers run on hosts that failed (`--force-handlers` when unset).
    pub force_handlers: Option<bool>,
    pub order: HostOrder,
    /// `serial`: the batches the play's hosts run in, one after the other.
    pub serial: super::serial::Serial,
    /// `max_fail_percentage`: the play stops when more than this share of a batch failed.
    pub max_fail_percentage: Option<f64>,
}

/// Reads a playbook and everything it imports.
pub fn load_playbook(path: &Path, roles_path: Vec<PathBuf>) -> Result<Playbook, LoadError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loader = Loader::new(dir.clone(), roles_path);
    let mut plays = Vec::new();
    loader.load_plays(path, &mut plays)?;
    Ok(Playbook {
        path: path.to_path_buf(),
        dir,
        plays,
    })
}

impl Loader {
    fn load_plays(&mut self, path: &Path, plays: &mut Vec<Play>) -> Result<(), LoadError> {
        let Some(doc) = yaml::load_file(path)? else {
            return Err(LoadError::at(&Loc::file(path), "the playbook is empty"));
        };
        let entries = doc.as_seq().ok_or_else(|| {
            LoadError::at(
                &doc.loc,
                format!("a playbook must be a list of plays, found {}", doc.type_name()),
            )
        })?;
        for entry in entries {
            let import = entry
                .as_map()
                .unwrap_or_default()
                .iter()
                .find_map(|(key, value)| {
                    modules::registry::is_builtin(key, "import_playbook").then_some(value)
                });
            if let Some(import) = import {
                let file = scalar_string(import)?;
                let base = path.parent().unwrap_or(Path::new("."));
                let target = base.join(&file);
                if !target.is_file() {
                    return Err(LoadError::at(
                        &import.loc,
                        format!("`import_playbook`: `{}` not found", target.display()),
                    ));
                }
                self.load_plays(&target, plays)?;
                continue;
            }
            plays.push(self.parse_play(entry)?);
        }
        Ok(())
    }

    fn parse_play(&mut self, node: &Yaml) -> Result<Play, LoadError> {
        let map = node.as_map().ok_or_else(|| {
            LoadError::at(
                &node.loc,
                format!("a play must be a mapping, found {}", node.type_name()),
            )
        })?;
        for (key, value) in map {
            if !PLAY_KEYWORDS.contains(&key.as_str()) {
                let mut supported = PLAY_KEYWORDS.to_vec();
                supported.push("import_playbook");
                supported.sort_unstable();
                return Err(LoadError::at(
                    &value.loc,
                    format!(
                        "`{key}` is not a supported play keyword; supported: {}",
                        supported.join(", ")
                    ),
                ));
            }
        }
        self.applied_roles.clear();
        self.role_order.clear();
        self.role_handlers.clear();

        let hosts = match node.get("hosts") {
            Some(h) => match h.as_seq() {
                Some(items) => items
                    .iter()
                    .map(scalar_string)
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
                None => scalar_string(h)?,
            },
            None => {
                return Err(LoadError::at(
                    &node.loc,
                    "a play needs `hosts:` (for example `hosts: all`)",
                ));
            }
        };
        // Play-level keywords apply to every task; play `vars` keep their own precedence level.
        let mut inherited = Inherited::default();
        inherited.absorb(node)?;
        inherited.vars.clear();
        let scope = Scope {
            inherited,
            role: None,
            dir: self.playbook_dir.clone(),
            handler: false,
        };

        let list = |loader: &mut Loader, key: &str, scope: &Scope| -> Result<Vec<Node>, LoadError> {
            match node.get(key) {
                Some(l) => loader.parse_task_list(l, scope),
                None => Ok(Vec::new()),
            }
        };
        let pre_tasks = list(self, "pre_tasks", &scope)?;
        let mut main = Vec::new();
        if let Some(roles) = node.get("roles").filter(|r| !r.is_null()) {
            let entries = roles
                .as_seq()
                .ok_or_else(|| LoadError::at(&roles.loc, "`roles` must be a list"))?;
            for entry in entries {
                let (name, params, entry_node) = parse_role_entry(entry)?;
                let mut role_scope = scope.clone();
                role_scope.inherited = scope.inherited.child(&entry_node)?;
                role_scope.inherited.vars.clear();
                main.extend(self.expand_role(&name, &entry.loc, params, None, &role_scope, true)?);
            }
        }
        main.extend(list(self, "tasks", &scope)?);
        let post_tasks = list(self, "post_tasks", &scope)?;
        let handler_scope = Scope {
            handler: true,
            ..scope.clone()
        };
        // The roles' handlers come first, then the play's own, as Ansible (2.19) orders them.
        let mut handlers = std::mem::take(&mut self.role_handlers);
        handlers.extend(list(self, "handlers", &handler_scope)?);

        let vars = match node.get("vars") {
            Some(v) if v.as_map().is_some() => v.to_value(),
            Some(v) if v.is_null() => crate::value::empty_map(),
            Some(v) => return Err(LoadError::at(&v.loc, "`vars` must be a mapping")),
            None => crate::value::empty_map(),
        };
        let vars_files = match node.get("vars_files") {
            Some(v) => match v.as_seq() {
                Some(items) => items.iter().map(|i| (i.to_value(), i.loc.clone())).collect(),
                None => vec![(v.to_value(), v.loc.clone())],
            },
            None => Vec::new(),
        };
        let strategy = match node.get("strategy").map(scalar_string).transpose()?.as_deref() {
            None | Some("linear") => Strategy::Linear,
            Some("free") => Strategy::Free,
            Some(other) => {
                let loc = node
                    .get("strategy")
                    .map(|n| n.loc.clone())
                    .unwrap_or_else(|| node.loc.clone());
                return Err(LoadError::at(
                    &loc,
                    format!("strategy `{other}` is not supported; supported: linear, free"),
                ));
            }
        };
        let _ = node.get("tags").map(parse_tags).transpose()?;
        Ok(Play {
            name: node
                .get("name")
                .map(scalar_string)
                .transpose()?
                .unwrap_or_else(|| hosts.clone()),
            loc: node.loc.clone(),
            hosts,
            gather_facts: node.get("gather_facts").map(parse_bool).transpose()?,
            gather_subset: node
                .get("gather_subset")
                .map(parse_gather_subset)
                .transpose()?
                .unwrap_or_default(),
            strategy,
            vars,
            vars_files,
            roles: std::mem::take(&mut self.role_order),
            sections: vec![pre_tasks, main, post_tasks],
            handlers,
            remote_user: remote_user(node)?,
            connection: node.get("connection").map(parse_connection).transpose()?,
            force_handlers: node.get("force_handlers").map(parse_bool).transpose()?,
            order: node
                .get("order")
                .map(HostOrder::parse)
                .transpose()?
                .unwrap_or_default(),
            any_errors_fatal: node
                .get("any_errors_fatal")
                .map(parse_bool)
                .transpose()?
                .unwrap_or(false),
            serial: node
                .get("serial")
                .map(super::serial::Serial::parse)
                .transpose()?
                .unwrap_or_default(),
            max_fail_percentage: node
                .get("max_fail_percentage")
                .map(super::serial::parse_max_fail_percentage)
                .transpose()?,
        })
    }
}

/// `remote_user`, or `user`, its name before Ansible 2.0 (both at once is an error, as in Ansible).
fn remote_user(node: &Yaml) -> Result<Option<String>, LoadError> {
    match (node.get("remote_user"), node.get("user")) {
        (Some(_), Some(old)) => Err(LoadError::at(
            &old.loc,
            "both `user` and `remote_user` are set for this play; `user` is the old name of \
             `remote_user`: keep only `remote_user`",
        )),
        (Some(v), None) | (None, Some(v)) => Ok(Some(scalar_string(v)?)),
        (None, None) => Ok(None),
    }
}

/// `gather_subset`: a list, or a comma-separated string, of Ansible's subset names.
fn parse_gather_subset(node: &Yaml) -> Result<crate::facts::Selection, LoadError> {
    let items: Vec<String> = match node.as_seq() {
        Some(items) => items.iter().map(scalar_string).collect::<Result<_, _>>()?,
        None => vec![scalar_string(node)?],
    };
    let names: Vec<String> = items
        .iter()
        .flat_map(|i| i.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    crate::facts::Selection::parse(&names, &[])
        .map_err(|e| LoadError::at(&node.loc, format!("`gather_subset`: {e}")))
}
