//! The reboot step of an agent pass: `agent::pass` calls [`step`] once, at the end of every
//! pass, and logs the lines it returns (so they are in the pass's report, webhook and journal).
//!
//! The requests are those of the applied commit (the repository as this host runs it: a frozen
//! or rolled-back host follows its pinned commit's requests); the settings are the `reboot:`
//! section of the agent's config; the state is `reboots.json` in the agent's state directory.

use std::path::Path;

use super::{RebootConfig, RebootError, RebootState, after_pass, host, request};
use crate::agent::config::{Config, DEFAULT_PATH};
use crate::hook::checkout;

/// Seconds between the pass's decision to reboot now and the reboot: the pass finishes, records
/// itself and sends its reports first.
pub const REBOOT_DELAY: u32 = 15;

/// The state file under the agent's state directory.
pub const STATE_FILE: &str = "reboots.json";

/// Decides this pass's reboots and carries them out (a reboot `REBOOT_DELAY` seconds later).
/// `git_dir` is the agent's mirror, `applied` the commit applied on this host (None: nothing
/// yet, then only `/run/reboot-required` counts), `names` this machine's inventory names.
pub fn step(
    config: &Config,
    git_dir: &Path,
    applied: Option<&str>,
    names: &[String],
) -> Result<Vec<String>, RebootError> {
    let settings = RebootConfig::from_value(config.reboot.as_ref(), Path::new(DEFAULT_PATH))?;
    let requests = match applied {
        Some(commit) => requests_at(git_dir, commit, names)?,
        None => Vec::new(),
    };
    let state_path = config.state_dir().join(STATE_FILE);
    let mut state = RebootState::load(&state_path)?;
    if requests.is_empty() && state == RebootState::default() && !settings.when_required {
        return Ok(Vec::new());
    }
    let facts = host::read_facts(Path::new("/"))?;
    let now = crate::hook::time::now_unix();
    let decision = after_pass(&settings, &requests, &mut state, &facts, now);
    state.save(&state_path)?;
    let mut lines = decision.lines.clone();
    lines.extend(host::execute(&decision, now, REBOOT_DELAY)?);
    Ok(lines)
}

/// The requests of `commit` for any of `names`; the commit is checked out only when its
/// `playhook.yaml` has requests (their host patterns need the inventory).
fn requests_at(git_dir: &Path, commit: &str, names: &[String]) -> Result<Vec<request::Request>, RebootError> {
    let repo_err = |e: crate::hook::HookError| RebootError::Repository {
        message: format!("reading the requests of {commit}: {e}"),
    };
    let repo = checkout::open(git_dir, &[]).map_err(repo_err)?;
    let Some(text) = file_at(&repo, commit, "playhook.yaml") else {
        return Ok(Vec::new());
    };
    let file = Path::new("playhook.yaml");
    let all = request::parse(&text, file)?;
    if all.is_empty() {
        return Ok(all);
    }
    let co = checkout::checkout(&repo, commit).map_err(repo_err)?;
    let hosts =
        crate::agent::hosts::matching(co.path(), names).map_err(|message| RebootError::Repository {
            message: format!("reading the inventory of {commit}: {message}"),
        })?;
    let inventory = super::inventory_of(co.path())?;
    request::for_hosts(&all, &inventory, &hosts, file)
}

/// The text of `path` in `commit`'s tree, None when it has no such file.
fn file_at(repo: &git2::Repository, commit: &str, path: &str) -> Option<String> {
    let commit = repo.find_commit(git2::Oid::from_str(commit).ok()?).ok()?;
    let entry = commit.tree().ok()?.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}
