//! `community.general.locale_gen`: locales enabled or disabled in `/etc/locale.gen` and
//! compiled with `locale-gen`, as community.general's module does it on Debian (the `glibc`
//! mechanism): names are checked against `/usr/share/i18n/SUPPORTED` (or `locale -a`),
//! presence is `locale -a`, and `changed` is whether presence changed — so check mode reports
//! no change, as the module's state tracking does.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::{self, WriteOptions};
use crate::modules::params::map_value;
use crate::modules::params::state::State;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `locale_gen` module.
pub struct LocaleGen;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: Vec<String>,
    state: Option<State>,
}

const LOCALE_GEN: &str = "/etc/locale.gen";
const MARK: &str = "\u{1e}";
/// A section break in the query's output.
const SEP: &str = "\u{1e}\n";

#[async_trait]
impl TypedModule for LocaleGen {
    type Params = Params;

    const SPEC: Spec = Spec::host("locale_gen").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let want = p.state.unwrap_or(State::Present) == State::Present;
        let names = Value::from(p.name.iter().map(|n| Value::from(n.as_str())).collect::<Vec<_>>());
        let base = |changed: bool| {
            Outcome::changed(changed)
                .with("mechanism", "glibc")
                .with("name", names.clone())
                .with("ubuntu_mode", false)
        };
        let script = format!(
            "if [ -e {LOCALE_GEN} ]; then echo glibc; elif [ -e /var/lib/locales/supported.d ]; then echo legacy; else echo none; fi\n\
             printf '{MARK}\\n'; cat /usr/share/i18n/SUPPORTED 2>/dev/null\n\
             printf '{MARK}\\n'; locale -a || echo \"{MARK}locale failed\""
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.split(SEP);
        let (mechanism, supported, installed) = (
            parts.next().unwrap_or_default().trim(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        match mechanism {
            "glibc" => {}
            "legacy" => {
                return Err(ModuleError::failed(format!(
                    "locale_gen on {}: the ubuntu_legacy mechanism (/var/lib/locales/supported.d) is not supported by \
                     playhook; it is deprecated in community.general",
                    ctx.host
                )));
            }
            _ => {
                return Err(ModuleError::failed(
                    "/var/lib/locales/supported.d and /etc/locale.gen are missing. Is the package \"locales\" installed?",
                ));
            }
        }
        if installed.contains(&format!("{MARK}locale failed")) {
            return Err(ModuleError::failed(format!(
                "locale_gen on {}: `locale -a` failed; install the locales package",
                ctx.host
            )));
        }
        let listed: Vec<&str> = supported.lines().filter_map(available_locale).collect();
        let missing: Vec<&str> = p
            .name
            .iter()
            .map(String::as_str)
            .filter(|n| !listed.contains(n))
            .filter(|n| !is_installed(installed, n))
            .collect();
        if !missing.is_empty() {
            let msg = format!(
                "The following locales you have entered are not available on your system: {}",
                missing.join(", ")
            );
            let output = map_value([
                ("mechanism", Value::from("glibc")),
                ("name", names.clone()),
                ("ubuntu_mode", Value::from(false)),
            ]);
            return Err(ModuleError::failed_with(msg, base(false).with("output", output)));
        }
        let present = p.name.iter().all(|n| is_installed(installed, n));
        if present == want || ctx.check {
            return Ok(base(false));
        }
        let current = files::read(ctx.conn, LOCALE_GEN, &ctx.via).await?;
        let edited = set_locales(&String::from_utf8_lossy(&current), &p.name, want);
        files::write_atomic(
            ctx.conn,
            LOCALE_GEN,
            edited.as_bytes(),
            &WriteOptions::default(),
            &ctx.via,
        )
        .await?;
        let out = ctx.run("locale-gen && printf '\\036\\n' && locale -a").await?;
        if out.rc != 0 {
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            return Err(ModuleError::failed(stderr.trim_end().to_string())
                .with("rc", out.rc)
                .with("stdout", String::from_utf8_lossy(&out.stdout).into_owned())
                .with("stderr", stderr));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let after = text.rsplit(SEP).next().unwrap_or_default();
        let now = p.name.iter().all(|n| is_installed(after, n));
        Ok(base(now != present))
    }
}

/// The locale a line of SUPPORTED names (the module's pattern: optional `#`, a name, one
/// space, a charset).
fn available_locale(line: &str) -> Option<&str> {
    let rest = line.trim_start();
    let rest = rest.strip_prefix('#').unwrap_or(rest).trim_start();
    let (locale, charset) = rest.split_once(' ')?;
    let charset = charset.trim_end();
    let ok = locale.chars().count() >= 2
        && !locale.contains(char::is_whitespace)
        && !charset.is_empty()
        && !charset.contains(char::is_whitespace);
    ok.then_some(locale)
}

/// `locale -a` lists `name`, comparing encodings as the module does (`.utf8` = `.UTF-8`).
fn is_installed(listing: &str, name: &str) -> bool {
    let fix = |s: &str| {
        [
            (".utf8", ".UTF-8"),
            (".eucjp", ".EUC-JP"),
            (".iso885915", ".ISO-8859-15"),
            (".cp1251", ".CP1251"),
            (".koi8r", ".KOI8-R"),
            (".armscii8", ".ARMSCII-8"),
            (".euckr", ".EUC-KR"),
            (".gbk", ".GBK"),
            (".gb18030", ".GB18030"),
            (".euctw", ".EUC-TW"),
        ]
        .iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
    };
    let want = fix(name);
    listing.lines().any(|l| fix(l) == want)
}

/// /etc/locale.gen with each named locale's line enabled (`NAME CHARSET`) or commented
/// (`# NAME CHARSET`), as the module's substitution `^#?\s*NAME (.+)` does.
fn set_locales(text: &str, names: &[String], enabled: bool) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let (body, end) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let mut body = body.to_string();
            for name in names {
                let rest = body.strip_prefix('#').unwrap_or(&body).trim_start();
                if let Some(charset) = rest.strip_prefix(&format!("{name} ")) {
                    if !charset.is_empty() {
                        body = if enabled {
                            format!("{name} {charset}")
                        } else {
                            format!("# {name} {charset}")
                        };
                    }
                }
            }
            format!("{body}{end}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_enabled_and_commented_as_the_module_substitutes() {
        let text = "# de_CH.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n";
        let on = set_locales(text, &["de_CH.UTF-8".into()], true);
        assert_eq!(on, "de_CH.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n");
        assert_eq!(set_locales(&on, &["de_CH.UTF-8".into()], false), text);
        assert_eq!(available_locale("de_CH.UTF-8 UTF-8"), Some("de_CH.UTF-8"));
        assert!(is_installed("C\nde_CH.utf8\n", "de_CH.UTF-8"));
    }
}
