//! Helpers shared by the integration tests.

pub mod local;
pub mod modules;
pub mod repo;
