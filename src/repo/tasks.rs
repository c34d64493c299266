//! Turning task lists (YAML) into typed [`Node`]s: module and keyword checks, static imports
//! expanded in place, inherited keywords pushed down.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;

use crate::loc::Loc;
use crate::modules;
use crate::template::lookups;
use crate::yaml::{self, Node as Yaml};

use super::error::LoadError;
use super::keywords::Inherited;
use super::keywords::{INHERITED_KEYS, scalar_string, string_list};
use super::kv::parse_kv;
use super::load::Loader;
use super::task::{Action, Block, LoopKind, LoopSpec, MetaAction, Node, RoleInstance, Task};

/// Task keywords accepted besides the module key.
pub const TASK_KEYWORDS: &[&str] = &[
    "name",
    "when",
    "loop",
    "loop_control",
    "register",
    "tags",
    "notify",
    "connection",
    "throttle",
    "become",
    "become_user",
    "become_method",
    "vars",
    "args",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "no_log",
    "run_once",
    "delegate_to",
    "delegate_facts",
    "local_action",
    "action",
    "check_mode",
    "diff",
    "environment",
    "listen",
    "until",
    "retries",
    "delay",
    "async",
    "poll",
];

const BLOCK_KEYWORDS: &[&str] = &["block", "rescue", "always", "name"];

/// Where a task list is being read: its file, its role and its inherited keywords.
#[derive(Clone)]
pub struct Scope {
    pub inherited: Inherited,
    pub role: Option<Arc<RoleInstance>>,
    /// Directory of the file being read, for relative imports.
    pub dir: PathBuf,
    pub handler: bool,
}

impl Loader {
    /// Reads a task file (`import_tasks`, a role's `tasks/main.yml`) into nodes.
    pub fn load_task_file(&mut self, path: &Path, scope: &Scope) -> Result<Vec<Node>, LoadError> {
        let Some(doc) = yaml::load_file(path)? else {
            return Ok(Vec::new());
        };
        let mut scope = scope.clone();
        scope.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.parse_task_list(&doc, &scope)
    }

    /// Reads a YAML list of tasks.
    pub fn parse_task_list(&mut self, list: &Yaml, scope: &Scope) -> Result<Vec<Node>, LoadError> {
        if list.is_null() {
            return Ok(Vec::new());
        }
        let items = list.as_seq().ok_or_else(|| {
            LoadError::at(
                &list.loc,
                format!("expected a list of tasks, found {}", list.type_name()),
            )
        })?;
        let mut out = Vec::new();
        for item in items {
            self.parse_entry(item, scope, &mut out)?;
        }
        Ok(out)
    }

    fn parse_entry(&mut self, node: &Yaml, scope: &Scope, out: &mut Vec<Node>) -> Result<(), LoadError> {
        let map = node.as_map().ok_or_else(|| {
            LoadError::at(
                &node.loc,
                format!("a task must be a mapping, found {}", node.type_name()),
            )
        })?;
        if map.iter().any(|(k, _)| k == "block") {
            return self.parse_block(node, scope, out);
        }
        for key in ["rescue", "always"] {
            if let Some(v) = node.get(key) {
                return Err(LoadError::at(
                    &v.loc,
                    format!("`{key}` is only valid in a `block`"),
                ));
            }
        }
        let (action_key, action_node) = self.find_action(node)?;
        match modules::registry::control_action(&action_key).unwrap_or_default() {
            "import_tasks" => self.import_tasks(node, action_node, scope, out),
            "import_role" => self.import_role(node, action_node, scope, out),
            _ => {
                let task = self.build_task(node, &action_key, action_node, scope)?;
                out.push(Node::Task(Box::new(task)));
                Ok(())
            }
        }
    }

    fn parse_block(&mut self, node: &Yaml, scope: &Scope, out: &mut Vec<Node>) -> Result<(), LoadError> {
        for (key, value) in node.as_map().unwrap_or_default() {
            if !BLOCK_KEYWORDS.contains(&key.as_str()) && !INHERITED_KEYS.contains(&key.as_str()) {
                return Err(unknown_keyword(
                    &value.loc,
                    key,
                    "block",
                    &[BLOCK_KEYWORDS, INHERITED_KEYS],
                ));
            }
        }
        let mut inner = scope.clone();
        inner.inherited = scope.inherited.child(node)?;
        let section = |loader: &mut Loader, key: &str| -> Result<Vec<Node>, LoadError> {
            match node.get(key) {
                Some(list) => loader.parse_task_list(list, &inner),
                None => Ok(Vec::new()),
            }
        };
        let block = Block {
            name: node.get("name").and_then(|n| n.as_str()).map(str::to_string),
            loc: node.loc.clone(),
            block: section(self, "block")?,
            rescue: section(self, "rescue")?,
            always: section(self, "always")?,
        };
        out.push(Node::Block(Box::new(block)));
        Ok(())
    }

    /// Finds the one key of a task that names its action.
    fn find_action<'n>(&self, node: &'n Yaml) -> Result<(String, &'n Yaml), LoadError> {
        let map = node.as_map().unwrap_or_default();
        let mut found: Option<(String, &Yaml)> = None;
        for (key, value) in map {
            let keyword = TASK_KEYWORDS.contains(&key.as_str()) || key.starts_with("with_");
            if keyword && key != "local_action" && key != "action" {
                continue;
            }
            let is_action = key == "local_action"
                || key == "action"
                || modules::registry::control_action(key).is_some()
                || modules::lookup(key).is_some();
            if !is_action {
                return Err(unknown_task_key(&node.key_loc(key), key));
            }
            if let Some((first, _)) = &found {
                return Err(LoadError::at(
                    &value.loc,
                    format!("a task can run one action, but this one has `{first}` and `{key}`"),
                ));
            }
            found = Some((key.clone(), value));
        }
        found.ok_or_else(|| {
            LoadError::at(
                &node.loc,
                "this task has no action: add a module such as `command:` or `copy:`",
            )
        })
    }

    fn import_tasks(
        &mut self,
        node: &Yaml,
        arg: &Yaml,
        scope: &Scope,
        out: &mut Vec<Node>,
    ) -> Result<(), LoadError> {
        check_keys(node, &["name"], "import_tasks")?;
        let file = literal_path(arg, "import_tasks")?;
        let path = self.resolve_task_file(&file, scope).ok_or_else(|| {
            LoadError::at(
                &arg.loc,
                format!(
                    "`import_tasks`: cannot find `{file}` (looked beside this file and in the role's tasks/)"
                ),
            )
        })?;
        let mut inner = scope.clone();
        inner.inherited = scope.inherited.child(node)?;
        out.extend(self.load_task_file(&path, &inner)?);
        Ok(())
    }

    fn import_role(
        &mut self,
        node: &Yaml,
        arg: &Yaml,
        scope: &Scope,
        out: &mut Vec<Node>,
    ) -> Result<(), LoadError> {
        check_keys(node, &["name"], "import_role")?;
        let role_args = arg
            .as_map()
            .ok_or_else(|| LoadError::at(&arg.loc, "`import_role` needs a mapping with `name:`"))?;
        let mut name = None;
        let mut tasks_from = None;
        let mut params: Vec<(String, Value)> = Vec::new();
        for (key, value) in role_args {
            match key.as_str() {
                "name" => name = Some(scalar_string(value)?),
                "tasks_from" => tasks_from = Some(scalar_string(value)?),
                "handlers_from" | "vars_from" | "defaults_from" | "allow_duplicates" | "public"
                | "rolespec_validate" => {}
                other => {
                    return Err(LoadError::at(
                        &value.loc,
                        format!(
                            "`import_role` does not take `{other}`; supported: name, tasks_from, handlers_from, vars_from, defaults_from"
                        ),
                    ));
                }
            }
        }
        // `vars:` on an import_role are role parameters for the imported role.
        let mut inherited = scope.inherited.child(node)?;
        if let Some(vars) = node.get("vars").and_then(|v| v.as_map()) {
            inherited
                .vars
                .retain(|(k, _)| !vars.iter().any(|(vk, _)| vk == k));
            params.extend(vars.iter().map(|(k, v)| (k.clone(), v.to_value())));
        }
        let name = name.ok_or_else(|| LoadError::at(&arg.loc, "`import_role` needs `name:`"))?;
        let params_value = Value::from_pairs(params.into_iter().map(|(k, v)| (Value::from(k), v)));
        let mut inner = scope.clone();
        inner.inherited = inherited;
        let nodes = self.expand_role(
            &name,
            &arg.loc,
            params_value,
            tasks_from.as_deref(),
            &inner,
            false,
        )?;
        out.extend(nodes);
        Ok(())
    }

    /// Builds one task (a module, an include, or `meta`).
    fn build_task(
        &mut self,
        node: &Yaml,
        action_key: &str,
        action_node: &Yaml,
        scope: &Scope,
    ) -> Result<Task, LoadError> {
        for (key, value) in node.as_map().unwrap_or_default() {
            if key == "listen" && !scope.handler {
                return Err(LoadError::at(&value.loc, "`listen` is only valid on handlers"));
            }
        }
        let own = scope.inherited.child(node)?;
        let (module_key, args_node_value, mut delegate) = match action_key {
            "local_action" | "action" => {
                let (name, args) = split_action_string(action_node)?;
                let delegate = (action_key == "local_action").then(|| Value::from("localhost"));
                (name, args, delegate)
            }
            key => (key.to_string(), ArgsSource::Node(action_node.clone()), None),
        };
        if delegate.is_none() {
            delegate = own.delegate_to.clone();
        }
        let short = modules::registry::control_action(&module_key).unwrap_or_default();
        let action = match short {
            "include_tasks" => Action::IncludeTasks {
                file: include_file(&args_node_value, &action_node.loc)?,
            },
            "include_role" => {
                let args = args_value(&args_node_value, false);
                let name = args
                    .get_attr("name")
                    .ok()
                    .filter(|v| !v.is_undefined())
                    .ok_or_else(|| LoadError::at(&action_node.loc, "`include_role` needs `name:`"))?;
                let tasks_from = args
                    .get_attr("tasks_from")
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string));
                let public = args.get_attr("public").ok().map(|v| v.is_true()).unwrap_or(false);
                Action::IncludeRole {
                    name,
                    tasks_from,
                    public,
                }
            }
            "meta" => {
                let text = args_value(&args_node_value, true);
                let text = text
                    .get_attr("_raw_params")
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let meta = MetaAction::parse(text.trim()).ok_or_else(|| {
                    LoadError::at(
                        &action_node.loc,
                        format!(
                            "`meta: {text}` is not supported; supported: {}",
                            MetaAction::NAMES.join(", ")
                        ),
                    )
                })?;
                Action::Meta(meta)
            }
            _ => {
                let module = modules::lookup(&module_key)
                    .ok_or_else(|| unknown_task_key(&node.key_loc(action_key), &module_key))?;
                let mut args = args_value(&args_node_value, module.spec().free_form);
                if let Some(extra) = node.get("args") {
                    args = merge_args(&args, &extra.to_value());
                }
                // An argument's own line: in the module's mapping, else in `args:`, else the
                // line of the module's `k=v` text.
                let key_loc = |key: &str| {
                    [Some(action_node), node.get("args")]
                        .into_iter()
                        .flatten()
                        .find(|n| n.key_lines.iter().any(|(k, _)| k == key))
                        .map_or_else(|| action_node.loc.clone(), |n| n.key_loc(key))
                };
                check_params(module, &args, &action_node.loc, &key_loc)?;
                Action::Module { module, args }
            }
        };
        let loop_spec = parse_loop(node, &module_key)?;
        let (async_secs, background) = parse_async(node, &action)?;
        let tags = own.tags.clone();
        let name = match node.get("name") {
            Some(n) if !n.is_null() => Some(scalar_string(n)?),
            _ => None,
        };
        Ok(Task {
            name,
            loc: node.loc.clone(),
            action,
            tags,
            when: own.when.clone(),
            vars: own.vars_value(),
            loop_spec,
            register: node.get("register").map(scalar_string).transpose()?,
            notify: own.notify.clone().unwrap_or_default(),
            connection: own.connection.clone(),
            throttle: own.throttle.unwrap_or(0),
            async_secs,
            background,
            changed_when: node.get("changed_when").map(super::keywords::parse_conditions),
            failed_when: node.get("failed_when").map(super::keywords::parse_conditions),
            until: node.get("until").map(super::keywords::parse_conditions),
            retries: node.get("retries").map(Yaml::to_value),
            delay: node.get("delay").map(Yaml::to_value),
            ignore_errors: own.ignore_errors.clone(),
            no_log: own.no_log.clone(),
            run_once: own.run_once.unwrap_or(false),
            delegate_to: delegate,
            delegate_facts: node
                .get("delegate_facts")
                .map(super::keywords::parse_bool)
                .transpose()?
                .unwrap_or(false),
            escalate: own.escalate.clone(),
            become_user: own.become_user.clone(),
            become_method: own.become_method.clone(),
            check_mode: own.check_mode.clone(),
            diff: own.diff.clone(),
            environment: own.environment.clone(),
            role: scope.role.clone(),
            listen: node
                .get("listen")
                .map(string_list)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Finds a task file named by an import or include: beside the current file, in the role's
    /// `tasks/`, then in the playbook directory.
    pub fn resolve_task_file(&self, file: &str, scope: &Scope) -> Option<PathBuf> {
        let mut candidates = vec![scope.dir.join(file)];
        if let Some(role) = &scope.role {
            candidates.push(role.path.join("tasks").join(file));
        }
        candidates.push(self.playbook_dir.join(file));
        candidates.into_iter().find(|p| p.is_file())
    }
}

/// The arguments of a task before templating: a YAML node, or `action:` text.
#[derive(Clone)]
enum ArgsSource {
    Node(Yaml),
    Text(String),
}

fn args_value(source: &ArgsSource, free_form: bool) -> Value {
    let pairs_to_value = |pairs: Vec<(String, String)>| -> Value {
        Value::from_pairs(pairs.into_iter().map(|(k, v)| (Value::from(k), Value::from(v))))
    };
    match source {
        ArgsSource::Text(text) => pairs_to_value(parse_kv(text, free_form)),
        ArgsSource::Node(node) => {
            if node.is_null() {
                return crate::value::empty_map();
            }
            match node.as_map() {
                Some(_) => node.to_value(),
                None => {
                    let value = node.to_value();
                    let text = value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| value.to_string());
                    pairs_to_value(parse_kv(&text, free_form))
                }
            }
        }
    }
}

fn merge_args(base: &Value, extra: &Value) -> Value {
    let mut map = indexmap::IndexMap::new();
    for v in [base, extra] {
        if let Ok(iter) = v.try_iter() {
            for key in iter {
                if let Ok(val) = v.get_item(&key) {
                    map.insert(key, val);
                }
            }
        }
    }
    Value::from_pairs(map)
}

fn check_params(
    module: &dyn modules::Module,
    args: &Value,
    loc: &Loc,
    key_loc: &dyn Fn(&str) -> Loc,
) -> Result<(), LoadError> {
    let Ok(keys) = args.try_iter() else {
        return Err(LoadError::at(
            loc,
            format!("`{}` arguments must be a mapping", module.name()),
        ));
    };
    let accepts = module.accepts();
    for key in keys {
        let key = key.as_str().unwrap_or_default().to_string();
        if !accepts.allows(&key) {
            let mut supported: Vec<&str> = match accepts {
                modules::Accepts::Names(names) => {
                    names.iter().copied().filter(|n| !n.starts_with('_')).collect()
                }
                modules::Accepts::AnyName => Vec::new(),
            };
            supported.sort_unstable();
            return Err(LoadError::at(
                &key_loc(&key),
                format!(
                    "module `{}` does not take `{key}`; supported: {}",
                    module.name(),
                    supported.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// `local_action: copy src=a dest=b` or `action: {module: copy, src: a}`.
fn split_action_string(node: &Yaml) -> Result<(String, ArgsSource), LoadError> {
    if let Some(map) = node.as_map() {
        let module = node
            .get("module")
            .and_then(|m| m.as_str())
            .ok_or_else(|| LoadError::at(&node.loc, "an `action` mapping needs `module:`"))?;
        let rest: Vec<(String, Yaml)> = map.iter().filter(|(k, _)| k != "module").cloned().collect();
        let args = Yaml {
            kind: crate::yaml::NodeKind::Map(rest),
            loc: node.loc.clone(),
            key_lines: node.key_lines.clone(),
        };
        return Ok((module.to_string(), ArgsSource::Node(args)));
    }
    let text = scalar_string(node)?;
    let mut parts = text.trim().splitn(2, char::is_whitespace);
    let module = parts.next().unwrap_or_default().to_string();
    let rest = parts.next().unwrap_or_default().to_string();
    Ok((module, ArgsSource::Text(rest)))
}

fn include_file(source: &ArgsSource, loc: &Loc) -> Result<Value, LoadError> {
    let args = args_value(source, true);
    for key in ["file", "_raw_params"] {
        if let Ok(v) = args.get_attr(key) {
            if !v.is_undefined() && !v.is_none() {
                return Ok(v);
            }
        }
    }
    Err(LoadError::at(loc, "`include_tasks` needs a file name"))
}

fn literal_path(node: &Yaml, keyword: &str) -> Result<String, LoadError> {
    let text = match node.get("file") {
        Some(f) => scalar_string(f)?,
        None => scalar_string(node)?,
    };
    if text.contains("{{") {
        return Err(LoadError::at(
            &node.loc,
            format!(
                "`{keyword}` is static and cannot use variables in its file name; use `include_tasks` instead"
            ),
        ));
    }
    Ok(text)
}

fn check_keys(node: &Yaml, allowed: &[&str], what: &str) -> Result<(), LoadError> {
    for (key, value) in node.as_map().unwrap_or_default() {
        let is_the_action = modules::registry::control_action(key) == Some(what);
        if !is_the_action && !allowed.contains(&key.as_str()) && !INHERITED_KEYS.contains(&key.as_str()) {
            return Err(unknown_keyword(&value.loc, key, what, &[allowed, INHERITED_KEYS]));
        }
    }
    Ok(())
}

fn parse_loop(node: &Yaml, action: &str) -> Result<Option<LoopSpec>, LoadError> {
    let mut found: Option<(Value, LoopKind)> = None;
    for (key, value) in node.as_map().unwrap_or_default() {
        let kind = if key == "loop" {
            LoopKind::Loop
        } else if let Some(name) = key.strip_prefix("with_") {
            let name = lookups::known(name).ok_or_else(|| {
                LoadError::at(
                    &value.loc,
                    format!(
                        "`{key}` loops over an unknown lookup; supported: loop, {}",
                        lookups::names()
                            .iter()
                            .map(|n| format!("with_{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            LoopKind::Lookup(name)
        } else {
            continue;
        };
        if found.is_some() {
            return Err(LoadError::at(
                &value.loc,
                "a task can have only one loop: `loop` or one `with_<lookup>`",
            ));
        }
        found = Some((value.to_value(), kind));
    }
    let control = node.get("loop_control");
    if found.is_none() {
        if let Some(c) = control {
            return Err(LoadError::at(&c.loc, "`loop_control` needs a `loop`"));
        }
        return Ok(None);
    }
    let (items, kind) = found.expect("checked above");
    let mut spec = LoopSpec {
        items,
        kind,
        subdir: first_found_subdir(action),
        loop_var: "item".to_string(),
        index_var: None,
        label: None,
    };
    if let Some(control) = control {
        let map = control
            .as_map()
            .ok_or_else(|| LoadError::at(&control.loc, "`loop_control` must be a mapping"))?;
        for (key, value) in map {
            match key.as_str() {
                "loop_var" => spec.loop_var = scalar_string(value)?,
                "index_var" => spec.index_var = Some(scalar_string(value)?),
                "label" => spec.label = Some(value.to_value()),
                "pause" | "extended" => {}
                other => {
                    return Err(LoadError::at(
                        &value.loc,
                        format!(
                            "`loop_control` does not take `{other}`; supported: loop_var, index_var, label"
                        ),
                    ));
                }
            }
        }
    }
    Ok(Some(spec))
}

/// The directory `with_first_found` searches, after the action's name, as Ansible picks it.
fn first_found_subdir(action: &str) -> &'static str {
    if action.contains("template") {
        "templates"
    } else if action.contains("var") {
        "vars"
    } else {
        "files"
    }
}

/// `async: SECONDS` and whether the task runs in the background. With `poll` above 0
/// (Ansible's default poll is 15) the task runs in the foreground and is stopped after that
/// long; with `poll: 0` it starts a background job (fire and forget, checked later with
/// `async_status`), which a module running on the controller cannot, as in Ansible.
fn parse_async(node: &Yaml, action: &Action) -> Result<(u64, bool), LoadError> {
    let poll = node
        .get("poll")
        .map(|p| super::keywords::parse_count(p, "poll").map(|n| (n, p)))
        .transpose()?;
    let Some(value) = node.get("async") else {
        return Ok((0, false));
    };
    let secs = super::keywords::parse_count(value, "async")? as u64;
    if let Action::Module { module, .. } = action {
        let spec = module.spec();
        if secs > 0 && spec.runs_on == modules::RunsOn::Host && !spec.takes_async {
            return Err(LoadError::at(
                &value.loc,
                format!(
                    "`async`: this action ({}) does not support async, as in Ansible; remove `async` and `poll`",
                    module.name()
                ),
            ));
        }
    }
    let Some((0, poll)) = poll else {
        return Ok((secs, false));
    };
    if secs == 0 {
        return Ok((0, false));
    }
    match action {
        Action::Module { module, .. } if module.spec().runs_on == modules::RunsOn::Host => Ok((secs, true)),
        Action::Module { module, .. } => Err(LoadError::at(
            &poll.loc,
            format!(
                "`poll: 0`: this action ({}) does not support async (it runs on the controller); \
                 remove `async` and `poll`",
                module.name()
            ),
        )),
        _ => Err(LoadError::at(
            &poll.loc,
            "`poll: 0` (a background job) needs a module task; remove `async` and `poll`",
        )),
    }
}

fn unknown_task_key(loc: &Loc, key: &str) -> LoadError {
    let names = modules::registry::known_names();
    LoadError::at(
        loc,
        format!(
            "`{key}` is neither a supported module nor a task keyword.\n  supported modules: {}\n  task keywords: {}",
            names.join(", "),
            TASK_KEYWORDS.join(", ")
        ),
    )
}

fn unknown_keyword(loc: &Loc, key: &str, what: &str, lists: &[&[&str]]) -> LoadError {
    let mut all: Vec<&str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    LoadError::at(
        loc,
        format!(
            "`{key}` is not a supported keyword of {what}; supported: {}",
            all.join(", ")
        ),
    )
}
