//! `community.general.pamd`: one rule of a PAM service file (`path`/`name`, /etc/pam.d by
//! default) updated, inserted before or after another, removed, or its arguments added or
//! removed, as the collection's module does it (its model and writer in `pamd_rules`). One round
//! trip reads the file, its real path and the host's local time for the module's
//! `# Updated by Ansible - TIME` mark; the file is written atomically only when a rule changed.
//! The result is `changed`, `change_count` and `backupdest`, as the module returns them.

use async_trait::async_trait;
use serde::Deserialize;

use super::pamd_rules::{Rule, Service, VALID_TYPES};
use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::quote_path;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `pamd` module.
pub struct Pamd;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Updated,
    Before,
    After,
    ArgsPresent,
    ArgsAbsent,
    Absent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    control: String,
    module_path: String,
    new_type: Option<String>,
    new_control: Option<String>,
    new_module_path: Option<String>,
    module_arguments: Option<Vec<String>>,
    state: Option<State>,
    path: Option<String>,
    backup: Option<bool>,
}

fn check_type(key: &str, value: &str) -> Result<(), ModuleError> {
    if VALID_TYPES.contains(&value) {
        return Ok(());
    }
    Err(ModuleError::failed(format!(
        "value of {key} must be one of: {}, got: {value}",
        VALID_TYPES.join(", ")
    )))
}

/// The module's `required_if`: its message naming the missing parameters.
fn required(state: &str, missing: &[(&str, bool)]) -> Result<(), ModuleError> {
    let names: Vec<&str> = missing
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    Err(ModuleError::failed(format!(
        "state is {state} but all of the following are missing: {}",
        names.join(", ")
    )))
}

/// The file as `os.path.join(path, name)` names it.
fn join(path: &str, name: &str) -> String {
    if name.starts_with('/') || path.is_empty() {
        name.to_string()
    } else if path.ends_with('/') {
        format!("{path}{name}")
    } else {
        format!("{path}/{name}")
    }
}

/// Python's `datetime.isoformat()` of `date +%Y-%m-%dT%H:%M:%S.%6N` (no fraction when zero).
fn isoformat(now: &str) -> String {
    now.strip_suffix(".000000").unwrap_or(now).to_string()
}

/// The edit `p` asks for; the number of rules it changed.
fn apply(p: &Params, state: State, s: &mut Service) -> Result<usize, String> {
    let find = [p.kind.as_str(), p.control.as_str(), p.module_path.as_str()];
    let args = p.module_arguments.as_deref();
    let new = || {
        Rule::new(
            p.new_type.as_deref().unwrap_or_default(),
            p.new_control.as_deref().unwrap_or_default(),
            p.new_module_path.as_deref().unwrap_or_default(),
            args.unwrap_or_default(),
        )
    };
    match state {
        State::Updated => s.update(
            find,
            [
                p.new_type.as_deref(),
                p.new_control.as_deref(),
                p.new_module_path.as_deref(),
            ],
            args,
        ),
        State::Before => Ok(s.insert_before(find, &new()?)),
        State::After => Ok(s.insert_after(find, &new()?)),
        State::ArgsAbsent => s.remove_args(find, args.unwrap_or_default()),
        State::ArgsPresent => s.add_args(find, args.unwrap_or_default()),
        State::Absent => s.remove(find[0], find[1], find[2]),
    }
}

#[async_trait]
impl TypedModule for Pamd {
    type Params = Params;

    const SPEC: Spec = Spec::host("pamd").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        check_type("type", &p.kind)?;
        if let Some(t) = &p.new_type {
            check_type("new_type", t)?;
        }
        let state = p.state.unwrap_or(State::Updated);
        match state {
            State::ArgsPresent => required(
                "args_present",
                &[("module_arguments", p.module_arguments.is_none())],
            )?,
            State::ArgsAbsent => required(
                "args_absent",
                &[("module_arguments", p.module_arguments.is_none())],
            )?,
            State::Before | State::After => required(
                if state == State::Before { "before" } else { "after" },
                &[
                    ("new_control", p.new_control.is_none()),
                    ("new_type", p.new_type.is_none()),
                    ("new_module_path", p.new_module_path.is_none()),
                ],
            )?,
            _ => {}
        }
        let dir = p.path.clone().unwrap_or_else(|| "/etc/pam.d".into());
        let file = join(&dir, &p.name);
        let script = format!(
            "f={}\nprintf '%s\\0%s\\0' \"$(date +%Y-%m-%dT%H:%M:%S.%6N)\" \"$(realpath -m -- \"$f\")\"\n\
             if [ -d \"$f\" ]; then echo \"[Errno 21] Is a directory: '$f'\" >&2; exit 3; fi\n\
             if [ ! -e \"$f\" ]; then echo \"[Errno 2] No such file or directory: '$f'\" >&2; exit 3; fi\n\
             if [ ! -r \"$f\" ]; then echo \"[Errno 13] Permission denied: '$f'\" >&2; exit 3; fi\n\
             cat -- \"$f\"",
            quote_path(&file)
        );
        let out = ctx.run(script).await?;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.rc == 3 {
            return Err(ModuleError::failed(format!(
                "Unable to open/read PAM module file {file} with error {}.",
                err.trim()
            )));
        }
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "pamd on {}: reading {file} failed: {}",
                ctx.host,
                err.trim()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.splitn(3, '\0');
        let (now, real, content) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().replace("\r\n", "\n"),
        );
        let fail = |m: String| ModuleError::failed(format!("{file}: {m}"));
        let mut service = Service::parse(&content).map_err(fail)?;
        if state == State::ArgsPresent {
            let args = super::pamd_rules::parse_args(p.module_arguments.as_deref().unwrap_or_default())
                .map_err(ModuleError::failed)?;
            if args.iter().any(|a| a.starts_with('[')) {
                return Err(ModuleError::failed(
                    "Unable to process bracketed '[' complex arguments with 'args_present'. Please use 'updated'.",
                ));
            }
        }
        let changes = apply(&p, state, &mut service).map_err(fail)?;
        service.validate().map_err(ModuleError::failed)?;
        let mut backupdest = String::new();
        if changes > 0 && !ctx.check {
            let opts = WriteOptions {
                backup: p.backup.unwrap_or(false),
                ..WriteOptions::default()
            };
            let written = service.render(&isoformat(now));
            let target = if real.is_empty() { file.clone() } else { real };
            let res = files::write_atomic(ctx.conn, &target, written.as_bytes(), &opts, &ctx.via).await?;
            backupdest = res.backup_file.unwrap_or_default();
        }
        Ok(Outcome::changed(changes > 0)
            .with("change_count", changes)
            .with("backupdest", backupdest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_times_as_python_gives_them() {
        assert_eq!(join("/etc/pam.d", "sshd"), "/etc/pam.d/sshd");
        assert_eq!(join("/etc/pam.d/", "/tmp/x"), "/tmp/x");
        assert_eq!(isoformat("2026-01-02T03:04:05.000000"), "2026-01-02T03:04:05");
        assert_eq!(
            isoformat("2026-01-02T03:04:05.000120"),
            "2026-01-02T03:04:05.000120"
        );
    }
}
