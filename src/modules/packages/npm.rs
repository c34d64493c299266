//! `community.general.npm`: node.js packages installed in a directory (`path`) or globally,
//! as the collection's npm module (11.x) does it: `npm list --json --long` says what is
//! installed or missing (a package with `version` must be listed at exactly that version),
//! `npm outdated` what `latest` updates; then `npm install`, `update` or `uninstall` runs, or
//! `npm ci` unconditionally. The result is `changed` only. A task with nothing to do costs one
//! round trip (the query); acting is a second. Check mode runs the query only (and, as the
//! collection does, creates a missing `path` directory first).

use async_trait::async_trait;
use serde::Deserialize;

use super::pip::{NO_TRACEBACK, TOOLS, with_output};
use crate::connection::quote::{quote, shlex_quote};
use crate::modules::report::sections;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `npm` module.
pub struct Npm;

/// The script; its inputs are shell assignments put before it, then the shared helpers.
const SCRIPT: &str = include_str!("npm.sh");

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Present,
    Absent,
    Latest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Option<String>,
    path: Option<String>,
    version: Option<String>,
    global: Option<bool>,
    production: Option<bool>,
    executable: Option<String>,
    registry: Option<String>,
    state: Option<State>,
    ignore_scripts: Option<bool>,
    unsafe_perm: Option<bool>,
    ci: Option<bool>,
    no_optional: Option<bool>,
    no_bin_links: Option<bool>,
    force: Option<bool>,
}

impl Params {
    /// `name@version` unless removing.
    fn name_version(&self) -> Option<String> {
        let name = self.name.clone()?;
        match (&self.version, self.state) {
            (Some(v), s) if !v.is_empty() && s != Some(State::Absent) => Some(format!("{name}@{v}")),
            _ => Some(name),
        }
    }

    /// The arguments after npm, in the collection's order: the command, `--global`,
    /// `--production` (install, update, ci), `--ignore-scripts`, `--unsafe-perm`, the package,
    /// `--registry`, `--no-optional`, `--no-bin-links`, `--force`.
    fn args(&self, command: &[&str], with_name: bool) -> Vec<String> {
        let on = |b: Option<bool>| b == Some(true);
        let mut a: Vec<String> = command.iter().map(|c| c.to_string()).collect();
        let flag = |set: bool, f: &str, a: &mut Vec<String>| {
            if set {
                a.push(f.to_string());
            }
        };
        flag(on(self.global), "--global", &mut a);
        let production = command.iter().any(|c| matches!(*c, "install" | "update" | "ci"));
        flag(on(self.production) && production, "--production", &mut a);
        flag(on(self.ignore_scripts), "--ignore-scripts", &mut a);
        flag(on(self.unsafe_perm), "--unsafe-perm", &mut a);
        if with_name {
            a.extend(self.name_version());
        }
        if let Some(r) = &self.registry {
            a.extend(["--registry".to_string(), r.clone()]);
        }
        flag(on(self.no_optional), "--no-optional", &mut a);
        flag(on(self.no_bin_links), "--no-bin-links", &mut a);
        flag(on(self.force), "--force", &mut a);
        a
    }
}

#[async_trait]
impl TypedModule for Npm {
    type Params = Params;

    const SPEC: Spec = Spec::host("npm").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.unwrap_or(State::Present);
        if state == State::Absent && p.name.is_none() {
            return Err(ModuleError::Params(
                "npm: state is absent but all of the following are missing: name".into(),
            ));
        }
        if p.path.is_none() && p.global != Some(true) {
            return Err(
                ModuleError::failed("path must be specified when not using global")
                    .with("exception", NO_TRACEBACK),
            );
        }
        if p.ci == Some(true) {
            let acts = if ctx.check {
                vec![]
            } else {
                vec![p.args(&["ci"], true)]
            };
            run_script(&p, ctx, None, None, &acts).await?;
            return Ok(Outcome::changed(true));
        }
        let list = p.args(&["list", "--json", "--long"], false);
        let outdated = (state == State::Latest).then(|| p.args(&["outdated"], true));
        let report = run_script(&p, ctx, Some(&list), outdated.as_ref(), &[]).await?;
        let text = report.list.as_deref().unwrap_or_default();
        let data: serde_json::Value = if text.trim().is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(text)
                .map_err(|e| ModuleError::failed(format!("Failed to parse NPM output with error {e}")))?
        };
        let (installed, missing) = listed(&data, p.name.as_deref(), p.name_version().as_deref());
        let mut acts = Vec::new();
        let changed = match state {
            State::Present => {
                if !missing.is_empty() {
                    acts.push(p.args(&["install"], true));
                }
                !missing.is_empty()
            }
            State::Latest => {
                let outdated = report
                    .outdated
                    .as_deref()
                    .unwrap_or_default()
                    .lines()
                    .any(|l| !l.is_empty());
                if !missing.is_empty() {
                    acts.push(p.args(&["install"], true));
                }
                if outdated {
                    acts.push(p.args(&["update"], true));
                }
                !missing.is_empty() || outdated
            }
            State::Absent => {
                let here = p.name.as_ref().is_some_and(|n| installed.contains(n));
                if here {
                    acts.push(p.args(&["uninstall"], true));
                }
                here
            }
        };
        if !acts.is_empty() && !ctx.check {
            run_script(&p, ctx, None, None, &acts).await?;
        }
        Ok(Outcome::changed(changed))
    }
}

/// What the script reported.
#[derive(Default)]
struct Report {
    npm: Vec<String>,
    list: Option<String>,
    outdated: Option<String>,
}

/// Runs the script with the query and the actions given; a failure it reports fails the task.
async fn run_script(
    p: &Params,
    ctx: &mut ModuleCtx<'_>,
    list: Option<&Vec<String>>,
    outdated: Option<&Vec<String>>,
    acts: &[Vec<String>],
) -> Result<Report, ModuleError> {
    let words = |ws: Option<&Vec<String>>| {
        ws.map(|w| w.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let vars = [
        ("NPM", p.executable.clone().unwrap_or_default()),
        ("DIR", p.path.clone().unwrap_or_default()),
        ("LIST", words(list)),
        ("OUTDATED", words(outdated)),
        ("ACT1", words(acts.first())),
        ("ACT2", words(acts.get(1))),
    ];
    let inputs: String = vars.iter().map(|(k, v)| format!("{k}={}\n", quote(v))).collect();
    let out = ctx.run(format!("{inputs}{TOOLS}{SCRIPT}")).await?;
    let report = sections(&String::from_utf8_lossy(&out.stdout));
    if report.is_empty() {
        return Err(ModuleError::failed(format!(
            "npm: the script on {} ended without a report (exit status {}): {}",
            ctx.host,
            out.rc,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut r = Report::default();
    let mut fail = None;
    let (mut name, mut paths, mut dir, mut act, mut rc, mut stdout, mut stderr) = (
        String::new(),
        String::new(),
        String::new(),
        0usize,
        0i64,
        String::new(),
        String::new(),
    );
    for (key, value) in report {
        match key.as_str() {
            "npm" => r.npm.push(value),
            "list" => r.list = Some(value),
            "outdated" => r.outdated = Some(value),
            "fail" => fail = Some(value),
            "name" => name = value,
            "paths" => paths = value,
            "dir" => dir = value,
            "act" => act = value.parse().unwrap_or(1),
            "rc" => rc = value.parse().unwrap_or(-1),
            "out" => stdout = value,
            "err" => stderr = value,
            _ => {}
        }
    }
    let command = |args: &[String]| -> String {
        r.npm
            .iter()
            .chain(args)
            .map(|w| shlex_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let failed = match fail.as_deref() {
        None => return Ok(r),
        Some("nobin") => ModuleError::failed(format!(
            "Failed to find required executable \"{name}\" in paths: {paths}"
        )),
        Some("mkdir") => ModuleError::failed(format!("path {dir} could not be created")),
        Some("notdir") => ModuleError::failed(format!("path {dir} is not a directory")),
        Some("oserror") => {
            let first = list.or(acts.first()).cloned().unwrap_or_default();
            ModuleError::failed(format!(
                "[Errno 2] No such file or directory: b'{}'",
                r.npm.first().map(String::as_str).unwrap_or_default()
            ))
            .with("rc", 2)
            .with("cmd", command(&first))
            .with("stdout", "")
            .with("stderr", "")
        }
        Some(_) => {
            let args = acts.get(act.saturating_sub(1)).cloned().unwrap_or_default();
            let shown = with_output(Outcome::ok(), &stdout, &stderr)
                .with("cmd", command(&args))
                .with("rc", rc);
            ModuleError::failed_with(stderr.trim_end().to_string(), shown)
        }
    };
    Err(failed.with("exception", NO_TRACEBACK))
}

/// The collection's `Npm.list`: the installed names (and `name@version`s) and the missing
/// ones, from `npm list --json --long`.
fn listed(
    data: &serde_json::Value,
    name: Option<&str>,
    name_version: Option<&str>,
) -> (Vec<String>, Vec<Option<String>>) {
    let mut installed = Vec::new();
    let mut missing = Vec::new();
    let truthy = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => false,
        Some(serde_json::Value::String(s)) => !s.is_empty(),
        Some(serde_json::Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(serde_json::Value::Array(a)) => !a.is_empty(),
        Some(serde_json::Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    };
    match data.get("dependencies").and_then(|d| d.as_object()) {
        Some(deps) => {
            for (dep, props) in deps {
                if truthy(props.get("missing")) || truthy(props.get("invalid")) {
                    missing.push(Some(dep.clone()));
                } else {
                    installed.push(dep.clone());
                    if truthy(props.get("version")) {
                        let version = match props.get("version") {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                            None => String::new(),
                        };
                        installed.push(format!("{dep}@{version}"));
                    }
                }
            }
            if let Some(nv) = name_version {
                if !installed.iter().any(|i| i == nv) {
                    missing.push(name.map(str::to_string));
                }
            }
        }
        None => missing.push(name.map(str::to_string)),
    }
    (installed, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::Value;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn params(yaml: &str) -> Params {
        let v: serde_json::Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        crate::modules::params::parse("npm", &Value::from(minijinja::value::Serde(&v))).expect("params")
    }

    #[test]
    fn command_lines_keep_the_collections_order() {
        let p = params(
            "name: left-pad\nversion: 1.3.0\npath: /app\nproduction: true\nregistry: http://r\nignore_scripts: true\nforce: true",
        );
        assert_eq!(
            p.args(&["install"], true),
            names(&[
                "install",
                "--production",
                "--ignore-scripts",
                "left-pad@1.3.0",
                "--registry",
                "http://r",
                "--force"
            ])
        );
        assert_eq!(
            p.args(&["list", "--json", "--long"], false),
            names(&[
                "list",
                "--json",
                "--long",
                "--ignore-scripts",
                "--registry",
                "http://r",
                "--force"
            ])
        );
        let p = params("name: left-pad\nversion: 1.3.0\nglobal: true\nstate: absent");
        assert_eq!(
            p.args(&["uninstall"], true),
            names(&["uninstall", "--global", "left-pad"])
        );
    }

    #[test]
    fn the_listing_says_what_is_missing() {
        let data = serde_json::json!({"dependencies": {
            "a": {"version": "1.0.0"},
            "b": {"missing": true},
            "c": {"invalid": true, "version": "2.0.0"}
        }});
        let (installed, missing) = listed(&data, Some("a"), Some("a@1.0.0"));
        assert_eq!(installed, names(&["a", "a@1.0.0"]));
        assert_eq!(missing, [Some("b".to_string()), Some("c".to_string())]);
        let (_, missing) = listed(&data, Some("a"), Some("a@2.0.0"));
        assert!(missing.contains(&Some("a".to_string())));
        let (_, missing) = listed(&serde_json::json!({"name": "app"}), None, None);
        assert_eq!(missing, [None]);
        let (_, missing) = listed(
            &serde_json::json!({"dependencies": {"a": {"version": "1"}}}),
            None,
            None,
        );
        assert!(missing.is_empty());
    }
}
