//! The repository: playbook, plays, roles and tasks read from YAML into typed, checked values.

pub mod error;
pub mod keywords;
pub mod kv;
pub mod load;
pub mod playbook;
pub mod role;
pub mod task;
pub mod tasks;
pub mod truthy;
pub mod vars_file;
