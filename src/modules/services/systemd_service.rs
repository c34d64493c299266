//! `systemd_service` (alias `systemd`): a unit's state, enablement and mask through
//! `systemctl`, with Ansible 2.19's results (`name`, `state`, `enabled`, `status` — the unit's
//! properties before the task — and `changed`).
//!
//! One round trip asks everything a task with nothing to do needs (`systemctl show` and
//! `is-enabled`, the init script's presence, its rc links; `daemon-reload` first when asked);
//! a second one runs the actions, stopping at the first that fails.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::steps::{Said, Steps};
use super::systemctl::{self, on_unit, parse_show, request_was_ignored};
use crate::connection::quote::quote;
use crate::modules::params::map_value;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct SystemdService;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "service", alias = "unit")]
    pub(super) name: Option<String>,
    pub(super) state: Option<String>,
    pub(super) enabled: Option<bool>,
    pub(super) force: Option<bool>,
    pub(super) masked: Option<bool>,
    #[serde(alias = "daemon-reload")]
    pub(super) daemon_reload: Option<bool>,
    #[serde(alias = "daemon-reexec")]
    pub(super) daemon_reexec: Option<bool>,
    pub(super) scope: Option<String>,
    pub(super) no_block: Option<bool>,
}

/// The state a task asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Started,
    Stopped,
    Restarted,
    Reloaded,
}

impl State {
    /// Ansible's choices, checked as its argument spec checks them.
    pub fn parse(s: &str) -> Result<State, ModuleError> {
        Ok(match s {
            "started" => State::Started,
            "stopped" => State::Stopped,
            "restarted" => State::Restarted,
            "reloaded" => State::Reloaded,
            other => {
                return Err(ModuleError::Params(format!(
                    "value of state must be one of: reloaded, restarted, started, stopped, got: {other}"
                )));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            State::Started => "started",
            State::Stopped => "stopped",
            State::Restarted => "restarted",
            State::Reloaded => "reloaded",
        }
    }
}

/// What to do to a unit, checked: what `systemd_service` and `service` (on systemd hosts) run.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub name: Option<String>,
    pub state: Option<State>,
    pub enabled: Option<bool>,
    pub masked: Option<bool>,
    pub daemon_reload: bool,
    pub daemon_reexec: bool,
    pub scope: String,
    pub no_block: bool,
    pub force: bool,
}

impl Request {
    pub(super) fn from_params(p: Params) -> Result<Request, ModuleError> {
        let scope = p.scope.unwrap_or_else(|| "system".into());
        if !["system", "user", "global"].contains(&scope.as_str()) {
            return Err(ModuleError::Params(format!(
                "value of scope must be one of: system, user, global, got: {scope}"
            )));
        }
        let req = Request {
            name: p.name,
            state: p.state.as_deref().map(State::parse).transpose()?,
            enabled: p.enabled,
            masked: p.masked,
            daemon_reload: p.daemon_reload.unwrap_or(false),
            daemon_reexec: p.daemon_reexec.unwrap_or(false),
            scope,
            no_block: p.no_block.unwrap_or(false),
            force: p.force.unwrap_or(false),
        };
        if req.state.is_none()
            && req.enabled.is_none()
            && req.masked.is_none()
            && !req.daemon_reload
            && !req.daemon_reexec
        {
            return Err(ModuleError::Params(
                "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"
                    .into(),
            ));
        }
        if req.name.is_none() {
            for (given, what) in [
                (req.state.is_some(), "state"),
                (req.enabled.is_some(), "enabled"),
                (req.masked.is_some(), "masked"),
            ] {
                if given {
                    return Err(ModuleError::Params(format!(
                        "missing parameter(s) required by '{what}': name"
                    )));
                }
            }
        }
        Ok(req)
    }
}

#[async_trait]
impl TypedModule for SystemdService {
    type Params = Params;

    const SPEC: Spec = Spec {
        aliases: &["systemd"],
        ..Spec::host("systemd_service")
    };

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let req = Request::from_params(p)?;
        manage(&req, ctx, "systemd_service", false).await
    }
}

/// What the first round trip learnt about the unit.
struct Unit {
    status: indexmap::IndexMap<String, String>,
    /// `systemctl is-enabled -l`: exit status and output (the state, then with `-l` the
    /// installation targets, which Ansible's enabled check sees too).
    is_enabled: (i32, String),
    found: bool,
    is_systemd: bool,
    is_initd: bool,
    sysv_enabled: bool,
}

/// Applies `req` on the host, as Ansible's systemd module does. `module` names the task's
/// module in messages; `require_systemd` (the `service` module detecting the service manager)
/// refuses a host whose PID 1 is not systemd.
pub async fn manage(
    req: &Request,
    ctx: &mut ModuleCtx<'_>,
    module: &str,
    require_systemd: bool,
) -> Result<Outcome, ModuleError> {
    if let Some(unit) = &req.name {
        for glob in ["*", "?", "["] {
            if unit.contains(glob) {
                return Err(ModuleError::failed(format!(
                    "This module does not currently support using glob patterns, found '{glob}' in service name: {unit}"
                )));
            }
        }
    }
    let sc = systemctl::command(&req.scope, req.no_block, req.force);
    let mut steps = Steps::new(&systemctl::prelude(req.scope == "user", require_systemd));
    if req.daemon_reload && !ctx.check {
        steps.action("daemon-reload", &format!("{sc} daemon-reload"));
    }
    if req.daemon_reexec && !ctx.check {
        steps.action("daemon-reexec", &format!("{sc} daemon-reexec"));
    }
    if let Some(unit) = &req.name {
        let q = quote(unit);
        steps.shell(&format!("[ -e /etc/init.d/{q} ] && echo @@initd"));
        steps.shell(&format!(
            "for f in /etc/rc?.d/S??{q}; do [ -e \"$f\" ] && echo @@sysv-enabled; break; done"
        ));
        steps.step("show", &on_unit(&sc, "show", unit));
        steps.step("is-enabled", &format!("{} -l", on_unit(&sc, "is-enabled", unit)));
    }
    let out = ctx.run(steps.script()).await?;
    let said = Said::parse(&out);
    if said.said(systemctl::NOT_SYSTEMD) {
        return Err(ModuleError::failed(format!(
            "{module}: {} is not managed by systemd (no /run/systemd/system); playhook manages services with systemd only — set `use: systemd` only where systemd runs",
            ctx.host
        )));
    }
    if said.said(systemctl::NO_SYSTEMCTL) {
        return Err(systemctl::missing(module, ctx.host));
    }
    for verb in ["daemon-reload", "daemon-reexec"] {
        if let Some(step) = said.get(verb) {
            if step.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "failure {} during {verb}: {}",
                    step.rc, step.stderr
                )));
            }
        }
    }
    let mut outcome = Outcome::ok();
    outcome.data.insert(
        "name".into(),
        req.name.clone().map(Value::from).unwrap_or(Value::from(())),
    );
    let Some(unit_name) = req.name.clone() else {
        outcome
            .data
            .insert("status".into(), map_value(Vec::<(&str, Value)>::new()));
        return Ok(outcome);
    };
    let mut unit = read_unit(&said, &sc, &unit_name, ctx).await?;
    outcome.data.insert(
        "status".into(),
        map_value(
            unit.status
                .iter()
                .map(|(k, v)| (k.as_str(), Value::from(v.as_str()))),
        ),
    );
    if unit.is_initd && !unit.is_systemd {
        warn(
            &mut outcome,
            format!(
                "The service ({unit_name}) is actually an init script but the system is managed by systemd"
            ),
        );
    }
    let missing = || ModuleError::failed(format!("Could not find the requested service {unit_name}: host"));

    let mut actions = Steps::new(&systemctl::prelude(req.scope == "user", false));
    let mut pending = false;
    if let Some(want) = req.masked {
        let masked = first_line(&unit.is_enabled.1) == "masked";
        if masked != want {
            outcome.changed = true;
            let verb = if want { "mask" } else { "unmask" };
            if !ctx.check {
                actions.action(verb, &on_unit(&sc, verb, &unit_name));
                pending = true;
                if req.enabled.is_some() {
                    // Enablement is read after the mask changed, as Ansible reads it.
                    actions.step(
                        "is-enabled",
                        &format!("{} -l", on_unit(&sc, "is-enabled", &unit_name)),
                    );
                    let said = Said::parse(&ctx.run(actions.script()).await?);
                    check_action(&said, verb, &unit_name, unit.found)?;
                    if let Some(step) = said.get("is-enabled") {
                        unit.is_enabled = (step.rc, step.stdout.clone());
                    }
                    actions = Steps::new(&systemctl::prelude(req.scope == "user", false));
                    pending = false;
                }
            }
        }
    }
    if !unit.found && (req.enabled.is_some() || req.state.is_some()) {
        // Ansible masks first, then finds the unit missing.
        if pending {
            let said = Said::parse(&ctx.run(actions.script()).await?);
            for verb in ["mask", "unmask"] {
                check_action(&said, verb, &unit_name, unit.found)?;
            }
        }
        return Err(missing());
    }
    let mut planned: Vec<&str> = Vec::new();
    if let Some(want) = req.enabled {
        // As Ansible compares: the whole output of `is-enabled -l`, right-stripped.
        let (rc, said) = (&unit.is_enabled.0, unit.is_enabled.1.trim_end());
        let enabled = match rc {
            0 => !["enabled-runtime", "indirect", "alias"].contains(&said),
            1 => req.scope == "system" && unit.is_initd && !said.ends_with("disabled") && unit.sysv_enabled,
            _ => false,
        };
        let mut shown = enabled;
        if enabled != want {
            outcome.changed = true;
            let verb = if want { "enable" } else { "disable" };
            if !ctx.check {
                actions.action(verb, &on_unit(&sc, verb, &unit_name));
                planned.push(verb);
                pending = true;
            }
            shown = !enabled;
        }
        outcome.data.insert("enabled".into(), Value::from(shown));
    }
    if let Some(state) = req.state {
        let mut shown = state.name();
        match unit.status.get("ActiveState").map(String::as_str) {
            Some(active) => {
                let running = matches!(active, "active" | "activating");
                let verb = match state {
                    State::Started => (!running).then_some("start"),
                    State::Stopped => (running || active == "deactivating").then_some("stop"),
                    State::Restarted | State::Reloaded => {
                        shown = "started";
                        Some(match (running, state) {
                            (false, _) => "start",
                            (true, State::Restarted) => "restart",
                            (true, _) => "reload",
                        })
                    }
                };
                if let Some(verb) = verb {
                    outcome.changed = true;
                    if !ctx.check {
                        actions.action(verb, &on_unit(&sc, verb, &unit_name));
                        planned.push(verb);
                        pending = true;
                    }
                }
            }
            None => {
                let status = outcome.data.get("status").cloned().unwrap_or_default();
                return Err(ModuleError::failed("Service is in unknown state").with("status", status));
            }
        }
        outcome.data.insert("state".into(), Value::from(shown));
    }
    if pending {
        let said = Said::parse(&ctx.run(actions.script()).await?);
        for verb in ["mask", "unmask"] {
            check_action(&said, verb, &unit_name, unit.found)?;
        }
        for verb in planned {
            check_action(&said, verb, &unit_name, unit.found)?;
        }
    }
    Ok(outcome)
}

/// Reads the first round trip's answers about the unit, asking `list-unit-files` only when
/// `systemctl show` did not answer (as Ansible falls back).
async fn read_unit(said: &Said, sc: &str, unit: &str, ctx: &mut ModuleCtx<'_>) -> Result<Unit, ModuleError> {
    let is_initd = said.said("@@initd");
    let sysv_enabled = said.said("@@sysv-enabled");
    let is_enabled = said
        .get("is-enabled")
        .map(|s| (s.rc, s.stdout.clone()))
        .unwrap_or((-1, String::new()));
    let show = said.get("show").cloned().unwrap_or_default();
    let mut status = indexmap::IndexMap::new();
    let is_systemd;
    if show.rc == 0 && !(request_was_ignored(&show.stdout) || request_was_ignored(&show.stderr)) {
        if !show.stdout.is_empty() {
            status = parse_show(&show.stdout);
        }
        let load = status.get("LoadState").map(String::as_str);
        is_systemd = load.is_some_and(|s| s != "not-found");
        if is_systemd && load != Some("masked") {
            if let Some(err) = status.get("LoadError") {
                return Err(ModuleError::failed(format!(
                    "Error loading unit file '{unit}': {err}"
                )));
            }
        }
    } else {
        const VALID: &[&str] = &[
            "enabled",
            "enabled-runtime",
            "linked",
            "linked-runtime",
            "masked",
            "masked-runtime",
            "static",
            "indirect",
            "disabled",
            "generated",
            "transient",
        ];
        if VALID.contains(&first_line(&is_enabled.1).as_str()) {
            is_systemd = true;
        } else {
            let out = ctx.run(on_unit(sc, "list-unit-files", unit)).await?;
            if out.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "systemctl cannot list unit files for {unit} on {}: {}",
                    ctx.host,
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
                .with("rc", out.rc));
            }
            is_systemd = true;
        }
    }
    Ok(Unit {
        status,
        is_enabled,
        found: is_systemd || is_initd,
        is_systemd,
        is_initd,
        sysv_enabled,
    })
}

/// Fails the task when action `verb` ran and failed, with Ansible's message for it.
fn check_action(said: &Said, verb: &str, unit: &str, found: bool) -> Result<(), ModuleError> {
    let Some(step) = said.get(verb) else { return Ok(()) };
    if step.rc == 0 {
        return Ok(());
    }
    let msg = match verb {
        "mask" | "unmask" => {
            if !found {
                format!("Could not find the requested service {unit}: host")
            } else {
                format!("Failed to {verb} the service ({unit}): {}", step.stderr.trim())
            }
        }
        "enable" | "disable" => format!("Unable to {verb} service {unit}: {}{}", step.stdout, step.stderr),
        _ => format!("Unable to {verb} service {unit}: {}", step.stderr),
    };
    Err(ModuleError::failed(msg))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// Adds one of Ansible's warnings to the result.
pub fn warn(outcome: &mut Outcome, text: String) {
    let mut list: Vec<Value> = outcome
        .data
        .get("warnings")
        .and_then(|w| w.try_iter().ok())
        .map(|i| i.collect())
        .unwrap_or_default();
    list.push(Value::from(text));
    outcome.data.insert("warnings".into(), Value::from(list));
}
