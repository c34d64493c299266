//! Pull mode: `playhook agent` on each server fetches the repository, compares, applies the
//! playbook to this host only, and reports.
//!
//! One pass ([`report::PassReport`]) is the unit everything else speaks about: the run loop
//! ([`pass`]) produces it, the webhook, metrics, status and git-notes writers consume it.
//!
//! - [`config`]: `/etc/playhook/agent.yaml` (0600); [`state`]: what survives restarts and
//!   reboots (applied commit, freeze, rollback pin), written atomically ([`atomic`]).
//! - [`git`]: the bare mirror, fetched with the system `git`; [`canary`]: which branch this host
//!   follows (`canary_branch`, the inventory's `playhook_agent_branch`); [`compare`]: up to
//!   date, fast-forward, ahead, diverged, rewound.
//! - [`hosts`]: the inventory hosts this machine is; [`apply`]: `playhook deploy` on them over
//!   the local connection (it takes the per-host deploy lock, `exec::host_lock`).
//! - [`history`]: the pass as a deploy record in `refs/notes/playhook`, pushed to origin.
//! - [`trigger`]: one pass at a time; requests during a pass coalesce into one more.
//! - [`install`]: the systemd service and timer (or the cron line), rendered by [`units`] from
//!   `templates/agent/`.
//! - [`reboot`]: reboots the repository asks for, once each, never in a loop.
//! - [`webhook`] and [`metrics`]: the pass announced (signed JSON, Discord, Slack) and exported
//!   (Prometheus text, node_exporter textfile); [`serve`]: `POST /trigger` (signed webhooks
//!   from the git server start a pass) and `GET /metrics`.

pub mod apply;
pub mod atomic;
pub mod canary;
pub mod compare;
pub mod config;
pub mod git;
pub mod history;
pub mod hosts;
pub mod install;
pub mod metrics;
pub mod metrics_render;
pub mod pass;
pub mod reboot;
pub mod report;
pub mod reporters;
pub mod serve;
pub mod serve_auth;
pub mod serve_coalesce;
pub mod serve_limit;
pub mod signature;
pub mod state;
pub mod trigger;
pub mod units;
pub mod webhook;
mod webhook_payload;
pub mod webhook_send;

/// Why the agent could not do its job (as opposed to a pass that failed, which is a report).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    State(#[from] state::StateError),
    #[error(transparent)]
    Hook(#[from] crate::hook::HookError),
    #[error(transparent)]
    Git(#[from] git::GitError),
}
