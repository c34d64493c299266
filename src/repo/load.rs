//! The loader: reads a playbook and everything it names into typed plays.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::task::{Node, RoleInstance};

/// State shared while one playbook is read.
pub struct Loader {
    pub playbook_dir: PathBuf,
    /// Where roles are looked up, in order: `roles_path` and the collection directories, then
    /// `<playbook dir>/roles`, the playbook's directory and `<playbook dir>/collections`. A role
    /// named `namespace.collection.role` is looked up in the collection directories'
    /// `ansible_collections/` (see [`Loader::find_role`]).
    pub roles_path: Vec<PathBuf>,
    /// Roles (name + parameters) already applied in the current play, for de-duplication.
    pub(crate) applied_roles: HashSet<String>,
    /// Roles loaded in the current play, in the order they were loaded.
    pub(crate) role_order: Vec<Arc<RoleInstance>>,
    /// Handlers of the roles loaded in the current play.
    pub(crate) role_handlers: Vec<Node>,
}

impl Loader {
    pub fn new(playbook_dir: PathBuf, mut roles_path: Vec<PathBuf>) -> Self {
        roles_path.push(playbook_dir.join("roles"));
        roles_path.push(playbook_dir.clone());
        roles_path.push(playbook_dir.join("collections"));
        Loader {
            playbook_dir,
            roles_path,
            applied_roles: HashSet::new(),
            role_order: Vec::new(),
            role_handlers: Vec::new(),
        }
    }

    /// The handlers of the roles loaded so far, leaving none behind.
    pub fn take_role_handlers(&mut self) -> Vec<Node> {
        std::mem::take(&mut self.role_handlers)
    }
}
