//! `community.general.dnf_config_manager`: repositories enabled or disabled by id, as the
//! collection does it: the states read from `dnf repolist --all --verbose` (`Repo-id` /
//! `Repo-status` lines), the ones that differ set with `dnf config-manager --assumeyes
//! --set-enabled|--set-disabled` (dnf-plugins-core), read again and checked. Results:
//! `changed_repos`, `repo_states_pre` and `repo_states_post` (`enabled` / `disabled` lists,
//! sorted). Check mode stops after the first read, with `repo_states_pre` and
//! `changed_repos`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::map_value;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `dnf_config_manager` module.
pub struct DnfConfigManager;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum State {
    Enabled,
    Disabled,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Enabled => "enabled",
            State::Disabled => "disabled",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Option<Vec<String>>,
    state: Option<State>,
}

/// Each repository's id and whether it is enabled.
type States = BTreeMap<String, bool>;

/// `dnf repolist --all --verbose`'s repositories, read as the collection reads them.
fn parse_repolist(out: &str) -> Result<States, ModuleError> {
    let mut states = States::new();
    let mut last: Option<String> = None;
    for line in out.lines() {
        let field = |name: &str| {
            let rest = line.strip_prefix(name)?.trim_start().strip_prefix(':')?.trim();
            (!rest.is_empty() && !rest.contains(char::is_whitespace)).then(|| rest.to_string())
        };
        if let Some(id) = field("Repo-id") {
            if last.is_some() {
                return Err(ModuleError::failed(
                    "dnf repolist parse failure: parsed another repo id before next status",
                ));
            }
            last = Some(id);
        } else if let Some(status) = field("Repo-status").filter(|s| s == "enabled" || s == "disabled") {
            let id = last.take().ok_or_else(|| {
                ModuleError::failed("dnf repolist parse failure: parsed status before repo id")
            })?;
            states.insert(id, status == "enabled");
        }
    }
    Ok(states)
}

/// The states as the collection returns them: `{enabled: [...], disabled: [...]}`, sorted.
fn packed(states: &States) -> Value {
    let list = |on: bool| {
        Value::from(
            states
                .iter()
                .filter(|(_, e)| **e == on)
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>(),
        )
    };
    map_value([("disabled", list(false)), ("enabled", list(true))])
}

async fn repo_states(ctx: &mut ModuleCtx<'_>) -> Result<States, ModuleError> {
    let script = "[ -e /usr/bin/dnf ] || { echo __ph_nodnf; exit 0; }\n\
                  LANGUAGE=C LC_ALL=C /usr/bin/dnf repolist --all --verbose";
    let out = ctx.run(script).await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.starts_with("__ph_nodnf") {
        return Err(ModuleError::failed("/usr/bin/dnf was not found"));
    }
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "dnf repolist --all --verbose failed on {}: {}",
            ctx.host,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .with("rc", out.rc));
    }
    parse_repolist(&stdout)
}

#[async_trait]
impl TypedModule for DnfConfigManager {
    type Params = Params;

    const SPEC: Spec = Spec::host("dnf_config_manager").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.unwrap_or(State::Enabled);
        let names = p.name.unwrap_or_default();
        let pre = repo_states(ctx).await?;
        let mut to_change = Vec::new();
        for id in &names {
            let Some(enabled) = pre.get(id) else {
                return Err(ModuleError::failed(format!(
                    "did not find repo with ID '{id}' in dnf repolist --all --verbose"
                )));
            };
            if *enabled != (state == State::Enabled) {
                to_change.push(id.clone());
            }
        }
        let outcome = Outcome::changed(!to_change.is_empty())
            .with("repo_states_pre", packed(&pre))
            .with("changed_repos", Value::from(to_change.clone()));
        if ctx.check {
            return Ok(outcome);
        }
        if !to_change.is_empty() {
            let ids: Vec<String> = to_change.iter().map(|id| quote(id)).collect();
            let script = format!(
                "LANGUAGE=C LC_ALL=C /usr/bin/dnf config-manager --assumeyes --set-{} {}",
                state.name(),
                ids.join(" ")
            );
            let out = ctx.run(script).await?;
            if out.rc != 0 {
                let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
                let hint = if stderr.contains("No such command: config-manager") {
                    " (install dnf-plugins-core on the host)"
                } else {
                    ""
                };
                return Err(ModuleError::failed(format!(
                    "dnf config-manager --set-{} failed on {}{hint}: {stderr}",
                    state.name(),
                    ctx.host
                ))
                .with("rc", out.rc));
            }
        }
        let post = repo_states(ctx).await?;
        for id in &to_change {
            if post.get(id) != Some(&(state == State::Enabled)) {
                return Err(ModuleError::failed(format!(
                    "dnf config-manager failed to make '{id}' {}",
                    state.name()
                )));
            }
        }
        Ok(outcome.with("repo_states_post", packed(&post)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repolist_is_read_as_the_collection_reads_it() {
        let out = "Loaded plugins\nRepo-id            : crb\nRepo-name          : CRB\nRepo-status        : disabled\n\
                   Repo-id            : baseos\nRepo-status        : enabled\nRepo-revision: 1\n";
        let states = parse_repolist(out).expect("parsed");
        assert_eq!(states.get("crb"), Some(&false));
        assert_eq!(states.get("baseos"), Some(&true));
        assert!(parse_repolist("Repo-id : a\nRepo-id : b\n").is_err());
        assert!(parse_repolist("Repo-status : enabled\n").is_err());
    }
}
