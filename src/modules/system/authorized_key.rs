//! `ansible.posix.authorized_key`: SSH keys added to or removed from a user's authorized_keys,
//! as the collection's module does it. One round trip looks: the user's passwd entry, the key
//! file's path (`path`, else `~USER/.ssh/authorized_keys`; its real path for `follow`), its text,
//! and the keys themselves when `key` is a URL (fetched on the target with curl or wget,
//! `net/http.rs`) or a `file://` path. The edit is `authorized_keys.rs`'s model. A write first
//! prepares as the module does (`manage_dir`: the directory created 0700 and given to the user;
//! a missing file created; the file given to the user, 0600), then replaces the file atomically,
//! keeping that mode and owner.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::authorized_keys::{Wanted, enforce};
use super::os_error::os_error;
use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::{quote, quote_path};
use crate::modules::net::http::{self, Request};
use crate::modules::params::state::State;
use crate::modules::params::{map_value, path_info};
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `authorized_key` module.
pub struct AuthorizedKey;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    user: String,
    key: String,
    path: Option<String>,
    manage_dir: Option<bool>,
    state: Option<State>,
    key_options: Option<String>,
    exclusive: Option<bool>,
    comment: Option<String>,
    validate_certs: Option<bool>,
    follow: Option<bool>,
}

/// What the look found.
#[derive(Default)]
struct Looked {
    /// The passwd line, empty when the user is unknown.
    passwd: String,
    /// The key file's path (`path` with `~` expanded, or the user's default).
    keyfile: String,
    /// Its real path, with `follow`.
    real: Option<String>,
    /// The keys read from `file://`, or why not.
    key_file: Option<Result<String, String>>,
    /// The output of the URL request (`http::lines`) and the body.
    http: Option<(String, String)>,
    /// The key file's text (empty when it is not a regular file).
    content: String,
}

fn take<'a>(tokens: &mut impl Iterator<Item = &'a str>) -> String {
    tokens.next().unwrap_or_default().to_string()
}

fn parse_look(text: &str) -> Looked {
    let mut l = Looked::default();
    let mut tokens = text.split('\0');
    while let Some(t) = tokens.next() {
        match t {
            "pw" => l.passwd = take(&mut tokens),
            "keyfile" => l.keyfile = take(&mut tokens),
            "real" => l.real = Some(take(&mut tokens)),
            "keytext" => l.key_file = Some(Ok(take(&mut tokens))),
            "keyerr" => l.key_file = Some(Err(take(&mut tokens))),
            "http" => {
                let head = take(&mut tokens);
                l.http = Some((head, take(&mut tokens)));
            }
            "content" => {
                l.content = tokens.collect::<Vec<_>>().join("\0");
                break;
            }
            _ => {}
        }
    }
    l
}

/// The path a `file:` key names, as `urlparse(key).path` reads it.
fn file_url_path(key: &str) -> String {
    let rest = key.split_once(':').map(|(_, r)| r).unwrap_or("");
    let path = match rest.strip_prefix("//") {
        Some(net) => net.find('/').map(|i| &net[i..]).unwrap_or(""),
        None => rest,
    };
    path.split(['?', '#']).next().unwrap_or("").to_string()
}

fn look_script(p: &Params, url: Option<&Request>) -> String {
    let mut s = format!(
        "pw=$(getent passwd {} 2>/dev/null | head -n 1); printf 'pw\\0%s\\0' \"$pw\"\n",
        quote(&p.user)
    );
    match &p.path {
        Some(path) => s.push_str(&format!("f={}\n", quote_path(path))),
        None => s.push_str(
            "h=$(printf '%s' \"$pw\" | cut -d: -f6)\n\
             case $h in */) f=\"${h}.ssh/authorized_keys\" ;; *) f=\"$h/.ssh/authorized_keys\" ;; esac\n",
        ),
    }
    s.push_str("printf 'keyfile\\0%s\\0' \"$f\"\n");
    if p.follow.unwrap_or(false) {
        s.push_str("printf 'real\\0%s\\0' \"$(realpath -m -- \"$f\")\"\n");
    }
    if let Some(req) = url {
        s.push_str(&format!(
            "kt=$(mktemp) || exit 1\n( {} ) > \"$kt.h\"\nprintf 'http\\0'; cat \"$kt.h\"; printf '\\0'; cat \"$kt\"; printf '\\0'; rm -f \"$kt\" \"$kt.h\"\n",
            http::lines(req, "kt")
        ));
    } else if p.key.starts_with("file") {
        s.push_str(&format!(
            "k={}\nif [ ! -e \"$k\" ]; then printf 'keyerr\\0Path to a key file not found: %s\\0' \"$k\"; \
             elif [ ! -f \"$k\" ]; then printf 'keyerr\\0Path to a key is a directory and must be a file: %s\\0' \"$k\"; \
             elif t=$(cat -- \"$k\"; echo x); then printf 'keytext\\0%s\\0' \"${{t%x}}\"; fi\n",
            quote(&file_url_path(&p.key))
        ));
    }
    s.push_str("if [ -f \"$f\" ]; then printf 'content\\0'; cat -- \"$f\"; fi\n");
    s
}

#[async_trait]
impl TypedModule for AuthorizedKey {
    type Params = Params;

    const SPEC: Spec = Spec::host("authorized_key").collection(Collection::Posix);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let present = p.state.unwrap_or(State::Present) == State::Present;
        let (manage_dir, follow) = (p.manage_dir.unwrap_or(true), p.follow.unwrap_or(false));
        let url = p.key.starts_with("http").then(|| {
            let mut req = Request::get(&p.key);
            req.validate_certs = p.validate_certs.unwrap_or(true);
            req
        });
        let script = look_script(&p, url.as_ref());
        let mut cmd = ctx.command(script);
        cmd.stdin = url.as_ref().map(Request::stdin);
        let out = ctx.conn.run(&cmd, None).await?;
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "authorized_key on {}: {}",
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let l = parse_look(&String::from_utf8_lossy(&out.stdout));
        let error_msg = || ModuleError::failed(format!("Error getting key from: {}", p.key));
        let mut keys = p.key.clone();
        if let (Some(req), Some((head, body))) = (&url, &l.http) {
            match http::parse(head, &req.url) {
                Ok(resp) if resp.status == Some(200) => keys = body.clone(),
                Ok(_) => return Err(error_msg()),
                Err(http::Unavailable::NoClient) => {
                    return Err(ModuleError::failed(format!(
                        "authorized_key on {}: fetching {} needs curl or wget on the host; install curl",
                        ctx.host, p.key
                    )));
                }
                Err(http::Unavailable::Refused(why)) => {
                    return Err(ModuleError::failed(format!("authorized_key: {why}")));
                }
            }
        }
        if keys.starts_with("file") {
            match &l.key_file {
                Some(Ok(text)) => keys = text.clone(),
                Some(Err(msg)) => return Err(ModuleError::failed(msg.clone())),
                None => {}
            }
        }
        // The module's `keyfile`: the user must exist unless a path is given in check mode.
        let pw: Vec<&str> = l.passwd.split(':').collect();
        // `getent` also answers a uid; `getpwnam` only a name.
        let known = pw.len() >= 7 && pw[0] == p.user;
        if !(known || ctx.check && p.path.is_some()) {
            return Err(ModuleError::failed(if ctx.check && p.path.is_none() {
                "Either user must exist or you must provide full path to key file in check mode".to_string()
            } else {
                format!(
                    "Failed to lookup user {}: \"getpwnam(): name not found: '{}'\"",
                    p.user, p.user
                )
            }));
        }
        let wanted = Wanted {
            key: &keys,
            present,
            key_options: p.key_options.as_deref(),
            comment: p.comment.as_deref(),
            exclusive: p.exclusive.unwrap_or(false),
        };
        let content = l.content.replace("\r\n", "\n").replace('\r', "\n");
        let new = enforce(&content, &wanted).map_err(ModuleError::failed)?;
        let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::from(()));
        let path_result = p.path.as_ref().map(|_| l.keyfile.clone());
        let mut outcome = Outcome::changed(new.is_some())
            .with("user", p.user.clone())
            .with("key", p.key.clone())
            .with("path", opt(&path_result))
            .with("manage_dir", manage_dir)
            .with("state", if present { "present" } else { "absent" })
            .with("key_options", opt(&p.key_options))
            .with("exclusive", p.exclusive.unwrap_or(false))
            .with("comment", opt(&p.comment))
            .with("validate_certs", p.validate_certs.unwrap_or(true))
            .with("follow", follow)
            .with("keyfile", l.keyfile.clone());
        if let Some(after) = &new {
            let filename = match (&l.real, follow) {
                (Some(real), true) => real.clone(),
                _ => l.keyfile.clone(),
            };
            if ctx.diff {
                outcome = outcome.with(
                    "diff",
                    map_value([
                        ("before_header", Value::from(l.keyfile.clone())),
                        ("after_header", Value::from(filename.clone())),
                        ("before", Value::from(content.clone())),
                        ("after", Value::from(after.clone())),
                    ]),
                );
            }
            if !ctx.check {
                let ssh_dir = parent(&l.keyfile);
                prepare(ctx, &pw, manage_dir.then_some(ssh_dir.as_str()), &filename).await?;
                files::write_atomic(
                    ctx.conn,
                    &filename,
                    after.as_bytes(),
                    &WriteOptions::default(),
                    &ctx.via,
                )
                .await?;
            }
        }
        if let (Some(path), true) = (&path_result, ctx.result_seen) {
            path_info(ctx, path, &mut outcome).await?;
        }
        Ok(outcome)
    }
}

/// `os.path.dirname`.
fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => path[..i].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

/// The module's `keyfile(write=True)`: the directory (with `manage_dir`) and the file made and
/// given to the user.
async fn prepare(
    ctx: &mut ModuleCtx<'_>,
    pw: &[&str],
    dir: Option<&str>,
    file: &str,
) -> Result<(), ModuleError> {
    let owner = format!("{}:{}", pw[2], pw[3]);
    let mut s = String::new();
    if let Some(dir) = dir {
        s.push_str(&format!(
            "d={}\nif [ ! -e \"$d\" ]; then if ! e=$(mkdir -m 0700 -- \"$d\" 2>&1); then printf 'mkdir\\0%s\\0' \"$e\"; exit 0; fi; fi\n\
             chown {o} \"$d\" && chmod 0700 \"$d\" || exit 1\n",
            quote(dir),
            o = quote(&owner)
        ));
    }
    s.push_str(&format!(
        "k={}\nif [ ! -e \"$k\" ]; then b=$(dirname -- \"$k\"); [ -e \"$b\" ] || mkdir -p -- \"$b\" || exit 1; : > \"$k\" || exit 1; fi\n\
         chown {} \"$k\" 2>/dev/null && chmod 0600 \"$k\" 2>/dev/null; exit 0",
        quote(file),
        quote(&owner)
    ));
    let out = ctx.run(s).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(why) = text.strip_prefix("mkdir\0") {
        let dir = dir.unwrap_or_default();
        return Err(ModuleError::failed(format!(
            "Failed to create directory {dir} : {}",
            os_error(why.trim_end_matches('\0'), dir)
        )));
    }
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "authorized_key: preparing {file} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_and_the_look_are_read() {
        assert_eq!(file_url_path("file:///root/k.pub"), "/root/k.pub");
        assert_eq!(file_url_path("file:/root/k.pub"), "/root/k.pub");
        let l = parse_look(
            "pw\0bob:x:1000:1000::/home/bob:/bin/sh\0keyfile\0/home/bob/.ssh/authorized_keys\0content\0ssh-rsa A\n",
        );
        assert_eq!(l.keyfile, "/home/bob/.ssh/authorized_keys");
        assert_eq!(l.content, "ssh-rsa A\n");
        assert_eq!(parent("/home/bob/.ssh/authorized_keys"), "/home/bob/.ssh");
    }
}
