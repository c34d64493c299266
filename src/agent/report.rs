//! What one agent pass did: the record the run loop produces and every reporter (webhook,
//! metrics, status, git notes) reads.
//!
//! The log it carries is already masked; nothing else in it can hold a secret.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::output::Counts;

/// How the applied commit relates to the fetched one, decided before anything is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Nothing applied yet on this host.
    First,
    UpToDate,
    FastForward,
    /// The applied commit descends from the fetched one.
    LocalAhead,
    Diverged,
    /// The branch was force-pushed to an ancestor of the applied commit.
    Rewound,
}

/// The outcome of a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassResult {
    /// Applied, every host ok.
    Ok,
    /// Nothing to apply (up to date, or frozen).
    Unchanged,
    /// The playbook ran and a task failed.
    Failed,
    /// Refused before applying (ahead, diverged, rewound without `allow_rewind`).
    Refused,
    /// The fetch or the set-up failed; nothing was applied.
    Error,
}

/// One pass of the agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassReport {
    /// The host's name as the inventory knows it.
    pub host: String,
    pub branch: String,
    /// The commit fetched this pass (None when the fetch failed).
    pub fetched: Option<String>,
    /// The commit applied before this pass.
    pub previous: Option<String>,
    /// The commit applied now (after a successful apply, the fetched one).
    pub applied: Option<String>,
    pub comparison: Option<Comparison>,
    pub result: PassResult,
    /// `real`, or `check` for a drift pass.
    pub mode: String,
    /// Start, milliseconds since the Unix epoch.
    pub started_unix_ms: i64,
    pub duration_secs: f64,
    pub counts: BTreeMap<String, Counts>,
    /// Tasks a drift pass found would change (empty for real passes).
    pub drift: Vec<String>,
    pub frozen: bool,
    /// Why the pass failed or refused, when it did.
    pub error: Option<String>,
    /// The pass's output, masked.
    pub log: String,
}

impl PassReport {
    /// Whether reporters should announce this pass: it did something or went wrong.
    pub fn is_noteworthy(&self) -> bool {
        !matches!(self.result, PassResult::Unchanged) || !self.drift.is_empty()
    }

    /// Total changed tasks over all hosts.
    pub fn changed(&self) -> u32 {
        self.counts.values().map(|c| c.changed).sum()
    }

    /// Total failed tasks over all hosts (unreachable counted as failed).
    pub fn failed(&self) -> u32 {
        self.counts.values().map(|c| c.failed + c.unreachable).sum()
    }
}
