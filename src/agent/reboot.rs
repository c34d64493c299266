//! Scheduled reboots without boot loops: the repository asks (the `reboots:` list of its
//! `playhook.yaml`, see [`request`]), the agent's config may add `/run/reboot-required` and a
//! maintenance window ([`config`]); after each pass the agent decides ([`decide`], pure),
//! records the decision with the boot id in its state on disk ([`state`]), reports it, and
//! carries it out ([`host`]): a systemd timer for a time ahead, a reboot now for a time just
//! past, nothing for a time long past or a request already done.
//!
//! The agent's pass calls [`in_pass::step`] once, at its end, and logs the lines it returns: it
//! reads the applied commit's requests, decides, saves the state, sets the timers, and asks for
//! a reboot [`in_pass::REBOOT_DELAY`] seconds later, so the pass's reports go out first.
//! [`pass`] and [`execute`] are the same in two steps, on a checkout (`playhook reboot-check`).

pub mod config;
pub mod decide;
pub mod host;
pub mod in_pass;
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
    #[error("{message}")]
    Repository { message: String },
}

/// The reboot part of a pass: the requests of the repository checked out at `checkout` that
/// name one of `hosts` (this machine's inventory names) in `inventory`, decided against the state at `state_path` and the running boot,
/// now. The state is saved (atomically) before this returns; nothing is carried out yet.
pub fn pass(
    config: &RebootConfig,
    checkout: &Path,
    inventory: &Inventory,
    hosts: &[String],
    state_path: &Path,
) -> Result<Decision, RebootError> {
    let all = request::load(checkout)?;
    let mine = request::for_hosts(&all, inventory, hosts, &checkout.join("playhook.yaml"))?;
    let facts = host::read_facts(Path::new("/"))?;
    let mut state = RebootState::load(state_path)?;
    let now = crate::hook::time::now_unix();
    let decision = after_pass(config, &mine, &mut state, &facts, now);
    state.save(state_path)?;
    Ok(decision)
}

/// Carries out the decision (timers, then the reboot at once); call it last. Returns a line
/// per thing done.
pub fn execute(decision: &Decision) -> Result<Vec<String>, RebootError> {
    host::execute(decision, crate::hook::time::now_unix(), 0)
}

/// The inventory of the repository checked out at `dir`, as `ansible.cfg` names it.
pub fn inventory_of(dir: &Path) -> Result<Inventory, RebootError> {
    let repo = |message: String| RebootError::Repository { message };
    let config =
        crate::repo::config::Config::load(dir).map_err(|e| repo(format!("reading ansible.cfg: {e}")))?;
    let sources: Vec<PathBuf> = Inventory::default_sources(dir, &config)
        .into_iter()
        .map(|p| if p.is_absolute() { p } else { dir.join(p) })
        .collect();
    let options = crate::repo::inventory::InventoryOptions {
        playbook_dir: Some(dir.to_path_buf()),
    };
    Inventory::load(&sources, &options).map_err(|e| repo(format!("reading the inventory: {e}")))
}

/// Appends the decision's lines to the pass's log.
pub fn report_into(decision: &Decision, report: &mut PassReport) {
    for line in &decision.lines {
        report.log.push_str(line);
        report.log.push('\n');
    }
}
