//! `service`: the generic service module. As Ansible's action plugin, it picks the service
//! manager from `use`, else the gathered `ansible_facts.service_mgr`, else by asking the host
//! (in the same round trip as the work: systemd when `/run/systemd/system` exists), and on
//! systemd runs `systemd_service` with `name`, `state` and `enabled` — its result is that
//! module's. Other service managers (SysV `service`/`update-rc.d`, OpenRC, ...) are refused
//! with a message naming the host and its manager.

use async_trait::async_trait;
use serde::Deserialize;

use super::systemd_service::{self, Request, State};
use crate::modules::params::{opt_bool, opt_int, opt_string, string};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Service;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(deserialize_with = "string")]
    name: String,
    #[serde(default, deserialize_with = "opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    sleep: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    pattern: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    runlevel: Option<String>,
    #[serde(default, alias = "args", deserialize_with = "opt_string")]
    arguments: Option<String>,
    #[serde(default, rename = "use", deserialize_with = "opt_string")]
    use_: Option<String>,
}

#[async_trait]
impl TypedModule for Service {
    type Params = Params;

    const SPEC: Spec = Spec::host("service");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let mut manager = p.use_.as_deref().unwrap_or("auto").to_lowercase();
        if manager == "auto" {
            if let Some(known) = gathered_service_mgr(ctx.vars) {
                manager = known;
            }
        }
        let detect = manager == "auto";
        if manager != "systemd" && !detect {
            return Err(ModuleError::failed(format!(
                "service: {} uses the service manager `{manager}`; playhook's service module manages systemd units only (no SysV, OpenRC or other init support yet)",
                ctx.host
            )));
        }
        let state = p.state.as_deref().map(State::parse).transpose()?;
        if state.is_none() && p.enabled.is_none() {
            return Err(ModuleError::Params(
                "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"
                    .into(),
            ));
        }
        let mut ignored = Vec::new();
        for (given, name) in [
            (p.pattern.is_some(), "pattern"),
            (p.runlevel.is_some(), "runlevel"),
            (p.sleep.is_some(), "sleep"),
            (p.arguments.is_some(), "arguments"),
        ] {
            if given {
                ignored.push(format!("Ignoring \"{name}\" as it is not used in \"systemd\""));
            }
        }
        let req = Request {
            name: Some(p.name),
            state,
            enabled: p.enabled,
            scope: "system".into(),
            ..Request::default()
        };
        let mut outcome = systemd_service::manage(&req, ctx, "service", detect).await?;
        for text in ignored {
            systemd_service::warn(&mut outcome, text);
        }
        Ok(outcome)
    }
}

/// `ansible_facts.service_mgr`, when facts were gathered.
fn gathered_service_mgr(vars: &minijinja::Value) -> Option<String> {
    let facts = vars.get_attr("ansible_facts").ok()?;
    let mgr = facts.get_attr("service_mgr").ok()?;
    mgr.as_str().map(str::to_lowercase)
}
