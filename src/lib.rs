//! playhook: git-push deploys for Ansible repositories.
//!
//! The crate is a library with a thin binary on top (`main.rs`). See `ARCHITECTURE.md` for the
//! code map; each module's docs say what it owns.

pub mod agent;
pub mod calendar;
pub mod cli;
pub mod connection;
pub mod error_chain;
pub mod exec;
pub mod facts;
pub mod hook;
pub mod loc;
pub mod modules;
pub mod orphans;
pub mod output;
pub mod plan;
pub mod repo;
pub mod secrets;
pub mod shown;
pub mod template;
pub mod truthy;
pub mod value;
pub mod yaml;
