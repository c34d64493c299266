//! Roles: `roles/NAME/{tasks,handlers,defaults,vars,meta}/main.y(a)ml`, dependencies first,
//! each applied once per play unless its parameters differ.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;

use crate::loc::Loc;
use crate::yaml::{self, Node as Yaml};

use super::error::LoadError;
use super::keywords::{INHERITED_KEYS, Inherited};
use super::load::Loader;
use super::task::{Node, RoleInstance};
use super::tasks::Scope;

/// Keys a `roles:` entry or a `dependencies:` entry may have besides role parameters.
const ROLE_ENTRY_KEYS: &[&str] = &[
    "role",
    "name",
    "tags",
    "when",
    "become",
    "become_user",
    "become_method",
    "vars",
];

impl Loader {
    /// Finds a role's directory: a path, a role of a collection (`namespace.collection.role`,
    /// in `<dir>/ansible_collections/namespace/collection/roles/role`), or a role directory.
    pub fn find_role(&self, name: &str) -> Option<PathBuf> {
        if name.contains('/') {
            let p = self.playbook_dir.join(name);
            return p.is_dir().then_some(p);
        }
        let is_role =
            |p: &PathBuf| p.join("tasks").is_dir() || p.join("meta").is_dir() || p.join("handlers").is_dir();
        let in_collection = collection_role(name).and_then(|(namespace, collection, role)| {
            self.roles_path
                .iter()
                .map(|dir| {
                    dir.join("ansible_collections")
                        .join(namespace)
                        .join(collection)
                        .join("roles")
                        .join(role)
                })
                .find(is_role)
        });
        in_collection.or_else(|| self.roles_path.iter().map(|dir| dir.join(name)).find(is_role))
    }

    /// Expands a role into its nodes: dependencies first, then its tasks, all under `scope`
    /// (whose inherited tags, conditions and become apply to every task, dependencies included).
    /// `dedup` applies the once-per-play rule (used for `roles:` and dependencies).
    pub fn expand_role(
        &mut self,
        name: &str,
        loc: &Loc,
        params: Value,
        tasks_from: Option<&str>,
        scope: &Scope,
        dedup: bool,
    ) -> Result<Vec<Node>, LoadError> {
        let path = self.find_role(name).ok_or_else(|| {
            let searched: Vec<String> = self.roles_path.iter().map(|p| p.display().to_string()).collect();
            LoadError::at(
                loc,
                format!("role `{name}` not found; looked in: {}", searched.join(", ")),
            )
        })?;
        let key = format!(
            "{name}\u{0}{}",
            serde_json::to_string(&params).unwrap_or_default()
        );
        if dedup && !self.applied_roles.insert(key) {
            return Ok(Vec::new());
        }
        let role = Arc::new(RoleInstance {
            name: name.to_string(),
            defaults: load_vars_dir(&path, "defaults")?,
            vars: load_vars_dir(&path, "vars")?,
            path: path.clone(),
            params,
        });
        self.role_order.push(Arc::clone(&role));
        let mut out = Vec::new();
        for dep in role_dependencies(&path)? {
            let (dep_name, dep_params, dep_node) = parse_role_entry(&dep)?;
            let mut dep_scope = scope.clone();
            dep_scope.inherited = scope.inherited.child(&dep_node)?;
            dep_scope.inherited.vars.clear();
            out.extend(self.expand_role(&dep_name, &dep.loc, dep_params, None, &dep_scope, true)?);
        }
        let tasks_file = find_main(&path.join("tasks"), tasks_from.unwrap_or("main"));
        if let Some(tasks_file) = tasks_file {
            let mut inner = scope.clone();
            inner.role = Some(Arc::clone(&role));
            out.extend(self.load_task_file(&tasks_file, &inner)?);
        } else if let Some(from) = tasks_from {
            return Err(LoadError::at(
                loc,
                format!(
                    "role `{name}` has no tasks file `{from}` in {}",
                    path.join("tasks").display()
                ),
            ));
        }
        let handlers_file = find_main(&path.join("handlers"), "main");
        if let Some(handlers_file) = handlers_file {
            let handler_scope = Scope {
                inherited: Inherited::default(),
                role: Some(Arc::clone(&role)),
                dir: path.join("handlers"),
                handler: true,
            };
            let handlers = self.load_task_file(&handlers_file, &handler_scope)?;
            self.role_handlers.extend(handlers);
        }
        Ok(out)
    }
}

/// `namespace.collection.role` split in three, when the name has that form.
fn collection_role(name: &str) -> Option<(&str, &str, &str)> {
    let mut parts = name.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(namespace), Some(collection), Some(role), None)
            if [namespace, collection, role].iter().all(|p| !p.is_empty()) =>
        {
            Some((namespace, collection, role))
        }
        _ => None,
    }
}

/// A `roles:` or `dependencies:` entry: `name`, or a mapping with `role:`/`name:` plus
/// keywords and role parameters. Returns the name, the parameters, and the node for keywords.
pub fn parse_role_entry(node: &Yaml) -> Result<(String, Value, Yaml), LoadError> {
    if let Some(name) = node.as_str() {
        let empty = Yaml {
            kind: crate::yaml::NodeKind::Map(Vec::new()),
            loc: node.loc.clone(),
            key_lines: Vec::new(),
        };
        return Ok((name.to_string(), crate::value::empty_map(), empty));
    }
    let map = node.as_map().ok_or_else(|| {
        LoadError::at(
            &node.loc,
            format!(
                "a role entry must be a name or a mapping, found {}",
                node.type_name()
            ),
        )
    })?;
    let name = node
        .get("role")
        .or_else(|| node.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| LoadError::at(&node.loc, "a role entry needs `role: NAME`"))?
        .to_string();
    let mut params = indexmap::IndexMap::new();
    for (key, value) in map {
        if ROLE_ENTRY_KEYS.contains(&key.as_str()) || INHERITED_KEYS.contains(&key.as_str()) {
            continue;
        }
        params.insert(key.clone(), value.to_value());
    }
    if let Some(vars) = node.get("vars").and_then(|v| v.as_map()) {
        for (k, v) in vars {
            params.insert(k.clone(), v.to_value());
        }
    }
    let params = Value::from_pairs(params.into_iter().map(|(k, v)| (Value::from(k), v)));
    Ok((name, params, node.clone()))
}

fn role_dependencies(role: &Path) -> Result<Vec<Yaml>, LoadError> {
    let Some(meta) = find_main(&role.join("meta"), "main") else {
        return Ok(Vec::new());
    };
    let Some(doc) = yaml::load_file(&meta)? else {
        return Ok(Vec::new());
    };
    match doc.get("dependencies") {
        None => Ok(Vec::new()),
        Some(deps) if deps.is_null() => Ok(Vec::new()),
        Some(deps) => Ok(deps
            .as_seq()
            .ok_or_else(|| LoadError::at(&deps.loc, "`dependencies` must be a list of roles"))?
            .to_vec()),
    }
}

/// `dir/NAME.yml`, `dir/NAME.yaml` or `dir/NAME`, whichever exists.
pub fn find_main(dir: &Path, name: &str) -> Option<PathBuf> {
    if Path::new(name).extension().is_some() {
        let p = dir.join(name);
        return p.is_file().then_some(p);
    }
    ["yml", "yaml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .chain(std::iter::once(dir.join(name)))
        .find(|p| p.is_file())
}

/// Reads `defaults/main.yml` or `vars/main.yml` of a role into a mapping (empty if absent).
fn load_vars_dir(role: &Path, sub: &str) -> Result<Value, LoadError> {
    let Some(file) = find_main(&role.join(sub), "main") else {
        return Ok(crate::value::empty_map());
    };
    super::vars_file::load_vars_file(&file)
}
