//! Helpers shared by the integration tests.

pub mod ansible_tasks;
pub mod become_users;
pub mod fleet;
pub mod local;
pub mod modules;
pub mod repo;
pub mod tree;
