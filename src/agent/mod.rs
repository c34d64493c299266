//! Pull mode: `playhook agent` on each server fetches the repository, compares, applies the
//! playbook to this host only, and reports.
//!
//! One pass ([`report::PassReport`]) is the unit everything else speaks about: the run loop
//! produces it, the webhook, metrics, status and git-notes writers consume it.

pub mod reboot;
pub mod report;
