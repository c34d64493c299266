//! `hostname`: the host's name, transient and static, as ansible-core 2.19's `hostname` module
//! sets it on Linux — `hostnamectl` on systemd hosts (`use: systemd` or `debian`, or no `use`
//! when systemd runs), `/etc/hostname` on Debian without systemd, and `/etc/hostname` plus
//! `hostname -F` for `use: alpine` — with its result: `name`, the `diff`
//! (`hostname = NAME`), and `ansible_facts` (`ansible_hostname`, `ansible_nodename`,
//! `ansible_fqdn` and `ansible_domain` as Python's `socket.getfqdn()` finds them).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::map_value;
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `hostname` module.
pub struct Hostname;

/// Ansible's `use` choices.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Use {
    Alpine,
    Debian,
    Freebsd,
    Generic,
    Macos,
    Macosx,
    Darwin,
    Openbsd,
    Openrc,
    Redhat,
    Sles,
    Solaris,
    Systemd,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    #[serde(rename = "use")]
    strategy: Option<Use>,
}

/// How the name is read and written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strategy {
    /// `hostnamectl`: transient and static names.
    Systemd,
    /// `/etc/hostname` is both names (Debian without systemd).
    File,
    /// `/etc/hostname`, then `hostname -F /etc/hostname`.
    Alpine,
}

/// Prints `getfqdn` as Python's `socket.getfqdn()` computes it: the name's first address
/// (getaddrinfo), that address's names (gethostbyaddr), the first with a dot, else the
/// canonical one; the plain host name when a lookup fails.
const FQDN: &str = r#"getfqdn() {
  h=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)
  ip=$(getent ahosts "$h" 2>/dev/null | awk 'NR == 1 { print $1 }')
  [ -n "$ip" ] && r=$(getent hosts "$ip" 2>/dev/null) || { printf '%s\n' "$h"; return; }
  set -f; set -- $r; set +f; shift
  for n in "$@"; do case $n in *.*) printf '%s\n' "$n"; return ;; esac; done
  printf '%s\n' "${1:-$h}"
}
"#;

#[async_trait]
impl TypedModule for Hostname {
    type Params = Params;

    const SPEC: Spec = Spec::host("hostname").defines(Defines::Facts(&[
        "ansible_hostname",
        "ansible_nodename",
        "ansible_fqdn",
        "ansible_domain",
    ]));

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let chosen = match p.strategy {
            None => None,
            Some(Use::Systemd | Use::Debian) => Some(Strategy::Systemd),
            Some(Use::Alpine) => Some(Strategy::Alpine),
            Some(Use::Generic) => {
                return Err(ModuleError::failed(format!(
                    "hostname {}: use: generic cannot read the host name (ansible-core 2.19 fails there too); \
                     use systemd or leave `use` out",
                    p.name
                )));
            }
            Some(other) => {
                return Err(ModuleError::Params(format!(
                    "hostname {}: use: {} is not supported by playhook (it sets names on Linux with hostnamectl or \
                     /etc/hostname); use systemd, debian or alpine, or leave `use` out",
                    p.name,
                    format!("{other:?}").to_lowercase()
                )));
            }
        };
        let (strategy, current, permanent, fqdn) = query(ctx, chosen).await?;
        let name = p.name.as_str();
        let changed = current != name || permanent != name;
        if changed && strategy == Strategy::Systemd && name.chars().count() > 64 {
            return Err(ModuleError::failed(
                "name cannot be longer than 64 characters on systemd servers, try a shorter name",
            ));
        }
        let fqdn = if changed && !ctx.check {
            apply(ctx, strategy, name, current != name, permanent != name).await?
        } else {
            fqdn
        };
        let before = if name != current { &current } else { &permanent };
        let domain = fqdn.split('.').skip(1).collect::<Vec<_>>().join(".");
        let facts = map_value([
            (
                "ansible_hostname",
                Value::from(name.split('.').next().unwrap_or_default()),
            ),
            ("ansible_nodename", Value::from(name)),
            ("ansible_fqdn", Value::from(fqdn.as_str())),
            ("ansible_domain", Value::from(domain)),
        ]);
        let mut o = Outcome::changed(changed)
            .with("name", name)
            .with("ansible_facts", facts);
        if changed {
            // Registered as Ansible's module returns it: one dict, even without --diff.
            o = o.with(
                "diff",
                map_value([
                    ("after", Value::from(format!("hostname = {name}\n"))),
                    ("before", Value::from(format!("hostname = {before}\n"))),
                ]),
            );
        }
        Ok(o)
    }
}

/// One round trip: the strategy (systemd when it runs), the current and permanent names, and
/// the fqdn as it is now.
async fn query(
    ctx: &mut ModuleCtx<'_>,
    chosen: Option<Strategy>,
) -> Result<(Strategy, String, String, String), ModuleError> {
    let pick = match chosen {
        Some(Strategy::Systemd) => "s=systemd",
        Some(Strategy::Alpine) => "s=alpine",
        Some(Strategy::File) => "s=file",
        None => {
            "if command -v systemctl >/dev/null 2>&1 && { [ -d /run/systemd/system ] || [ -d /dev/.run/systemd ] || [ -d /dev/.systemd ]; }; then s=systemd; else s=file; fi"
        }
    };
    let script = format!(
        r#"{FQDN}{pick}
echo "$s"
if [ "$s" = systemd ]; then
  command -v hostnamectl >/dev/null 2>&1 || {{ echo missing; exit 0; }}
  c=$(hostnamectl --transient status 2>&1) || {{ echo "failed $?"; printf '%s\n' "$c"; exit 0; }}
  p=$(hostnamectl --static status 2>&1) || {{ echo "failed $?"; printf '%s\n' "$p"; exit 0; }}
else
  p=; [ -f /etc/hostname ] && p=$(cat /etc/hostname); c=$p
fi
echo ok; printf '%s\n' "$c" | tr -d '\n'; echo; printf '%s\n' "$p" | tr -d '\n'; echo; getfqdn"#
    );
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let strategy = match lines.next() {
        Some("systemd") => Strategy::Systemd,
        Some("alpine") => Strategy::Alpine,
        Some("file") => Strategy::File,
        _ => {
            return Err(ModuleError::failed(format!(
                "hostname: could not read the host name on {}: {}",
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    };
    match lines.next() {
        Some("ok") => {}
        Some("missing") => {
            return Err(ModuleError::failed(format!(
                "Failed to find required executable \"hostnamectl\" on {} (systemd's hostnamectl sets the name on systemd hosts)",
                ctx.host
            )));
        }
        other => {
            let rest: Vec<&str> = lines.collect();
            return Err(ModuleError::failed(format!(
                "Command failed {}, out=, err={}",
                other.unwrap_or_default().replace("failed ", "rc="),
                rest.join("\n")
            )));
        }
    }
    let current = lines.next().unwrap_or_default().trim().to_string();
    let permanent = lines.next().unwrap_or_default().trim().to_string();
    let fqdn = lines.next().unwrap_or_default().trim().to_string();
    Ok((strategy, current, permanent, fqdn))
}

/// Sets the names that differ, in Ansible's order, and returns the fqdn after.
async fn apply(
    ctx: &mut ModuleCtx<'_>,
    strategy: Strategy,
    name: &str,
    current_differs: bool,
    permanent_differs: bool,
) -> Result<String, ModuleError> {
    let n = quote(name);
    let mut steps = Vec::new();
    match strategy {
        Strategy::Systemd => {
            if permanent_differs {
                steps.push(format!("hostnamectl --pretty --static set-hostname {n}"));
            }
            if current_differs {
                steps.push(format!("hostnamectl --transient set-hostname {n}"));
            }
        }
        Strategy::File | Strategy::Alpine => {
            if permanent_differs || current_differs {
                steps.push(format!("printf '%s\\n' {n} >/etc/hostname"));
            }
            if strategy == Strategy::Alpine && current_differs {
                steps.push("hostname -F /etc/hostname".into());
            }
        }
    }
    let script = format!(
        "{FQDN}{}\ngetfqdn",
        steps
            .iter()
            .map(|s| format!(
                "e=$({s} 2>&1) || {{ rc=$?; printf 'failed\\n%s\\n%s\\n' \"$rc\" \"$e\"; exit 0; }}"
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(rest) = text.strip_prefix("failed\n") {
        let (rc, err) = rest.split_once('\n').unwrap_or((rest, ""));
        return Err(ModuleError::failed(format!(
            "Command failed rc={rc}, out=, err={}",
            err.trim_end()
        )));
    }
    Ok(text.trim().to_string())
}
