//! Pull mode: `playhook agent` on each server fetches the repository, compares, applies the
//! playbook to this host only, and reports.
//!
//! One pass ([`report::PassReport`]) is the unit everything else speaks about: the run loop
//! produces it, the webhook, metrics, status and git-notes writers consume it.

pub mod metrics;
pub mod metrics_render;
pub mod report;
pub mod serve;
pub mod serve_auth;
pub mod serve_coalesce;
pub mod serve_limit;
pub mod signature;
pub mod webhook;
mod webhook_payload;
pub mod webhook_send;
