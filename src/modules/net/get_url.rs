//! `get_url`: downloads a URL on the target with `curl` or `wget` (whichever it has), as
//! ansible-core 2.19 does it: `dest` a file or a directory (then named by Content-Disposition or
//! the URL), `checksum` (`ALGO:HEX` or `ALGO:URL` of a checksum file), `force`, headers,
//! credentials (never in a process's arguments: see [`super::http`]), `tmp_dest`, `backup` and
//! the file's mode, owner and group.
//!
//! When `dest` exists and `force` is off, a matching checksum skips the download (one round
//! trip); without a checksum the request carries `If-Modified-Since` (the file's mtime) and a
//! 304 leaves it alone. A download lands in a private temp file beside `dest` (or in
//! `tmp_dest`), is verified against the checksum and renamed over `dest` only when its bytes
//! differ. `--check` sends `HEAD` instead of `GET`, as Ansible does, and writes nothing.

use std::time::Instant;

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::http::{self, Request, Response, Unavailable};
use crate::connection::files::{self, FileAttrs, FileStat, StatOptions};
use crate::connection::quote::quote_path;
use crate::modules::files::dest::parent_dir;
use crate::modules::params::{ModeParam, file_fields, refuse_attributes, selinux, value_to_text};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct GetUrl;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    url: String,
    dest: String,
    backup: Option<bool>,
    checksum: Option<String>,
    timeout: Option<u64>,
    headers: Option<IndexMap<String, Value>>,
    tmp_dest: Option<String>,
    unredirected_headers: Option<Vec<String>>,
    decompress: Option<bool>,
    ciphers: Option<Vec<String>>,
    use_netrc: Option<bool>,
    #[serde(alias = "thirsty")]
    force: Option<bool>,
    http_agent: Option<String>,
    use_proxy: Option<bool>,
    validate_certs: Option<bool>,
    #[serde(alias = "username")]
    url_username: Option<String>,
    #[serde(alias = "password")]
    url_password: Option<String>,
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

/// The hash algorithms a checksum may name, with the coreutils program computing each.
const ALGORITHMS: &[(&str, &str)] = &[
    ("md5", "md5sum"),
    ("sha1", "sha1sum"),
    ("sha224", "sha224sum"),
    ("sha256", "sha256sum"),
    ("sha384", "sha384sum"),
    ("sha512", "sha512sum"),
    ("blake2b", "b2sum"),
];

/// What Ansible 2.19 registers as `exception` for a failure raised while handling an HTTP
/// error (its traceback is shown only with -vvv).
const NO_TRACEBACK: &str = "(traceback unavailable)";

/// The sha1 of nothing: what Ansible's `HEAD` request in check mode leaves to checksum.
const EMPTY_SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

#[async_trait]
impl TypedModule for GetUrl {
    type Params = Params;

    const SPEC: Spec = Spec::host("get_url");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        refuse_unsupported(&p)?;
        selinux::check(ctx, "get_url", &p.dest, selinux::context!(p)).await?;
        let mut result = Outcome::default();
        for (k, v) in [
            ("checksum_dest", Value::from(())),
            ("checksum_src", Value::from(())),
            ("dest", Value::from(p.dest.as_str())),
            ("elapsed", Value::from(0)),
            ("url", Value::from(p.url.as_str())),
        ] {
            result.data.insert(k.into(), v);
        }
        let request = request(&p)?;
        let mut force = p.force.unwrap_or(false);

        // The expected digest, read from a checksum file first when it is a URL.
        let expected = match p.checksum.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(spec) => {
                let Some((algorithm, value)) = spec.split_once(':') else {
                    return Err(failed_with(
                        "The checksum parameter has to be in format <algorithm>:<checksum>",
                        result,
                    ));
                };
                let tool = ALGORITHMS
                    .iter()
                    .find(|(name, _)| *name == algorithm.to_ascii_lowercase())
                    .map(|(_, tool)| *tool)
                    .ok_or_else(|| {
                        ModuleError::Params(format!(
                            "get_url: checksum algorithm `{algorithm}` is not supported by playhook; use one of {}",
                            ALGORITHMS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        ))
                    })?;
                let value = if is_url(value) {
                    checksum_from_file(ctx, &request, value, &p).await?
                } else {
                    value.to_string()
                };
                let value: String = value
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .to_lowercase();
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(failed_with("The checksum format is invalid", result));
                }
                Some((tool, value))
            }
        };

        // One round trip: the destination (its digest when a checksum may spare the download),
        // its mtime for If-Modified-Since.
        let opts = StatOptions {
            follow: true,
            checksum: expected.is_some() && !force,
            checksum_tool: expected
                .as_ref()
                .map(|(tool, _)| *tool)
                .filter(|t| *t != "sha1sum"),
        };
        let probe = format!(
            "if [ -f {d} ]; then LC_ALL=C date -u -r {d} '+%a, %d %b %Y %H:%M:%S GMT'; fi",
            d = quote_path(&p.dest)
        );
        let (st, mtime) = files::stat_and_run(ctx.conn, &p.dest, opts, &probe, &ctx.via).await?;
        let dest_is_dir = st.as_ref().is_some_and(FileStat::is_dir);
        let mut last_modified = None;
        if let Some(existing) = st.as_ref().filter(|_| !dest_is_dir) {
            let mismatch = match &expected {
                Some((_, want)) if !force => existing.checksum.as_deref() != Some(want.as_str()),
                _ => false,
            };
            if !force && expected.is_some() && !mismatch {
                return already_there(ctx, &p, existing.clone(), result).await;
            }
            last_modified = Some(mtime.trim().to_string()).filter(|m| !m.is_empty());
            if mismatch {
                force = true;
            }
        }

        // The request, its body in a private temp file beside dest (or in tmp_dest).
        let mut req = request.clone();
        if ctx.check {
            req.method = "HEAD".into();
        }
        if let (Some(date), false) = (&last_modified, force) {
            req.headers.push(("If-Modified-Since".into(), date.clone()));
        }
        let temp_dir = match (&p.tmp_dest, ctx.check) {
            (Some(t), _) => quote_path(t),
            (None, true) => "\"${TMPDIR:-/tmp}\"".to_string(),
            (None, false) if dest_is_dir => quote_path(&p.dest),
            (None, false) => quote_path(&parent_dir(&p.dest)),
        };
        let tmp_check = match &p.tmp_dest {
            Some(t) => format!(
                "if [ ! -d {t} ]; then if [ -e {t} ]; then echo '__ph_tmp__ {m1}'; \
                 else echo '__ph_tmp__ {m2}'; fi; exit 0; fi\n",
                t = quote_path(t),
                m1 = format!("{t} is a file but should be a directory.").replace('\'', ""),
                m2 = format!("{t} directory does not exist.").replace('\'', ""),
            ),
            None => String::new(),
        };
        let script = format!(
            "{tmp_check}t=$(mktemp {temp_dir}/.get_url.XXXXXXXX) || exit 1\necho \"__ph_temp__ $t\"\n{}",
            http::lines(&req, "t")
        );
        let start = Instant::now();
        let mut cmd = ctx.command(script);
        cmd.stdin = Some(req.stdin());
        let out = ctx.conn.run(&cmd, None).await?;
        let elapsed = start.elapsed().as_secs();
        result.data.insert("elapsed".into(), Value::from(elapsed));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(msg) = text.lines().find_map(|l| l.strip_prefix("__ph_tmp__ ")) {
            return Err(ModuleError::failed(msg.to_string()).with("elapsed", elapsed));
        }
        let Some(temp) = text
            .lines()
            .find_map(|l| l.strip_prefix("__ph_temp__ "))
            .map(str::to_string)
        else {
            return Err(ModuleError::failed(format!(
                "cannot create a temp file in {temp_dir} on the host: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        };
        let resp = match http::parse(&text, &req.url) {
            Ok(r) => r,
            Err(why) => {
                remove_temp(ctx, &temp).await;
                return Err(unavailable(why));
            }
        };
        if let Some(failure) = response_failure(&resp, &p, elapsed) {
            remove_temp(ctx, &temp).await;
            if resp.status == Some(304) {
                let mut o = Outcome::default()
                    .with("url", p.url.as_str())
                    .with("dest", p.dest.as_str())
                    .with("status_code", 304)
                    .with("elapsed", elapsed);
                o.msg = Some(format!("HTTP Error 304: {}", resp.reason));
                if let Some(existing) = &st {
                    file_fields(existing, &mut o);
                }
                return Ok(o);
            }
            return Err(failure);
        }
        result.data.insert("src".into(), Value::from(temp.as_str()));
        let dest = if dest_is_dir {
            let name = resp
                .headers
                .get("content-disposition")
                .and_then(|h| http::disposition_filename(h))
                .unwrap_or_else(|| http::url_filename(&resp.url));
            let d = format!("{}/{name}", p.dest.trim_end_matches('/'));
            result.data.insert("dest".into(), Value::from(d.as_str()));
            d
        } else {
            p.dest.clone()
        };
        let msg = format!(
            "OK ({} bytes)",
            resp.headers
                .get("content-length")
                .map(String::as_str)
                .unwrap_or("unknown")
        );
        finish(ctx, &p, &dest, &temp, expected, &resp, msg, result).await
    }
}

/// Parameters playhook cannot honour are refused, not ignored.
fn refuse_unsupported(p: &Params) -> Result<(), ModuleError> {
    let _ = p.unsafe_writes;
    refuse_attributes("get_url", p.attributes.as_deref())?;
    if p.unredirected_headers.as_ref().is_some_and(|h| !h.is_empty()) {
        return Err(ModuleError::Params(
            "get_url: unredirected_headers is not supported by playhook (curl and wget send the headers to redirects too); drop it or fetch the final URL".into(),
        ));
    }
    if p.use_gssapi == Some(true) {
        return Err(ModuleError::Params(
            "get_url: use_gssapi is not supported by playhook".into(),
        ));
    }
    if p.mode == Some(ModeParam::Preserve) {
        return Err(ModuleError::Params(
            "get_url: mode: preserve has no source file to preserve a mode from; give a mode".into(),
        ));
    }
    Ok(())
}

/// The request the parameters describe.
fn request(p: &Params) -> Result<Request, ModuleError> {
    let mut req = Request::get(&p.url);
    if let Some(headers) = &p.headers {
        req.headers = headers
            .iter()
            .map(|(k, v)| (k.clone(), value_to_text(v)))
            .collect();
    }
    req.user = p.url_username.clone().filter(|u| !u.is_empty());
    req.password = p.url_password.clone();
    req.force_basic_auth = p.force_basic_auth.unwrap_or(false);
    req.timeout = p.timeout.unwrap_or(10);
    req.validate_certs = p.validate_certs.unwrap_or(true);
    req.use_proxy = p.use_proxy.unwrap_or(true);
    req.decompress = p.decompress.unwrap_or(true);
    req.use_netrc = p.use_netrc.unwrap_or(true);
    if let Some(agent) = &p.http_agent {
        req.agent = agent.clone();
    }
    req.client_cert = p.client_cert.clone();
    req.client_key = p.client_key.clone();
    req.ciphers = p.ciphers.as_ref().map(|c| c.join(":"));
    Ok(req)
}

fn is_url(s: &str) -> bool {
    ["http://", "https://", "ftp://", "file:/"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// A failure registering the result so far.
fn failed_with(msg: &str, result: Outcome) -> ModuleError {
    ModuleError::failed_with(msg, result)
}

fn unavailable(why: Unavailable) -> ModuleError {
    match why {
        Unavailable::NoClient => ModuleError::failed(
            "get_url needs curl or wget on the host and neither is installed; install curl (apt-get install curl)",
        ),
        Unavailable::Refused(why) => ModuleError::failed(format!("get_url: {why}")),
    }
}

/// Ansible's failure for a response that is not a 200 (a 304 is handled by the caller).
fn response_failure(resp: &Response, p: &Params, elapsed: u64) -> Option<ModuleError> {
    match resp.status {
        Some(200) => None,
        None => Some(
            ModuleError::failed(format!(
                "Request failed: {}",
                resp.error.as_deref().unwrap_or("no response")
            ))
            .with("url", p.url.as_str())
            .with("dest", p.dest.as_str())
            .with("elapsed", elapsed)
            .with("exception", NO_TRACEBACK),
        ),
        Some(_) if p.url.starts_with("file:/") => None,
        Some(code) => Some(
            ModuleError::failed("Request failed")
                .with("status_code", code)
                .with("response", format!("HTTP Error {code}: {}", resp.reason))
                .with("url", p.url.as_str())
                .with("dest", p.dest.as_str())
                .with("elapsed", elapsed)
                .with("exception", NO_TRACEBACK),
        ),
    }
}

async fn remove_temp(ctx: &mut ModuleCtx<'_>, temp: &str) {
    // Best effort: the download already failed, and that failure is the one to report.
    let _ = ctx.run(format!("rm -f -- {}", quote_path(temp))).await;
}

/// Downloads the checksum file at `url` and finds the line for the downloaded file's name.
async fn checksum_from_file(
    ctx: &mut ModuleCtx<'_>,
    base: &Request,
    url: &str,
    p: &Params,
) -> Result<String, ModuleError> {
    let mut req = base.clone();
    req.url = url.to_string();
    let script = format!(
        "t=$(mktemp) || exit 1\n{}\necho __ph_body__\ncat \"$t\"; rm -f \"$t\"",
        http::lines(&req, "t")
    );
    let mut cmd = ctx.command(script);
    cmd.stdin = Some(req.stdin());
    let out = ctx.conn.run(&cmd, None).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("__ph_body__\n").unwrap_or((&text, ""));
    let resp = http::parse(head, url).map_err(unavailable)?;
    if let Some(failure) = response_failure(&resp, p, 0) {
        return Err(failure.with("url", url));
    }
    let filename = http::url_filename(&p.url);
    let lines: Vec<&str> = body.lines().collect();
    let mut map: Vec<(String, String)> = Vec::new();
    if lines.len() == 1 && lines[0].split_whitespace().count() == 1 {
        map.push((lines[0].to_string(), filename.clone()));
    } else {
        for line in &lines {
            if let Some((sum, name)) = line.split_once(' ') {
                let name = name.strip_prefix([' ', '*']).unwrap_or(name);
                map.push((sum.to_string(), name.trim_start_matches(['.', '/']).to_string()));
            }
        }
    }
    map.into_iter()
        .find(|(_, name)| *name == filename)
        .map(|(sum, _)| sum)
        .ok_or_else(|| {
            ModuleError::failed(format!(
                "Unable to find a checksum for file '{filename}' in '{url}'"
            ))
        })
}

fn attrs(p: &Params) -> FileAttrs {
    FileAttrs {
        mode: match &p.mode {
            Some(ModeParam::Mode(m)) => Some(m.clone()),
            _ => None,
        },
        owner: p.owner.clone(),
        group: p.group.clone(),
    }
}

/// `dest` is there with the right checksum: only its attributes may change.
async fn already_there(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    existing: FileStat,
    mut result: Outcome,
) -> Result<Outcome, ModuleError> {
    let changed = set_attrs(ctx, p, &p.dest, &existing, &mut result).await?;
    result.changed = changed;
    result.msg = Some(
        if changed {
            "file already exists but file attributes changed"
        } else {
            "file already exists"
        }
        .into(),
    );
    Ok(result)
}

/// Applies mode, owner and group where they differ (not in check mode); records the file's
/// fields as they end. Returns whether anything differed.
async fn set_attrs(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    path: &str,
    st: &FileStat,
    result: &mut Outcome,
) -> Result<bool, ModuleError> {
    let changes = files::attrs_differ(st, &attrs(p));
    file_fields(st, result);
    if !changes.any() {
        return Ok(false);
    }
    if !ctx.check {
        files::apply_attrs(ctx.conn, path, &changes.to_attrs(), false, &ctx.via).await?;
        // The numeric ids and names as they are now.
        if let Some(now) = files::stat(ctx.conn, path, StatOptions::default(), &ctx.via).await? {
            file_fields(&now, result);
        }
    }
    Ok(true)
}

/// The download is in `temp`: compare it with `dest`, verify the checksum, move it into place
/// (keeping an existing file's owner, group and mode, a new one `0666 & ~umask`), in one
/// round trip; then the attributes.
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    dest: &str,
    temp: &str,
    expected: Option<(&'static str, String)>,
    resp: &Response,
    msg: String,
    mut result: Outcome,
) -> Result<Outcome, ModuleError> {
    let _ = resp;
    let verify = match &expected {
        Some((tool, want)) => format!(
            "s=$({tool} < \"$t\" | cut -d' ' -f1)\n\
             if [ \"$s\" != {want} ]; then echo \"__ph_mismatch__ $s\"; exit 0; fi\n"
        ),
        None => String::new(),
    };
    let backup = if p.backup.unwrap_or(false) {
        "if [ -f \"$f\" ]; then b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$f\" \"$b\"; \
         echo \"__ph_backup__ $b\"; fi\n"
    } else {
        ""
    };
    let body = if ctx.check {
        "exit 0\n".to_string()
    } else {
        format!(
            "{verify}if [ -f \"$f\" ] && cmp -s -- \"$t\" \"$f\"; then echo __ph_same__; else\n\
             if [ -e \"$f\" ]; then chown --reference=\"$f\" \"$t\" 2>/dev/null || true; chmod --reference=\"$f\" \"$t\"; \
             else chmod \"$(printf '%o' $(( 0666 & ~0$(umask) )))\" \"$t\"; fi\n\
             {backup}mv -fT -- \"$t\" \"$f\" || exit 1\necho __ph_moved__\nfi\n\
             echo \"__ph_md5__ $(md5sum < \"$f\" | cut -d' ' -f1)\"\n"
        )
    };
    let more = format!(
        "f={}\nt={}\ntrap 'rm -f \"$t\"' EXIT\n\
         echo \"__ph_src__ $(sha1sum < \"$t\" | cut -d' ' -f1)\"\n\
         [ -d {} ] || {{ echo __ph_noparent__; exit 0; }}\n{body}",
        quote_path(dest),
        quote_path(temp),
        quote_path(&parent_dir(dest)),
    );
    let opts = StatOptions {
        follow: true,
        checksum: true,
        checksum_tool: None,
    };
    let (before, text, after) = files::stat_run_stat(ctx.conn, dest, opts, &more, &ctx.via).await?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let checksum_src = if ctx.check {
        EMPTY_SHA1.to_string()
    } else {
        field("__ph_src__ ").unwrap_or_default()
    };
    result
        .data
        .insert("checksum_src".into(), Value::from(checksum_src.as_str()));
    let checksum_dest = before.as_ref().and_then(|b| b.checksum.clone());
    if let Some(sum) = &checksum_dest {
        result
            .data
            .insert("checksum_dest".into(), Value::from(sum.as_str()));
    }
    if text.contains("__ph_noparent__") {
        return Err(failed_with(
            &format!("Destination {} does not exist", parent_dir(dest)),
            result,
        ));
    }
    if ctx.check {
        result.changed = checksum_dest.as_deref() != Some(checksum_src.as_str());
        if let Some(st) = &after {
            file_fields(st, &mut result);
        }
        result.msg = Some(msg);
        return Ok(result);
    }
    if let Some(got) = field("__ph_mismatch__ ") {
        let want = expected.map(|(_, w)| w).unwrap_or_default();
        if let Some(st) = &after {
            file_fields(st, &mut result);
        }
        return Err(failed_with(
            &format!("The checksum for {temp} did not match {want}; it was {got}."),
            result,
        ));
    }
    let mut changed = text.contains("__ph_moved__");
    if let Some(b) = field("__ph_backup__ ") {
        result.data.insert("backup_file".into(), Value::from(b));
    }
    let Some(st) = after else {
        return Err(failed_with(
            &format!("{dest} is missing after the download"),
            result,
        ));
    };
    changed |= set_attrs(ctx, p, dest, &st, &mut result).await?;
    result.changed = changed;
    let md5 = field("__ph_md5__ ").unwrap_or_default();
    result.data.insert("md5sum".into(), Value::from(md5));
    result
        .data
        .insert("status_code".into(), Value::from(resp.status.unwrap_or(200)));
    result.msg = Some(msg);
    Ok(result)
}
