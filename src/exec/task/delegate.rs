//! `delegate_to`: the task runs over a connection to another host, as ansible-core's task
//! executor and `VariableManager._get_delegated_vars` do it: how to reach that host and become
//! a user there (address, port, user, key, password, ssh options, `become`) come from the
//! delegated host's inventory variables; every other variable stays the original host's
//! (`inventory_hostname` included).

use indexmap::IndexMap;
use minijinja::Value;

use super::super::Runner;
use crate::value::entries;

/// Whether `name` says how to reach or become on a host, so that under delegation it is the
/// delegated host's.
fn is_connection_var(name: &str) -> bool {
    matches!(
        name,
        "ansible_connection"
            | "ansible_host"
            | "ansible_port"
            | "ansible_user"
            | "ansible_password"
            | "ansible_private_key_file"
            | "ansible_host_key_checking"
            | "ansible_python_interpreter"
            | "ansible_shell_type"
            | "ansible_shell_executable"
    ) || name.starts_with("ansible_ssh_")
        || name.starts_with("ansible_become")
        || name.starts_with("ansible_sudo")
}

/// Where a task runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::exec) enum Delegation {
    /// On its own host.
    None,
    /// On the controller: `localhost` (or `127.0.0.1`) that the inventory does not name.
    Controller(String),
    /// On another host, inventory host or address, over its own connection.
    Host(String),
}

impl Delegation {
    /// The name the task was delegated to, if any.
    pub(in crate::exec) fn name(&self) -> Option<&str> {
        match self {
            Delegation::None => None,
            Delegation::Controller(n) | Delegation::Host(n) => Some(n),
        }
    }
}

impl Runner<'_> {
    /// Where a task of `host` delegated to `to` (templated) runs.
    pub(in crate::exec) fn delegation(&self, host: &str, to: Option<String>) -> Delegation {
        match to {
            None => Delegation::None,
            Some(name) if name == host => Delegation::None,
            Some(name) if self.inventory().0.has_host(&name) => Delegation::Host(name),
            Some(name) if matches!(name.as_str(), "localhost" | "127.0.0.1") => Delegation::Controller(name),
            Some(name) => Delegation::Host(name),
        }
    }

    /// The original host's raw variables `raw` with their connection variables replaced by the
    /// delegated host's inventory ones (none for an address the inventory does not name: it is
    /// reached at that address with the run's defaults, as in Ansible).
    pub(in crate::exec) fn delegated_vars(&self, delegate: &str, raw: &Value) -> Value {
        let theirs = self.inventory().0.host_vars(delegate);
        let mut map: IndexMap<Value, Value> = IndexMap::new();
        for (k, v) in entries(raw) {
            if !k.as_str().is_some_and(is_connection_var) {
                map.insert(k, v);
            }
        }
        // Extra vars (`-e`) win over the inventory for the delegated host too.
        for (k, v) in entries(&theirs).into_iter().chain(entries(&self.opts.extra_vars)) {
            if k.as_str().is_some_and(is_connection_var) {
                map.insert(k, v);
            }
        }
        Value::from_pairs(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_variables_are_the_delegated_hosts() {
        for name in [
            "ansible_host",
            "ansible_port",
            "ansible_user",
            "ansible_ssh_private_key_file",
            "ansible_become",
            "ansible_become_password",
        ] {
            assert!(is_connection_var(name), "{name}");
        }
        for name in [
            "inventory_hostname",
            "ansible_facts",
            "app_port",
            "ansible_distribution",
        ] {
            assert!(!is_connection_var(name), "{name}");
        }
    }
}
