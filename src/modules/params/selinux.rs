//! The SELinux context arguments of the file modules (`seuser`, `serole`, `setype`,
//! `selevel`), decided on the host as Ansible decides them: where SELinux is disabled or absent
//! (Debian) Ansible ignores them, and so does playhook; on a host with SELinux enabled playhook
//! refuses them, naming the parameter, the file and the host (applying a context with `chcon` is
//! not implemented: no test machine runs SELinux to prove it against Ansible).

use minijinja::Value;

use crate::modules::{ModuleCtx, ModuleError};

/// The four context arguments, in Ansible's order.
pub const NAMES: [&str; 4] = ["seuser", "serole", "setype", "selevel"];

/// The four context arguments of a `Params` value with fields of those names, for [`check`].
macro_rules! context {
    ($p:expr) => {
        [
            $p.seuser.as_deref(),
            $p.serole.as_deref(),
            $p.setype.as_deref(),
            $p.selevel.as_deref(),
        ]
    };
}
pub(crate) use context;

/// Whether SELinux is enabled as gathered facts say (`ansible_facts.selinux.status`), `None`
/// when the facts were not gathered.
fn enabled_from_facts(vars: &Value) -> Option<bool> {
    let status = vars
        .get_attr("ansible_facts")
        .ok()?
        .get_attr("selinux")
        .ok()?
        .get_attr("status")
        .ok()?;
    status.as_str().map(|s| s == "enabled")
}

/// Whether SELinux is enabled on the host: the gathered facts when there are some, else one
/// round trip asking whether selinuxfs is mounted (what libselinux's `is_selinux_enabled`
/// reads, and the `selinux` fact collector too).
pub async fn host_enabled(ctx: &mut ModuleCtx<'_>) -> Result<bool, ModuleError> {
    if let Some(enabled) = enabled_from_facts(ctx.vars) {
        return Ok(enabled);
    }
    let out = ctx
        .run("if [ -r /sys/fs/selinux/enforce ]; then echo enabled; else echo disabled; fi")
        .await?;
    Ok(out.stdout.trim_ascii() == b"enabled")
}

/// Checks the context arguments a task gave for `path`: nothing to do when none is given or the
/// host has SELinux disabled (Ansible ignores them there); a refusal naming the first given
/// argument, the file and the host when SELinux is enabled.
pub async fn check(
    ctx: &mut ModuleCtx<'_>,
    module: &str,
    path: &str,
    context: [Option<&str>; 4],
) -> Result<(), ModuleError> {
    let Some((name, value)) = NAMES.iter().zip(context).find_map(|(n, v)| v.map(|v| (*n, v))) else {
        return Ok(());
    };
    if !host_enabled(ctx).await? {
        return Ok(());
    }
    Err(ModuleError::failed(format!(
        "{module}: `{name}: {value}` for {path} on host {}: SELinux is enabled there and playhook \
         does not apply SELinux contexts; remove the argument and set the context with a \
         `command: chcon ...` task (or `community.general.sefcontext` plus `restorecon`)",
        ctx.host
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_decide_when_gathered() {
        let vars = minijinja::context! { ansible_facts => minijinja::context! {
        selinux => minijinja::context! { status => "disabled" } } };
        assert_eq!(enabled_from_facts(&vars), Some(false));
        let vars = minijinja::context! { ansible_facts => minijinja::context! {
        selinux => minijinja::context! { status => "enabled", mode => "enforcing" } } };
        assert_eq!(enabled_from_facts(&vars), Some(true));
        assert_eq!(enabled_from_facts(&minijinja::context! { x => 1 }), None);
    }
}
