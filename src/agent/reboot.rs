//! Scheduled reboots without boot loops: the repository asks (the `reboots:` list of its
//! `playhook.yaml`, see [`request`]), the agent's config may add `/run/reboot-required` and a
//! maintenance window ([`config`]); after each pass the agent decides ([`decide`], pure),
//! records the decision with the boot id in its state on disk ([`state`]), reports it, and
//! carries it out ([`host`]): a systemd timer for a time ahead, a reboot now for a time just
//! past, nothing for a time long past or a request already done.
//!
//! The agent's pass calls it in two steps:
//!
//! ```text
//! let decision = reboot::pass(&config, &checkout, &inventory, host, &state_path)?; // decides, saves
//! reboot::report_into(&decision, &mut report);                                    // the log lines
//! // ... send the reports ...
//! reboot::execute(&decision)?;                                                    // timers, reboot
//! ```

pub mod config;
pub mod decide;
pub mod host;
pub mod request;
pub mod state;
pub mod time;
pub mod window;

use std::path::{Path, PathBuf};

pub use config::RebootConfig;
pub use decide::{Action, Decision, HostFacts, after_pass};
pub use state::RebootState;

use super::report::PassReport;
use crate::repo::inventory::Inventory;

/// Where the agent keeps its reboot state unless told otherwise.
pub const DEFAULT_STATE: &str = "/var/lib/playhook/agent/reboots.json";

/// Why reboots could not be decided or carried out.
#[derive(Debug, thiserror::Error)]
pub enum RebootError {
    #[error("{}:{line}: {message}", path.display())]
    Request {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("reboot state {}: {message}", path.display())]
    State { path: PathBuf, message: String },
    #[error("{message}")]
    Facts { message: String },
    #[error("{doing} `{}`", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
}

/// The reboot part of a pass: the requests of the repository checked out at `checkout` that
/// name `host` in `inventory`, decided against the state at `state_path` and the running boot,
/// now. The state is saved (atomically) before this returns; nothing is carried out yet.
pub fn pass(
    config: &RebootConfig,
    checkout: &Path,
    inventory: &Inventory,
    host: &str,
    state_path: &Path,
) -> Result<Decision, RebootError> {
    let all = request::load(checkout)?;
    let mine = request::for_host(&all, inventory, host, &checkout.join("playhook.yaml"))?;
    let facts = host::read_facts(Path::new("/"))?;
    let mut state = RebootState::load(state_path)?;
    let now = crate::hook::time::now_unix();
    let decision = after_pass(config, &mine, &mut state, &facts, now);
    state.save(state_path)?;
    Ok(decision)
}

/// Carries out the decision (timers, then the reboot); call it last in the pass. Returns a
/// line per thing done.
pub fn execute(decision: &Decision) -> Result<Vec<String>, RebootError> {
    host::execute(decision, crate::hook::time::now_unix())
}

/// Appends the decision's lines to the pass's log.
pub fn report_into(decision: &Decision, report: &mut PassReport) {
    for line in &decision.lines {
        report.log.push_str(line);
        report.log.push('\n');
    }
}
