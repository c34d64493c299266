//! Helpers shared by the integration tests.

pub mod git;
pub mod local;
pub mod modules;
