//! `playhook agent serve`: a small HTTP server that starts a pass when a git server's webhook
//! says so, and serves the metrics.
//!
//! - `POST /trigger`: authenticated by HMAC-SHA256 (GitHub's `X-Hub-Signature-256`, Gitea's
//!   `X-Gitea-Signature`, playhook's `X-Playhook-Signature-256`) or GitLab's `X-Gitlab-Token`
//!   ([`super::serve_auth`]), rate limited ([`super::serve_limit`]), coalesced
//!   ([`super::serve_coalesce`]). The request's content is never used beyond checking its
//!   signature (and answering a GitHub `ping`): nothing in it is run, passed on or stored.
//! - `GET /metrics`: the Prometheus exposition of the agent's snapshot.
//!
//! Refusals: 401 unsigned, 403 badly signed, 405 wrong method, 404 unknown path, 413 body
//! over `max_body_bytes`, 429 over the rate limit; each is reported as a [`ServeEvent`].
//! The `serve:` section of the agent's configuration is [`ServeConfig`].

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::serve_auth::{self, Verdict};
use super::serve_coalesce::{Coalescer, Queued};
use super::serve_limit::RateLimit;
use super::{metrics, metrics_render};
use crate::secrets::SecretString;

/// `serve:` in `/etc/playhook/agent.yaml`.
///
/// ```yaml
/// serve:
///   listen: 0.0.0.0:9222
///   secret_file: /etc/playhook/trigger.key
///   max_body_bytes: 1048576
///   burst: 5
///   refill_secs: 10
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The address to listen on (`--listen` overrides it).
    #[serde(default)]
    pub listen: Option<String>,
    /// A root-only file holding the shared secret the git server signs with (or, for GitLab,
    /// sends as its token). Surrounding whitespace is ignored.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// A request with a larger body is refused with 413.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Triggers accepted in a row before 429.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// One more trigger is accepted every this many seconds.
    #[serde(default = "default_refill_secs")]
    pub refill_secs: u64,
    /// The command a trigger runs, as arguments (no shell). By default a trigger asks for a
    /// pass (`agent::trigger::request`) and starts `playhook-agent.service` (without systemd:
    /// runs `playhook agent run`).
    #[serde(default)]
    pub command: Option<Vec<String>>,
}

fn default_max_body_bytes() -> usize {
    1 << 20
}
fn default_burst() -> u32 {
    5
}
fn default_refill_secs() -> u64 {
    10
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: None,
            secret_file: None,
            max_body_bytes: default_max_body_bytes(),
            burst: default_burst(),
            refill_secs: default_refill_secs(),
            command: None,
        }
    }
}

/// Why the server would not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "serve: no secret to check triggers with: set `serve.secret_file` or pass --secret-file \
         (or, on a loopback address only, --insecure-no-secret)"
    )]
    NoSecret,
    #[error(
        "serve: --insecure-no-secret is for loopback addresses only, and {addr} is not one: \
         set a secret to listen there"
    )]
    NotLoopback { addr: SocketAddr },
    #[error("serve: `{key}` must be at least 1")]
    Zero { key: &'static str },
    #[error("serve: `command` must name a program")]
    EmptyCommand,
    #[error("serve: cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
}

/// What the server saw and did; the caller logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServeEvent {
    Listening(SocketAddr),
    /// A request refused with `status`, and why.
    Refused {
        peer: String,
        method: String,
        path: String,
        status: u16,
        reason: String,
    },
    /// A trigger accepted: authenticated by `header`, and what it did.
    Triggered {
        peer: String,
        header: Option<&'static str>,
        queued: Queued,
    },
    /// A GitHub `ping` answered.
    Ping {
        peer: String,
    },
    /// The metrics could not be read.
    MetricsFailed {
        reason: String,
    },
}

/// The server's settings, checked.
pub struct Options {
    pub addr: SocketAddr,
    /// `None` only on loopback with the explicit flag ([`check_exposure`]).
    pub secret: Option<SecretString>,
    pub max_body_bytes: usize,
    pub burst: u32,
    pub refill: Duration,
    /// Where the metrics snapshot lives ([`metrics::load`]).
    pub state_dir: PathBuf,
}

/// Refuses to listen without a secret, except on a loopback address when `insecure_no_secret`
/// says so explicitly.
pub fn check_exposure(
    addr: SocketAddr,
    has_secret: bool,
    insecure_no_secret: bool,
) -> Result<(), ServeError> {
    match (has_secret, insecure_no_secret) {
        (true, _) => Ok(()),
        (false, false) => Err(ServeError::NoSecret),
        (false, true) if addr.ip().is_loopback() => Ok(()),
        (false, true) => Err(ServeError::NotLoopback { addr }),
    }
}

impl ServeConfig {
    pub fn validate(&self) -> Result<(), ServeError> {
        if self.max_body_bytes == 0 {
            return Err(ServeError::Zero {
                key: "max_body_bytes",
            });
        }
        if self.burst == 0 {
            return Err(ServeError::Zero { key: "burst" });
        }
        if self.command.as_ref().is_some_and(|c| c.is_empty()) {
            return Err(ServeError::EmptyCommand);
        }
        Ok(())
    }
}

/// A response: status, extra headers, body.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    content_type: &'static str,
}

impl Answer {
    fn text(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
            content_type: "text/plain; charset=utf-8",
        }
    }
}

struct Shared {
    options: Options,
    limit: Mutex<RateLimit>,
    runner: Arc<Coalescer>,
    events: Box<dyn Fn(ServeEvent) + Send + Sync>,
}

/// Serves until the process ends. `run` is one pass; `events` hears about every refusal and
/// trigger. Requests are answered by a few threads, each body read at most up to the limit.
pub fn serve(
    options: Options,
    run: impl Fn() + Send + Sync + 'static,
    events: impl Fn(ServeEvent) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    let addr = options.addr;
    let server = tiny_http::Server::http(addr).map_err(|e| ServeError::Bind {
        addr,
        reason: e.to_string(),
    })?;
    let bound = server.server_addr().to_ip().unwrap_or(addr);
    let shared = Arc::new(Shared {
        limit: Mutex::new(RateLimit::new(options.burst, options.refill, Instant::now())),
        options,
        runner: Coalescer::new(run),
        events: Box::new(events),
    });
    (shared.events)(ServeEvent::Listening(bound));
    let server = Arc::new(server);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (server, shared) = (Arc::clone(&server), Arc::clone(&shared));
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&shared, request);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let peer = request
        .remote_addr()
        .map_or_else(|| "?".to_string(), ToString::to_string);
    let method = request.method().as_str().to_string();
    let path = request.url().split('?').next().unwrap_or_default().to_string();
    let answer = route(shared, &mut request, &peer, &method, &path);
    if answer.status >= 400 {
        (shared.events)(ServeEvent::Refused {
            peer,
            method,
            path,
            status: answer.status,
            reason: answer.body.trim().to_string(),
        });
    }
    let mut response = tiny_http::Response::from_string(answer.body).with_status_code(answer.status);
    let content_type = ("Content-Type", answer.content_type.to_string());
    for (name, value) in answer.headers.into_iter().chain([content_type]) {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    // A client gone before its answer is nobody's concern.
    let _ = request.respond(response);
}

fn route(shared: &Shared, request: &mut tiny_http::Request, peer: &str, method: &str, path: &str) -> Answer {
    match (method, path) {
        ("POST", "/trigger") => trigger(shared, request, peer),
        (_, "/trigger") => not_allowed("POST"),
        ("GET" | "HEAD", "/metrics") => match metrics::load(&shared.options.state_dir) {
            Ok(snapshot) => Answer {
                status: 200,
                headers: Vec::new(),
                body: metrics_render::render(snapshot.as_ref()),
                content_type: metrics_render::CONTENT_TYPE,
            },
            Err(e) => {
                (shared.events)(ServeEvent::MetricsFailed {
                    reason: crate::error_chain::report(&e),
                });
                Answer::text(500, "the metrics could not be read\n")
            }
        },
        (_, "/metrics") => not_allowed("GET"),
        _ => Answer::text(404, "not found: POST /trigger or GET /metrics\n"),
    }
}

fn not_allowed(allow: &str) -> Answer {
    let mut a = Answer::text(405, format!("method not allowed: use {allow}\n"));
    a.headers.push(("Allow", allow.to_string()));
    a
}

fn header<'r>(request: &'r tiny_http::Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn trigger(shared: &Shared, request: &mut tiny_http::Request, peer: &str) -> Answer {
    let max = shared.options.max_body_bytes;
    let too_large = || {
        let mut a = Answer::text(413, format!("request body over {max} bytes\n"));
        a.headers.push(("Connection", "close".into()));
        a
    };
    if request.body_length().is_some_and(|n| n > max) {
        return too_large();
    }
    let secret = shared.options.secret.as_ref();
    let authenticating = serve_auth::Scheme::ALL
        .iter()
        .any(|s| header(request, s.header()).is_some());
    if secret.is_some() && !authenticating {
        return Answer::text(
            401,
            "unsigned: send X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or X-Playhook-Signature-256\n",
        );
    }
    let mut body = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if request.as_reader().take(limit).read_to_end(&mut body).is_err() {
        return Answer::text(400, "the request body could not be read\n");
    }
    if body.len() > max {
        return too_large();
    }
    let scheme = match secret {
        None => None,
        Some(secret) => match serve_auth::verify(secret.expose().as_bytes(), &body, |n| header(request, n)) {
            Verdict::Valid(s) => Some(s),
            Verdict::Unsigned => return Answer::text(401, "unsigned\n"),
            Verdict::Invalid(s) => {
                return Answer::text(403, format!("bad {} for this secret\n", s.header()));
            }
        },
    };
    if header(request, "X-GitHub-Event") == Some("ping") {
        (shared.events)(ServeEvent::Ping {
            peer: peer.to_string(),
        });
        return Answer::text(200, "pong\n");
    }
    let allowed = shared
        .limit
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take(Instant::now());
    if let Err(wait) = allowed {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut a = Answer::text(429, format!("too many triggers: retry in {secs}s\n"));
        a.headers.push(("Retry-After", secs.to_string()));
        return a;
    }
    let queued = shared.runner.trigger();
    (shared.events)(ServeEvent::Triggered {
        peer: peer.to_string(),
        header: scheme.map(serve_auth::Scheme::header),
        queued,
    });
    Answer {
        status: 202,
        headers: Vec::new(),
        body: format!("{{\"pass\":\"{}\"}}\n", queued.as_str()),
        content_type: "application/json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secret_only_on_loopback_and_only_when_asked() {
        let lo: SocketAddr = "127.0.0.1:9222".parse().expect("addr");
        let lo6: SocketAddr = "[::1]:9222".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:9222".parse().expect("addr");
        assert!(check_exposure(any, true, false).is_ok());
        assert!(matches!(
            check_exposure(lo, false, false),
            Err(ServeError::NoSecret)
        ));
        assert!(check_exposure(lo, false, true).is_ok());
        assert!(check_exposure(lo6, false, true).is_ok());
        assert!(matches!(
            check_exposure(any, false, true),
            Err(ServeError::NotLoopback { .. })
        ));
    }

    #[test]
    fn config_defaults_and_checks() {
        let c: ServeConfig = serde_yaml_ng::from_str("listen: 127.0.0.1:1").expect("parses");
        assert_eq!((c.max_body_bytes, c.burst, c.refill_secs), (1 << 20, 5, 10));
        assert!(c.validate().is_ok());
        assert!(serde_yaml_ng::from_str::<ServeConfig>("secret: x").is_err());
        let c: ServeConfig = serde_yaml_ng::from_str("command: []").expect("parses");
        assert!(matches!(c.validate(), Err(ServeError::EmptyCommand)));
    }
}
