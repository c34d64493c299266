//! `dpkg_selections`: a package's dpkg selection (`install`, `hold`, `deinstall`, `purge`),
//! read with `dpkg --get-selections` and set with `dpkg --set-selections`, in one round trip
//! when nothing changes. Results `before` and `after` as Ansible registers them.

use async_trait::async_trait;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::string;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DpkgSelections;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(deserialize_with = "string")]
    name: String,
    #[serde(deserialize_with = "string")]
    selection: String,
}

const SELECTIONS: &[&str] = &["install", "hold", "deinstall", "purge"];

#[async_trait]
impl TypedModule for DpkgSelections {
    type Params = Params;

    const SPEC: Spec = Spec::host("dpkg_selections");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if !SELECTIONS.contains(&p.selection.as_str()) {
            return Err(ModuleError::Params(format!(
                "dpkg_selections: selection must be one of install, hold, deinstall, purge, got: {}",
                p.selection
            )));
        }
        let script = format!(
            "command -v dpkg >/dev/null 2>&1 || {{ echo '__PH_MISSING'; exit 0; }}\nLC_ALL=C dpkg --get-selections -- {} 2>&1",
            quote(&p.name)
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains("__PH_MISSING") {
            return Err(ModuleError::failed(format!(
                "dpkg is not installed on {}: dpkg_selections needs a Debian or Ubuntu host",
                ctx.host
            )));
        }
        if text.contains("no packages found matching") {
            return Err(ModuleError::failed(format!(
                "Failed to find package '{}' to perform selection '{}'.",
                p.name, p.selection
            )));
        }
        let current = text
            .lines()
            .find_map(|l| l.split_whitespace().nth(1))
            .unwrap_or("not present")
            .to_string();
        let changed = current != p.selection;
        if changed && !ctx.check {
            let set = ctx
                .run(format!(
                    "printf '%s %s' {} {} | dpkg --set-selections",
                    quote(&p.name),
                    quote(&p.selection)
                ))
                .await?;
            if set.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "dpkg --set-selections failed on {}: {}",
                    ctx.host,
                    String::from_utf8_lossy(&set.stderr).trim()
                ))
                .with("rc", set.rc));
            }
        }
        Ok(Outcome::changed(changed)
            .with("before", current.as_str())
            .with("after", p.selection.as_str()))
    }
}
