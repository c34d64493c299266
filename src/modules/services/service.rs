//! `service`: the generic service module. As Ansible's action plugin, it picks the service
//! manager from `use`, else the gathered `ansible_facts.service_mgr`, else by asking the host
//! (in the same round trip as the work: systemd when `/run/systemd/system` exists), and on
//! systemd runs `systemd_service` with every parameter but those SysV needs (which are ignored
//! with Ansible's warning) — so `daemon_reload`, `masked`, `scope`, ... work as there — and
//! its result is that module's. Other service managers (SysV `service`/`update-rc.d`, OpenRC, ...) are refused
//! with a message naming the host and its manager.

use async_trait::async_trait;
use serde::Deserialize;

use super::systemd_service::{self, Request};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Service;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Option<String>,
    state: Option<String>,
    sleep: Option<i64>,
    pattern: Option<String>,
    enabled: Option<bool>,
    runlevel: Option<String>,
    #[serde(alias = "args")]
    arguments: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    // What systemd_service takes besides, passed on when the manager is systemd.
    force: Option<bool>,
    masked: Option<bool>,
    #[serde(alias = "daemon-reload")]
    daemon_reload: Option<bool>,
    #[serde(alias = "daemon-reexec")]
    daemon_reexec: Option<bool>,
    scope: Option<String>,
    no_block: Option<bool>,
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
        let req = Request::from_params(systemd_service::Params {
            name: p.name,
            state: p.state,
            enabled: p.enabled,
            force: p.force,
            masked: p.masked,
            daemon_reload: p.daemon_reload,
            daemon_reexec: p.daemon_reexec,
            scope: p.scope,
            no_block: p.no_block,
        })?;
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
