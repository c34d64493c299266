//! `group`: a local group present (with its gid) or absent, through `getent group`,
//! `groupadd`, `groupmod` and `groupdel` (shadow-utils), as ansible-core 2.19's `group` module.

use async_trait::async_trait;
use serde::Deserialize;

use super::accounts::{State, command_output, run_account_command, text};
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `group` module.
pub struct Group;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    state: Option<State>,
    gid: Option<i64>,
    system: Option<bool>,
    local: Option<bool>,
    non_unique: Option<bool>,
    force: Option<bool>,
    gid_min: Option<i64>,
    gid_max: Option<i64>,
}

#[async_trait]
impl TypedModule for Group {
    type Params = Params;

    const SPEC: Spec = Spec::host("group");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let force = p.force.unwrap_or(false);
        let local = p.local.unwrap_or(false);
        let non_unique = p.non_unique.unwrap_or(false);
        if force && local {
            return Err(ModuleError::failed(
                "force is not a valid option for local, force=True and local=True are mutually exclusive",
            ));
        }
        if non_unique && p.gid.is_none() {
            return Err(ModuleError::Params(
                "group: non_unique is True but all of the following are missing: gid".into(),
            ));
        }
        if local {
            return Err(ModuleError::Params(format!(
                "group {}: local: true needs libuser's lgroupadd/lgroupmod/lgroupdel, which playhook does not drive; \
                 drop `local` to manage the group with groupadd",
                p.name
            )));
        }
        let state = p.state.unwrap_or(State::Present);
        let system = p.system.unwrap_or(false);
        let current = query(ctx, &p.name).await?;

        let mut outcome = Outcome::ok()
            .with("name", p.name.as_str())
            .with("state", state.as_str());
        let command = match (state, current) {
            (State::Absent, None) => None,
            (State::Absent, Some(_)) => {
                if ctx.check {
                    return Ok(Outcome::changed(true));
                }
                let mut cmd = vec!["groupdel".to_string()];
                if force {
                    cmd.push("-f".into());
                }
                Some(cmd)
            }
            (State::Present, None) => {
                if ctx.check {
                    return Ok(Outcome::changed(true));
                }
                let mut cmd = vec!["groupadd".to_string()];
                if let Some(gid) = p.gid {
                    cmd.extend(["-g".into(), gid.to_string()]);
                    if non_unique {
                        cmd.push("-o".into());
                    }
                }
                if system {
                    cmd.push("-r".into());
                }
                if let Some(min) = p.gid_min {
                    cmd.extend(["-K".into(), format!("GID_MIN={min}")]);
                }
                if let Some(max) = p.gid_max {
                    cmd.extend(["-K".into(), format!("GID_MAX={max}")]);
                }
                Some(cmd)
            }
            (State::Present, Some(gid)) => match p.gid {
                Some(want) if want != gid => {
                    let mut cmd = vec!["groupmod".to_string(), "-g".into(), want.to_string()];
                    if non_unique {
                        cmd.push("-o".into());
                    }
                    Some(cmd)
                }
                _ => None,
            },
        };
        let Some(mut cmd) = command else {
            return Ok(with_gid(outcome, system, current));
        };
        outcome.changed = true;
        if ctx.check {
            return Ok(with_gid(outcome, system, current));
        }
        let program = cmd[0].clone();
        cmd.push(p.name.clone());
        let words: Vec<String> = cmd.iter().map(|w| quote(w)).collect();
        let (rc, stdout, stderr) = run_account_command(ctx, &p.name, &program, &words.join(" ")).await?;
        // Ansible's group module fails with `name` and the message, without `rc`.
        if rc != 0 {
            return Err(ModuleError::failed(stderr).with("name", p.name.as_str()));
        }
        command_output(&mut outcome, stdout, stderr);
        let gid = query(ctx, &p.name).await?;
        Ok(with_gid(outcome, system, gid))
    }
}

/// Adds `system` and `gid` when the group exists at the end, as Ansible does.
fn with_gid(mut outcome: Outcome, system: bool, gid: Option<i64>) -> Outcome {
    if let Some(gid) = gid {
        outcome.data.insert("system".into(), system.into());
        outcome.data.insert("gid".into(), gid.into());
    }
    outcome
}

/// The group's gid, or `None` when `getent group` does not know it.
async fn query(ctx: &mut ModuleCtx<'_>, name: &str) -> Result<Option<i64>, ModuleError> {
    let out = ctx.run(format!("getent group {} || true", quote(name))).await?;
    Ok(text(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .and_then(|rest| rest.split(':').nth(1).and_then(|g| g.parse().ok())))
}
