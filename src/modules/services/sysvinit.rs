//! `ansible.builtin.sysvinit`: an `/etc/init.d` script's runlevel links and state, as
//! ansible-core 2.19's module handles them — enabled means an `S??NAME` link in `/etc/rc?.d`
//! (or the runlevels asked), running is what `service NAME status` (or `SCRIPT status`, or
//! `ps auxww` for `pattern`) says as the module reads its output and status, `update-rc.d`
//! (or `chkconfig`) enables and disables, and `SCRIPT start|stop|reload ARGS` changes the state
//! (`restarted` is stop, sleep, start, sleep). Its result is the module's: `name`, `changed`
//! and `status` with the enable's and the state's `changed`/`rc`/`stdout`/`stderr`.
//! One round trip asks; a second one acts, when something changes.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::steps::{Said, Step, Steps};
use crate::connection::quote::quote;
use crate::modules::commands::words::shlex_split;
use crate::modules::params::map_value;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `sysvinit` module.
pub struct Sysvinit;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Started,
    Stopped,
    Restarted,
    Reloaded,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Started => "started",
            State::Stopped => "stopped",
            State::Restarted => "restarted",
            State::Reloaded => "reloaded",
        }
    }

    /// `re.sub(r'p?ed$', '', state)`.
    fn verb(self) -> &'static str {
        match self {
            State::Started => "start",
            State::Stopped => "stop",
            State::Restarted => "restart",
            State::Reloaded => "reload",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "service")]
    name: String,
    state: Option<State>,
    enabled: Option<bool>,
    sleep: Option<i64>,
    pattern: Option<String>,
    #[serde(alias = "args")]
    arguments: Option<String>,
    runlevels: Option<Vec<String>>,
    daemonize: Option<bool>,
}

/// Where the module looks for its programs besides PATH.
const PATHS: &str = "$PATH:/sbin:/usr/sbin:/bin:/usr/bin";

/// What the first round trip found.
struct Found {
    enabled: Vec<String>,
    any_enabled: bool,
    update_rc_d: Option<String>,
    chkconfig: Option<String>,
    is_started: bool,
    warnings: Vec<String>,
}

#[async_trait]
impl TypedModule for Sysvinit {
    type Params = Params;

    const SPEC: Spec = Spec::host("sysvinit");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.state.is_none() && p.enabled.is_none() {
            return Err(ModuleError::failed(
                "one of the following is required: state, enabled",
            ));
        }
        let name = p.name.as_str();
        let script = if name.starts_with('/') {
            name.to_string()
        } else {
            format!("/etc/init.d/{name}")
        };
        let found = query(ctx, &p, &script).await?;
        let runlevels = p.runlevels.clone().unwrap_or_default();

        // Enable/disable.
        let mut enable_changed = false;
        if !runlevels.is_empty() {
            for rl in &runlevels {
                if p.enabled != Some(found.enabled.contains(rl)) {
                    enable_changed = true;
                }
            }
        } else if p.enabled.is_some_and(|e| e != found.any_enabled) {
            enable_changed = true;
        }
        let enable_cmd = if enable_changed {
            enable_command(&found, name, p.enabled.unwrap_or(false), &runlevels)
        } else {
            None
        };

        // State.
        let verb = p.state.map(State::verb);
        let state_changed = match verb {
            None => false,
            Some("restart") => true,
            Some(v) => found.is_started != (v == "start") || found.is_started == (v == "stop"),
        };
        let args = p.arguments.as_deref().unwrap_or_default();
        let sleep = p.sleep.unwrap_or(1);
        let mut runs: Vec<String> = Vec::new();
        if state_changed {
            let doits: &[&str] = match verb {
                Some("restart") => &["stop", "start"],
                Some(v) => std::slice::from_ref(match v {
                    "start" => &"start",
                    "stop" => &"stop",
                    _ => &"reload",
                }),
                None => &[],
            };
            for doit in doits {
                runs.push(format!("{script} {doit} {args}"));
            }
        }

        let changed = enable_changed || state_changed;
        let mut enabled_status: IndexMap<String, Value> = IndexMap::new();
        enabled_status.insert("changed".into(), Value::from(enable_changed));
        let mut state_status: IndexMap<String, Value> = IndexMap::new();
        state_status.insert("changed".into(), Value::from(state_changed));
        for m in [&mut enabled_status, &mut state_status] {
            for k in ["rc", "stdout", "stderr"] {
                m.insert(k.into(), Value::from(()));
            }
        }
        if !runlevels.is_empty() {
            enabled_status.insert(
                "runlevels".into(),
                Value::from(
                    runlevels
                        .iter()
                        .map(|r| Value::from(r.as_str()))
                        .collect::<Vec<_>>(),
                ),
            );
        }

        if !ctx.check && (enable_changed || state_changed) {
            let acted = act(
                ctx,
                enable_cmd.as_deref(),
                &runs,
                sleep,
                p.daemonize.unwrap_or(false),
            )
            .await?;
            if enable_changed {
                // The enable's own output, or (no program) the status command's, as Ansible
                // records whatever ran last.
                let e = acted.get("enable").cloned().unwrap_or_default();
                set_ran(&mut enabled_status, &e);
                if e.stderr.contains("illegal runlevel specified") {
                    return Err(ModuleError::failed(format!(
                        "Illegal runlevel specified for enable operation on service {name}"
                    ))
                    .with("name", name)
                    .with("status", status_value(&p, enabled_status, state_status)));
                }
            }
            for (i, _) in runs.iter().enumerate() {
                let Some(step) = acted.get(&format!("run{i}")) else {
                    continue;
                };
                if step.rc != 0 {
                    return Err(ModuleError::failed(format!(
                        "Failed to {} service: {name}",
                        verb.unwrap_or_default()
                    ))
                    .with("rc", step.rc)
                    .with("stdout", step.stdout.as_str())
                    .with("stderr", step.stderr.as_str()));
                }
                if i + 1 == runs.len() {
                    set_ran(&mut state_status, step);
                }
            }
        }
        let mut o = Outcome::changed(changed)
            .with("name", name)
            .with("status", status_value(&p, enabled_status, state_status));
        if !found.warnings.is_empty() {
            o = o.with(
                "warnings",
                Value::from(
                    found
                        .warnings
                        .iter()
                        .map(|w| Value::from(w.as_str()))
                        .collect::<Vec<_>>(),
                ),
            );
        }
        Ok(o)
    }
}

fn set_ran(m: &mut IndexMap<String, Value>, step: &Step) {
    m.insert("rc".into(), Value::from(step.rc));
    m.insert("stdout".into(), Value::from(step.stdout.as_str()));
    m.insert("stderr".into(), Value::from(step.stderr.as_str()));
}

/// `status`: `enabled`, then the state's entry (keyed `null` when no state was asked, as
/// Python's `None` key comes out in JSON).
fn status_value(p: &Params, enabled: IndexMap<String, Value>, state: IndexMap<String, Value>) -> Value {
    let key = p.state.map(State::name).unwrap_or("null");
    map_value([("enabled", map_value(enabled)), (key, map_value(state))])
}

/// The enable or disable command line, as the module builds it (update-rc.d, else chkconfig).
fn enable_command(found: &Found, name: &str, enabled: bool, runlevels: &[String]) -> Option<String> {
    let verb = if enabled { "enable" } else { "disable" };
    if let Some(u) = &found.update_rc_d {
        return Some(if !runlevels.is_empty() {
            format!("{u} {name} {verb} {}", runlevels.join(" "))
        } else if enabled {
            format!("{u} {name} defaults")
        } else {
            format!("{u} {name} disable")
        });
    }
    let c = found.chkconfig.as_ref()?;
    let on = if enabled { "on" } else { "off" };
    Some(if !runlevels.is_empty() {
        format!("{c} --level {} {name} {on}", runlevels.concat())
    } else {
        format!("{c} {name} {on}")
    })
}

/// A command string as `run_command` runs it: split with `shlex.split`, each word quoted.
fn words(cmd: &str) -> Result<String, ModuleError> {
    let split =
        shlex_split(cmd).map_err(|e| ModuleError::failed(format!("sysvinit: cannot split `{cmd}`: {e}")))?;
    Ok(split.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "))
}

/// The first round trip: the script's presence, the programs, the runlevel links, and the
/// status command's (or ps's) answer.
async fn query(ctx: &mut ModuleCtx<'_>, p: &Params, script: &str) -> Result<Found, ModuleError> {
    let name = p.name.as_str();
    let mut s = Steps::new(&format!(
        "[ -e {q} ] || {{ echo @missing; exit 0; }}\n\
         for b in chkconfig update-rc.d insserv service; do\n\
           l=$(PATH={PATHS}; command -v \"$b\") && echo \"@bin $b $l\"\n\
         done\n\
         if [ -d /etc/rc0.d/ ]; then d=/etc/rc; else d=/etc/init.d/rc; fi",
        q = quote(script)
    ));
    let levels: Vec<String> = match &p.runlevels {
        Some(r) if !r.is_empty() => r.clone(),
        _ => vec!["?".to_string()],
    };
    for rl in &levels {
        let level = if rl == "?" { "?".to_string() } else { quote(rl) };
        s.shell(&format!(
            "set -- \"$d\"{level}.d/S??{n}\nif [ -e \"$1\" ] || [ -L \"$1\" ]; then echo \"@enabled {rl}\"; fi",
            n = quote(name),
            rl = rl.replace(['\n', '"', '$', '`', '\\'], "")
        ));
    }
    if p.pattern.is_some() {
        s.step("ps", "ps auxww");
    } else {
        s.shell(&format!("svc=$(PATH={PATHS}; command -v service) || svc="));
        s.shell(&format!(
            "if [ -n \"$svc\" ]; then set -- \"$svc\" {n} status; else set -- {q} status; fi",
            n = words(name)?,
            q = words(script)?
        ));
        s.step("status", "\"$@\"");
        s.shell("case $rc in 0|1|2|3|4|69) ;; *) ps_needed=1 ;; esac");
        s.shell("if [ -n \"$ps_needed\" ]; then");
        s.step("ps", "ps auxww");
        s.shell("fi");
    }
    let out = ctx.run(s.script().to_string()).await?;
    let said = Said::parse(&out);
    if said.said("@missing") {
        return Err(ModuleError::failed(format!(
            "Could not find the requested service {name}: "
        )));
    }
    let bin = |b: &str| {
        said.outside
            .iter()
            .find_map(|l| l.strip_prefix(&format!("@bin {b} ")))
            .map(str::to_string)
    };
    let enabled: Vec<String> = said
        .outside
        .iter()
        .filter_map(|l| l.strip_prefix("@enabled "))
        .map(str::to_string)
        .collect();
    let mut warnings = Vec::new();
    let ps_has = |needle: &str| {
        said.get("ps")
            .is_some_and(|ps| ps.rc == 0 && ps.stdout.lines().any(|l| l.contains(needle)))
    };
    let (worked, is_started) = if let Some(pattern) = &p.pattern {
        let on = ps_has(pattern);
        (on, on)
    } else {
        let Some(status) = said.get("status") else {
            return Err(ModuleError::failed(format!(
                "sysvinit {name}: could not run the status command on {}: {}",
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        };
        let (mut worked, mut started) = read_status(name, status);
        if !worked {
            if status.rc == 0 {
                (worked, started) = (true, true);
            } else if ps_has(name) {
                (worked, started) = (true, true);
                warnings.push(
                    "Used ps output to match service name and determine it is up, this is very unreliable"
                        .to_string(),
                );
            }
        }
        (worked, started)
    };
    if !worked {
        warnings.push("Unable to determine if service is up, assuming it is down".to_string());
    }
    Ok(Found {
        any_enabled: !enabled.is_empty(),
        enabled,
        update_rc_d: bin("update-rc.d"),
        chkconfig: bin("chkconfig"),
        is_started,
        warnings,
    })
}

/// The module's reading of the status command: (worked, is_started) before its last resorts.
fn read_status(name: &str, status: &Step) -> (bool, bool) {
    let out = &status.stdout;
    if name == "iptables" && out.contains("ACCEPT") {
        return (true, true);
    }
    if out.matches('\n').count() <= 1 {
        let clean = out.to_lowercase().replace(&name.to_lowercase(), "");
        for stopped in [
            "stop",
            "is dead ",
            "dead but ",
            "could not access pid file",
            "inactive",
        ] {
            if clean.contains(stopped) {
                return (true, false);
            }
        }
        for started in ["run", "start", "active"] {
            if clean.contains(started) && !clean.contains("not ") {
                return (true, true);
            }
        }
    }
    if [1, 2, 3, 4, 69].contains(&status.rc) {
        return (true, false);
    }
    (false, false)
}

/// The second round trip: the enable command (its failure does not stop the rest, as in the
/// module, unless it names an illegal runlevel), then the script's actions, stopping at the
/// first that fails, each followed by `sleep` for a restart.
async fn act(
    ctx: &mut ModuleCtx<'_>,
    enable: Option<&str>,
    runs: &[String],
    sleep: i64,
    daemonize: bool,
) -> Result<Said, ModuleError> {
    let mut s = Steps::new("");
    if let Some(cmd) = enable {
        s.step(
            "enable",
            &format!(
                "{{ err=$({} 2>&1 1>&3 3>&-; st=$?; echo x; exit $st); st=$?; printf '%s' \"${{err%x}}\" >&2; (exit $st); }} 3>&1",
                words(cmd)?
            ),
        );
        s.shell("case $err in *'illegal runlevel specified'*) exit 0 ;; esac");
    }
    for (i, run) in runs.iter().enumerate() {
        let cmd = words(run)?;
        let cmd = if daemonize {
            format!("(cd / && exec setsid -w {cmd} </dev/null)")
        } else {
            cmd
        };
        s.action(&format!("run{i}"), &cmd);
        if runs.len() > 1 && sleep > 0 {
            s.shell(&format!("sleep {sleep}"));
        }
    }
    let out = ctx.run(s.script().to_string()).await?;
    Ok(Said::parse(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(rc: i32, out: &str) -> Step {
        Step {
            rc,
            stdout: out.into(),
            stderr: String::new(),
        }
    }

    #[test]
    fn status_output_as_the_module_reads_it() {
        assert_eq!(read_status("cron", &st(0, "cron is running.\n")), (true, true));
        assert_eq!(
            read_status("cron", &st(3, "cron is not running ... failed!\n")),
            (true, false)
        );
        assert_eq!(read_status("x", &st(3, "a\nb\nc\n")), (true, false));
        assert_eq!(read_status("x", &st(0, "a\nb\nc\n")), (false, false));
    }
}
