//! `community.general.git_config` (as its version 11 does it): `git config --includes [SCOPE]
//! --get-all NAME` in one round trip decides; a change is `--replace-all NAME VALUE` (or
//! `--add`, or `--unset-all` for `state: absent`) in a second one, skipped in check mode. Run in
//! `repo` for `scope: local` and in `/` otherwise (so no repository's settings leak in), with
//! the C locale. Results as the collection's: `msg` (`setting changed`, `no setting to unset`,
//! or empty), and on a change the `diff` dict (headers are the set command, values one line or
//! a list). `list_all` and reading a value (no `value`) were removed from the collection in 11;
//! both are refused with its message, as `git_config_info` is the module for reading.

use async_trait::async_trait;
use minijinja::Value;
use minijinja::value::ValueKind;
use serde::Deserialize;

use crate::connection::quote::{quote, quote_path};
use crate::modules::commands::words::python_splitlines;
use crate::modules::params::state::State;
use crate::modules::params::{map_value, value_to_text};
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct GitConfig;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    File,
    Local,
    Global,
    System,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddMode {
    #[serde(rename = "add")]
    Add,
    #[default]
    #[serde(rename = "replace-all")]
    ReplaceAll,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Option<String>,
    repo: Option<String>,
    file: Option<String>,
    add_mode: Option<AddMode>,
    scope: Option<Scope>,
    state: Option<State>,
    /// Raw, as the collection declares it: only a string can equal a value read back.
    value: Option<Value>,
    /// Removed in community.general 11; accepted only to be refused with its message.
    list_all: Option<bool>,
}

/// Ansible 2.19 registers this placeholder with every `fail_json` of a module.
const NO_TRACEBACK: &str = "(traceback unavailable)";

/// Separates the git path from `--get-all`'s output.
const MARK: &str = "\u{1e}playhook-git-config";

#[async_trait]
impl TypedModule for GitConfig {
    type Params = Params;

    const SPEC: Spec = Spec::host("git_config").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let request = Request::check(p)?;
        let base = request.base_args();
        let cwd = request.cwd();
        let get = format!(
            "{PRELUDE}cd {cwd} 2>/dev/null\nprintf '%s\\n{MARK}\\n' \"$g\"\n\"$g\" {} --get-all {}\n",
            words(&base),
            quote(&request.name)
        );
        let out = ctx.run(get).await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let Some((git, listed)) = stdout.split_once(&format!("\n{MARK}\n")) else {
            return Err(ModuleError::failed(stderr.trim_end().to_string()).with("rc", out.rc));
        };
        let show = |args: &[String]| format!("{git} {}", args.join(" "));
        if out.rc >= 2 {
            let mut list = base.clone();
            list.extend(["--get-all".to_string(), request.name.clone()]);
            return Err(ModuleError::failed(stderr)
                .with("exception", NO_TRACEBACK)
                .with("rc", out.rc)
                .with("cmd", show(&list)));
        }
        let old = python_splitlines(listed.trim_end());
        let unset = request.state == State::Absent;
        if unset && listed.is_empty() {
            return Ok(Outcome::ok().with("msg", "no setting to unset"));
        }
        let present = request.value_is_text && old.contains(&request.value);
        if !unset && present && (old.len() == 1 || request.add_mode == AddMode::Add) {
            return Ok(Outcome::ok().with("msg", ""));
        }
        let mut set = base;
        if unset {
            set.extend(["--unset-all".to_string(), request.name.clone()]);
        } else {
            let mode = match request.add_mode {
                AddMode::Add => "--add",
                AddMode::ReplaceAll => "--replace-all",
            };
            set.extend([mode.to_string(), request.name.clone(), request.value.clone()]);
        }
        if !ctx.check {
            let script = format!("{PRELUDE}cd {cwd} || exit 1\n\"$g\" {}\n", words(&set));
            let out = ctx.run(script).await?;
            if !out.stderr.is_empty() {
                let cmd: Vec<String> = std::iter::once(git.to_string())
                    .chain(set.iter().cloned())
                    .collect();
                return Err(
                    ModuleError::failed(String::from_utf8_lossy(&out.stderr).into_owned())
                        .with("exception", NO_TRACEBACK)
                        .with("rc", out.rc)
                        .with("cmd", cmd),
                );
            }
        }
        let after: Vec<String> = match (unset, request.add_mode) {
            (true, _) => Vec::new(),
            (false, AddMode::Add) => old.iter().cloned().chain([request.value.clone()]).collect(),
            (false, AddMode::ReplaceAll) => vec![request.value.clone()],
        };
        let header = show(&set);
        let diff = map_value([
            ("before_header", Value::from(header.as_str())),
            ("before", diff_value(&old)),
            ("after_header", Value::from(header.as_str())),
            ("after", diff_value(&after)),
        ]);
        Ok(Outcome::changed(true)
            .with("msg", "setting changed")
            .with("diff", diff))
    }
}

/// Finds git (a one-line failure when it is missing) with the C locale, as the module runs it.
const PRELUDE: &str = "LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE\n\
g=$(command -v git) || { echo 'git_config: `git` is not installed on this host: install it (Debian: apt-get install git)' >&2; exit 127; }\n";

/// The checked parameters.
struct Request {
    name: String,
    scope: Scope,
    repo: Option<String>,
    file: Option<String>,
    state: State,
    add_mode: AddMode,
    /// The value as git gets it (Python's `str`), and whether it was a string.
    value: String,
    value_is_text: bool,
}

impl Request {
    /// The collection's checks, in its order, with its messages.
    fn check(p: Params) -> Result<Request, ModuleError> {
        if p.list_all.is_some() {
            return Err(ModuleError::Params(
                "list_all was removed from community.general.git_config (version 11): use \
                 community.general.git_config_info to list settings"
                    .into(),
            ));
        }
        let Some(name) = p.name else {
            return Err(ModuleError::Params("missing required arguments: name".into()));
        };
        let state = p.state.unwrap_or_default();
        if p.scope == Some(Scope::Local) && p.repo.is_none() {
            return Err(ModuleError::Params(
                "scope is local but all of the following are missing: repo".into(),
            ));
        }
        if p.scope == Some(Scope::File) && p.file.is_none() {
            return Err(ModuleError::Params(
                "scope is file but all of the following are missing: file".into(),
            ));
        }
        let value = p.value.filter(|v| !v.is_none() && !v.is_undefined());
        if state == State::Present && value.is_none() {
            return Err(ModuleError::Params(
                "state is present but all of the following are missing: value".into(),
            ));
        }
        // `params['value'] or ''`: a false value is no value.
        let value = value.filter(|v| v.is_true());
        if state == State::Present && value.is_none() {
            return Err(ModuleError::failed(
                "If state=present, a value must be specified. Use the community.general.git_config_info \
                 module to read a config value.",
            ));
        }
        let value_is_text = value.as_ref().is_none_or(|v| v.kind() == ValueKind::String);
        Ok(Request {
            name,
            scope: p.scope.unwrap_or(Scope::System),
            repo: p.repo,
            file: p.file,
            state,
            add_mode: p.add_mode.unwrap_or_default(),
            value: value.as_ref().map(value_to_text).unwrap_or_default(),
            value_is_text,
        })
    }

    /// `config --includes` and the scope's option (unquoted words).
    fn base_args(&self) -> Vec<String> {
        let mut args = vec!["config".to_string(), "--includes".to_string()];
        match self.scope {
            Scope::File => {
                args.push("-f".into());
                args.push(self.file.clone().unwrap_or_default());
            }
            Scope::Local => args.push("--local".into()),
            Scope::Global => args.push("--global".into()),
            Scope::System => args.push("--system".into()),
        }
        args
    }

    /// The directory git runs in, quoted: the repository for `local`, else `/`.
    fn cwd(&self) -> String {
        match (&self.scope, &self.repo) {
            (Scope::Local, Some(repo)) => quote_path(repo),
            _ => "/".to_string(),
        }
    }
}

/// Arguments as shell words; a `-f` file path expands `~` as the collection's `path` type does.
fn words(args: &[String]) -> String {
    let mut out = Vec::with_capacity(args.len());
    let mut after_f = false;
    for a in args {
        out.push(if after_f { quote_path(a) } else { quote(a) });
        after_f = a == "-f";
    }
    out.join(" ")
}

/// The collection's `build_diff_value`: a newline for none, one line for one, else the list.
fn diff_value(values: &[String]) -> Value {
    match values {
        [] => Value::from("\n"),
        [one] => Value::from(format!("{one}\n")),
        many => Value::from(many.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> Params {
        let v: serde_json::Value = serde_json::from_str(json).expect("json");
        crate::modules::params::parse("git_config", &Value::from(minijinja::value::Serde(v))).expect("params")
    }

    #[test]
    fn checks_follow_the_collection() {
        let err = |j: &str| match Request::check(params(j)) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{j} accepted"),
        };
        assert!(err(r#"{"name": "a.b", "scope": "local", "value": "x"}"#).contains("missing: repo"));
        assert!(err(r#"{"name": "a.b", "scope": "file", "value": "x"}"#).contains("missing: file"));
        assert!(err(r#"{"name": "a.b"}"#).contains("missing: value"));
        assert!(err(r#"{"name": "a.b", "value": false}"#).contains("a value must be specified"));
        assert!(err(r#"{"list_all": true}"#).contains("git_config_info"));
        let r = Request::check(params(r#"{"name": "a.b", "value": 5}"#)).expect("ok");
        assert_eq!((r.value.as_str(), r.value_is_text), ("5", false));
        assert_eq!(r.base_args(), ["config", "--includes", "--system"]);
        assert_eq!(r.cwd(), "/");
    }

    #[test]
    fn diff_values_are_the_collections() {
        assert_eq!(diff_value(&[]).to_string(), "\n");
        assert_eq!(diff_value(&["a".into()]).to_string(), "a\n");
        assert_eq!(diff_value(&["a".into(), "b".into()]).len(), Some(2));
    }
}
