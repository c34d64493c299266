//! What follows a pass, in order: the reboot decision for the applied commit (its lines join the
//! pass's log), the metrics snapshot (and node_exporter textfile), the webhook, and last the
//! reboot itself, so everything is recorded and announced before the host goes down.
//!
//! None of it changes the pass's result: a dead webhook or a bad reboot request is a warning in
//! the log and the journal.

use std::path::Path;

use super::hosts;
use super::pass::Agent;
use super::reboot::{self, Decision, RebootConfig};
use super::report::PassReport;
use crate::hook::checkout;
use crate::secrets::Masker;

/// The reboot state file in the agent's state directory.
pub fn reboot_state(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("reboots.json")
}

/// Decides this host's reboots for the applied commit (the requests of its `playhook.yaml`);
/// the decision's lines are returned for the log. `None` when nothing is applied yet.
pub fn decide_reboots(
    agent: &Agent,
    git_dir: &Path,
    applied: Option<&str>,
) -> Result<Option<Decision>, String> {
    let Some(applied) = applied else {
        return Ok(None);
    };
    let config = RebootConfig::load(&agent.config_path).map_err(|e| e.to_string())?;
    let repo = checkout::open(git_dir, &[]).map_err(|e| e.to_string())?;
    let co = checkout::checkout(&repo, applied).map_err(|e| e.to_string())?;
    let inventory = hosts::load_inventory(co.path())?;
    let Some(host) = hosts::matching_in(&inventory, &agent.names).into_iter().next() else {
        return Ok(None);
    };
    reboot::pass(
        &config,
        co.path(),
        &inventory,
        &host,
        &reboot_state(&agent.state_dir()),
    )
    .map(Some)
    .map_err(|e| e.to_string())
}

/// Metrics and webhook for `report`; returns the warnings to log.
pub fn publish(agent: &Agent, report: &PassReport, masker: &Masker) -> Vec<String> {
    let mut warnings = Vec::new();
    let metrics = agent.config.metrics.clone().unwrap_or_default();
    if let Err(e) = super::metrics::record(&agent.state_dir(), &metrics, report) {
        warnings.push(format!("metrics not written: {}", crate::error_chain::render(&e)));
    }
    if let Some(hook) = &agent.config.webhook {
        if let Err(e) = super::webhook::notify(hook, report, masker) {
            warnings.push(format!(
                "webhook not delivered: {}",
                crate::error_chain::render(&e)
            ));
        }
    }
    warnings
}

/// Carries the reboot decision out (timers, a reboot now); returns what it did.
pub fn execute_reboots(decision: &Decision) -> Result<Vec<String>, String> {
    reboot::execute(decision).map_err(|e| e.to_string())
}
