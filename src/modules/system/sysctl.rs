//! `ansible.posix.sysctl`: one kernel parameter in a sysctl file (and optionally live), as the
//! collection's module does it on Linux. One round trip reads the live value (`sysctl -e -n`),
//! the file's real path and its lines; the file is rewritten as the module rewrites it (every
//! line stripped, `key=value` without spaces, a repeated key kept once), then `sysctl -w`
//! (`sysctl_set`) and `sysctl -p FILE` (`reload`) run when the module would run them, with its
//! messages. The result is `changed` alone, as the module returns it.

use async_trait::async_trait;
use serde::Deserialize;

use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::{quote, quote_path};
use crate::modules::params::state::State;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `sysctl` module.
pub struct Sysctl;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "key")]
    name: String,
    #[serde(alias = "val")]
    value: Option<String>,
    state: Option<State>,
    ignoreerrors: Option<bool>,
    reload: Option<bool>,
    sysctl_file: Option<String>,
    sysctl_set: Option<bool>,
}

/// The environment the module runs sysctl with (it reads sysctl's messages).
const LANG_C: &str = "LANG=C LC_ALL=C LC_MESSAGES=C";

/// The module's `_parse_value`: booleans as `1`/`0`, anything else stripped.
fn parse_value(value: Option<&str>) -> String {
    let Some(v) = value else {
        return String::new();
    };
    let lower = v.to_lowercase();
    if ["y", "yes", "on", "1", "true", "t"].contains(&lower.as_str()) {
        "1".into()
    } else if ["n", "no", "off", "0", "false", "f"].contains(&lower.as_str()) {
        "0".into()
    } else {
        v.trim().to_string()
    }
}

/// The module's `_values_is_equal`: the same words in the same order.
fn values_equal(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.split_whitespace().eq(b.split_whitespace()))
}

/// Whether sysctl's stderr says a setting failed though it exited 0.
fn stderr_failed(err: &str) -> bool {
    err.lines().any(|l| {
        l.strip_prefix("sysctl: setting key \"")
            .and_then(|rest| rest.split_once("\": "))
            .is_some_and(|(key, why)| {
                !key.is_empty()
                    && !key.contains('"')
                    && (why == "Invalid argument" || why == "Read-only file system")
            })
    })
}

/// The file as the module reads and rewrites it.
struct FileEdit {
    /// The value the file gives `name` (its last line for it), `None` when it has none.
    current: Option<String>,
    /// The rewritten file.
    content: String,
}

/// The module's `read_sysctl_file` and `fix_lines`.
fn edit(text: &str, name: &str, value: &str, present: bool) -> FileEdit {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split_inclusive('\n').map(str::trim).collect();
    let is_entry = |l: &str| !(l.is_empty() || l.starts_with('#') || l.starts_with(';') || !l.contains('='));
    let split = |l: &str| {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        (k.trim().to_string(), v.trim().to_string())
    };
    let mut current = None;
    for line in lines.iter().filter(|l| is_entry(l)) {
        let (k, v) = split(line);
        if k == name {
            current = Some(v);
        }
    }
    let mut checked: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for line in &lines {
        if !is_entry(line) {
            out.push(line.to_string());
            continue;
        }
        let (k, v) = split(line);
        if checked.contains(&k) {
            continue;
        }
        checked.push(k.clone());
        if k == name {
            if present {
                out.push(format!("{k}={value}"));
            }
        } else {
            out.push(format!("{k}={v}"));
        }
    }
    if present && !checked.iter().any(|k| k == name) {
        out.push(format!("{name}={value}"));
    }
    let content = out.iter().map(|l| format!("{}\n", l.trim())).collect();
    FileEdit { current, content }
}

#[async_trait]
impl TypedModule for Sysctl {
    type Params = Params;

    const SPEC: Spec = Spec::host("sysctl").collection(Collection::Posix);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let present = p.state.unwrap_or(State::Present) == State::Present;
        if present && p.value.is_none() {
            return Err(ModuleError::failed(
                "state is present but all of the following are missing: value",
            ));
        }
        if p.name.is_empty() {
            return Err(ModuleError::failed("name cannot be blank"));
        }
        if present && p.value.as_deref() == Some("") {
            return Err(ModuleError::failed("value cannot be blank"));
        }
        let name = p.name.trim().to_string();
        let value = parse_value(p.value.as_deref());
        let file = p.sysctl_file.unwrap_or_else(|| "/etc/sysctl.conf".into());
        let (reload, set, ignore) = (
            p.reload.unwrap_or(true),
            p.sysctl_set.unwrap_or(false),
            p.ignoreerrors.unwrap_or(false),
        );
        let script = format!(
            "command -v sysctl >/dev/null 2>&1 || {{ echo 'sysctl: command not found on the host \
             (ansible.posix.sysctl needs procps: apt-get install procps)' >&2; exit 127; }}\n\
             f={}\nprintf 'real\\0%s\\0' \"$(realpath -m -- \"$f\")\"\n\
             if v=$({LANG_C} sysctl -e -n {} 2>/dev/null); then printf 'proc\\0%s\\0' \"$v\"; fi\n\
             if [ -f \"$f\" ]; then printf 'file\\0'; cat -- \"$f\"; fi",
            quote_path(&file),
            quote(&name)
        );
        let out = ctx.run(script).await?;
        if out.rc != 0 {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ModuleError::failed(format!(
                "sysctl on {}: {}",
                ctx.host,
                err.trim()
                    .lines()
                    .last()
                    .unwrap_or("reading the current value failed")
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (head, content) = text.split_once("file\0").unwrap_or((&text, ""));
        let mut tokens = head.split('\0');
        let (mut real, mut proc_value) = (file.clone(), None);
        while let Some(t) = tokens.next() {
            match t {
                "real" => real = tokens.next().unwrap_or_default().to_string(),
                "proc" => proc_value = tokens.next().map(str::to_string),
                _ => {}
            }
        }
        let e = edit(content, &name, &value, present);
        let (mut changed, mut write, mut set_proc) = (false, false, false);
        match (&e.current, present) {
            (None, true) => (changed, write) = (true, true),
            (None, false) => {}
            (Some(v), false) if !v.is_empty() => (changed, write) = (true, true),
            (Some(v), _) if *v != value => (changed, write) = (true, true),
            _ if reload => changed = !values_equal(proc_value.as_deref(), &value),
            _ => {}
        }
        if set && present {
            if proc_value.is_none() {
                changed = true;
            } else if !values_equal(proc_value.as_deref(), &value) {
                changed = true;
                set_proc = true;
            }
        }
        if ctx.check {
            return Ok(Outcome::changed(changed));
        }
        let e_flag = if ignore { "-e " } else { "" };
        if set_proc {
            let cmd = format!("{LANG_C} sysctl {e_flag}-w {}", quote(&format!("{name}={value}")));
            let out = ctx.run(cmd).await?;
            let (so, se) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            if out.rc != 0 || stderr_failed(&se) {
                return Err(ModuleError::failed(format!("setting {name} failed: {so}{se}")));
            }
        }
        if write {
            files::write_atomic(
                ctx.conn,
                &real,
                e.content.as_bytes(),
                &WriteOptions::default(),
                &ctx.via,
            )
            .await?;
        }
        if changed && reload {
            let cmd = format!("{LANG_C} sysctl {e_flag}-p {}", quote_path(&file));
            let out = ctx.run(cmd).await?;
            let (so, se) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            if out.rc != 0 || stderr_failed(&se) {
                return Err(ModuleError::failed(format!("Failed to reload sysctl: {so}{se}")));
            }
        }
        Ok(Outcome::changed(changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_rewritten_as_the_module_rewrites_it() {
        let text = "# c\n vm.a = 1 \n\nvm.b=2\nvm.a=3\n; x\nnoeq\n";
        let e = edit(text, "vm.a", "5", true);
        assert_eq!(e.current.as_deref(), Some("3"));
        assert_eq!(e.content, "# c\nvm.a=5\n\nvm.b=2\n; x\nnoeq\n");
        let e = edit(text, "vm.b", "", false);
        assert_eq!(e.content, "# c\nvm.a=1\n\n; x\nnoeq\n");
        let e = edit("", "vm.c", "1 2", true);
        assert_eq!((e.current, e.content.as_str()), (None, "vm.c=1 2\n"));
    }

    #[test]
    fn values_as_the_module_compares_them() {
        assert_eq!(parse_value(Some("True")), "1");
        assert_eq!(parse_value(Some("off")), "0");
        assert_eq!(parse_value(Some(" 4096 87380 ")), "4096 87380");
        assert!(values_equal(Some("4096\t87380\n"), "4096 87380"));
        assert!(!values_equal(None, ""));
        assert!(stderr_failed(
            "x\nsysctl: setting key \"a.b\": Invalid argument\n"
        ));
        assert!(!stderr_failed("sysctl: permission denied on key \"a.b\""));
    }
}
