//! YAML as Ansible reads it: YAML 1.1 scalars (PyYAML's `yes`/`no`, `0644` octal) with the line
//! of every node kept, so errors about playbooks, roles and inventories can name file and line.

mod load;
mod resolve;

pub use load::{Node, NodeKind, YamlError, load_all_str, load_file, load_str};
pub use resolve::{python_str, resolve_plain};
