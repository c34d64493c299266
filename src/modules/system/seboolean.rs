//! `ansible.posix.seboolean`: an SELinux boolean, read with `getsebool` and set with
//! `setsebool` (`-P` when `persistent`) on the host, one round trip to read and one to set.
//! Where SELinux is disabled or absent (Debian) the task fails with the collection's message
//! `SELinux is disabled on this host.` unless `ignore_selinux_state`.

use async_trait::async_trait;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `seboolean` module.
pub struct SeBoolean;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    state: bool,
    persistent: Option<bool>,
    ignore_selinux_state: Option<bool>,
}

/// `getsebool NAME`'s answer: `NAME --> on`.
pub fn parse_getsebool(out: &str) -> Option<bool> {
    let value = out.lines().next()?.rsplit_once("-->")?.1.trim();
    match value {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

#[async_trait]
impl TypedModule for SeBoolean {
    type Params = Params;

    const SPEC: Spec = Spec::host("seboolean").collection(Collection::Posix);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let persistent = p.persistent.unwrap_or(false);
        let script = format!(
            "if [ -r /sys/fs/selinux/enforce ]; then echo enabled; else echo disabled; exit 0; fi\n\
             command -v getsebool >/dev/null 2>&1 || {{ echo 'playhook: getsebool (selinux-utils / libselinux-utils) is missing on the host' >&2; exit 127; }}\n\
             getsebool {}\n",
            quote(&p.name)
        );
        let out = ctx.run(script).await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (status, answer) = stdout.split_once('\n').unwrap_or((stdout.trim(), ""));
        if status.trim() != "enabled" && !p.ignore_selinux_state.unwrap_or(false) {
            return Err(ModuleError::failed("SELinux is disabled on this host."));
        }
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "Failed to read boolean {} on {}: {}{}",
                p.name,
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim(),
                answer.trim()
            )));
        }
        let current = parse_getsebool(answer).ok_or_else(|| {
            ModuleError::failed(format!(
                "could not read getsebool's answer for {}: {answer}",
                p.name
            ))
        })?;
        let changed = current != p.state;
        if changed && !ctx.check {
            let value = if p.state { "on" } else { "off" };
            let flag = if persistent { "-P " } else { "" };
            let set = ctx
                .run(format!("setsebool {flag}{} {value}", quote(&p.name)))
                .await?;
            if set.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "Failed to set boolean {} to {}: {}",
                    p.name,
                    p.state,
                    String::from_utf8_lossy(&set.stderr).trim()
                )));
            }
        }
        Ok(Outcome::changed(changed)
            .with("name", p.name)
            .with("persistent", persistent)
            .with("state", p.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getsebool_answers() {
        assert_eq!(parse_getsebool("httpd_can_network_connect --> on\n"), Some(true));
        assert_eq!(parse_getsebool("ftpd_full_access --> off"), Some(false));
        assert_eq!(parse_getsebool("Error getting active value for x"), None);
    }
}
