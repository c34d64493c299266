//! `pip`: Python packages installed, upgraded or removed with pip, in the host's Python or a
//! virtualenv (created when missing), as ansible-core 2.19's `pip` module does it. The work is
//! one shell script (`pip.sh`) run in one round trip: it creates the virtualenv, finds pip as
//! Ansible finds it (the virtualenv's `pip3`/`pip`, `executable`, the interpreter's pip module,
//! `pip3` on the PATH) and runs the one pip command; this file checks the parameters, builds
//! that command line as Ansible builds it ([`pip_req`] for the names) and reads the report:
//! `changed` from pip's "Successfully installed/uninstalled" (or from `pip list` before and
//! after a requirements file or VCS URL), the result keys `cmd`, `name`, `requirements`,
//! `version`, `virtualenv`, `state`, `stdout`, `stderr`, and Ansible's failure messages. Check
//! mode asks `pip list` and reports what pip would change. A Python that is "externally
//! managed" (PEP 668, Debian 12's) refuses installs unless `break_system_packages`, and the
//! task fails with pip's message, as it does under Ansible.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::pip_req::{Package, recover_names};
use crate::connection::quote::{quote, shlex_quote};
use crate::modules::commands::words::{lines_value, python_splitlines, shlex_split};
use crate::modules::report::sections;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `pip` module.
pub struct Pip;

/// The script; its inputs are shell assignments put before it, then the shared helpers.
const SCRIPT: &str = include_str!("pip.sh");
/// The `exception` ansible-core 2.19 registers with a module's own failure.
pub(super) const NO_TRACEBACK: &str = "(traceback unavailable)";
/// The helpers every package script starts with.
pub(super) const TOOLS: &str = include_str!("tools.sh");

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Present,
    Absent,
    Latest,
    Forcereinstall,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Present => "present",
            State::Absent => "absent",
            State::Latest => "latest",
            State::Forcereinstall => "forcereinstall",
        }
    }

    /// pip.py's `state_map`.
    fn words(self) -> &'static [&'static str] {
        match self {
            State::Present => &["install"],
            State::Absent => &["uninstall", "-y"],
            State::Latest => &["install", "-U"],
            State::Forcereinstall => &["install", "-U", "--force-reinstall"],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Option<Vec<String>>,
    version: Option<String>,
    state: Option<State>,
    requirements: Option<String>,
    virtualenv: Option<String>,
    virtualenv_site_packages: Option<bool>,
    virtualenv_command: Option<String>,
    virtualenv_python: Option<String>,
    extra_args: Option<String>,
    editable: Option<bool>,
    chdir: Option<String>,
    executable: Option<String>,
    umask: Option<String>,
    break_system_packages: Option<bool>,
}

/// What the task asks, checked and turned into the script's inputs.
struct Plan {
    state: State,
    packages: Vec<Package>,
    /// The pip arguments after pip itself: the state's words, `extra_args`, the packages or
    /// `-r requirements`.
    args: Vec<String>,
    /// `pip list` before and after (a requirements file or a VCS URL).
    freeze: bool,
    /// Check mode reports changed without asking pip.
    check_changed: bool,
    /// Neither a name nor a requirements file (`name: []`): nothing to run.
    nothing: bool,
    venv_cmd: Vec<String>,
}

#[async_trait]
impl TypedModule for Pip {
    type Params = Params;

    const SPEC: Spec = Spec::host("pip");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let plan = plan(&p)?;
        let inputs = inputs(&p, &plan, ctx)?;
        let out = ctx.run(format!("{inputs}{TOOLS}{SCRIPT}")).await?;
        let report = sections(&String::from_utf8_lossy(&out.stdout));
        if report.is_empty() {
            return Err(ModuleError::failed(format!(
                "pip: the script on {} ended without a report (exit status {}): {}",
                ctx.host,
                out.rc,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        outcome(&p, &plan, &Report::read(report), ctx.check)
    }
}

/// Ansible's checks of the arguments, then the pip command line.
fn plan(p: &Params) -> Result<Plan, ModuleError> {
    let bad = |m: &str| Err(ModuleError::Params(format!("pip: {m}")));
    if p.name.is_none() && p.requirements.is_none() {
        return bad("one of the following is required: name, requirements");
    }
    if p.name.is_some() && p.requirements.is_some() {
        return bad("parameters are mutually exclusive: name|requirements");
    }
    if p.executable.is_some() && p.virtualenv.is_some() {
        return bad("parameters are mutually exclusive: executable|virtualenv");
    }
    let state = p.state.unwrap_or(State::Present);
    if state == State::Latest && p.version.is_some() {
        return Err(ModuleError::failed("version is incompatible with state=latest"));
    }
    let names = p.name.clone().unwrap_or_default();
    let mut packages: Vec<Package> = Vec::new();
    if !names.is_empty() {
        packages = recover_names(&names)
            .iter()
            .map(|n| Package::new(n, None))
            .collect();
        if let Some(version) = &p.version {
            if packages.len() > 1 {
                return Err(ModuleError::failed(
                    "'version' argument is ambiguous when installing multiple package distributions. \
                     Please specify version restrictions next to each package in 'name' argument.",
                ));
            }
            if packages[0].has_version_specifier() {
                return Err(ModuleError::failed(
                    "The 'version' argument conflicts with any version specifier provided along with a package name. \
                     Please keep the version specifier, but remove the 'version' argument.",
                ));
            }
            packages[0] = Package::new(&packages[0].to_string(), Some(version));
        }
    }
    let has_vcs = names
        .iter()
        .any(|n| ["svn+", "git+", "hg+", "bzr+"].iter().any(|v| n.starts_with(v)));
    let mut extra = p.extra_args.clone().filter(|e| !e.is_empty());
    if p.editable == Some(true) {
        let mut list: Vec<&str> = extra
            .as_deref()
            .map(|e| e.split(' ').collect())
            .unwrap_or_default();
        if !list.contains(&"-e") {
            list.push("-e");
            extra = Some(list.join(" "));
        }
    }
    let mut args: Vec<String> = state.words().iter().map(|w| w.to_string()).collect();
    if let Some(e) = &extra {
        args.extend(shlex_split(e).map_err(|m| ModuleError::Params(format!("pip: extra_args: {m}")))?);
    }
    if !packages.is_empty() {
        args.extend(packages.iter().map(Package::to_string));
    } else if let Some(r) = &p.requirements {
        args.extend(["-r".to_string(), r.clone()]);
    }
    let command = p
        .virtualenv_command
        .clone()
        .unwrap_or_else(|| "virtualenv".into());
    let venv_cmd =
        shlex_split(&command).map_err(|m| ModuleError::Params(format!("pip: virtualenv_command: {m}")))?;
    if venv_cmd.is_empty() {
        return bad("virtualenv_command is empty");
    }
    Ok(Plan {
        state,
        check_changed: extra.is_some()
            || p.requirements.is_some()
            || state == State::Latest
            || names.is_empty(),
        freeze: p.requirements.is_some() || has_vcs,
        nothing: packages.is_empty() && p.requirements.is_none(),
        packages,
        args,
        venv_cmd,
    })
}

/// pip.py's `_is_venv_command`: `pyvenv`, or a command given `-m venv`.
fn is_venv_command(words: &[String]) -> bool {
    if words.first().is_some_and(|w| w == "pyvenv") {
        return true;
    }
    let mut m = None;
    let mut it = words.iter().skip(1);
    while let Some(w) = it.next() {
        if w == "-m" {
            m = it.next().cloned();
        } else if let Some(v) = w.strip_prefix("-m") {
            m = Some(v.trim_start_matches('=').to_string());
        }
    }
    m.as_deref() == Some("venv")
}

/// The script's inputs as shell assignments.
fn inputs(p: &Params, plan: &Plan, ctx: &ModuleCtx<'_>) -> Result<String, ModuleError> {
    let umask = match p.umask.as_deref() {
        None | Some("") => String::new(),
        Some(u) => match u32::from_str_radix(u.trim(), 8) {
            Ok(n) => format!("{n:o}"),
            Err(e) => {
                return Err(
                    ModuleError::failed("umask must be an octal integer").with("details", e.to_string())
                );
            }
        },
    };
    let words = |ws: &[String]| ws.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    let is_venv = is_venv_command(&plan.venv_cmd);
    let python = ctx
        .vars
        .get_attr("ansible_python_interpreter")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|v| v.starts_with('/') && !v.contains("{{"))
        .unwrap_or_default();
    let vars: [(&str, String); 16] = [
        ("STATE", plan.state.as_str().into()),
        ("PY", python),
        ("ENV", p.virtualenv.clone().unwrap_or_default()),
        ("EXE", p.executable.clone().unwrap_or_default()),
        ("CHDIR", p.chdir.clone().unwrap_or_default()),
        ("UMASK", umask),
        ("BREAK", flag(p.break_system_packages == Some(true))),
        ("CHECK", flag(ctx.check)),
        ("CHECK_CHANGED", flag(plan.check_changed)),
        ("NOTHING", flag(plan.nothing)),
        ("FREEZE", flag(plan.freeze)),
        ("VENV_SITE", flag(p.virtualenv_site_packages == Some(true))),
        ("VENV_IS_VENV", flag(is_venv)),
        ("VENV_PY", p.virtualenv_python.clone().unwrap_or_default()),
        (
            "VENV_PY_BAD",
            flag(is_venv && p.virtualenv_python.as_deref().is_some_and(|v| !v.is_empty())),
        ),
        ("VENV_CMD", words(&plan.venv_cmd)),
    ];
    let mut s: String = vars.iter().map(|(k, v)| format!("{k}={}\n", quote(v))).collect();
    s.push_str(&format!("ARGS={}\n", quote(&words(&plan.args))));
    Ok(s)
}

/// What the script reported.
#[derive(Default)]
struct Report {
    env: String,
    checked: bool,
    fail: Option<String>,
    pip: Vec<String>,
    venv_bin: String,
    venv_site: String,
    venv_py: String,
    venv_out: String,
    venv_err: String,
    venv_created: bool,
    name: String,
    paths: String,
    list: Option<String>,
    rc: Option<i64>,
    out: String,
    err: String,
    same: Option<bool>,
}

impl Report {
    fn read(sections: Vec<(String, String)>) -> Report {
        let mut r = Report::default();
        for (key, value) in sections {
            match key.as_str() {
                "env" => r.env = value,
                "checked" => r.checked = true,
                "fail" => r.fail = Some(value),
                "pip" => r.pip.push(value),
                "venv_bin" => r.venv_bin = value,
                "venv_site" => r.venv_site = value,
                "venv_py" => r.venv_py = value,
                "venv_out" => r.venv_out = value,
                "venv_err" => r.venv_err = value,
                "venv_created" => r.venv_created = true,
                "name" => r.name = value,
                "paths" => r.paths = value,
                "list" => r.list = Some(value),
                "rc" => r.rc = value.parse().ok(),
                "out" => r.out = value,
                "err" => r.err = value,
                "same" => r.same = Some(value == "1"),
                _ => {}
            }
        }
        r
    }
}

/// pip.py's `_fail`: the command and its output as the message.
fn failure(cmd: Value, out: &str, err: &str) -> ModuleError {
    let mut msg = String::new();
    if !out.is_empty() {
        msg.push_str(&format!("stdout: {out}"));
    }
    if !err.is_empty() {
        msg.push_str(&format!("\n:stderr: {err}"));
    }
    ModuleError::failed(msg).with("cmd", cmd)
}

fn list_value(words: &[String]) -> Value {
    Value::from(words.iter().map(|w| Value::from(w.as_str())).collect::<Vec<_>>())
}

fn opt(v: &Option<String>) -> Value {
    v.as_deref().map_or(Value::from(()), Value::from)
}

/// The registered result (or the failure) the report describes.
fn outcome(p: &Params, plan: &Plan, r: &Report, check: bool) -> Result<Outcome, ModuleError> {
    let with = |extra: &[&str]| -> Vec<String> {
        r.pip
            .iter()
            .cloned()
            .chain(extra.iter().map(|w| w.to_string()))
            .collect()
    };
    let install: Vec<String> = r.pip.iter().chain(plan.args.iter()).cloned().collect();
    let list_cmd = with(&["list", "--format=freeze"]);
    if let Some(kind) = r.fail.as_deref() {
        let venv_cmd = || {
            let mut c = vec![r.venv_bin.clone()];
            c.extend(plan.venv_cmd.iter().skip(1).cloned());
            c.extend(
                [&r.venv_site, &r.venv_py]
                    .into_iter()
                    .filter(|w| !w.is_empty())
                    .cloned(),
            );
            c.push(r.env.clone());
            c
        };
        let failed = match kind {
            "nobin" => ModuleError::failed(format!(
                "Failed to find required executable \"{}\" in paths: {}",
                r.name, r.paths
            )),
            "help" => ModuleError::failed(format!(
                "Could not get output from {} --help: {}",
                r.venv_bin, r.out
            )),
            "venv_python" => ModuleError::failed(
                "virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command",
            ),
            "venv" => failure(list_value(&venv_cmd()), &r.venv_out, &r.venv_err),
            "nopip_env" => ModuleError::failed(format!(
                "Unable to find pip in the virtualenv, {}, under any of these names: pip3, pip. \
                 Make sure pip is present in the virtualenv.",
                r.env
            )),
            "nopip" => ModuleError::failed(format!(
                "Unable to find any of {} to use.  pip needs to be installed.",
                p.executable.as_deref().unwrap_or("pip3")
            )),
            "oserror" => {
                let first = if (check && !plan.check_changed) || (!check && plan.freeze) {
                    &list_cmd
                } else {
                    &install
                };
                let shown: Vec<String> = first.iter().map(|w| shlex_quote(w)).collect();
                ModuleError::failed(format!(
                    "[Errno 2] No such file or directory: b'{}'",
                    r.pip.first().map(String::as_str).unwrap_or_default()
                ))
                .with("rc", 2)
                .with("cmd", shown.join(" "))
                .with("stdout", "")
                .with("stderr", "")
            }
            _ => {
                // `pip freeze` failed after `pip list` did (a pip too old for `list`).
                if r.rc.is_some_and(|rc| install_failed(plan, r, rc)) {
                    return Err(install_failure(&install, r));
                }
                failure(list_value(&with(&["freeze"])), &r.out, &r.err)
            }
        };
        return Err(failed.with("exception", NO_TRACEBACK));
    }
    if r.checked {
        return Ok(Outcome::changed(true));
    }
    if plan.nothing {
        return Ok(Outcome::changed(false).with(
            "warnings",
            Value::from(vec![Value::from("No valid name or requirements file found.")]),
        ));
    }
    if check {
        let list = r.list.as_deref().unwrap_or("list");
        let lines: Vec<&str> = r
            .out
            .split('\n')
            .filter(|l| {
                !l.is_empty() && !l.starts_with("You are using") && !l.starts_with("You should consider")
            })
            .collect();
        let changed = plan.packages.iter().any(|pkg| {
            let present = pkg.present_in(&lines);
            (plan.state == State::Present && !present) || (plan.state == State::Absent && present)
        });
        let cmd = if list == "freeze" {
            with(&["freeze"])
        } else {
            list_cmd
        };
        return Ok(with_output(
            Outcome::changed(changed).with("cmd", cmd.join(" ")),
            &r.out,
            &r.err,
        ));
    }
    let rc = r.rc.unwrap_or(-1);
    if install_failed(plan, r, rc) {
        return Err(install_failure(&install, r).with("exception", NO_TRACEBACK));
    }
    let changed = match (plan.state, r.same) {
        (State::Absent, _) => r.out.contains("Successfully uninstalled"),
        (_, Some(same)) => !same,
        (_, None) => r.out.contains("Successfully installed"),
    } || r.venv_created;
    let name = p.name.as_deref().map_or(Value::from(()), list_value);
    let o = Outcome::changed(changed)
        .with("cmd", list_value(&install))
        .with("name", name)
        .with("version", opt(&p.version))
        .with("state", plan.state.as_str())
        .with("requirements", opt(&p.requirements))
        .with(
            "virtualenv",
            if r.env.is_empty() {
                Value::from(())
            } else {
                Value::from(r.env.as_str())
            },
        );
    Ok(with_output(
        o,
        &format!("{}{}", r.venv_out, r.out),
        &format!("{}{}", r.venv_err, r.err),
    ))
}

/// `stdout` and `stderr` with the `*_lines` Ansible adds to every result that has them.
pub(super) fn with_output(o: Outcome, out: &str, err: &str) -> Outcome {
    o.with("stdout", out)
        .with("stdout_lines", lines_value(python_splitlines(out)))
        .with("stderr", err)
        .with("stderr_lines", lines_value(python_splitlines(err)))
}

/// Whether pip's exit status fails the task: anything but 0, except removing what is not
/// installed.
fn install_failed(plan: &Plan, r: &Report, rc: i64) -> bool {
    let not_installed = rc == 1
        && plan.state == State::Absent
        && (r.out.contains("not installed") || r.err.contains("not installed"));
    rc != 0 && !not_installed
}

fn install_failure(install: &[String], r: &Report) -> ModuleError {
    failure(
        list_value(install),
        &format!("{}{}", r.venv_out, r.out),
        &format!("{}{}", r.venv_err, r.err),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(yaml: &str) -> Params {
        let v: serde_json::Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        crate::modules::params::parse("pip", &Value::from(minijinja::value::Serde(&v))).expect("params")
    }

    #[test]
    fn the_command_line_is_ansibles() {
        let p = params(
            "name: ['Foo >= 1.0', '<2', bar]\nextra_args: --no-index --find-links /srv\nstate: latest",
        );
        let pl = plan(&p).expect("plan");
        assert_eq!(
            pl.args,
            [
                "install",
                "-U",
                "--no-index",
                "--find-links",
                "/srv",
                "Foo<2,>=1.0",
                "bar"
            ]
        );
        assert!(pl.check_changed);
        let p = params("name: foo\nversion: '1.0'\neditable: true");
        let pl = plan(&p).expect("plan");
        assert_eq!(pl.args, ["install", "-e", "foo==1.0"]);
        let p = params("requirements: /r.txt\nstate: absent");
        let pl = plan(&p).expect("plan");
        assert_eq!(pl.args, ["uninstall", "-y", "-r", "/r.txt"]);
        assert!(pl.freeze);
    }

    #[test]
    fn conflicting_arguments_fail_as_in_ansible() {
        let err = |y: &str| plan(&params(y)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("name: [a, b]\nversion: '1'").contains("ambiguous"));
        assert!(err("name: a>1\nversion: '1'").contains("conflicts"));
        assert_eq!(
            err("name: a\nstate: latest\nversion: '1'"),
            "version is incompatible with state=latest"
        );
        assert!(err("state: present").contains("one of the following is required: name, requirements"));
        assert!(err("name: a\nexecutable: pip3\nvirtualenv: /v").contains("executable|virtualenv"));
    }

    #[test]
    fn venv_commands_are_recognised() {
        let w = |s: &str| shlex_split(s).expect("words");
        assert!(is_venv_command(&w("python3 -m venv")));
        assert!(is_venv_command(&w("/usr/bin/python3 -mvenv")));
        assert!(is_venv_command(&w("pyvenv")));
        assert!(!is_venv_command(&w("virtualenv")));
        assert!(!is_venv_command(&w("python3 -m virtualenv")));
    }

    #[test]
    fn changed_follows_pips_words_and_the_freeze() {
        let p = params("name: foo");
        let pl = plan(&p).expect("plan");
        let mut r = Report {
            pip: vec!["/usr/bin/python3".into(), "-m".into(), "pip.__main__".into()],
            rc: Some(0),
            out: "Requirement already satisfied: foo in /x\n".into(),
            ..Report::default()
        };
        let o = outcome(&p, &pl, &r, false).expect("ok");
        assert!(!o.changed);
        r.out = "Successfully installed foo-1.0\n".into();
        assert!(outcome(&p, &pl, &r, false).expect("ok").changed);
        r.rc = Some(1);
        r.err = "error: externally-managed-environment\n".into();
        match outcome(&p, &pl, &r, false) {
            Err(ModuleError::Failed { msg, data }) => {
                assert!(
                    msg.starts_with("stdout: Successfully")
                        && msg.contains("\n:stderr: error: externally-managed")
                );
                assert!(data.contains_key("cmd"));
            }
            _ => panic!("a failure"),
        }
    }
}
