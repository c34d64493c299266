//! `rpm_key`: GPG keys in the host's rpm database, as ansible-core 2.19 manages them. `key` is
//! a URL (fetched on the host with curl, wget, or else python3), a key id, or a key file on the host. The key's
//! id and fingerprints are read from the key material by playhook ([`pgp_key`](super::pgp_key):
//! no `gpg` needed on the host); a key counts as imported when rpm has a `gpg-pubkey` whose
//! version is its short id. `present` runs `rpm --import`, `absent`
//! `rpm --erase --allmatches gpg-pubkey-<short id>`. One round trip when there is nothing to
//! do; results only `changed`, as Ansible's.

use async_trait::async_trait;
use serde::Deserialize;

use super::pgp_key;
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct RpmKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    key: String,
    state: Option<String>,
    fingerprint: Option<Vec<String>>,
    validate_certs: Option<bool>,
}

/// How the task names its key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    Url(String),
    KeyId(String),
    /// A path on the host (or something that is not a key at all: the host says).
    File(String),
}

/// Ansible's `is_keyid`: an optional `0x` then 8 hex digits, at the start.
fn is_keyid(key: &str) -> bool {
    let k = key
        .strip_prefix("0x")
        .or_else(|| key.strip_prefix("0X"))
        .unwrap_or(key);
    k.len() >= 8 && k.as_bytes()[..8].iter().all(u8::is_ascii_hexdigit)
}

fn normalize_keyid(id: &str) -> String {
    let id = id.trim().to_uppercase();
    id.strip_prefix("0X").map(str::to_string).unwrap_or(id)
}

fn source(key: &str) -> Source {
    if key.contains("://") {
        Source::Url(key.to_string())
    } else if is_keyid(key) {
        Source::KeyId(key.to_string())
    } else {
        Source::File(key.to_string())
    }
}

/// A shell command printing the key material of `src` (for a URL, fetched on the host).
fn cat_key(src: &Source, validate: bool) -> String {
    match src {
        Source::Url(u) => {
            let (ck, wk) = if validate {
                ("", "")
            } else {
                (" -k", " --no-check-certificate")
            };
            // dnf 4 hosts have python3 (dnf is written in it): the last resort.
            let py = if validate {
                "urlopen(sys.argv[1])"
            } else {
                "urlopen(sys.argv[1], context=ssl._create_unverified_context())"
            };
            format!(
                "if command -v curl >/dev/null 2>&1; then curl -fsSL{ck} -- {u}; \
                 elif command -v wget >/dev/null 2>&1; then wget -qO-{wk} -- {u}; \
                 elif command -v python3 >/dev/null 2>&1; then python3 -c {script} {u}; \
                 else echo 'neither curl, wget nor python3 is installed' >&2; false; fi",
                u = quote(u),
                script = quote(&format!(
                    "import ssl, sys, urllib.request; sys.stdout.buffer.write(urllib.request.{py}.read())"
                ))
            )
        }
        Source::File(f) => format!("cat -- {}", quote(f)),
        Source::KeyId(_) => "true".into(),
    }
}

#[async_trait]
impl TypedModule for RpmKey {
    type Params = Params;

    const SPEC: Spec = Spec::host("rpm_key");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Params(format!(
                "rpm_key: value of state must be one of: absent, present, got: {state}"
            )));
        }
        let validate = p.validate_certs.unwrap_or(true);
        let src = source(&p.key);
        let script = format!(
            "command -v rpm >/dev/null 2>&1 || {{ echo __PH_MISSING; exit 0; }}\n\
             rpm -q gpg-pubkey --qf '__PH_KEY %{{VERSION}}\\n' 2>/dev/null\n\
             if [ -n \"{file_check}\" ] && [ ! -f {path} ]; then echo __PH_NOFILE; exit 0; fi\n\
             echo __PH_MATERIAL\n{cat} || {{ echo; echo __PH_FETCH_FAILED; }}\n",
            file_check = if matches!(src, Source::File(_)) { "1" } else { "" },
            path = quote(&p.key),
            cat = cat_key(&src, validate),
        );
        let out = ctx.run(script).await?;
        let marker = b"__PH_MATERIAL\n";
        let (head, material) = match memchr::memmem::find(&out.stdout, marker) {
            Some(at) => (&out.stdout[..at], &out.stdout[at + marker.len()..]),
            None => (&out.stdout[..], &b""[..]),
        };
        let head = String::from_utf8_lossy(head);
        if head.starts_with("__PH_MISSING") {
            return Err(ModuleError::failed(format!(
                "rpm is not installed on {}: rpm_key needs rpm (a RedHat-family host, or install it)",
                ctx.host
            )));
        }
        if head.contains("__PH_NOFILE") {
            return Err(ModuleError::failed(format!("Not a valid key {}", p.key)));
        }
        let imported: Vec<String> = head
            .lines()
            .filter_map(|l| l.strip_prefix("__PH_KEY "))
            .map(|v| v.trim().to_uppercase())
            .collect();
        let (keyid, keys) = match &src {
            Source::KeyId(k) => (normalize_keyid(k), Vec::new()),
            _ => {
                if memchr::memmem::find(material, b"__PH_FETCH_FAILED").is_some() {
                    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    return Err(ModuleError::failed(format!(
                        "failed to fetch key at {} , error was: {err}",
                        p.key
                    )));
                }
                if matches!(src, Source::Url(_))
                    && !pgp_key::is_armored_pubkey(&String::from_utf8_lossy(material))
                {
                    return Err(ModuleError::failed(format!("Not a public key: {}", p.key)));
                }
                let keys = pgp_key::keys(material);
                let Some(primary) = keys.iter().find(|k| k.primary) else {
                    return Err(ModuleError::failed(format!(
                        "{}: no OpenPGP (v4) public key found in it",
                        p.key
                    )));
                };
                (primary.keyid.clone(), keys)
            }
        };
        let short = keyid[keyid.len().saturating_sub(8)..].to_string();
        let is_imported = imported.contains(&short);
        if state == "absent" {
            if !is_imported {
                return Ok(Outcome::changed(false));
            }
            if !ctx.check {
                let cmd = format!(
                    "rpm --erase --allmatches {}",
                    quote(&format!("gpg-pubkey-{}", short.to_lowercase()))
                );
                run_or_fail(ctx, &cmd).await?;
            }
            return Ok(Outcome::changed(true));
        }
        if is_imported {
            return Ok(Outcome::changed(false));
        }
        if matches!(src, Source::KeyId(_)) {
            return Err(ModuleError::failed(
                "When importing a key, a valid file must be given",
            ));
        }
        if let Some(wanted) = &p.fingerprint {
            let wanted: Vec<String> = wanted.iter().map(|f| f.replace(' ', "").to_uppercase()).collect();
            let have: Vec<&str> = keys.iter().map(|k| k.fingerprint.as_str()).collect();
            if !wanted.iter().all(|w| have.contains(&w.as_str())) {
                return Err(ModuleError::failed(format!(
                    "The specified fingerprint, '{}', does not match any key fingerprints in '{}'",
                    wanted.join(", "),
                    have.join(", ")
                )));
            }
        }
        if !ctx.check {
            let cmd = match &src {
                Source::File(f) => format!("rpm --import {}", quote(f)),
                _ => format!(
                    "t=$(mktemp) || exit 1\n{{ {}; }} >\"$t\" && rpm --import \"$t\"; rc=$?; rm -f \"$t\"; exit $rc",
                    cat_key(&src, validate)
                ),
            };
            run_or_fail(ctx, &cmd).await?;
        }
        Ok(Outcome::changed(true))
    }
}

async fn run_or_fail(ctx: &mut ModuleCtx<'_>, cmd: &str) -> Result<(), ModuleError> {
    let out = ctx.run(cmd).await?;
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(ModuleError::failed(if err.is_empty() {
            format!("`{cmd}` failed on {} (exit {})", ctx.host, out.rc)
        } else {
            err
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_as_ansible_reads_them() {
        assert_eq!(
            source("https://x/key.asc"),
            Source::Url("https://x/key.asc".into())
        );
        assert_eq!(source("0xDEADBEEF"), Source::KeyId("0xDEADBEEF".into()));
        assert_eq!(source("/etc/pki/key"), Source::File("/etc/pki/key".into()));
        assert_eq!(normalize_keyid(" 0xdeadbeef "), "DEADBEEF");
    }
}
