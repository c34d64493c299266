//! The Ansible repository as playhook reads it: `ansible.cfg`, the inventory, host patterns and
//! extra variables (`-e`). The playbook model lives here too.

pub mod config;
pub mod extra_vars;
pub mod inventory;
pub mod pattern;
