//! `git`: a repository cloned to `dest` and kept at `version` (a branch, tag, commit or the
//! remote's `HEAD`), as ansible-core 2.19's `git` module does it. The whole module is one shell
//! script (`git.sh`) run on the target in one round trip: it issues the git commands Ansible
//! issues, in the same order, so refs, checkout and remote URL end the same; this file checks
//! the parameters, hands them to the script and turns its report into the registered result
//! (`before`, `after`, `remote_url_changed`, `submodules_changed`, `msg`, `warnings`, the
//! prepared diff).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::report::sections;
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `git` module.
pub struct Git;

/// The script; its inputs are shell assignments put before it.
const SCRIPT: &str = include_str!("git.sh");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "name")]
    repo: String,
    dest: Option<String>,
    version: Option<String>,
    remote: Option<String>,
    refspec: Option<String>,
    reference: Option<String>,
    force: Option<bool>,
    depth: Option<i64>,
    clone: Option<bool>,
    update: Option<bool>,
    verify_commit: Option<bool>,
    #[allow(dead_code, reason = "only used with verify_commit, which is refused")]
    #[serde(alias = "gpg_whitelist")]
    gpg_allowlist: Option<Vec<String>>,
    accept_hostkey: Option<bool>,
    accept_newhostkey: Option<bool>,
    key_file: Option<String>,
    ssh_opts: Option<String>,
    executable: Option<String>,
    bare: Option<bool>,
    recursive: Option<bool>,
    single_branch: Option<bool>,
    track_submodules: Option<bool>,
    umask: Option<Value>,
    archive: Option<String>,
    archive_prefix: Option<String>,
    separate_git_dir: Option<String>,
}

#[async_trait]
impl TypedModule for Git {
    type Params = Params;

    const SPEC: Spec = Spec::host("git");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let inputs = inputs(&p, ctx.check, ctx.diff)?;
        let out = ctx.run(format!("{inputs}{SCRIPT}")).await?;
        let report = sections(&String::from_utf8_lossy(&out.stdout));
        if report.is_empty() {
            return Err(ModuleError::failed(format!(
                "git: the script on the host ended without a report (exit status {}): {}",
                out.rc,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        outcome(report)
    }
}

/// The script's inputs as shell assignments, after Ansible's own checks of the parameters.
fn inputs(p: &Params, check: bool, diff: bool) -> Result<String, ModuleError> {
    let refuse = |what: &str| {
        Err(ModuleError::Params(format!(
            "git {}: {what} is not supported by playhook; remove it from the task",
            p.repo
        )))
    };
    if p.accept_hostkey == Some(true) && p.accept_newhostkey == Some(true) {
        return Err(ModuleError::Params(
            "git: parameters are mutually exclusive: accept_hostkey|accept_newhostkey".into(),
        ));
    }
    if p.separate_git_dir.is_some() && p.bare == Some(true) {
        return Err(ModuleError::Params(
            "git: parameters are mutually exclusive: separate_git_dir|bare".into(),
        ));
    }
    if p.archive_prefix.is_some() && p.archive.is_none() {
        return Err(ModuleError::Params(
            "git: missing parameter(s) required by 'archive_prefix': archive".into(),
        ));
    }
    if p.verify_commit == Some(true) {
        return refuse("verify_commit (GPG verification of the checked-out commit)");
    }
    if p.archive.is_some() {
        return refuse("archive (writing a git archive of the checkout)");
    }
    if p.separate_git_dir.is_some() {
        return refuse("separate_git_dir");
    }
    let clone = p.clone.unwrap_or(true);
    let dest = p.dest.clone().unwrap_or_default();
    if dest.is_empty() && clone {
        return Err(ModuleError::failed(
            "the destination directory must be specified unless clone=no",
        ));
    }
    if !dest.is_empty() && !dest.starts_with('/') && !dest.starts_with('~') {
        return Err(ModuleError::Params(format!(
            "git {}: dest `{dest}` is relative; give an absolute path (or one starting with ~)",
            p.repo
        )));
    }
    let umask = match &p.umask {
        None => String::new(),
        Some(v) => match v.as_str() {
            None => {
                return Err(ModuleError::failed(
                    "umask must be defined as a quoted octal integer",
                ));
            }
            Some(s) => match u32::from_str_radix(s.trim(), 8) {
                Ok(n) => format!("{n:o}"),
                Err(e) => {
                    return Err(
                        ModuleError::failed("umask must be an octal integer").with("details", e.to_string())
                    );
                }
            },
        },
    };
    let flag = |b: Option<bool>, default: bool| if b.unwrap_or(default) { "1" } else { "0" };
    let depth = match p.depth {
        Some(d) if d != 0 => d.to_string(),
        _ => String::new(),
    };
    let vars: [(&str, String); 24] = [
        ("G", p.executable.clone().unwrap_or_default()),
        ("REPO", p.repo.clone()),
        ("REPO_PARAM", p.repo.clone()),
        ("DEST", dest),
        ("VERSION", p.version.clone().unwrap_or_else(|| "HEAD".into())),
        ("REMOTE", p.remote.clone().unwrap_or_else(|| "origin".into())),
        ("REFSPEC", p.refspec.clone().unwrap_or_default()),
        ("REFERENCE", p.reference.clone().unwrap_or_default()),
        ("FORCE", flag(p.force, false).into()),
        ("DEPTH", depth),
        ("CLONE", flag(p.clone, true).into()),
        ("UPDATE", flag(p.update, true).into()),
        ("BARE", flag(p.bare, false).into()),
        ("RECURSIVE", flag(p.recursive, true).into()),
        ("SINGLE", flag(p.single_branch, false).into()),
        ("TRACK", flag(p.track_submodules, false).into()),
        ("ACCEPT_HOSTKEY", flag(p.accept_hostkey, false).into()),
        ("ACCEPT_NEWHOSTKEY", flag(p.accept_newhostkey, false).into()),
        ("KEY", p.key_file.clone().unwrap_or_default()),
        (
            "HAS_SSH_OPTS",
            if p.ssh_opts.is_some() { "1" } else { "0" }.into(),
        ),
        ("SSH_OPTS", p.ssh_opts.clone().unwrap_or_default()),
        ("UMASK", umask),
        ("CHECK", if check { "1" } else { "0" }.into()),
        ("DIFF", if diff { "1" } else { "0" }.into()),
    ];
    Ok(vars.iter().map(|(k, v)| format!("{k}={}\n", quote(v))).collect())
}

/// The registered result (or the failure) the report describes.
fn outcome(report: Vec<(String, String)>) -> Result<Outcome, ModuleError> {
    let mut o = Outcome::ok();
    let mut warnings: Vec<Value> = Vec::new();
    let mut failed = None;
    for (key, value) in report {
        match key.as_str() {
            "changed" => o.changed = value == "1",
            "failed" => failed = Some(value),
            "warning" => warnings.push(Value::from(value)),
            "diff" => o.diff.push(Diff {
                prepared: Some(value),
                ..Diff::default()
            }),
            "remote_url_changed" => {
                let v = match value.as_str() {
                    "1" => Value::from(true),
                    "0" => Value::from(false),
                    "empty" => Value::from(""),
                    _ => Value::from(()),
                };
                o.data.insert(key, v);
            }
            "submodules_changed" => {
                o.data.insert(key, Value::from(true));
            }
            "rc" => {
                o.data
                    .insert(key, Value::from(value.parse::<i64>().unwrap_or(-1)));
            }
            "msg" => {
                o.msg = Some(value.clone());
                o.data.insert(key, Value::from(value));
            }
            _ => {
                o.data.insert(key, Value::from(value));
            }
        }
    }
    if !warnings.is_empty() {
        o.data.insert("warnings".into(), Value::from(warnings));
    }
    match failed {
        Some(msg) => {
            o.data.shift_remove("msg");
            Err(ModuleError::failed_with(msg, o))
        }
        None => {
            // No repository before (a clone, or check mode asking the remote): `before: null`.
            if !o.data.contains_key("before") {
                o.data.insert("before".into(), Value::from(()));
            }
            Ok(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_becomes_the_result() {
        let out = "noise\n\u{1e}before\nabc\n\u{1e}diff\nline 1\nline 2\n\n\u{1e}changed\n1\n";
        let o = outcome(sections(out)).expect("succeeded");
        assert!(o.changed);
        assert_eq!(o.diff[0].prepared.as_deref(), Some("line 1\nline 2\n"));
    }

    #[test]
    fn a_failure_keeps_the_commands_output() {
        let out = "\u{1e}rc\n128\n\u{1e}stderr\nfatal: no\n\u{1e}failed\nfatal: no\n";
        match outcome(sections(out)) {
            Err(ModuleError::Failed { msg, data }) => {
                assert_eq!(msg, "fatal: no");
                assert_eq!(data.get("rc").and_then(Value::as_i64), Some(128));
            }
            _ => panic!("a failure"),
        }
    }
}
