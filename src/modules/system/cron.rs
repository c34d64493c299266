//! `cron` (`ansible.builtin.cron`): a job (under its `#Ansible: NAME` marker) or an environment
//! line in a user's crontab or in a file under /etc/cron.d, as ansible-core 2.19 writes them,
//! byte for byte. One round trip reads the crontab (`crontab -l`, or the file); the edit is
//! `crontab.rs`'s, on the controller; a change costs one more (`crontab FILE`, or an atomic
//! write of the cron file).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::crontab::{CronTab, Found};
use crate::connection::files::{self, FileAttrs, Mode, WriteOptions};
use crate::connection::quote::quote;
use crate::modules::params::state::State;
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `cron` module.
pub struct Cron;

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Special {
    Reboot,
    Yearly,
    Annually,
    Monthly,
    Weekly,
    Daily,
    Hourly,
}

impl Special {
    fn as_str(self) -> &'static str {
        match self {
            Special::Reboot => "reboot",
            Special::Yearly => "yearly",
            Special::Annually => "annually",
            Special::Monthly => "monthly",
            Special::Weekly => "weekly",
            Special::Daily => "daily",
            Special::Hourly => "hourly",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    user: Option<String>,
    #[serde(alias = "value")]
    job: Option<String>,
    cron_file: Option<String>,
    state: Option<State>,
    backup: Option<bool>,
    minute: Option<String>,
    hour: Option<String>,
    #[serde(alias = "dom")]
    day: Option<String>,
    month: Option<String>,
    #[serde(alias = "dow")]
    weekday: Option<String>,
    special_time: Option<Special>,
    disabled: Option<bool>,
    env: Option<bool>,
    insertafter: Option<String>,
    insertbefore: Option<String>,
}

/// Where the crontab lives.
enum Target {
    /// The user's crontab (`crontab -l`); `None`: the connecting user's.
    User(Option<String>),
    /// A cron file (absolute, or under /etc/cron.d), with the path the task gave.
    File { path: String, given: String },
}

#[async_trait]
impl TypedModule for Cron {
    type Params = Params;

    const SPEC: Spec = Spec::host("cron");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.insertafter.is_some() && p.insertbefore.is_some() {
            return Err(ModuleError::Params(
                "cron: parameters are mutually exclusive: insertafter|insertbefore".into(),
            ));
        }
        let state = p.state.unwrap_or(State::Present);
        let install = state == State::Present;
        let env = p.env.unwrap_or(false);
        let mut warnings: Vec<Value> = Vec::new();
        let target = match &p.cron_file {
            None => Target::User(p.user.clone()),
            Some(f) if f == "/etc/crontab" => {
                return Err(ModuleError::failed(
                    "Will not manage /etc/crontab via cron_file, see documentation.",
                ));
            }
            Some(f) => {
                let base = f.rsplit('/').next().unwrap_or_default();
                let portable = !base.is_empty()
                    && base
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !portable {
                    warnings.push(Value::from(format!(
                        "Filename portion of cron_file (\"{base}\") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens"
                    )));
                }
                let path = if f.starts_with('/') {
                    f.clone()
                } else {
                    format!("/etc/cron.d/{f}")
                };
                Target::File {
                    path,
                    given: f.clone(),
                }
            }
        };
        let times = [&p.minute, &p.hour, &p.day, &p.month, &p.weekday]
            .map(|t| t.clone().unwrap_or_else(|| "*".into()));
        if p.special_time.is_some() && times.iter().any(|t| t != "*") {
            return Err(ModuleError::failed(
                "You cannot combine special_time with any of the time or day/date parameters.",
            ));
        }
        if install {
            if p.cron_file.is_some() && p.user.is_none() {
                return Err(ModuleError::failed(
                    "To use cron_file=... parameter you must specify user=... as well",
                ));
            }
            if p.job.is_none() {
                return Err(ModuleError::failed(
                    "You must specify 'job' to install a new cron job or variable",
                ));
            }
            if (p.insertafter.is_some() || p.insertbefore.is_some()) && !env {
                return Err(ModuleError::failed(
                    "Insertafter and insertbefore parameters are valid only with env=yes",
                ));
            }
        }
        if env && p.name.contains(' ') {
            return Err(ModuleError::failed("Invalid name for environment variable"));
        }

        let (me, mut tab) = read(ctx, &target).await?;
        let header = match &target {
            Target::File { path, .. } => path.clone(),
            Target::User(Some(u)) => format!("crontab for user \"{u}\""),
            Target::User(None) => "crontab".to_string(),
        };
        let backup_text = tab.render();
        let job_text = p.job.clone().unwrap_or_else(|| "None".into());
        let mut changed = false;
        if env {
            let decl = format!("{}=\"{job_text}\"", p.name);
            let old = tab.find_env(&p.name);
            match (install, old) {
                (true, None) => {
                    tab.add_env(&decl, p.insertafter.as_deref(), p.insertbefore.as_deref())
                        .map_err(ModuleError::failed)?;
                    changed = true;
                }
                (true, Some((_, line))) if line != decl => {
                    tab.update_env(&p.name, Some(&decl));
                    changed = true;
                }
                (false, Some(_)) => {
                    tab.update_env(&p.name, None);
                    changed = true;
                }
                _ => {}
            }
        } else if install {
            let trimmed = job_text.trim_matches(['\r', '\n']);
            if trimmed.contains(['\r', '\n']) {
                warnings.push(Value::from("Job should not contain line breaks"));
            }
            let line = job_line(
                &target,
                p.user.as_deref(),
                &times,
                trimmed,
                p.special_time,
                p.disabled.unwrap_or(false),
            );
            match tab.find_job(&p.name, Some(&line)) {
                Found::Nothing => {
                    tab.add_job(&p.name, &line);
                    changed = true;
                }
                Found::Named(old) => {
                    if old != line {
                        tab.update_job(&p.name, Some(&line));
                        changed = true;
                    }
                }
                Found::Adopted => {
                    tab.update_job(&p.name, Some(&line));
                    changed = true;
                }
            }
        } else if tab.find_job(&p.name, None) != Found::Nothing {
            tab.update_job(&p.name, None);
            changed = true;
            if let Target::File { path, given } = &target {
                if tab.is_empty() {
                    return remove_file(ctx, path, given, &tab, &header, warnings).await;
                }
            }
        }
        if !changed && !tab.existing.is_empty() && !tab.existing.ends_with(['\r', '\n']) {
            changed = true;
        }

        let names = |v: Vec<String>| Value::from(v.into_iter().map(Value::from).collect::<Vec<_>>());
        let mut o = Outcome::changed(changed)
            .with("jobs", names(tab.job_names()))
            .with("envs", names(tab.env_names()));
        if changed {
            if ctx.diff {
                o.diff.push(Diff {
                    before_header: header.clone(),
                    after_header: header,
                    before: tab.existing.clone(),
                    after: tab.render(),
                    prepared: None,
                });
            }
            if !ctx.check {
                if p.backup.unwrap_or(false) {
                    let backup = write_backup(ctx, &backup_text).await?;
                    o = o.with("backup_file", backup);
                }
                write(ctx, &target, &me, &tab.render()).await?;
            }
        }
        if let Target::File { given, .. } = &target {
            o = o.with("cron_file", given.as_str());
        }
        if !warnings.is_empty() {
            o = o.with("warnings", warnings);
        }
        Ok(o)
    }
}

/// The job's line: times (or `@special`), the user in a cron file, the command; `#` first when
/// disabled.
fn job_line(
    target: &Target,
    user: Option<&str>,
    times: &[String; 5],
    job: &str,
    special: Option<Special>,
    disabled: bool,
) -> String {
    let prefix = if disabled { "#" } else { "" };
    let when = match special {
        Some(s) => format!("@{}", s.as_str()),
        None => times.join(" "),
    };
    match target {
        Target::File { .. } => format!("{prefix}{when} {} {job}", user.unwrap_or("None")),
        Target::User(_) => format!("{prefix}{when} {job}"),
    }
}

/// The line the read script prints when `crontab` is missing.
const MISSING: &str = "\u{1e}missing";

/// Reads the crontab: the connecting user's name and the crontab.
async fn read(ctx: &mut ModuleCtx<'_>, target: &Target) -> Result<(String, CronTab), ModuleError> {
    let fetch = match target {
        Target::File { path, .. } => format!(
            "if [ -f {p} ]; then cat -- {p} >\"$t\"; rc=$?; else rc=1; fi",
            p = quote(path)
        ),
        Target::User(Some(u)) => format!(
            "if [ \"$me\" != {u} ]; then crontab -u {u} -l >\"$t\" 2>/dev/null; else crontab -l >\"$t\" 2>/dev/null; fi; rc=$?",
            u = quote(u)
        ),
        Target::User(None) => "crontab -l >\"$t\" 2>/dev/null; rc=$?".to_string(),
    };
    let script = format!(
        "command -v crontab >/dev/null 2>&1 || {{ printf '\\036missing\\n'; exit 0; }}\n\
         me=$(id -un) && t=$(mktemp) || exit 1\n{fetch}\n\
         printf '%s\\n%s\\n' \"$me\" \"$rc\"; cat \"$t\"; rm -f \"$t\""
    );
    let out = ctx.run(script).await?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if stdout.starts_with(MISSING) {
        return Err(ModuleError::failed(format!(
            "Failed to find required executable \"crontab\" in paths on {}: install cron (Debian: apt-get install cron)",
            ctx.host
        )));
    }
    let mut parts = stdout.splitn(3, '\n');
    let (Some(me), Some(rc), content) = (parts.next(), parts.next(), parts.next().unwrap_or_default()) else {
        return Err(ModuleError::failed(format!(
            "cron: could not read the crontab on {}: {}",
            ctx.host,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    };
    let tab = match target {
        Target::File { .. } if rc == "0" => CronTab::from_file(content),
        Target::File { .. } => CronTab::default(),
        Target::User(_) if rc == "0" || rc == "1" => CronTab::from_listing(content),
        Target::User(_) => return Err(ModuleError::failed("Unable to read crontab")),
    };
    Ok((me.to_string(), tab))
}

/// Installs the new crontab: `crontab [-u USER] FILE`, or an atomic write of the cron file
/// (a new one gets mode 0644, as under Ansible's umask 022).
async fn write(ctx: &mut ModuleCtx<'_>, target: &Target, me: &str, text: &str) -> Result<(), ModuleError> {
    match target {
        Target::File { path, .. } => {
            let exists = ctx.run(format!("test -e {}", quote(path))).await?.rc == 0;
            let attrs = FileAttrs {
                mode: if exists { None } else { Mode::parse("0644").ok() },
                ..FileAttrs::default()
            };
            let opts = WriteOptions {
                attrs,
                ..WriteOptions::default()
            };
            files::write_atomic(ctx.conn, path, text.as_bytes(), &opts, &ctx.via).await?;
            Ok(())
        }
        Target::User(user) => {
            let who = match user {
                Some(u) if u != me => format!("-u {} ", quote(u)),
                _ => String::new(),
            };
            let mut cmd = ctx.command(format!(
                "t=$(mktemp /tmp/crontabXXXXXXXX) || exit 1\nbase64 -d >\"$t\" && chmod 644 \"$t\" && \
                 crontab {who}\"$t\"; rc=$?; rm -f \"$t\"; exit $rc"
            ));
            cmd.stdin = Some(text.as_bytes().to_vec());
            cmd.stdin_base64 = true;
            let out = ctx.conn.run(&cmd, None).await?;
            if out.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "Failed to install new cronfile for {}: {}",
                    user.as_deref().unwrap_or(me),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
                .with("rc", out.rc)
                .with("stdout", String::from_utf8_lossy(&out.stdout).into_owned())
                .with("stderr", String::from_utf8_lossy(&out.stderr).into_owned()));
            }
            Ok(())
        }
    }
}

/// Writes the crontab as it was to `/tmp/crontabXXXXXXXX` (mode 0600), as Ansible's backup.
async fn write_backup(ctx: &mut ModuleCtx<'_>, text: &str) -> Result<String, ModuleError> {
    let mut cmd = ctx.command("t=$(mktemp /tmp/crontabXXXXXXXX) && base64 -d >\"$t\" && printf '%s' \"$t\"");
    cmd.stdin = Some(text.as_bytes().to_vec());
    cmd.stdin_base64 = true;
    let out = ctx.conn.run(&cmd, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "cron: could not write the backup in /tmp: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The last job of a cron file went: the file is removed, and the result is Ansible's for it
/// (`changed`, `cron_file`, `state`, `diff`).
async fn remove_file(
    ctx: &mut ModuleCtx<'_>,
    path: &str,
    given: &str,
    tab: &CronTab,
    header: &str,
    warnings: Vec<Value>,
) -> Result<Outcome, ModuleError> {
    let changed = if ctx.check {
        true
    } else {
        files::remove(ctx.conn, path, &ctx.via).await?
    };
    let mut o = Outcome::changed(changed)
        .with("cron_file", given)
        .with("state", "absent");
    if ctx.diff {
        o.diff.push(Diff {
            before_header: header.to_string(),
            after_header: "/dev/null".into(),
            before: tab.existing.clone(),
            after: String::new(),
            prepared: None,
        });
    } else {
        o = o.with(
            "diff",
            Value::from(std::collections::BTreeMap::<String, Value>::new()),
        );
    }
    if !warnings.is_empty() {
        o = o.with("warnings", warnings);
    }
    Ok(o)
}
