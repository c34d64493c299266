//! `apt_key`: apt's trusted keys through `apt-key` and `gpg`, as ansible-core 2.19 drives them
//! (bookworm still ships the deprecated `apt-key`; without it the task fails saying so and
//! pointing at `deb822_repository`'s `signed_by`). A key comes from `data`, a `file` on the host,
//! a `url` (fetched on the host with curl or wget) or a `keyserver`; its id is read with
//! `gpg --with-colons`, the keys present with `apt-key adv --list-public-keys`, and it is added
//! with `apt-key add` (to `keyring` when given, else apt's `trusted.gpg`). Results `id`,
//! `short_id`, `fp`, `key_id`, `before` and `after` as Ansible registers them.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::{opt_bool, opt_string};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct AptKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    data: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    keyring: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    validate_certs: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    keyserver: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    state: Option<String>,
}

/// Key ids in `apt-key --list-public-keys` (or `gpg --with-colons`) output, unexpired.
pub fn keys_in(output: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in output.split('\n') {
        if !(line.starts_with("pub") || line.starts_with("sub")) || line.contains("expired") {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let code = tokens
            .get(1)
            .and_then(|c| c.split_once('/'))
            .map(|(_, c)| c.to_string());
        let code = code.or_else(|| line.split(':').nth(4).map(str::to_string));
        if let Some(c) = code {
            found.push(c);
        }
    }
    found
}

/// (short id, fingerprint, key id) as Ansible splits a key id; `None` when invalid.
pub fn split_key_id(id: &str) -> Option<(String, String, String)> {
    let upper = id.to_uppercase();
    let key = upper.strip_prefix("0X").unwrap_or(&upper).to_string();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let n = key.len();
    if n != 8 && n != 16 && n <= 16 {
        return None;
    }
    let short = key[n.saturating_sub(8)..].to_string();
    let fp = if n > 16 {
        key[n - 16..].to_string()
    } else {
        key.clone()
    };
    Some((short, fp, key))
}

impl Params {
    fn apt_key(&self) -> String {
        match &self.keyring {
            Some(k) => format!("apt-key --keyring {}", quote(k)),
            None => "apt-key".into(),
        }
    }

    fn list(&self) -> String {
        format!(
            "{} adv --list-public-keys --keyid-format=long 2>/dev/null",
            self.apt_key()
        )
    }
}

/// Downloads `url` on the host into `$k` (a temp file).
fn fetch(url: &str) -> String {
    let q = quote(url);
    format!(
        "k=$(mktemp) || exit 1\nif command -v curl >/dev/null 2>&1; then curl -fsSL -o \"$k\" {q} || {{ echo \"__PH_ERROR Failed to download key at \"{q}; exit 0; }}\n\
         elif command -v wget >/dev/null 2>&1; then wget -q -O \"$k\" {q} || {{ echo \"__PH_ERROR Failed to download key at \"{q}; exit 0; }}\n\
         else echo '__PH_ERROR neither curl nor wget is installed to download '{q}; exit 0; fi\n"
    )
}

#[async_trait]
impl TypedModule for AptKey {
    type Params = Params;

    const SPEC: Spec = Spec::host("apt_key");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let _ = p.validate_certs;
        let state = p.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Params(format!(
                "apt_key: state must be one of absent, present, got: {state}"
            )));
        }
        let sources = [
            p.data.is_some(),
            p.file.is_some(),
            p.keyserver.is_some(),
            p.url.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err(ModuleError::Params(
                "apt_key: parameters are mutually exclusive: data|file|keyserver|url".into(),
            ));
        }
        if p.id.is_none() && p.keyserver.is_some() {
            return Err(ModuleError::failed("Missing key_id, required with keyserver."));
        }
        // Round trip 1: the programs, the key's id (unless given) and the keys present.
        let mut script = String::from(
            "command -v apt-key >/dev/null 2>&1 || { echo '__PH_MISSING apt-key'; exit 0; }\n\
             command -v gpg >/dev/null 2>&1 || { echo '__PH_MISSING gpg'; exit 0; }\nexport LC_ALL=C.UTF-8 LANG=C.UTF-8\n",
        );
        let mut stdin = None;
        if p.id.is_none() {
            if let Some(url) = &p.url {
                script.push_str(&fetch(url));
                script.push_str("echo __PH_ID\ngpg --with-colons \"$k\" 2>/dev/null; rm -f \"$k\"\n");
            } else if let Some(file) = &p.file {
                script.push_str(&format!(
                    "echo __PH_ID\ngpg --with-colons {} 2>/dev/null\n",
                    quote(file)
                ));
            } else if let Some(data) = &p.data {
                stdin = Some(data.clone().into_bytes());
                script.push_str("echo __PH_ID\ngpg --with-colons - 2>/dev/null\n");
            }
        }
        script.push_str(&format!("echo __PH_KEYS\n{}\ntrue", p.list()));
        let mut cmd = ctx.command(script);
        cmd.stdin = stdin;
        let out = ctx.conn.run(&cmd, None).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(program) = text.lines().find_map(|l| l.strip_prefix("__PH_MISSING ")) {
            return Err(ModuleError::failed(format!(
                "{program} is not installed on {}: apt_key needs apt-key and gpg (apt-key is deprecated and gone from \
                 Debian 13 / Ubuntu 24.04; use deb822_repository with signed_by)",
                ctx.host
            )));
        }
        if let Some(e) = text.lines().find_map(|l| l.strip_prefix("__PH_ERROR ")) {
            return Err(ModuleError::failed(format!("{e} (on {})", ctx.host)));
        }
        let (head, keys_text) = text.split_once("__PH_KEYS\n").unwrap_or((&text, ""));
        let id = match &p.id {
            Some(id) => Some(id.clone()),
            None => head
                .split_once("__PH_ID\n")
                .and_then(|(_, ids)| keys_in(ids).into_iter().next()),
        };
        if id.is_none() && (p.file.is_some() || p.data.is_some() || p.url.is_some()) {
            let from = if p.file.is_some() {
                p.file.clone().unwrap_or_default()
            } else {
                "inline data".into()
            };
            return Err(ModuleError::failed(format!(
                "Unable to extract key from '{from}'"
            )));
        }
        let mut outcome = Outcome::changed(false).with("id", id.clone().map_or(Value::from(()), Value::from));
        let Some((short, fp, key_id)) = id.as_deref().and_then(split_key_id) else {
            return Err(ModuleError::failed_with("Invalid key_id", outcome));
        };
        outcome = outcome
            .with("short_id", short.as_str())
            .with("fp", fp.as_str())
            .with("key_id", key_id.as_str());
        let short_format = key_id.len() == 8;
        let shorten = |keys: Vec<String>| -> Vec<String> {
            if short_format {
                keys.into_iter()
                    .map(|k| k[k.len().saturating_sub(8)..].to_string())
                    .collect()
            } else {
                keys
            }
        };
        let before = shorten(keys_in(keys_text));
        let list = |v: &[String]| Value::from(v.iter().map(|s| Value::from(s.as_str())).collect::<Vec<_>>());
        outcome = outcome.with("before", list(&before));
        let present = |keys: &[String]| {
            if short_format {
                keys.contains(&short)
            } else {
                keys.contains(&fp)
            }
        };
        let action = match state {
            "present" if !present(&before) => {
                let add = if let Some(file) = &p.file {
                    format!("{} add {}", p.apt_key(), quote(file))
                } else if let Some(server) = &p.keyserver {
                    format!(
                        "n=0; until {} adv --no-tty --keyserver {} --recv {}; do n=$((n+1)); [ $n -ge 5 ] && exit 1; done",
                        p.apt_key(),
                        quote(server),
                        quote(&key_id)
                    )
                } else if let Some(url) = &p.url {
                    format!(
                        "{}{} add \"$k\"; r=$?; rm -f \"$k\"; [ $r -eq 0 ]",
                        fetch(url),
                        p.apt_key()
                    )
                } else {
                    format!("{} add -", p.apt_key())
                };
                Some(add)
            }
            "absent" if before.contains(&fp) => Some(format!("{} del {}", p.apt_key(), quote(&short))),
            _ => None,
        };
        let Some(action) = action else {
            return Ok(outcome);
        };
        outcome.changed = true;
        if ctx.check {
            return Ok(outcome);
        }
        let mut cmd = ctx.command(format!(
            "export LC_ALL=C.UTF-8 LANG=C.UTF-8\n{{ {action}\n}} >/dev/null || exit $?\necho __PH_KEYS\n{}",
            p.list()
        ));
        if p.data.is_some() && p.file.is_none() {
            cmd.stdin = p.data.clone().map(String::into_bytes);
        }
        let out = ctx.conn.run(&cmd, None).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.rc != 0 {
            let msg = match state {
                "absent" => format!("Unable to remove a key with id {short}"),
                _ if p.file.is_some() => format!(
                    "Unable to add a key from file {}",
                    p.file.clone().unwrap_or_default()
                ),
                _ if p.keyserver.is_some() => format!(
                    "Error fetching key {key_id} from keyserver: {}",
                    p.keyserver.clone().unwrap_or_default()
                ),
                _ => "Unable to add a key from binary data".into(),
            };
            return Err(ModuleError::failed_with(msg, outcome)
                .with("rc", out.rc)
                .with("stderr", String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        let after = shorten(keys_in(text.split_once("__PH_KEYS\n").map_or("", |(_, k)| k)));
        outcome = outcome.with("after", list(&after));
        let ok = if state == "absent" {
            !after.contains(&fp)
        } else {
            present(&after)
        };
        if !ok {
            let what = if state == "absent" {
                "the key was not removed"
            } else {
                "failed to add the key"
            };
            return Err(ModuleError::failed_with(
                format!(
                    "apt-key did not return an error, but {what} (check that the id is correct and *not* a subkey)"
                ),
                outcome,
            ));
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_split_and_list_as_ansible_reads_them() {
        assert_eq!(
            split_key_id("0x9FED2BCBDCD29CDF762678CBAED4B06F473041FA"),
            Some((
                "473041FA".into(),
                "AED4B06F473041FA".into(),
                "9FED2BCBDCD29CDF762678CBAED4B06F473041FA".into()
            ))
        );
        assert!(split_key_id("12345").is_none());
        let listed = "/etc/apt/trusted.gpg.d/x.gpg\n-----\npub   rsa3072/AED4B06F473041FA 2020-01-01 [SC]\nuid x\nsub   rsa3072/1111222233334444 2020-01-01 [E] [expired: 2021-01-01]\n";
        assert_eq!(keys_in(listed), ["AED4B06F473041FA"]);
        assert_eq!(
            keys_in("pub:-:3072:1:AED4B06F473041FA:1:::-:::scESC::::::23::0:\n"),
            ["AED4B06F473041FA"]
        );
    }
}
