//! The Ansible repository as playhook reads it: `ansible.cfg`, the inventory, host patterns,
//! extra variables (`-e`), and the playbook, plays, roles and tasks as typed, checked values.

pub mod config;
pub mod error;
pub mod extra_vars;
pub mod find_playbook;
pub mod include;
pub mod inventory;
pub mod keywords;
pub mod kv;
pub mod load;
pub mod pattern;
pub mod playbook;
pub mod role;
pub mod serial;
pub mod task;
pub mod tasks;
pub mod var_sources;
pub mod vars_file;
