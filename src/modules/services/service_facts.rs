//! `service_facts`: `ansible_facts.services`, shaped as Ansible 2.19 shapes it — each unit of
//! `systemctl list-units`/`list-unit-files` as `{name, state, status, source: systemd}`, and
//! each init script `service --status-all` reports as `{name, state, source: sysv}` — gathered
//! in one round trip.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::steps::{Said, Steps};
use crate::modules::params::map_value;
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct ServiceFacts;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The script: Ansible's SysV scan where it would run (a `service` tool, no `chkconfig` nor
/// `rc-status`), then systemd's units and unit files when systemd manages the host, with
/// `ActiveState` asked of each unit file `list-units` did not list.
const SCRIPT: &str = r#"PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"; export PATH
LC_ALL=C; export LC_ALL
if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 && ! command -v rc-status >/dev/null 2>&1; then
  [ -e /etc/init.d ] && echo @@initd-dir
  __STEP_SYSV__
fi
if command -v initctl >/dev/null 2>&1 || command -v chkconfig >/dev/null 2>&1 || command -v rc-status >/dev/null 2>&1; then
  echo @@other-init
fi
systemd=
if command -v systemctl >/dev/null 2>&1; then
  for canary in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do
    [ -e "$canary" ] && systemd=1
  done
  [ -n "$systemd" ] || { read -r init </proc/1/comm && [ "$init" = systemd ] && systemd=1; }
fi
if [ -n "$systemd" ]; then
  units=$(systemctl list-units --no-pager --type service --all --plain); urc=$?
  files=$(systemctl list-unit-files --no-pager --type service --all); frc=$?
  __STEP_UNITS__
  __STEP_FILES__
  names=" $(printf '%s\n' "$units" | while read -r n rest; do case "$n $rest" in *.service*) printf '%s ' "$n";; esac; done)"
  __STEP_STATES__
fi
"#;

const STATES: &str = r#"printf '%s\n' "$files" | while read -r u rest; do
  case "$u $rest" in *.service*) ;; *) continue;; esac
  case "$names" in *" $u "*) continue;; esac
  st=$(systemctl show "$u" --property=ActiveState 2>/dev/null); rc=$?
  printf '%s\t%s\t%s\n' "$u" "$rc" "$st"
done"#;

#[async_trait]
impl TypedModule for ServiceFacts {
    type Params = Params;

    const SPEC: Spec = Spec {
        defines: Defines::Facts(&["services"]),
        ..Spec::host("service_facts")
    };

    async fn run(&self, _: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let script = SCRIPT
            .replace("__STEP_SYSV__", &step("sysv", "service --status-all"))
            .replace(
                "__STEP_UNITS__",
                &step("units", "printf '%s\\n' \"$units\"; (exit $urc)"),
            )
            .replace(
                "__STEP_FILES__",
                &step("files", "printf '%s\\n' \"$files\"; (exit $frc)"),
            )
            .replace("__STEP_STATES__", &step("states", STATES));
        let said = Said::parse(&ctx.run(script).await?);
        if said.said("@@other-init") {
            return Err(ModuleError::failed(format!(
                "service_facts: {} has upstart, chkconfig or OpenRC tools; playhook reads systemd units and SysV init scripts only",
                ctx.host
            )));
        }
        let mut warnings: Vec<Value> = Vec::new();
        let mut services: IndexMap<String, Value> = IndexMap::new();
        if let Some(sysv) = said.get("sysv") {
            if sysv.rc != 4 || said.said("@@initd-dir") {
                if sysv.rc != 0 {
                    warnings.push(Value::from(format!(
                        "Unable to query 'service' tool ({}): {}",
                        sysv.rc, sysv.stderr
                    )));
                }
                for (name, running) in parse_status_all(&sysv.stdout) {
                    let state = if running { "running" } else { "stopped" };
                    let entry = map_value([
                        ("name", Value::from(name.as_str())),
                        ("state", Value::from(state)),
                        ("source", Value::from("sysv")),
                    ]);
                    services.insert(name, entry);
                }
            }
        }
        let mut systemd: IndexMap<String, Unit> = IndexMap::new();
        if let Some(units) = said.get("units") {
            if units.rc != 0 {
                warnings.push(Value::from(format!(
                    "Could not list units from systemd: {}",
                    units.stderr
                )));
            } else {
                for (name, unit) in parse_units(&units.stdout) {
                    systemd.insert(name, unit);
                }
            }
        }
        if let Some(files) = said.get("files") {
            if files.rc != 0 {
                warnings.push(Value::from(format!(
                    "Could not get unit files data from systemd: {}",
                    files.stderr
                )));
            } else {
                let states = said
                    .get("states")
                    .map(|s| parse_states(&s.stdout))
                    .unwrap_or_default();
                for (name, status) in parse_unit_files(&files.stdout)? {
                    match systemd.get_mut(&name) {
                        None => {
                            let state = states.get(&name).cloned().unwrap_or_else(|| "unknown".into());
                            systemd.insert(name, Unit { state, status });
                        }
                        Some(unit) if !BAD_STATES.contains(&unit.status.as_str()) => unit.status = status,
                        Some(_) => {}
                    }
                }
            }
        }
        for (name, unit) in systemd {
            let entry = map_value([
                ("name", Value::from(name.as_str())),
                ("state", Value::from(unit.state)),
                ("status", Value::from(unit.status)),
                ("source", Value::from("systemd")),
            ]);
            services.insert(name, entry);
        }
        let mut outcome = Outcome::ok();
        if !warnings.is_empty() {
            outcome.data.insert("warnings".into(), Value::from(warnings));
        }
        if services.is_empty() {
            outcome.skipped = true;
            let msg = "Failed to find any services. This can be due to privileges or some other configuration issue.";
            outcome.msg = Some(msg.into());
            outcome.data.insert("msg".into(), Value::from(msg));
            return Ok(outcome);
        }
        let facts = map_value([("services", map_value(services))]);
        outcome.data.insert("ansible_facts".into(), facts);
        Ok(outcome)
    }
}

fn step(name: &str, command: &str) -> String {
    let mut s = Steps::default();
    s.step(name, command);
    s.script().to_string()
}

const BAD_STATES: &[&str] = &["not-found", "masked", "failed"];

struct Unit {
    state: String,
    status: String,
}

/// `service --status-all`: ` [ + ]  name` (running) and ` [ - ]  name` (stopped); ` [ ? ]`
/// lines are left out, as Ansible's pattern leaves them.
fn parse_status_all(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let rest = line.trim_start();
        let Some(rest) = rest.strip_prefix("[ ") else {
            continue;
        };
        let running = match rest.chars().next() {
            Some('+') => true,
            Some('-') => false,
            _ => continue,
        };
        let Some(rest) = rest[1..].strip_prefix(" ]") else {
            continue;
        };
        let name = rest.trim_start();
        if name.len() == rest.len() || name.is_empty() {
            continue;
        }
        out.push((name.to_string(), running));
    }
    out
}

/// `systemctl list-units --plain` lines naming a service: status from a bad state among the
/// fields (`not-found`, `masked`, `failed`), else the ACTIVE column; state `running` when the
/// SUB column says so.
fn parse_units(text: &str) -> Vec<(String, Unit)> {
    let mut out = Vec::new();
    for line in text.split('\n').filter(|l| l.contains(".service")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 {
            continue;
        }
        let head = &fields[..fields.len() - 1];
        let status = BAD_STATES
            .iter()
            .find(|bad| head.contains(bad))
            .map(|b| b.to_string())
            .unwrap_or_else(|| fields[2].to_string());
        let state = if fields[3] == "running" {
            "running"
        } else {
            "stopped"
        };
        out.push((
            fields[0].to_string(),
            Unit {
                state: state.into(),
                status,
            },
        ));
    }
    out
}

/// `systemctl list-unit-files` lines naming a service: name and state.
fn parse_unit_files(text: &str) -> Result<Vec<(String, String)>, ModuleError> {
    let mut out = Vec::new();
    for line in text.split('\n').filter(|l| l.contains(".service")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 2 {
            return Err(ModuleError::failed(format!(
                "Malformed output discovered from systemd list-unit-files: {line}"
            )));
        }
        out.push((fields[0].to_string(), fields[1].to_string()));
    }
    Ok(out)
}

/// The `ActiveState` of the unit files `list-units` did not list: `unit TAB rc TAB output`.
fn parse_states(text: &str) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(name), Some(rc), Some(said)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let state = if rc == "0" && !said.is_empty() {
            said.replace("ActiveState=", "").trim_end().to_string()
        } else {
            "unknown".to_string()
        };
        out.insert(name.to_string(), state);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_read_as_ansible_reads_them() {
        let sysv = parse_status_all(" [ + ]  ssh\n [ - ]  procps\n [ ? ]  odd\n");
        assert_eq!(sysv, [("ssh".to_string(), true), ("procps".to_string(), false)]);
        let units = parse_units(
            "ssh.service loaded active running OpenBSD Secure Shell server\n\
             gone.service not-found inactive dead gone.service\n\
             x.service loaded failed failed X\n\nLegend: ...\n",
        );
        let shown: Vec<(&str, &str, &str)> = units
            .iter()
            .map(|(n, u)| (n.as_str(), u.state.as_str(), u.status.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("ssh.service", "running", "active"),
                ("gone.service", "stopped", "not-found"),
                ("x.service", "stopped", "failed")
            ]
        );
        let states = parse_states("a.service\t0\tActiveState=inactive\nb@.service\t1\t\n");
        assert_eq!(states["a.service"], "inactive");
        assert_eq!(states["b@.service"], "unknown");
    }
}
