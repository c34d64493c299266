//! Helpers shared by the integration tests.

pub mod ansible_tasks;
pub mod local;
