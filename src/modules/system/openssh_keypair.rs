//! `community.crypto.openssh_keypair`: an SSH key pair (`path` and `path.pub`) made and read
//! by `ssh-keygen` on the host, with the collection's semantics: `regenerate`
//! (`never`, `fail`, `partial_idempotence` (the default), `full_idempotence`, `always`;
//! `force` = `always`) decides when a key of another type or size is replaced, a missing or
//! mismatching public key is written again from the private key (and its comment set), `mode`,
//! `owner` and `group` apply to both files, `state: absent` removes them. Results: `filename`,
//! `fingerprint`, `public_key`, `comment`, `size`, `type`.
//!
//! The `passphrase` travels on the script's standard input and reaches `ssh-keygen` through an
//! `SSH_ASKPASS` script reading a file of a private temporary directory
//! (`openssh_keypair.sh`): never on a command line, never in the output. The collection makes
//! such keys with Python's cryptography; playhook always uses `ssh-keygen`, which also gives
//! `private_key_format` `pkcs1` (`-m PEM`) and `pkcs8` (`-m PKCS8`). Two round trips to read and
//! act, plus the attribute changes.

use async_trait::async_trait;
use serde::Deserialize;

use crate::connection::files::{self, FileAttrs, StatOptions, attrs_differ};
use crate::connection::quote::quote;
use crate::modules::params::ModeParam;
use crate::modules::report::sections;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `openssh_keypair` module.
pub struct OpensshKeypair;

const SCRIPT: &str = include_str!("openssh_keypair.sh");

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum State {
    Present,
    Absent,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum KeyType {
    Rsa,
    Dsa,
    Rsa1,
    Ecdsa,
    Ed25519,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Regenerate {
    Never,
    Fail,
    PartialIdempotence,
    FullIdempotence,
    Always,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum KeyFormat {
    Auto,
    Pkcs1,
    Pkcs8,
    Ssh,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Backend {
    Auto,
    Cryptography,
    Opensshbin,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    path: String,
    state: Option<State>,
    #[serde(rename = "type")]
    key_type: Option<KeyType>,
    size: Option<u32>,
    comment: Option<String>,
    passphrase: Option<Secret>,
    force: Option<bool>,
    regenerate: Option<Regenerate>,
    private_key_format: Option<KeyFormat>,
    backend: Option<Backend>,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    setype: Option<String>,
    selevel: Option<String>,
    #[serde(alias = "attr")]
    attributes: Option<String>,
    unsafe_writes: Option<bool>,
}

/// The passphrase: never displayed.
#[derive(Deserialize)]
#[serde(transparent)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

impl KeyType {
    fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Dsa => "dsa",
            KeyType::Rsa1 => "rsa1",
            KeyType::Ecdsa => "ecdsa",
            KeyType::Ed25519 => "ed25519",
        }
    }

    /// The size the key gets, as the collection checks it.
    fn size(self, size: Option<u32>) -> Result<u32, ModuleError> {
        match self {
            KeyType::Rsa | KeyType::Rsa1 => match size.unwrap_or(4096) {
                s if s < 1024 => Err(ModuleError::failed(
                    "For RSA keys, the minimum size is 1024 bits and the default is 4096 bits. \
                     Attempting to use bit lengths under 1024 will cause the module to fail.",
                )),
                s => Ok(s),
            },
            KeyType::Dsa => match size.unwrap_or(1024) {
                1024 => Ok(1024),
                _ => Err(ModuleError::failed(
                    "DSA keys must be exactly 1024 bits as specified by FIPS 186-2.",
                )),
            },
            KeyType::Ecdsa => match size.unwrap_or(256) {
                s @ (256 | 384 | 521) => Ok(s),
                _ => Err(ModuleError::failed(
                    "For ECDSA keys, size determines the key length by selecting from one of three \
                     elliptic curve sizes: 256, 384 or 521 bits. Attempting to use bit lengths other \
                     than these three values for ECDSA keys will cause this module to fail.",
                )),
            },
            KeyType::Ed25519 => Ok(256),
        }
    }
}

impl KeyFormat {
    /// `ssh-keygen -m`'s value, and the first line of a private key in this format.
    fn keygen(self) -> Option<(&'static str, &'static str)> {
        match self {
            KeyFormat::Auto => None,
            KeyFormat::Ssh => Some(("RFC4716", "-----BEGIN OPENSSH PRIVATE KEY-----")),
            KeyFormat::Pkcs1 => Some(("PEM", "-----BEGIN RSA PRIVATE KEY-----")),
            KeyFormat::Pkcs8 => Some(("PKCS8", "-----BEGIN PRIVATE KEY-----")),
        }
    }
}

/// `ssh-keygen -l`'s view of a private key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PrivateKey {
    size: u32,
    key_type: String,
    fingerprint: String,
}

/// A public key: type, data and comment (`""` when there is none).
#[derive(Clone, Debug, PartialEq, Eq)]
struct PublicKey {
    type_string: String,
    data: String,
    comment: String,
}

impl PublicKey {
    /// The collection's `PublicKey.load`/`from_string`: `TYPE DATA [COMMENT]`.
    fn parse(text: &str) -> Option<PublicKey> {
        let mut parts = text.trim_matches([' ', '\n']).splitn(3, ' ');
        let type_string = parts.next()?.to_string();
        let data = parts.next()?.to_string();
        Some(PublicKey {
            type_string,
            data,
            comment: parts.next().unwrap_or_default().to_string(),
        })
    }

    fn text(&self) -> String {
        format!("{} {}", self.type_string, self.data)
    }
}

/// The key pair as the script found it.
#[derive(Default)]
struct Found {
    private_exists: bool,
    private: Option<PrivateKey>,
    header: String,
    /// The private key opens with the passphrase given (or without one when none is).
    readable: bool,
    /// It opens without a passphrase.
    plain: bool,
    matching: Option<PublicKey>,
    public_exists: bool,
    public: Option<PublicKey>,
}

/// What the script reports: the base directory missing, the path a directory, or the pair.
enum Probe {
    NoDir,
    IsDir,
    Found(Box<Found>),
}

fn parse_report(stdout: &str) -> Probe {
    let mut found = Found::default();
    for (key, value) in sections(stdout) {
        match key.as_str() {
            "state" if value == "nodir" => return Probe::NoDir,
            "state" if value == "isdir" => return Probe::IsDir,
            "private" => {
                found.private_exists = true;
                // `4096 SHA256:... comment (RSA)`
                let words: Vec<&str> = value.split_whitespace().collect();
                found.private = match (words.first(), words.get(1), words.last()) {
                    (Some(size), Some(fp), Some(kind)) if words.len() >= 3 => {
                        size.parse().ok().map(|size| PrivateKey {
                            size,
                            key_type: kind.trim_matches(['(', ')']).to_lowercase(),
                            fingerprint: fp.to_string(),
                        })
                    }
                    _ => None,
                };
            }
            "header" => found.header = value.trim().to_string(),
            "plain" => found.plain = value.trim() == "0",
            "matching" => found.matching = PublicKey::parse(&value),
            "readable" => found.readable = value.trim() == "0",
            "public" => {
                found.public_exists = true;
                found.public = PublicKey::parse(&value);
            }
            _ => {}
        }
    }
    Probe::Found(Box::new(found))
}

/// What the host is asked to do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    None,
    Generate,
    Restore,
    Remove,
}

/// One run of the script.
struct Run<'a> {
    p: &'a Params,
    key_type: KeyType,
    size: u32,
}

impl Run<'_> {
    async fn script(&self, ctx: &mut ModuleCtx<'_>, act: Act) -> Result<Probe, ModuleError> {
        let act_name = match act {
            Act::None => "none",
            Act::Generate => "generate",
            Act::Restore => "restore",
            Act::Remove => "remove",
        };
        let format = self
            .p
            .private_key_format
            .and_then(KeyFormat::keygen)
            .map(|(m, _)| m)
            .filter(|m| *m != "RFC4716")
            .unwrap_or_default();
        let passphrase = self.p.passphrase.as_ref().filter(|s| !s.0.is_empty());
        let script = format!(
            "p={p}\nact={act_name}\nt={t}\nb={b}\nc={c}\nhas_c={has_c}\nm={format}\npw={pw}\n{SCRIPT}",
            p = quote(&self.p.path),
            t = self.key_type.name(),
            b = self.size,
            c = quote(self.p.comment.as_deref().unwrap_or_default()),
            has_c = u8::from(self.p.comment.as_deref().is_some_and(|c| !c.is_empty())),
            pw = u8::from(passphrase.is_some()),
        );
        let mut cmd = ctx.command(script);
        if let Some(secret) = passphrase {
            cmd.stdin = Some(secret.0.as_bytes().to_vec());
        }
        let out = ctx.conn.run(&cmd, None).await?;
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "{} on {}: {}",
                self.p.path,
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(parse_report(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// Whether the existing private key is what the task asks for (type, size, and the format
/// when one is named).
fn private_valid(found: &Found, key_type: KeyType, size: u32, format: KeyFormat) -> bool {
    let Some(key) = &found.private else {
        return false;
    };
    let format_ok = format.keygen().is_none_or(|(_, header)| found.header == header);
    key.size == size && key.key_type == key_type.name() && format_ok
}

/// Whether the public key file matches the private key (and has the comment asked for).
fn public_valid(found: &Found, comment: Option<&str>) -> bool {
    match (&found.public, &found.matching) {
        (Some(public), Some(matching)) => {
            public.type_string == matching.type_string
                && public.data == matching.data
                && comment.is_none_or(|c| c == public.comment)
        }
        _ => false,
    }
}

const UNREADABLE: &str = "Unable to read the key. The key is protected with a passphrase or broken. \
     Will not proceed. To force regeneration, call the module with `generate` set to \
     `full_idempotence` or `always`, or with `force=true`.";

const WRONG_KEY: &str = "Key has wrong type and/or size. Will not proceed. To force regeneration, \
     call the module with `generate` set to `partial_idempotence`, `full_idempotence` or \
     `always`, or with `force=true`.";

/// What to do with a present pair, as the collection decides it.
fn plan_present(
    found: &Found,
    p: &Params,
    key_type: KeyType,
    size: u32,
    regenerate: Regenerate,
) -> Result<Act, ModuleError> {
    let has_passphrase = p.passphrase.as_ref().is_some_and(|s| !s.0.is_empty());
    // With a passphrase, a key that opens without one is not the key asked for.
    let readable = found.readable && !(has_passphrase && found.plain);
    let keeps_unreadable = matches!(
        regenerate,
        Regenerate::Never | Regenerate::Fail | Regenerate::PartialIdempotence
    );
    if found.private_exists && keeps_unreadable && (found.private.is_none() || !readable) {
        return Err(ModuleError::failed(UNREADABLE));
    }
    let format = p.private_key_format.unwrap_or(KeyFormat::Auto);
    let valid = || private_valid(found, key_type, size, format);
    let generate = match regenerate {
        _ if found.private.is_none() => true,
        Regenerate::Never => false,
        Regenerate::Fail if !valid() => return Err(ModuleError::failed(WRONG_KEY)),
        Regenerate::Fail => false,
        Regenerate::PartialIdempotence | Regenerate::FullIdempotence => !valid(),
        Regenerate::Always => true,
    };
    Ok(if generate {
        Act::Generate
    } else if !public_valid(found, p.comment.as_deref()) {
        Act::Restore
    } else {
        Act::None
    })
}

/// Applies `mode`/`owner`/`group` to `path` (compares only, in check mode; a file check mode
/// did not create counts as a change). Whether anything changed.
async fn update_attrs(ctx: &mut ModuleCtx<'_>, path: &str, attrs: &FileAttrs) -> Result<bool, ModuleError> {
    let opts = StatOptions {
        follow: false,
        checksum: false,
        checksum_tool: None,
    };
    let Some(st) = files::stat(ctx.conn, path, opts, &ctx.via).await? else {
        return Ok(ctx.check);
    };
    let changes = attrs_differ(&st, attrs);
    if !changes.any() {
        return Ok(false);
    }
    if !ctx.check {
        files::apply_attrs(ctx.conn, path, &changes.to_attrs(), false, &ctx.via).await?;
    }
    Ok(true)
}

#[async_trait]
impl TypedModule for OpensshKeypair {
    type Params = Params;

    const SPEC: Spec = Spec::host("openssh_keypair").collection(Collection::Crypto);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let _ = (p.unsafe_writes, p.backend);
        crate::modules::params::refuse_attributes("openssh_keypair", p.attributes.as_deref())?;
        crate::modules::params::selinux::check(
            ctx,
            "openssh_keypair",
            &p.path,
            crate::modules::params::selinux::context!(p),
        )
        .await?;
        let key_type = p.key_type.unwrap_or(KeyType::Rsa);
        if key_type == KeyType::Rsa1 {
            return Err(ModuleError::failed(
                "openssh_keypair: type rsa1 (SSH protocol 1) is not supported: ssh-keygen no longer makes such keys",
            ));
        }
        let size = key_type.size(p.size)?;
        let regenerate = if p.force.unwrap_or(false) {
            Regenerate::Always
        } else {
            p.regenerate.unwrap_or(Regenerate::PartialIdempotence)
        };
        let state = p.state.unwrap_or(State::Present);
        let run = Run {
            p: &p,
            key_type,
            size,
        };
        let before = match run.script(ctx, Act::None).await? {
            Probe::NoDir => {
                let dir = match p.path.rsplit_once('/') {
                    Some(("", _)) => "/",
                    Some((dir, _)) => dir,
                    None => ".",
                };
                return Err(ModuleError::failed(format!(
                    "The directory {dir} does not exist or the file is not a directory"
                ))
                .with("name", dir));
            }
            Probe::IsDir => {
                return Err(ModuleError::failed(format!(
                    "{} is a directory. Please specify a path to a file.",
                    p.path
                )));
            }
            Probe::Found(found) => *found,
        };
        let act = match state {
            State::Present => plan_present(&before, &p, key_type, size, regenerate)?,
            State::Absent if before.private_exists || before.public_exists => Act::Remove,
            State::Absent => Act::None,
        };
        let mut changed = act != Act::None;
        let after = if act != Act::None && !ctx.check {
            match run.script(ctx, act).await? {
                Probe::Found(found) => Some(*found),
                Probe::NoDir | Probe::IsDir => None,
            }
        } else {
            None
        };
        if state == State::Present {
            let mode = match &p.mode {
                Some(ModeParam::Mode(m)) => Some(m.clone()),
                Some(ModeParam::Preserve) | None => None,
            };
            let attrs = FileAttrs {
                mode,
                owner: p.owner.clone(),
                group: p.group.clone(),
            };
            if attrs != FileAttrs::default() || ctx.check {
                for path in [p.path.clone(), format!("{}.pub", p.path)] {
                    changed |= update_attrs(ctx, &path, &attrs).await?;
                }
            }
        }
        let after = after.unwrap_or_default();
        let private = after.private.or(before.private);
        let public = after.public.or(before.public);
        Ok(Outcome::changed(changed)
            .with("size", size)
            .with("type", key_type.name())
            .with("filename", p.path.as_str())
            .with("fingerprint", private.map(|k| k.fingerprint).unwrap_or_default())
            .with(
                "public_key",
                public.as_ref().map(PublicKey::text).unwrap_or_default(),
            )
            .with("comment", public.map(|k| k.comment).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_back() {
        let out = "\u{1e}state\nok\n\u{1e}private\n3072 SHA256:abc me@h (RSA)\n\u{1e}header\n-----BEGIN OPENSSH PRIVATE KEY-----\n\n\u{1e}plain\n0\n\u{1e}matching\nssh-rsa AAA me@h\n\n\u{1e}readable\n0\n\u{1e}public\nssh-rsa AAA\n\n";
        let Probe::Found(f) = parse_report(out) else {
            panic!("found")
        };
        let key = f.private.clone().expect("private");
        assert_eq!((key.size, key.key_type.as_str()), (3072, "rsa"));
        assert_eq!(key.fingerprint, "SHA256:abc");
        assert!(f.readable && f.plain && f.public_exists);
        assert_eq!(f.public.as_ref().map(|k| k.comment.as_str()), Some(""));
        assert!(public_valid(&f, None));
        assert!(!public_valid(&f, Some("me@h")));
        assert!(private_valid(&f, KeyType::Rsa, 3072, KeyFormat::Ssh));
        assert!(!private_valid(&f, KeyType::Rsa, 4096, KeyFormat::Auto));
        assert!(!private_valid(&f, KeyType::Rsa, 3072, KeyFormat::Pkcs1));
    }

    #[test]
    fn sizes_are_checked_as_the_collection_checks_them() {
        assert_eq!(KeyType::Rsa.size(None).ok(), Some(4096));
        assert!(KeyType::Rsa.size(Some(512)).is_err());
        assert!(KeyType::Dsa.size(Some(2048)).is_err());
        assert_eq!(KeyType::Ecdsa.size(Some(384)).ok(), Some(384));
        assert!(KeyType::Ecdsa.size(Some(300)).is_err());
        assert_eq!(KeyType::Ed25519.size(Some(4096)).ok(), Some(256));
    }
}
