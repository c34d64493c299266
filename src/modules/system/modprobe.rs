//! `community.general.modprobe`: a kernel module loaded or unloaded, and optionally made
//! persistent (`/etc/modules-load.d/NAME.conf`, `/etc/modprobe.d/NAME.conf`) or disabled there
//! (matching lines commented out), as the collection's module does it. One round trip looks
//! (`/proc/modules`, `modules.builtin` of the running kernel, the files of both directories with
//! their real paths); loading runs `modprobe` and looks again in the same script. The files'
//! edits keep the module's quirks (a commented file is rewritten with its lines joined by `\n`).

use async_trait::async_trait;
use fancy_regex::Regex;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::quote;
use crate::modules::commands::words::shlex_split;
use crate::modules::params::state::State;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `modprobe` module.
pub struct Modprobe;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Persistent {
    Disabled,
    Present,
    Absent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    state: Option<State>,
    params: Option<String>,
    persistent: Option<Persistent>,
}

const MODULES_LOAD: &str = "/etc/modules-load.d";
const MODPROBE_D: &str = "/etc/modprobe.d";

/// A configuration file: its path in the directory, the file it resolves to, its text.
#[derive(Clone, Debug)]
struct ConfFile {
    real: String,
    text: String,
}

/// What the look found.
struct Looked {
    /// `Err(message)`: the module's failure reading `/proc/modules` or `modules.builtin`.
    loaded: Result<bool, String>,
    modules_files: Vec<ConfFile>,
    modprobe_files: Vec<ConfFile>,
}

/// Shell lines printing `loaded`, `notloaded` or `error\0MESSAGE` for `$n`.
const LOADED: &str = r#"ph_loaded() {
  if [ ! -r /proc/modules ]; then printf 'loaded\0error\0%s\0' "[Errno 2] No such file or directory: '/proc/modules'"; return; fi
  m=$(printf '%s ' "$n" | tr - _)
  if awk -v m="$m" 'index($0, m) == 1 { f = 1; exit } END { exit !f }' /proc/modules; then printf 'loaded\0yes\0'; return; fi
  b="/lib/modules/$(uname -r)/modules.builtin"
  if [ ! -r "$b" ]; then printf 'loaded\0error\0%s\0' "[Errno 2] No such file or directory: '$b'"; return; fi
  if awk -v k="/$n.ko" '{ sub(/[ \t\r]+$/, "") } length($0) >= length(k) && substr($0, length($0) - length(k) + 1) == k { f = 1; exit } END { exit !f }' "$b"
  then printf 'loaded\0yes\0'; else printf 'loaded\0no\0'; fi
}
"#;

fn look_script(name: &str, persistent: bool) -> String {
    let mut s = format!(
        "command -v modprobe >/dev/null 2>&1 || {{ echo 'modprobe: command not found on the host \
         (community.general.modprobe needs kmod: apt-get install kmod)' >&2; exit 127; }}\n\
         n={}\n{LOADED}ph_loaded\n",
        quote(name)
    );
    if persistent {
        for (tag, dir) in [("ml", MODULES_LOAD), ("mp", MODPROBE_D)] {
            s.push_str(&format!(
                "for f in {dir}/* {dir}/.*; do [ -f \"$f\" ] || continue; \
                 printf '{tag}\\0%s\\0' \"$(readlink -f -- \"$f\")\"; cat -- \"$f\"; printf '\\0'; done\n"
            ));
        }
    }
    s
}

fn parse_look(text: &str) -> Looked {
    let mut l = Looked {
        loaded: Ok(false),
        modules_files: Vec::new(),
        modprobe_files: Vec::new(),
    };
    let mut tokens = text.split('\0');
    while let Some(t) = tokens.next() {
        match t {
            "loaded" => {
                l.loaded = match tokens.next() {
                    Some("yes") => Ok(true),
                    Some("error") => Err(tokens.next().unwrap_or_default().to_string()),
                    _ => Ok(false),
                }
            }
            "ml" | "mp" => {
                let real = tokens.next().unwrap_or_default().to_string();
                let text = tokens.next().unwrap_or_default().to_string();
                let file = ConfFile { real, text };
                if t == "ml" {
                    l.modules_files.push(file);
                } else {
                    l.modprobe_files.push(file);
                }
            }
            _ => {}
        }
    }
    l
}

/// The module's three patterns (the name is a regular expression there too).
struct Patterns {
    module: Regex,
    params: Regex,
}

impl Patterns {
    fn new(name: &str) -> Result<Patterns, ModuleError> {
        let re = |p: String| {
            Regex::new(&p).map_err(|e| {
                ModuleError::failed(format!("modprobe: the name `{name}` is no valid pattern: {e}"))
            })
        };
        Ok(Patterns {
            module: re(format!(r"^ *{name} *(?:[#;].*)?\n?\z"))?,
            params: re(format!(r"^options {name} (\w+=\S+) *(?:[#;].*)?\n?\z"))?,
        })
    }

    fn is_module(&self, line: &str) -> bool {
        self.module.is_match(line).unwrap_or(false)
    }

    fn param(&self, line: &str) -> Option<String> {
        let caps = self.params.captures(line).ok()??;
        caps.get(1).map(|m| m.as_str().to_string())
    }
}

/// Python's text-mode lines (universal newlines, ends kept).
fn lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// A file with the lines `hit` matches commented out, written as the module writes it (the
/// lines, which keep their ends, joined by `\n`); `None` when nothing matched.
fn commented(text: &str, hit: impl Fn(&str) -> bool) -> Option<String> {
    let mut any = false;
    let out: Vec<String> = lines(text)
        .into_iter()
        .map(|l| {
            if hit(&l) {
                any = true;
                format!("#{l}")
            } else {
                l
            }
        })
        .collect();
    any.then(|| out.join("\n"))
}

/// The module's `module_options_file_content`.
fn options_content(name: &str, params: &str) -> String {
    let lines: Vec<String> = params
        .split_whitespace()
        .map(|p| format!("options {name} {p}"))
        .collect();
    format!("{}\n", lines.join("\n"))
}

/// What `persistent` changes: whether anything does, and the files to write (real path, text),
/// as the module's `load_module_permanent` / `unload_module_permanent` decide from the files.
fn persistence(
    l: &Looked,
    patterns: &Patterns,
    name: &str,
    params: &str,
    persistent: Persistent,
) -> (bool, Vec<(String, String)>) {
    let mut changed = false;
    let in_modules = l
        .modules_files
        .iter()
        .any(|f| lines(&f.text).iter().any(|line| patterns.is_module(line)));
    let permanent: std::collections::BTreeSet<String> = l
        .modprobe_files
        .iter()
        .flat_map(|f| {
            lines(&f.text)
                .into_iter()
                .filter_map(|line| patterns.param(&line))
        })
        .collect();
    let desired: std::collections::BTreeSet<String> = params.split_whitespace().map(str::to_string).collect();
    let params_set = desired == permanent;
    let mut writes: Vec<(String, String)> = Vec::new();
    let disable_params = |writes: &mut Vec<(String, String)>| {
        for f in &l.modprobe_files {
            if let Some(text) = commented(&f.text, |line| patterns.param(line).is_some()) {
                writes.push((f.real.clone(), text));
            }
        }
    };
    match persistent {
        Persistent::Present if !(in_modules && params_set) => {
            if !in_modules {
                writes.push((format!("{MODULES_LOAD}/{name}.conf"), format!("{name}\n")));
                changed = true;
            }
            if !params_set {
                disable_params(&mut writes);
                writes.push((format!("{MODPROBE_D}/{name}.conf"), options_content(name, params)));
                changed = true;
            }
        }
        Persistent::Absent if in_modules || !permanent.is_empty() => {
            if in_modules {
                for f in &l.modules_files {
                    if let Some(text) = commented(&f.text, |line| patterns.is_module(line)) {
                        writes.push((f.real.clone(), text));
                    }
                }
                changed = true;
            }
            if !permanent.is_empty() {
                disable_params(&mut writes);
                changed = true;
            }
        }
        _ => {}
    }
    (changed, writes)
}

#[async_trait]
impl TypedModule for Modprobe {
    type Params = Params;

    const SPEC: Spec = Spec::host("modprobe").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.unwrap_or(State::Present);
        let persistent = p.persistent.unwrap_or(Persistent::Disabled);
        let params = p.params.clone().unwrap_or_default();
        let name = p.name.clone();
        let result = |changed: bool| {
            Outcome::changed(changed)
                .with("name", name.clone())
                .with("params", params.clone())
                .with(
                    "state",
                    if state == State::Present {
                        "present"
                    } else {
                        "absent"
                    },
                )
        };
        let fail = |msg: String, changed: bool| ModuleError::failed_with(msg, result(changed));
        let patterns = Patterns::new(&name)?;
        let args = shlex_split(&params).map_err(|e| ModuleError::failed(format!("params: {e}")))?;
        let out = ctx
            .run(look_script(&name, persistent != Persistent::Disabled))
            .await?;
        if out.rc != 0 {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ModuleError::failed(format!(
                "modprobe on {}: {}",
                ctx.host,
                err.trim().lines().last().unwrap_or("the look failed")
            )));
        }
        let l = parse_look(&String::from_utf8_lossy(&out.stdout));
        let loaded = l.loaded.clone().map_err(|m| fail(m, false))?;
        let mut changed = false;
        let mut warnings: Vec<String> = Vec::new();
        let words = std::iter::once(quote(&name))
            .chain(args.iter().map(|a| quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        if state == State::Present && !loaded {
            let n = if ctx.check { "-n " } else { "" };
            let script = format!(
                "n={}\n{LOADED}e=$(mktemp) || exit 1\n\
                 modprobe {n}{} >/dev/null 2>\"$e\"; rc=$?\n\
                 printf 'rc\\0%s\\0err\\0' $rc; cat \"$e\"; printf '\\0'\n\
                 if [ $rc = 0 ]; then ph_loaded\n\
                 modprobe -n --first-time {} >/dev/null 2>\"$e\"; r=$?\n\
                 printf 'first\\0'; cat \"$e\"; printf '\\0%s\\0' $r; fi\nrm -f \"$e\"",
                quote(&name),
                words,
                words,
            );
            let out = ctx.run(script).await?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut t = text.split('\0');
            let (mut rc, mut err, mut first, mut first_rc) = (0, String::new(), String::new(), 0);
            let mut after = Ok(false);
            while let Some(k) = t.next() {
                match k {
                    "rc" => rc = t.next().and_then(|v| v.parse().ok()).unwrap_or(1),
                    "err" => err = t.next().unwrap_or_default().to_string(),
                    "loaded" => {
                        after = match t.next() {
                            Some("yes") => Ok(true),
                            Some("error") => Err(t.next().unwrap_or_default().to_string()),
                            _ => Ok(false),
                        }
                    }
                    "first" => {
                        first = t.next().unwrap_or_default().to_string();
                        first_rc = t.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                    }
                    _ => {}
                }
            }
            if rc != 0 {
                return Err(fail(err.clone(), false)
                    .with("rc", rc)
                    .with("stdout", "")
                    .with("stderr", err));
            }
            if ctx.check || after.map_err(|m| fail(m, false))? {
                changed = true;
            } else if first_rc != 0 {
                warnings.push(first);
            }
        } else if state == State::Absent && loaded {
            let n = if ctx.check { " -n" } else { "" };
            let out = ctx.run(format!("modprobe -r {}{n}", quote(&name))).await?;
            if out.rc != 0 {
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                return Err(fail(err.clone(), false)
                    .with("rc", out.rc)
                    .with("stdout", String::from_utf8_lossy(&out.stdout).into_owned())
                    .with("stderr", err));
            }
            changed = true;
        }
        let (persisted, writes) = persistence(&l, &patterns, &name, &params, persistent);
        changed |= persisted;
        if !ctx.check {
            for (path, text) in writes {
                files::write_atomic(
                    ctx.conn,
                    &path,
                    text.as_bytes(),
                    &WriteOptions::default(),
                    &ctx.via,
                )
                .await?;
            }
        }
        let mut o = result(changed);
        if !warnings.is_empty() {
            o = o.with("warnings", Value::from(warnings));
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_as_the_modules_patterns() {
        let p = Patterns::new("dummy").expect("patterns");
        assert!(p.is_module("dummy\n") && p.is_module("  dummy # x\n") && !p.is_module("dummy2\n"));
        assert_eq!(
            p.param("options dummy numdummies=2\n").as_deref(),
            Some("numdummies=2")
        );
        assert_eq!(p.param("options dummy a=1 b=2\n"), None);
    }

    #[test]
    fn files_are_written_with_the_modules_quirks() {
        let p = Patterns::new("dummy").expect("patterns");
        let text = commented("a\ndummy\nb\n", |l| p.is_module(l)).expect("changed");
        assert_eq!(text, "a\n\n#dummy\n\nb\n");
        assert!(commented("a\n", |l| p.is_module(l)).is_none());
        assert_eq!(
            options_content("dummy", "a=1 b=2"),
            "options dummy a=1\noptions dummy b=2\n"
        );
        assert_eq!(options_content("dummy", ""), "\n");
    }

    #[test]
    fn the_look_is_read() {
        let l = parse_look(
            "loaded\0yes\0ml\0/etc/modules\0dummy\n\0mp\0/etc/modprobe.d/x.conf\0options dummy a=1\n\0",
        );
        assert_eq!(l.loaded, Ok(true));
        assert_eq!(l.modules_files[0].real, "/etc/modules");
        assert_eq!(l.modprobe_files[0].text, "options dummy a=1\n");
        let l = parse_look("loaded\0error\0[Errno 2] nope\0");
        assert_eq!(l.loaded, Err("[Errno 2] nope".into()));
    }

    /// The files as the collection's module leaves them for the same files (its Modprobe class
    /// run in Python on copies of these directories, `module_loaded` true).
    #[test]
    fn persistence_edits_the_files_as_the_module_does() {
        let file = |real: &str, text: &str| ConfFile {
            real: real.into(),
            text: text.into(),
        };
        let mut l = Looked {
            loaded: Ok(true),
            modules_files: vec![
                file("ml/ph.conf", "# mine\nphgone\nloop\n"),
                file("ml/other.conf", "phfake # c\n"),
            ],
            modprobe_files: vec![
                file("mp/ph.conf", "options phgone x=1\noptions loop max_loop=8\n"),
                file(
                    "mp/phfake-old.conf",
                    "options phfake old=1\noptions phfake a=1 ; keep\n",
                ),
            ],
        };
        let p = Patterns::new("phfake").expect("patterns");
        let (changed, writes) = persistence(&l, &p, "phfake", "a=1 b=two", Persistent::Present);
        assert!(changed);
        assert_eq!(
            writes,
            [
                (
                    "mp/phfake-old.conf".to_string(),
                    "#options phfake old=1\n\n#options phfake a=1 ; keep\n".to_string()
                ),
                (
                    "/etc/modprobe.d/phfake.conf".to_string(),
                    "options phfake a=1\noptions phfake b=two\n".to_string()
                ),
            ]
        );
        l.modprobe_files[1].text = writes[0].1.clone();
        let p = Patterns::new("phgone").expect("patterns");
        let (changed, writes) = persistence(&l, &p, "phgone", "", Persistent::Absent);
        assert!(changed);
        assert_eq!(
            writes,
            [
                (
                    "ml/ph.conf".to_string(),
                    "# mine\n\n#phgone\n\nloop\n".to_string()
                ),
                (
                    "mp/ph.conf".to_string(),
                    "#options phgone x=1\n\noptions loop max_loop=8\n".to_string()
                ),
            ]
        );
        let (changed, writes) = persistence(&l, &p, "phgone", "", Persistent::Disabled);
        assert!(!changed && writes.is_empty());
    }
}
