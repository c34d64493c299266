//! `package`: the generic package module. Picks the backend as ansible-core 2.19's action
//! does — `use`, else the `ansible_package_use` variable, else `ansible_facts.pkg_mgr` when facts
//! were gathered, else a probe of the host for its package manager — and runs that module with
//! the task's other arguments. `apt` is a backend today; others (`dnf`, ...) work as soon as
//! their module is registered, and until then the task fails naming the missing backend.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule, lookup};

pub struct Package;

/// The probe, in Ansible's order of preference among the managers playhook may support.
const PROBE: &str = "for m in apt-get dnf5 dnf yum zypper apk pacman; do command -v $m >/dev/null 2>&1 && { echo $m; exit 0; }; done; true";

#[async_trait]
impl TypedModule for Package {
    /// `name`, `state`, `use`, and whatever the backend accepts (it checks them).
    type Params = IndexMap<String, Value>;

    const SPEC: Spec = Spec::host("package");

    async fn run(&self, mut args: Self::Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if !args.contains_key("name") && !args.contains_key("pkg") && !args.contains_key("package") {
            return Err(ModuleError::Params(
                "package: missing required arguments: name".into(),
            ));
        }
        let chosen = args
            .shift_remove("use")
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .filter(|u| u != "auto");
        let manager = match chosen {
            Some(m) => m,
            None => match configured(ctx.vars) {
                Some(m) => m,
                None => detect(ctx).await?,
            },
        };
        let Some(module) = lookup(&manager).filter(|m| m.name() != "package") else {
            return Err(ModuleError::failed(format!(
                "package on {}: the {manager} backend is not available in playhook yet; use a module it has (apt) or run {manager} with the command module",
                ctx.host
            )));
        };
        let args = crate::modules::params::map_value(args);
        module.run(&args, ctx).await
    }
}

/// `ansible_package_use`, else the gathered `ansible_facts.pkg_mgr`.
fn configured(vars: &Value) -> Option<String> {
    let text = |v: Value| {
        v.as_str()
            .map(str::to_string)
            .filter(|s| !s.is_empty() && s != "auto")
    };
    vars.get_attr("ansible_package_use")
        .ok()
        .and_then(text)
        .or_else(|| {
            vars.get_attr("ansible_facts")
                .ok()
                .and_then(|f| f.get_attr("pkg_mgr").ok())
                .and_then(text)
        })
}

/// The host's package manager, as Ansible's `pkg_mgr` fact names it.
async fn detect(ctx: &mut ModuleCtx<'_>) -> Result<String, ModuleError> {
    let out = ctx.run(PROBE).await?;
    let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(match found.as_str() {
        "apt-get" => "apt".into(),
        "" => {
            return Err(ModuleError::failed(format!(
                "Could not detect which package manager to use on {}. Try gathering facts or setting the \"use\" option.",
                ctx.host
            )));
        }
        other => other.into(),
    })
}
