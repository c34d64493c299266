//! The executor: runs the plan on the hosts.

pub mod facts;
