//! Which branch a host follows: a canary host follows another branch than the fleet.
//!
//! In order, the first that is set wins:
//!
//! 1. `canary_branch` in the agent's own configuration (this machine decides);
//! 2. the inventory variable [`VARIABLE`] (`playhook_agent_branch`) of this machine's inventory
//!    hosts, set on a host or a group (inline, in `host_vars/` or `group_vars/`), as the
//!    inventory of the **configured branch's** head says (the repository decides: every pass
//!    fetches `branch` first and reads its inventory, so a canary branch cannot keep a host on
//!    itself, and removing the variable on `branch` brings the host back);
//! 3. `branch`.
//!
//! The variable's value is a plain branch name; templates are not rendered here.

use std::path::Path;

use super::config::{Config, is_branch_name};
use super::git::Mirror;
use super::hosts;
use super::pass::short;
use crate::hook::checkout;

/// The inventory variable naming the branch a host follows.
pub const VARIABLE: &str = "playhook_agent_branch";

/// A branch the inventory asks this machine to follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub branch: String,
    /// The inventory host whose variables said so.
    pub host: String,
}

/// The branch a pass follows and its fetched head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    pub branch: String,
    pub head: String,
    /// Why it is not the configured branch, for the pass's log (`None`: it is).
    pub why: Option<String>,
}

/// Why a pass could not tell what to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowError {
    /// Git could not fetch (a pass counts it in `fetch_errors_total`).
    Fetch(String),
    /// The inventory's [`VARIABLE`] cannot be followed.
    Choice(String),
}

/// Fetches the branch this host follows into `mirror` (see the module docs): `canary_branch`
/// when configured; else `branch`, then the branch its head's inventory names in [`VARIABLE`]
/// for this machine (`names`), if any.
pub fn fetch_followed(config: &Config, names: &[String], mirror: &Mirror) -> Result<Followed, FollowError> {
    let fetch_error = |e: super::git::GitError| FollowError::Fetch(e.to_string());
    mirror.ensure(&config.repo).map_err(fetch_error)?;
    let branch = config.followed_branch().to_string();
    let head = mirror.fetch(&branch).map_err(fetch_error)?;
    let followed = |branch, head| Followed {
        branch,
        head,
        why: None,
    };
    if config.canary_branch.is_some() {
        return Ok(followed(branch, head));
    }
    let found = checkout::open(&mirror.git_dir, &[])
        .and_then(|repo| checkout::checkout(&repo, &head))
        .map_err(|e| e.to_string())
        .and_then(|co| asked(co.path(), names));
    let asked = match found {
        Ok(Some(a)) if a.branch != branch => a,
        Ok(_) => return Ok(followed(branch, head)),
        Err(e) => {
            return Err(FollowError::Choice(format!(
                "cannot tell which branch to follow from the inventory of {branch} ({}): {e}",
                short(&head)
            )));
        }
    };
    let canary_head = mirror.fetch(&asked.branch).map_err(|e| {
        FollowError::Fetch(format!(
            "branch {} (`{VARIABLE}` of {} in the inventory of {branch}): {e}",
            asked.branch, asked.host
        ))
    })?;
    Ok(Followed {
        why: Some(format!(
            "following {}: `{VARIABLE}: {}` is set for {} in the inventory of {branch} ({})",
            asked.branch,
            asked.branch,
            asked.host,
            short(&head)
        )),
        branch: asked.branch,
        head: canary_head,
    })
}

/// The branch [`VARIABLE`] names for this machine's hosts (`names`) in the repository checked
/// out at `dir`: `None` when it is not set for any of them. Hosts of this machine that ask for
/// different branches, or a value that is not a branch name, are errors naming the host.
pub fn asked(dir: &Path, names: &[String]) -> Result<Option<Asked>, String> {
    let inventory = hosts::load_inventory(dir)?;
    let mut found: Option<Asked> = None;
    for host in hosts::matching_in(&inventory, names) {
        let vars = inventory.host_vars_map(&host);
        let Some(value) = vars.get(VARIABLE) else {
            continue;
        };
        if value.is_none() || value.is_undefined() {
            continue;
        }
        let Some(branch) = value.as_str() else {
            return Err(format!(
                "`{VARIABLE}` of host {host} is {value} (a {}); give a branch name",
                value.kind()
            ));
        };
        if !is_branch_name(branch) {
            return Err(format!(
                "`{VARIABLE}: {branch}` of host {host} is not a branch name (a plain name such as `canary`; templates are not rendered)"
            ));
        }
        match &found {
            Some(f) if f.branch != branch => {
                return Err(format!(
                    "this machine is inventory hosts {} and {host}, which ask for different branches (`{VARIABLE}`: {} and {branch}); set it on one, or use `host:` in the agent configuration",
                    f.host, f.branch
                ));
            }
            Some(_) => {}
            None => {
                found = Some(Asked {
                    branch: branch.to_string(),
                    host,
                })
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(inventory: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("ansible.cfg"),
            "[defaults]\ninventory = inventory.yaml\n",
        )
        .expect("cfg");
        std::fs::write(tmp.path().join("inventory.yaml"), inventory).expect("inventory");
        for (path, text) in files {
            let p = tmp.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        tmp
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn host_and_group_variables_name_the_branch() {
        let inv = "all:\n  children:\n    canary:\n      hosts:\n        web02:\n      vars:\n        playhook_agent_branch: canary\n    web:\n      hosts:\n        web01:\n        web02:\n        web03:\n          playhook_agent_branch: next\n";
        let tmp = repo(inv, &[]);
        assert_eq!(asked(tmp.path(), &names(&["web01"])), Ok(None));
        assert_eq!(
            asked(tmp.path(), &names(&["web02"])),
            Ok(Some(Asked {
                branch: "canary".into(),
                host: "web02".into()
            }))
        );
        assert_eq!(
            asked(tmp.path(), &names(&["web03"])).map(|a| a.map(|a| a.branch)),
            Ok(Some("next".into()))
        );
        let e = asked(tmp.path(), &names(&["web02", "web03"])).expect_err("two branches");
        assert!(e.contains("web02") && e.contains("web03"), "{e}");
        assert_eq!(asked(tmp.path(), &names(&["mail"])), Ok(None));
    }

    #[test]
    fn vars_directories_count_and_bad_values_are_refused() {
        let inv = "all:\n  hosts:\n    web01:\n    web02:\n    web03:\n";
        let tmp = repo(
            inv,
            &[
                ("host_vars/web01.yaml", "playhook_agent_branch: canary\n"),
                ("host_vars/web02.yaml", "playhook_agent_branch: \"{{ x }}\"\n"),
                ("host_vars/web03.yaml", "playhook_agent_branch: [a]\n"),
            ],
        );
        assert_eq!(
            asked(tmp.path(), &names(&["web01"])).map(|a| a.map(|a| a.branch)),
            Ok(Some("canary".into()))
        );
        let e = asked(tmp.path(), &names(&["web02"])).expect_err("template");
        assert!(e.contains("web02") && e.contains("not a branch name"), "{e}");
        let e = asked(tmp.path(), &names(&["web03"])).expect_err("list");
        assert!(e.contains("web03") && e.contains("branch name"), "{e}");
    }
}
