//! `known_hosts`: one host key added, replaced or removed in an OpenSSH `known_hosts` file,
//! as ansible-core 2.19's module decides it: `ssh-keygen -F` on the host finds the host (hashed
//! entries and `[host]:port` included) and the line of its key, the new file is computed here
//! (line by line, Ansible's bytes), `hash_host` hashes the name with HMAC-SHA1 as OpenSSH does,
//! and removing a host without a key runs `ssh-keygen -R`. One round trip to look, one to write.

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use minijinja::Value;
use serde::Deserialize;
use sha1::Sha1;

use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::{quote, quote_path};
use crate::modules::params::path_info;
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct KnownHosts;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum State {
    Present,
    Absent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "host")]
    name: String,
    key: Option<String>,
    path: Option<String>,
    hash_host: Option<bool>,
    state: Option<State>,
}

/// A key line split as Ansible's `normalize_known_hosts_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyLine {
    options: Option<String>,
    host: String,
    kind: String,
    key: String,
}

fn normalize(line: &str) -> Option<KeyLine> {
    let k: Vec<&str> = line.split_whitespace().collect();
    if k.first()?.starts_with('@') {
        Some(KeyLine {
            options: Some(k[0].to_string()),
            host: k.get(1)?.to_string(),
            kind: k.get(2)?.to_string(),
            key: k.get(3)?.to_string(),
        })
    } else {
        Some(KeyLine {
            options: None,
            host: k[0].to_string(),
            kind: k.get(1)?.to_string(),
            key: k.get(2)?.to_string(),
        })
    }
}

/// OpenSSH's hashed host field for `host`, with a random salt.
fn hash_host_key(host: &str, key: &str) -> Result<String, ModuleError> {
    let salt: [u8; 20] = rand::random();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&salt)
        .map_err(|e| ModuleError::failed(format!("cannot hash the host name: {e}")))?;
    mac.update(host.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    let hashed = format!(
        "|1|{}|{}",
        b64.encode(salt),
        b64.encode(mac.finalize().into_bytes())
    );
    let mut parts: Vec<String> = key.split_whitespace().map(str::to_string).collect();
    let i = usize::from(parts.first().is_some_and(|p| p.starts_with('@')));
    if let Some(p) = parts.get_mut(i) {
        *p = hashed;
    }
    Ok(parts.join(" "))
}

/// What the host said.
#[derive(Default)]
struct Looked {
    home: String,
    /// The key alone, looked up for the host (`None`: no key given).
    sanity: Option<String>,
    exists: bool,
    rc: i32,
    found: String,
    stderr: String,
    content: Vec<u8>,
}

fn look_script(host: &str, key: Option<&str>, path: &str) -> String {
    let mut s = format!(
        "printf 'home=%s\\0' \"$HOME\"\n\
         command -v ssh-keygen >/dev/null 2>&1 || {{ echo 'ssh-keygen: command not found (known_hosts needs openssh-client on the host)' >&2; exit 127; }}\n\
         h={}\nf={}\n",
        quote(host),
        quote_path(path)
    );
    if let Some(k) = key {
        s.push_str(&format!(
            "k=$(mktemp) || exit 1; printf '%s' {} > \"$k\"\n\
             printf 'sanity\\0'; ssh-keygen -F \"$h\" -f \"$k\" 2>/dev/null; printf '\\0'; rm -f -- \"$k\"\n",
            quote(k)
        ));
    }
    s.push_str(
        "if [ -e \"$f\" ]; then printf 'found\\0'; ssh-keygen -F \"$h\" -f \"$f\"; printf '\\0rc=%s\\0' $?; \
         printf 'content\\0'; cat -- \"$f\"; fi\n",
    );
    s
}

fn parse_look(stdout: &[u8], stderr: &[u8]) -> Looked {
    let mut l = Looked {
        stderr: String::from_utf8_lossy(stderr).into_owned(),
        ..Looked::default()
    };
    let mut rest = stdout;
    let token = |rest: &mut &[u8]| -> Option<String> {
        let at = rest.iter().position(|b| *b == 0)?;
        let t = String::from_utf8_lossy(&rest[..at]).into_owned();
        *rest = &rest[at + 1..];
        Some(t)
    };
    while let Some(t) = token(&mut rest) {
        if let Some(h) = t.strip_prefix("home=") {
            l.home = h.to_string();
        } else if t == "sanity" {
            l.sanity = token(&mut rest);
        } else if t == "found" {
            l.exists = true;
            l.found = token(&mut rest).unwrap_or_default();
            l.rc = token(&mut rest)
                .and_then(|r| r.strip_prefix("rc=").and_then(|n| n.parse().ok()))
                .unwrap_or(0);
        } else if t == "content" {
            l.content = rest.to_vec();
            break;
        }
    }
    l
}

/// Ansible's `search_for_host_key`: (found, replace_or_add, found_line).
fn search(l: &Looked, key: Option<&str>) -> Result<(bool, bool, Option<usize>), ModuleError> {
    if !l.exists {
        return Ok((false, false, None));
    }
    if l.found.is_empty() && l.stderr.is_empty() && (l.rc == 0 || l.rc == 1) {
        return Ok((false, false, None));
    }
    if l.rc != 0 {
        return Err(ModuleError::failed(format!(
            "ssh-keygen failed (rc={}, stdout='{}',stderr='{}')",
            l.rc, l.found, l.stderr
        )));
    }
    let Some(key) = key else {
        return Ok((true, false, None));
    };
    let Some(mut new_key) = normalize(key) else {
        return Err(ModuleError::failed(format!(
            "the key `{key}` is not a known_hosts line"
        )));
    };
    let mut found_line = None;
    for line in l.found.split('\n') {
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            found_line = line
                .split("found: line ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<usize>().ok());
            continue;
        }
        let Some(found) = normalize(line) else { continue };
        let marker = found.options.as_deref().unwrap_or("");
        if marker.starts_with("@cert-authority") || marker.starts_with("@revoke") {
            if new_key == found {
                return Ok((true, false, found_line));
            }
            continue;
        }
        if new_key.host.starts_with("|1|") && found.host.starts_with("|1|") {
            new_key.host = found.host.clone();
        }
        if new_key == found {
            return Ok((true, false, found_line));
        }
        if new_key.kind == found.kind {
            return Ok((true, true, found_line));
        }
    }
    Ok((true, true, None))
}

/// Python's `str.splitlines(True)` as Ansible's diff uses it, and `for line in file` for the
/// rewrite (`\n` only): the file's lines with their ends.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

#[async_trait]
impl TypedModule for KnownHosts {
    type Params = Params;

    const SPEC: Spec = Spec::host("known_hosts");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let host = p.name.to_lowercase();
        let state = p.state.unwrap_or(State::Present);
        let hash = p.hash_host.unwrap_or(false);
        let path_param = p.path.clone().unwrap_or_else(|| "~/.ssh/known_hosts".into());
        let given_key = p.key.clone().filter(|k| !k.is_empty());
        if given_key.is_none() && state == State::Present {
            return Err(ModuleError::failed("No key specified when adding a host"));
        }
        let mut key = match &given_key {
            Some(k) if hash => Some(hash_host_key(&host, k)?),
            other => other.clone(),
        };
        if let Some(k) = key.as_mut() {
            if !k.ends_with('\n') {
                k.push('\n');
            }
            let comma = fancy_regex::Regex::new(r"\S+(\s+)?,(\s+)?")
                .map_err(|e| ModuleError::failed(e.to_string()))?;
            if comma.is_match(&host).unwrap_or(false) {
                return Err(ModuleError::failed(
                    "Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.",
                ));
            }
        }
        let out = ctx.run(look_script(&host, key.as_deref(), &path_param)).await?;
        if out.rc == 127 {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ModuleError::failed(
                err.lines().last().unwrap_or_default().to_string(),
            ));
        }
        let looked = parse_look(&out.stdout, &out.stderr);
        let path = match path_param.strip_prefix("~/") {
            Some(rest) => format!("{}/{rest}", looked.home.trim_end_matches('/')),
            None if path_param == "~" => looked.home.clone(),
            None => path_param.clone(),
        };
        if key.is_some() && looked.sanity.as_deref().unwrap_or("").is_empty() {
            return Err(ModuleError::failed(
                "Host parameter does not match hashed host field in supplied key",
            ));
        }
        let (found, replace_or_add, found_line) = search(&looked, key.as_deref())?;
        let before = String::from_utf8_lossy(&looked.content).into_owned();
        let mut outcome = Outcome::ok()
            .with("name", p.name.clone())
            .with(
                "key",
                given_key.clone().map(Value::from).unwrap_or(Value::from(())),
            )
            .with("path", path.clone())
            .with("hash_host", hash)
            .with(
                "state",
                if state == State::Present {
                    "present"
                } else {
                    "absent"
                },
            );
        let present = state == State::Present;
        // The file without the found line (when it goes), plus the key (when it is added).
        let rewritten = |for_diff: bool| -> String {
            let mut out = String::new();
            for (i, line) in lines(&before).into_iter().enumerate() {
                let drop = found_line == Some(i + 1) && (replace_or_add || !present);
                if !drop {
                    out.push_str(line);
                }
            }
            if present && (!for_diff || replace_or_add || found_line.is_none()) {
                out.push_str(key.as_deref().unwrap_or(""));
            }
            out
        };
        if ctx.diff {
            outcome.diff.push(Diff {
                before_header: if looked.exists {
                    path.clone()
                } else {
                    "/dev/null".into()
                },
                after_header: path.clone(),
                before: before.clone(),
                after: rewritten(true),
                prepared: None,
            });
        }
        if state == State::Absent && found_line.is_none() && key.is_some() {
            return finish(ctx, &path, outcome).await;
        }
        if ctx.check {
            outcome.changed = replace_or_add || present != found;
            return finish(ctx, &path, outcome).await;
        }
        if found && key.is_none() && state == State::Absent {
            let out = ctx
                .run(format!("ssh-keygen -R {} -f {}", quote(&host), quote_path(&path)))
                .await?;
            if out.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "ssh-keygen -R {host} -f {path} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            outcome.changed = true;
            return finish(ctx, &path, outcome).await;
        }
        if replace_or_add || found != present {
            let after = rewritten(false);
            files::write_atomic(
                ctx.conn,
                &path,
                after.as_bytes(),
                &WriteOptions::default(),
                &ctx.via,
            )
            .await?;
            outcome.changed = true;
        }
        finish(ctx, &path, outcome).await
    }
}

/// Ansible adds the file's fields to a result that names a `path` (`state` becomes the kind
/// of file); asked only when someone reads the result.
async fn finish(ctx: &mut ModuleCtx<'_>, path: &str, mut outcome: Outcome) -> Result<Outcome, ModuleError> {
    if ctx.result_seen {
        path_info(ctx, path, &mut outcome).await?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_verify_with_their_salt() {
        let line = hash_host_key("example.org", "example.org ssh-ed25519 AAAA").expect("hashes");
        let parts: Vec<&str> = line.split(' ').collect();
        let fields: Vec<&str> = parts[0].split('|').collect();
        assert_eq!(fields[1], "1");
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = b64.decode(fields[2]).expect("salt");
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&salt).expect("key");
        mac.update(b"example.org");
        assert_eq!(fields[3], b64.encode(mac.finalize().into_bytes()));
        assert_eq!(&parts[1..], ["ssh-ed25519", "AAAA"]);
    }

    #[test]
    fn search_finds_replaces_and_adopts_hashes() {
        let looked = |found: &str| Looked {
            exists: true,
            found: found.into(),
            ..Looked::default()
        };
        let l = looked("# Host h found: line 2 \nh ssh-ed25519 AAA\n");
        assert_eq!(
            search(&l, Some("h ssh-ed25519 AAA\n")).expect("ok"),
            (true, false, Some(2))
        );
        assert_eq!(
            search(&l, Some("h ssh-ed25519 BBB\n")).expect("ok"),
            (true, true, Some(2))
        );
        assert_eq!(
            search(&l, Some("h ssh-rsa CCC\n")).expect("ok"),
            (true, true, None)
        );
        let hashed = looked("# Host h found: line 1 \n|1|a|b ssh-ed25519 AAA\n");
        assert_eq!(
            search(&hashed, Some("|1|x|y ssh-ed25519 AAA\n")).expect("ok"),
            (true, false, Some(1))
        );
    }
}
