//! Helpers shared by the integration tests.

pub mod local;
pub mod repo;
