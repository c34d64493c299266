//! `uri`: an HTTP request made on the target with curl (or wget, without a body), as
//! ansible-core 2.19's `uri`: `method`, `body` with `body_format` (`raw`, `json`,
//! `form-urlencoded`), `headers`, credentials (never in a process's arguments: see
//! [`super::http`]), `status_code`, `follow_redirects`, `return_content`, `dest`,
//! `creates`/`removes`. Results: `status`, `url`, `redirected`, `msg`, the response headers as
//! lowercased keys (`-` as `_`), `cookies`/`cookies_string`, `content`, `json` (for a JSON
//! content type), `elapsed`; an unexpected status fails as Ansible's ("Status code was ...").
//! Like Ansible's module it has no check mode: the task is skipped under `--check`.

use std::time::Instant;

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::http::{self, Request, Unavailable};
use crate::connection::files::{self, FileAttrs, StatOptions};
use crate::connection::quote::quote_path;
use crate::modules::files::copy::content_text;
use crate::modules::params::{ModeParam, file_fields, map_value, refuse_attributes, selinux, value_to_text};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Uri;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    url: String,
    dest: Option<String>,
    #[serde(alias = "user")]
    url_username: Option<String>,
    #[serde(alias = "password")]
    url_password: Option<String>,
    body: Option<Value>,
    body_format: Option<String>,
    src: Option<String>,
    method: Option<String>,
    return_content: Option<bool>,
    follow_redirects: Option<String>,
    creates: Option<String>,
    removes: Option<String>,
    status_code: Option<Vec<i64>>,
    timeout: Option<u64>,
    headers: Option<IndexMap<String, Value>>,
    unix_socket: Option<String>,
    remote_src: Option<bool>,
    ca_path: Option<String>,
    unredirected_headers: Option<Vec<String>>,
    decompress: Option<bool>,
    ciphers: Option<Vec<String>>,
    use_netrc: Option<bool>,
    force: Option<bool>,
    http_agent: Option<String>,
    use_proxy: Option<bool>,
    validate_certs: Option<bool>,
    force_basic_auth: Option<bool>,
    client_cert: Option<String>,
    client_key: Option<String>,
    use_gssapi: Option<bool>,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    selevel: Option<String>,
    setype: Option<String>,
    #[serde(alias = "attr")]
    attributes: Option<String>,
    unsafe_writes: Option<bool>,
}

#[async_trait]
impl TypedModule for Uri {
    type Params = Params;

    const SPEC: Spec = Spec::host("uri");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        refuse_unsupported(&p)?;
        selinux::check(
            ctx,
            "uri",
            p.dest.as_deref().unwrap_or(&p.url),
            selinux::context!(p),
        )
        .await?;
        if ctx.check {
            return Ok(Outcome {
                skipped: true,
                msg: Some("remote module (uri) does not support check mode".into()),
                ..Outcome::default()
            });
        }
        let method = p.method.as_deref().unwrap_or("GET").to_uppercase();
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ModuleError::failed(
                "Parameter 'method' needs to be a single word in uppercase, like GET or POST.",
            ));
        }
        let mut headers: Vec<(String, String)> = p
            .headers
            .as_ref()
            .map(|h| h.iter().map(|(k, v)| (k.clone(), value_to_text(v))).collect())
            .unwrap_or_default();
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let body_format = p.body_format.as_deref().unwrap_or("raw").to_lowercase();
        let body = match (body_format.as_str(), &p.body) {
            (_, None) => None,
            ("json", Some(b)) => {
                if !has_type {
                    headers.push(("Content-Type".into(), "application/json".into()));
                }
                Some(content_text(b))
            }
            ("form-urlencoded", Some(b)) => {
                if !has_type {
                    headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
                }
                Some(form_urlencoded(b))
            }
            ("raw", Some(b)) => Some(value_to_text(b)),
            ("form-multipart", Some(_)) => {
                return Err(ModuleError::Params(
                    "uri: body_format: form-multipart is not supported by playhook; send the body raw with its Content-Type".into(),
                ));
            }
            (other, Some(_)) => {
                return Err(ModuleError::Params(format!(
                    "uri: value of body_format must be one of: form-urlencoded, json, raw, form-multipart, got: {other}"
                )));
            }
        };
        let follow = match p.follow_redirects.as_deref().unwrap_or("safe") {
            "all" | "yes" | "urllib2" => true,
            "safe" => matches!(method.as_str(), "GET" | "HEAD"),
            "none" | "no" => false,
            other => {
                return Err(ModuleError::Params(format!(
                    "uri: value of follow_redirects must be one of: all, no, none, safe, urllib2, yes, got: {other}"
                )));
            }
        };
        let statuses: Vec<i64> = p.status_code.clone().unwrap_or_else(|| vec![200]);

        let mut req = Request::get(&p.url);
        req.method = method.clone();
        req.headers = headers;
        req.body = body;
        req.user = p.url_username.clone().filter(|u| !u.is_empty());
        req.password = p.url_password.clone();
        req.force_basic_auth = p.force_basic_auth.unwrap_or(false);
        req.timeout = p.timeout.unwrap_or(30);
        req.validate_certs = p.validate_certs.unwrap_or(true);
        req.use_proxy = p.use_proxy.unwrap_or(true);
        req.follow_redirects = follow;
        req.decompress = p.decompress.unwrap_or(true);
        req.use_netrc = p.use_netrc.unwrap_or(true);
        if let Some(agent) = &p.http_agent {
            req.agent = agent.clone();
        }
        req.client_cert = p.client_cert.clone();
        req.client_key = p.client_key.clone();
        req.ciphers = p.ciphers.as_ref().map(|c| c.join(":"));

        let mut pre = String::new();
        if let Some(c) = &p.creates {
            pre.push_str(&format!(
                "if [ -e {} ]; then echo __ph_creates__; exit 0; fi\n",
                quote_path(c)
            ));
        }
        if let Some(r) = &p.removes {
            pre.push_str(&format!(
                "if [ ! -e {} ]; then echo __ph_removes__; exit 0; fi\n",
                quote_path(r)
            ));
        }
        if let Some(d) = &p.dest {
            pre.push_str(&format!(
                "if [ -f {d} ]; then echo \"__ph_ims__ $(LC_ALL=C date -u -r {d} '+%a, %d %b %Y %H:%M:%S GMT')\"; fi\n\
                 if [ -d {d} ]; then echo __ph_destdir__; fi\n",
                d = quote_path(d)
            ));
        }
        // The conditional request needs the mtime first: one more round trip only with `dest`.
        if !pre.is_empty() {
            let out = ctx.run(pre.clone()).await?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if text.contains("__ph_creates__") {
                let c = p.creates.as_deref().unwrap_or_default();
                return Ok(skipped_stdout(format!("skipped, since '{c}' exists")));
            }
            if text.contains("__ph_removes__") {
                let r = p.removes.as_deref().unwrap_or_default();
                return Ok(skipped_stdout(format!("skipped, since '{r}' does not exist")));
            }
            if let Some(ims) = text.lines().find_map(|l| l.strip_prefix("__ph_ims__ ")) {
                if !p.force.unwrap_or(false) {
                    req.headers.push(("If-Modified-Since".into(), ims.to_string()));
                }
            }
        }
        let script = format!(
            "t=$(mktemp) || exit 1\necho \"__ph_temp__ $t\"\n{}\necho __ph_body__\ncat \"$t\"",
            http::lines(&req, "t")
        );
        let start = Instant::now();
        let mut cmd = ctx.command(script);
        cmd.stdin = Some(req.stdin());
        let out = ctx.conn.run(&cmd, None).await?;
        let elapsed = start.elapsed().as_secs();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let temp = text
            .lines()
            .find_map(|l| l.strip_prefix("__ph_temp__ "))
            .map(str::to_string);
        let (head, content) = text.split_once("__ph_body__\n").unwrap_or((&text, ""));
        let resp = match http::parse(head, &p.url) {
            Ok(r) => r,
            Err(why) => {
                remove(ctx, temp.as_deref()).await;
                return Err(match why {
                    Unavailable::NoClient => ModuleError::failed(
                        "uri needs curl or wget on the host and neither is installed; install curl (apt-get install curl)",
                    ),
                    Unavailable::Refused(why) => ModuleError::failed(format!("uri: {why}")),
                });
            }
        };
        let mut o = Outcome::default();
        let status: i64 = resp.status.map(i64::from).unwrap_or(-1);
        // urllib raises an HTTPError for anything but 2xx (a 304, an unfollowed redirect too).
        let http_error = resp.status.is_some() && !(200..300).contains(&status);
        let final_url = if http_error {
            p.url.clone()
        } else {
            resp.url.clone()
        };
        o.data
            .insert("redirected".into(), Value::from(final_url != p.url));
        o.data.insert("url".into(), Value::from(final_url.as_str()));
        o.data.insert("status".into(), Value::from(status));
        for (k, v) in &resp.headers {
            let key = k.replace('-', "_");
            let value = if key == "location" {
                absolute_location(&p.url, v)
            } else {
                v.clone()
            };
            o.data.insert(key, Value::from(value));
        }
        if resp.status.is_some() && !http_error {
            o.data.insert(
                "cookies_string".into(),
                Value::from(cookies_string(&resp.headers)),
            );
            o.data.insert("cookies".into(), cookies(&resp.headers));
        }
        let msg = match resp.status {
            None => format!("Request failed: {}", resp.error.clone().unwrap_or_default()),
            Some(code) if http_error => {
                format!("HTTP Error {code}: {}", resp.reason)
            }
            Some(_) => format!(
                "OK ({} bytes)",
                resp.headers
                    .get("content-length")
                    .map(String::as_str)
                    .unwrap_or("unknown")
            ),
        };
        o.data.insert("elapsed".into(), Value::from(elapsed));
        let content_type = resp.headers.get("content-type").cloned().unwrap_or_default();
        let sub = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .split_once('/')
            .map(|(_, s)| s.trim().to_lowercase())
            .unwrap_or_default();
        let sub = sub.rsplit_once('+').map(|(_, s)| s.to_string()).unwrap_or(sub);
        let maybe_json = matches!(sub.as_str(), "json" | "javascript");
        if maybe_json {
            if let Ok(js) = serde_json::from_str::<serde_json::Value>(content) {
                o.data
                    .insert("json".into(), Value::from(minijinja::value::Serde(&js)));
            }
        }
        let return_content = p.return_content.unwrap_or(false);
        let expected = statuses.contains(&status);
        if let (Some(dest), Some(t), true) = (&p.dest, &temp, resp.status.is_some()) {
            if expected && status != 304 {
                let dest = if text.contains("__ph_destdir__") || ctx_is_dir(&p) {
                    let name = resp
                        .headers
                        .get("content-disposition")
                        .and_then(|h| http::disposition_filename(h))
                        .unwrap_or_else(|| "index.html".into());
                    format!("{}/{name}", dest.trim_end_matches('/'))
                } else {
                    dest.clone()
                };
                save(ctx, &p, t, &dest, &mut o).await?;
            } else {
                o.data.insert("path".into(), Value::from(dest.as_str()));
            }
        }
        remove(ctx, temp.as_deref()).await;
        if http_error && expected && !maybe_json && !return_content {
            // Ansible leaves the error response's body in the result under `body`.
            o.data.insert("body".into(), Value::from(content));
        }
        if !expected {
            if resp.status.is_none() || http_error {
                o.data
                    .insert("exception".into(), Value::from("(traceback unavailable)"));
            }
            let codes: Vec<String> = statuses.iter().map(i64::to_string).collect();
            if return_content {
                o.data.insert("content".into(), Value::from(content));
            }
            let failure = format!("Status code was {status} and not [{}]: {msg}", codes.join(", "));
            return Err(ModuleError::failed_with(failure, o));
        }
        if return_content {
            o.data.insert("content".into(), Value::from(content));
        }
        o.msg = Some(msg);
        Ok(o)
    }
}

/// Ansible's answer when `creates` or `removes` spares the request: ok, with a `stdout`.
fn skipped_stdout(text: String) -> Outcome {
    Outcome::default()
        .with("stdout", text.as_str())
        .with("stdout_lines", vec![Value::from(text)])
}

/// The pre-request script only learns about a directory `dest` when it exists; a trailing
/// slash says so too.
fn ctx_is_dir(p: &Params) -> bool {
    p.dest.as_deref().is_some_and(|d| d.ends_with('/'))
}

fn refuse_unsupported(p: &Params) -> Result<(), ModuleError> {
    let _ = (p.unsafe_writes, p.remote_src);
    refuse_attributes("uri", p.attributes.as_deref())?;
    let refused = [
        (p.src.is_some(), "src (send the file's content as body instead)"),
        (p.unix_socket.is_some(), "unix_socket"),
        (p.ca_path.is_some(), "ca_path"),
        (p.use_gssapi == Some(true), "use_gssapi"),
        (
            p.unredirected_headers.as_ref().is_some_and(|h| !h.is_empty()),
            "unredirected_headers",
        ),
        (p.mode == Some(ModeParam::Preserve), "mode: preserve"),
    ];
    if let Some((_, name)) = refused.iter().find(|(on, _)| *on) {
        return Err(ModuleError::Params(format!(
            "uri: {name} is not supported by playhook"
        )));
    }
    if p.body.is_some() && p.src.is_some() {
        return Err(ModuleError::failed("parameters are mutually exclusive: body|src"));
    }
    Ok(())
}

async fn remove(ctx: &mut ModuleCtx<'_>, temp: Option<&str>) {
    if let Some(t) = temp {
        // Best effort: the temp file of the response body.
        let _ = ctx.run(format!("rm -f -- {}", quote_path(t))).await;
    }
}

/// Writes the response body to `dest` (only when its bytes differ) and applies the file's
/// attributes; Ansible reports `changed` whenever it writes the body.
async fn save(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    temp: &str,
    dest: &str,
    o: &mut Outcome,
) -> Result<(), ModuleError> {
    let script = format!(
        "f={}\nt={}\nif [ -f \"$f\" ] && cmp -s -- \"$t\" \"$f\"; then :; else \
         if [ -e \"$f\" ]; then chown --reference=\"$f\" \"$t\" 2>/dev/null || true; chmod --reference=\"$f\" \"$t\"; \
         else chmod \"$(printf '%o' $(( 0666 & ~0$(umask) )))\" \"$t\"; fi\n\
         cp -- \"$t\" \"$f.ph-tmp\" && mv -fT -- \"$f.ph-tmp\" \"$f\"; fi",
        quote_path(dest),
        quote_path(temp)
    );
    let (_, _, after) =
        files::stat_run_stat(ctx.conn, dest, StatOptions::default(), &script, &ctx.via).await?;
    o.changed = true;
    o.data.insert("path".into(), Value::from(dest));
    let attrs = FileAttrs {
        mode: match &p.mode {
            Some(ModeParam::Mode(m)) => Some(m.clone()),
            _ => None,
        },
        owner: p.owner.clone(),
        group: p.group.clone(),
    };
    if let Some(st) = after {
        let changes = files::attrs_differ(&st, &attrs);
        if changes.any() {
            files::apply_attrs(ctx.conn, dest, &changes.to_attrs(), false, &ctx.via).await?;
        }
        if let Some(now) = files::stat(ctx.conn, dest, StatOptions::default(), &ctx.via).await? {
            file_fields(&now, o);
        }
    }
    Ok(())
}

/// A Location header made absolute against the request URL, as Ansible's `absolute_location`.
fn absolute_location(url: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    if location.starts_with('/') {
        let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
        let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
        let base = if path.is_empty() {
            url.to_string()
        } else {
            url.replace(path, "")
        };
        return format!("{base}{location}");
    }
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{location}")
}

/// The cookies a response sets (name=value of each `Set-Cookie`).
fn cookie_pairs(headers: &IndexMap<String, String>) -> Vec<(String, String)> {
    headers
        .get("set-cookie")
        .map(|v| {
            v.split(", ")
                .filter_map(|c| c.split(';').next()?.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn cookies_string(headers: &IndexMap<String, String>) -> String {
    cookie_pairs(headers)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn cookies(headers: &IndexMap<String, String>) -> Value {
    map_value(
        cookie_pairs(headers)
            .into_iter()
            .map(|(k, v)| (k, Value::from(v))),
    )
}

/// A form body as Python's `urlencode(..., doseq=True)`: a string as it is; a mapping or a list
/// of pairs, each value (or each item of a list value) `quote_plus`-encoded.
fn form_urlencoded(body: &Value) -> String {
    if let Some(s) = body.as_str() {
        return s.to_string();
    }
    let mut pairs: Vec<(String, Value)> = Vec::new();
    if let Ok(keys) = body.try_iter() {
        if body.kind() == minijinja::value::ValueKind::Map {
            for k in keys {
                let v = body.get_item(&k).unwrap_or_default();
                pairs.push((value_to_text(&k), v));
            }
        } else {
            for item in keys {
                let k = item.get_item(&Value::from(0)).unwrap_or_default();
                let v = item.get_item(&Value::from(1)).unwrap_or_default();
                pairs.push((value_to_text(&k), v));
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (k, v) in pairs {
        let values: Vec<Value> = match v.kind() {
            minijinja::value::ValueKind::Seq => v.try_iter().map(|i| i.collect()).unwrap_or_default(),
            _ => vec![v],
        };
        for value in values.iter().filter(|v| !v.is_none()) {
            out.push(format!(
                "{}={}",
                quote_plus(&k),
                quote_plus(&value_to_text(value))
            ));
        }
    }
    out.join("&")
}

/// Python's `urllib.parse.quote_plus`.
fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_encode_as_python_does() {
        let body = Value::from(minijinja::value::Serde(
            serde_json::json!({"name": "a b&c", "tags": ["x", "y/z"]}),
        ));
        assert_eq!(form_urlencoded(&body), "name=a+b%26c&tags=x&tags=y%2Fz");
        assert_eq!(form_urlencoded(&Value::from("raw=1")), "raw=1");
    }

    #[test]
    fn locations_become_absolute() {
        assert_eq!(absolute_location("http://h:1/a/b", "/c"), "http://h:1/c");
        assert_eq!(absolute_location("http://h:1/a/b", "c"), "http://h:1/a/c");
        assert_eq!(absolute_location("http://h/a", "https://x/y"), "https://x/y");
    }
}
