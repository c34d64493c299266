//! Python's `os.path.expanduser` on the host, as Ansible applies it to a module's `type='path'`
//! parameters: `~` and `~/...` from the task user's `$HOME` (its passwd entry when unset),
//! `~name/...` from `name`'s passwd entry, left as given when there is none. One round trip, and
//! only when a path starts with `~`.

use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError};

/// The user a path names (`""`: the task's own), when it starts with `~`.
fn tilde_user(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('~')?;
    Some(rest.split('/').next().unwrap_or_default())
}

/// `path` with its `~user` prefix replaced by `home` (Python strips the home's trailing `/`).
fn join_home(path: &str, home: &str) -> String {
    let i = path.find('/').unwrap_or(path.len());
    let joined = format!("{}{}", home.trim_end_matches('/'), &path[i..]);
    if joined.is_empty() { "/".into() } else { joined }
}

/// Expands every path of `paths` that starts with `~`, on the host.
pub async fn expand_user(
    ctx: &mut ModuleCtx<'_>,
    paths: &mut [&mut Option<String>],
) -> Result<(), ModuleError> {
    let users: Vec<String> = paths
        .iter()
        .filter_map(|p| p.as_deref().and_then(tilde_user).map(str::to_string))
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    let mut script = String::new();
    for user in &users {
        if user.is_empty() {
            script.push_str("printf '%s\\0' \"${HOME-$(getent passwd \"$(id -u)\" | cut -d: -f6)}\"\n");
        } else {
            script.push_str(&format!(
                "h=$(getent passwd {} | cut -d: -f6) && [ -n \"$h\" ] && printf '1%s\\0' \"$h\" || printf '0\\0'\n",
                quote(user)
            ));
        }
    }
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut homes = text.split('\0');
    for p in paths.iter_mut() {
        let Some(path) = p.as_deref() else { continue };
        let Some(user) = tilde_user(path) else { continue };
        let home = homes.next().unwrap_or_default();
        let home = if user.is_empty() {
            Some(home)
        } else {
            home.strip_prefix('1')
        };
        if let Some(home) = home {
            **p = Some(join_home(path, home));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_are_joined_as_python_joins_them() {
        assert_eq!(tilde_user("~/mnt"), Some(""));
        assert_eq!(tilde_user("~bob/mnt/x"), Some("bob"));
        assert_eq!(tilde_user("/mnt"), None);
        assert_eq!(join_home("~/mnt", "/root/"), "/root/mnt");
        assert_eq!(join_home("~", "/"), "/");
        assert_eq!(join_home("~bob", "/home/bob"), "/home/bob");
    }
}
