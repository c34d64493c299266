//! `ansible.posix.selinux`: the SELinux state and policy, as the collection's module decides
//! them: the runtime state from selinuxfs (`setenforce` to change it), the configured state and
//! policy from `configfile` (its `SELINUX=` and `SELINUXTYPE=` lines rewritten atomically),
//! `reboot_required` and the warnings of a change that needs a reboot. One round trip reads.
//! Where the config file is missing (Debian without SELinux) the task fails with the module's
//! `Unable to find file ...`. `update_kernel_param` (grubby) is refused.

use async_trait::async_trait;
use serde::Deserialize;

use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::quote;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `selinux` module.
pub struct Selinux;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    policy: Option<String>,
    state: String,
    #[serde(alias = "conf", alias = "file")]
    configfile: Option<String>,
    update_kernel_param: Option<bool>,
}

/// The value of the last `KEY=` line of an SELinux config file.
pub fn config_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .next_back()
        .map(|v| v.trim().to_string())
}

/// The config text with every `KEY=` line set to `value`.
pub fn set_config_value(text: &str, key: &str, value: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.strip_prefix(key).is_some_and(|r| r.starts_with('=')) {
            out.push_str(&format!("{key}={value}"));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[async_trait]
impl TypedModule for Selinux {
    type Params = Params;

    const SPEC: Spec = Spec::host("selinux").collection(Collection::Posix);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.as_str();
        if !matches!(state, "enforcing" | "permissive" | "disabled") {
            return Err(ModuleError::failed(format!(
                "value of state must be one of: enforcing, permissive, disabled, got: {state}"
            )));
        }
        if p.update_kernel_param == Some(true) {
            return Err(ModuleError::Params(
                "selinux: update_kernel_param (grubby) is not supported by playhook; set the kernel's selinux= argument with a task of its own".into(),
            ));
        }
        let configfile = p
            .configfile
            .clone()
            .unwrap_or_else(|| "/etc/selinux/config".into());
        let script = format!(
            "if [ -r /sys/fs/selinux/enforce ]; then cat /sys/fs/selinux/enforce; echo; else echo disabled; fi\n\
             if [ -f {f} ]; then echo present; cat {f}; else echo missing; fi\n",
            f = quote(&configfile)
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.splitn(3, '\n');
        let enforce = parts.next().unwrap_or_default().trim().to_string();
        let present = parts.next().unwrap_or_default().trim() == "present";
        let config = parts.next().unwrap_or_default().to_string();
        if !present {
            return Err(
                ModuleError::failed(format!("Unable to find file {configfile}")).with(
                    "details",
                    "Please install SELinux-policy package, if this package is not installed previously.",
                ),
            );
        }
        let runtime_enabled = enforce != "disabled";
        let runtime_state = match enforce.as_str() {
            "disabled" => "disabled",
            "1" => "enforcing",
            _ => "permissive",
        };
        let config_policy = config_value(&config, "SELINUXTYPE");
        let config_state = config_value(&config, "SELINUX").map(|s| s.to_ascii_lowercase());
        // libselinux's selinux_getpolicytype reads the configured type.
        let runtime_policy = config_policy.clone();
        let policy = match (&p.policy, state) {
            (Some(policy), _) => Some(policy.clone()),
            (None, "disabled") => config_policy.clone(),
            (None, _) => {
                return Err(ModuleError::failed(
                    "Policy is required if state is not 'disabled'",
                ));
            }
        };
        let mut msgs: Vec<String> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut changed = false;
        let mut reboot_required = false;
        let mut new_config = config.clone();
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".into());
        if policy != runtime_policy {
            if ctx.check {
                return Ok(Outcome::changed(true));
            }
            msgs.push(format!(
                "Running SELinux policy changed from '{}' to '{}'",
                shown(&runtime_policy),
                shown(&policy)
            ));
            changed = true;
        }
        if policy != config_policy {
            if ctx.check {
                return Ok(Outcome::changed(true));
            }
            new_config = set_config_value(&new_config, "SELINUXTYPE", policy.as_deref().unwrap_or_default());
            msgs.push(format!(
                "SELinux policy configuration in '{configfile}' changed from '{}' to '{}'",
                shown(&config_policy),
                shown(&policy)
            ));
            changed = true;
        }
        let mut setenforce: Option<&str> = None;
        if state != runtime_state {
            if runtime_enabled {
                if state == "disabled" {
                    if runtime_state != "permissive" {
                        setenforce = Some("0");
                        warnings.push(format!(
                            "SELinux state temporarily changed from '{runtime_state}' to 'permissive'. State change will take effect next reboot."
                        ));
                        changed = true;
                    } else {
                        warnings.push("SELinux state change will take effect next reboot".into());
                    }
                    reboot_required = true;
                } else {
                    setenforce = Some(if state == "enforcing" { "1" } else { "0" });
                    msgs.push(format!(
                        "SELinux state changed from '{runtime_state}' to '{state}'"
                    ));
                    changed = true;
                }
            } else {
                warnings.push(format!("Reboot is required to set SELinux state to '{state}'"));
                reboot_required = true;
            }
        }
        if config_state.as_deref() != Some(state) {
            new_config = set_config_value(&new_config, "SELINUX", state);
            msgs.push(format!(
                "Config SELinux state changed from '{}' to '{state}'",
                shown(&config_state)
            ));
            changed = true;
        }
        if !ctx.check {
            if let Some(mode) = setenforce {
                let set = ctx.run(format!("setenforce {mode}")).await?;
                if set.rc != 0 {
                    return Err(ModuleError::failed(format!(
                        "setenforce {mode} failed on {}: {}",
                        ctx.host,
                        String::from_utf8_lossy(&set.stderr).trim()
                    )));
                }
            }
            if new_config != config {
                files::write_atomic(
                    ctx.conn,
                    &configfile,
                    new_config.as_bytes(),
                    &WriteOptions::default(),
                    &ctx.via,
                )
                .await?;
            }
        }
        let mut outcome = Outcome::changed(changed)
            .with("msg", msgs.join(", "))
            .with("configfile", configfile)
            .with("policy", policy)
            .with("state", state)
            .with("reboot_required", reboot_required);
        if !warnings.is_empty() {
            outcome = outcome.with("warnings", warnings);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_are_read_and_rewritten() {
        let text = "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";
        assert_eq!(config_value(text, "SELINUX").as_deref(), Some("enforcing"));
        assert_eq!(config_value(text, "SELINUXTYPE").as_deref(), Some("targeted"));
        assert_eq!(
            set_config_value(text, "SELINUX", "permissive"),
            "# comment\nSELINUX=permissive\nSELINUXTYPE=targeted\n"
        );
        assert_eq!(config_value("", "SELINUX"), None);
    }
}
