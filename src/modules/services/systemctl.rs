//! What the service modules share about `systemctl`: the prelude that finds it (or says, in
//! one line, that the host has none), the command prefix for a scope, and Ansible's parser of
//! `systemctl show`.

use indexmap::IndexMap;

use crate::connection::quote::quote;
use crate::modules::ModuleError;

/// Marker the prelude prints when the host has no `systemctl`.
pub const NO_SYSTEMCTL: &str = "@@playhook no-systemctl";
/// Marker the prelude prints when asked to check that systemd manages the host and it does not.
pub const NOT_SYSTEMD: &str = "@@playhook not-systemd";

/// The start of every script: the sbin directories Ansible's `get_bin_path` adds, the C
/// locale, and a marker instead of anything else when `systemctl` is missing (or, with
/// `require_systemd`, when `/run/systemd/system` does not exist).
pub fn prelude(user_scope: bool, require_systemd: bool) -> String {
    let mut s = String::from(
        "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin\"; export PATH\n\
         LC_ALL=C; export LC_ALL\n",
    );
    if require_systemd {
        s.push_str(&format!(
            "[ -d /run/systemd/system ] || {{ echo '{NOT_SYSTEMD}'; exit 0; }}\n"
        ));
    }
    s.push_str(&format!(
        "command -v systemctl >/dev/null 2>&1 || {{ echo '{NO_SYSTEMCTL}'; exit 0; }}\n"
    ));
    if user_scope {
        s.push_str(
            "[ -n \"${XDG_RUNTIME_DIR:-}\" ] || { XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR; }\n",
        );
    }
    s
}

/// The one-line failure for a host without `systemctl`.
pub fn missing(module: &str, host: &str) -> ModuleError {
    ModuleError::failed(format!(
        "{module}: `systemctl` not found on {host}: this module needs systemd's systemctl (is the host managed by systemd?)"
    ))
}

/// `systemctl` with the options every command of a task takes (`--user`, `--no-block`, ...).
pub fn command(scope: &str, no_block: bool, force: bool) -> String {
    let mut s = String::from("systemctl");
    if scope != "system" {
        s.push_str(" --");
        s.push_str(scope);
    }
    if no_block {
        s.push_str(" --no-block");
    }
    if force {
        s.push_str(" --force");
    }
    s
}

/// `systemctl ARGS... 'unit'`.
pub fn on_unit(systemctl: &str, verb: &str, unit: &str) -> String {
    format!("{systemctl} {verb} {}", quote(unit))
}

/// `systemctl show`'s `Key=Value` lines as Ansible's `parse_systemctl_show` reads them: values
/// stripped, `Exec*={ ... }` values spanning lines joined.
pub fn parse_show(text: &str) -> IndexMap<String, String> {
    let mut parsed = IndexMap::new();
    let mut multival: Vec<&str> = Vec::new();
    let mut key: Option<&str> = None;
    for line in text.split('\n') {
        match key {
            None => {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                if k.starts_with("Exec") && v.trim_start().starts_with('{') && !v.trim_end().ends_with('}') {
                    multival.push(v);
                    key = Some(k);
                    continue;
                }
                parsed.insert(k.to_string(), py_strip(v).to_string());
            }
            Some(k) => {
                multival.push(line);
                if line.trim_end().ends_with('}') {
                    parsed.insert(k.to_string(), py_strip(&multival.join("\n")).to_string());
                    multival.clear();
                    key = None;
                }
            }
        }
    }
    parsed
}

/// Python's `str.strip()` (whitespace only).
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// Ansible's `request_was_ignored`: systemctl in a chroot says it ignores the request.
pub fn request_was_ignored(out: &str) -> bool {
    !out.contains('=') && (out.contains("ignoring request") || out.contains("ignoring command"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_is_read_as_ansible_reads_it() {
        let text = "Id=a.service\nLoadState=loaded\nExecStart={ path=/bin/a ; argv[]=/bin/a ;\n  x }\n\
                    Description= spaced \nnoequals\n";
        let p = parse_show(text);
        assert_eq!(p["Id"], "a.service");
        assert_eq!(p["ExecStart"], "{ path=/bin/a ; argv[]=/bin/a ;\n  x }");
        assert_eq!(p["Description"], "spaced");
        assert_eq!(p.len(), 4);
    }
}
