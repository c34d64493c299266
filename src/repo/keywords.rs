//! Keywords that blocks, imports, roles and plays pass down to the tasks inside them.

use minijinja::Value;

use crate::yaml::Node;

use super::error::LoadError;

/// Inheritable keywords collected from an enclosing block, import, role entry or play.
#[derive(Clone, Debug, Default)]
pub struct Inherited {
    pub tags: Vec<String>,
    pub when: Vec<Value>,
    pub vars: Vec<(String, Value)>,
    pub escalate: Option<Value>,
    pub become_user: Option<Value>,
    pub become_method: Option<String>,
    pub ignore_errors: Option<Value>,
    pub no_log: Option<Value>,
    pub check_mode: Option<Value>,
    pub diff: Option<Value>,
    pub environment: Vec<Value>,
    pub delegate_to: Option<Value>,
    pub run_once: Option<bool>,
    /// `notify` of a block (or the task's own): the innermost one wins, as in Ansible.
    pub notify: Option<Vec<String>>,
    /// `connection`: `local` or `ssh` (`smart`, `paramiko` and the FQCN forms are ssh).
    pub connection: Option<String>,
    /// `throttle`: at most this many hosts run the task at once (0: no limit).
    pub throttle: Option<usize>,
}

/// The `connection` values playhook runs, and what each is.
pub const CONNECTIONS: &[(&str, &str)] = &[
    ("local", "local"),
    ("ansible.builtin.local", "local"),
    ("ssh", "ssh"),
    ("ansible.builtin.ssh", "ssh"),
    ("smart", "ssh"),
    ("paramiko", "ssh"),
    ("paramiko_ssh", "ssh"),
    ("ansible.builtin.paramiko_ssh", "ssh"),
];

/// `local` or `ssh` for a `connection` value, or an error naming the supported ones.
pub fn parse_connection(node: &Node) -> Result<String, LoadError> {
    let text = scalar_string(node)?;
    match CONNECTIONS.iter().find(|(name, _)| *name == text) {
        Some((_, kind)) => Ok((*kind).to_string()),
        None => Err(LoadError::at(
            &node.loc,
            format!(
                "connection `{text}` is not supported; supported: {}",
                CONNECTIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// `throttle`: a non-negative integer.
fn parse_throttle(node: &Node) -> Result<usize, LoadError> {
    parse_count(node, "throttle")
}

/// A keyword that must be a whole number, 0 or more (`throttle`, `async`, `poll`).
pub fn parse_count(node: &Node, keyword: &str) -> Result<usize, LoadError> {
    let v = node.to_value();
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .and_then(|n| usize::try_from(n).ok());
    n.ok_or_else(|| {
        LoadError::at(
            &node.loc,
            format!(
                "`{keyword}` must be a whole number (0 or more), found {}",
                node.type_name()
            ),
        )
    })
}

/// The keys `Inherited::absorb` understands.
pub const INHERITED_KEYS: &[&str] = &[
    "tags",
    "when",
    "vars",
    "become",
    "become_user",
    "become_method",
    "ignore_errors",
    "no_log",
    "check_mode",
    "diff",
    "environment",
    "delegate_to",
    "run_once",
    "notify",
    "connection",
    "throttle",
];

impl Inherited {
    /// A child scope: this scope's keywords with `node`'s own inheritable keywords on top.
    pub fn child(&self, node: &Node) -> Result<Inherited, LoadError> {
        let mut next = self.clone();
        next.absorb(node)?;
        Ok(next)
    }

    /// Adds the inheritable keywords found in a task, block or import mapping.
    pub fn absorb(&mut self, node: &Node) -> Result<(), LoadError> {
        let Some(map) = node.as_map() else { return Ok(()) };
        for (key, value) in map {
            match key.as_str() {
                "tags" => self.tags.extend(parse_tags(value)?),
                "when" => self.when.extend(parse_conditions(value)),
                "vars" => {
                    let entries = value
                        .as_map()
                        .ok_or_else(|| LoadError::at(&value.loc, "`vars` must be a mapping"));
                    if !value.is_null() {
                        for (k, v) in entries? {
                            self.vars.retain(|(existing, _)| existing != k);
                            self.vars.push((k.clone(), v.to_value()));
                        }
                    }
                }
                "become" => self.escalate = Some(value.to_value()),
                "become_user" => self.become_user = Some(value.to_value()),
                "become_method" => self.become_method = Some(scalar_string(value)?),
                "ignore_errors" => self.ignore_errors = Some(value.to_value()),
                "no_log" => self.no_log = Some(value.to_value()),
                "check_mode" => self.check_mode = Some(value.to_value()),
                "diff" => self.diff = Some(value.to_value()),
                "environment" => self.environment.push(value.to_value()),
                "delegate_to" => self.delegate_to = Some(value.to_value()),
                "run_once" => self.run_once = Some(parse_bool(value)?),
                "notify" => self.notify = Some(string_list(value)?),
                "connection" => self.connection = Some(parse_connection(value)?),
                "throttle" => self.throttle = Some(parse_throttle(value)?),
                _ => {}
            }
        }
        Ok(())
    }

    /// The merged `vars` as one mapping value.
    pub fn vars_value(&self) -> Value {
        Value::from_pairs(
            self.vars
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone())),
        )
    }
}

/// `tags: web`, `tags: [a, b]` or `tags: "a, b"`.
pub fn parse_tags(node: &Node) -> Result<Vec<String>, LoadError> {
    let value = node.to_value();
    let mut tags = Vec::new();
    let mut push = |v: &Value| {
        let text = match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_string(),
        };
        tags.extend(
            text.split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        );
    };
    if value.is_none() {
        return Ok(tags);
    }
    if let Some(seq) = node.as_seq() {
        for item in seq {
            if item.as_map().is_some() || item.as_seq().is_some() {
                return Err(LoadError::at(&item.loc, "a tag must be a string"));
            }
            push(&item.to_value());
        }
    } else if node.as_map().is_some() {
        return Err(LoadError::at(
            &node.loc,
            "`tags` must be a string or a list of strings",
        ));
    } else {
        push(&value);
    }
    Ok(tags)
}

/// `when: cond`, `when: [c1, c2]` (all must hold).
pub fn parse_conditions(node: &Node) -> Vec<Value> {
    match node.as_seq() {
        Some(items) => items.iter().map(|n| n.to_value()).collect(),
        None if node.is_null() => Vec::new(),
        None => vec![node.to_value()],
    }
}

/// A keyword that must be a literal boolean (`yes`/`no`/`true`/`false`).
pub fn parse_bool(node: &Node) -> Result<bool, LoadError> {
    let v = node.to_value();
    if v.is_none() {
        return Ok(false);
    }
    if let Some(b) = crate::truthy::boolean(&v) {
        return Ok(b);
    }
    Err(LoadError::at(
        &node.loc,
        format!("expected a boolean (true/false), found {}", node.type_name()),
    ))
}

/// A keyword that must be a scalar, as a string.
pub fn scalar_string(node: &Node) -> Result<String, LoadError> {
    let v = node.to_value();
    if node.as_map().is_some() || node.as_seq().is_some() || v.is_none() {
        return Err(LoadError::at(
            &node.loc,
            format!("expected a string, found {}", node.type_name()),
        ));
    }
    Ok(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

/// A string or a list of strings (`notify`, `listen`).
pub fn string_list(node: &Node) -> Result<Vec<String>, LoadError> {
    match node.as_seq() {
        Some(items) => items.iter().map(scalar_string).collect(),
        None if node.is_null() => Ok(Vec::new()),
        None => Ok(vec![scalar_string(node)?]),
    }
}
