//! `wait_for`: waits for a port to listen or stop, a file to appear (optionally holding a
//! pattern) or vanish, or a port's connections to drain — Ansible 2.19's parameters and
//! results (`state`, `port`, `path`, `search_regex`, `match_groups`, `match_groupdict`,
//! `elapsed`).
//!
//! The target needs nothing but `sh`, `cat` and `getent`: each poll is one round trip that
//! `cat`s `/proc/net/tcp{,6}` (or tests and reads the file); the controller parses the sockets
//! ([`super::tcp`]) and applies the pattern. A port is open when a listening socket accepts
//! connections to `host`, so `host` must be an address of the target itself (Ansible connects
//! from the target, which reaches other hosts too: those are refused with a clear message, as
//! is `search_regex` on a port, which needs a socket read).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::tcp::{self, Family};
use crate::connection::quote::quote;
use crate::modules::params::{map_value, path_info};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct WaitFor;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    host: Option<String>,
    timeout: Option<i64>,
    /// Accepted and unused: no connection is made, the sockets are read from `/proc`.
    #[allow(dead_code)]
    connect_timeout: Option<i64>,
    delay: Option<i64>,
    port: Option<i64>,
    active_connection_states: Option<Vec<String>>,
    path: Option<String>,
    search_regex: Option<String>,
    state: Option<String>,
    exclude_hosts: Option<Vec<String>>,
    sleep: Option<i64>,
    msg: Option<String>,
}

const ACTIVE_STATES: &[&str] = &[
    "ESTABLISHED",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "SYN_RECV",
    "SYN_SENT",
    "TIME_WAIT",
];

fn secs(v: Option<i64>, default: u64) -> Duration {
    Duration::from_secs(v.map(|n| n.max(0).unsigned_abs()).unwrap_or(default))
}

/// What one poll found.
enum Found {
    Done,
    NotYet,
}

#[async_trait]
impl TypedModule for WaitFor {
    type Params = Params;

    const SPEC: Spec = Spec::host("wait_for");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if ctx.check {
            // Ansible's wait_for does not support check mode: the task is skipped.
            let msg = "remote module (wait_for) does not support check mode";
            let mut outcome = Outcome::ok().with("msg", msg);
            outcome.skipped = true;
            outcome.msg = Some(msg.into());
            return Ok(outcome);
        }
        let state = p.state.clone().unwrap_or_else(|| "started".into());
        if !["absent", "drained", "present", "started", "stopped"].contains(&state.as_str()) {
            return Err(ModuleError::Params(format!(
                "value of state must be one of: absent, drained, present, started, stopped, got: {state}"
            )));
        }
        let fail0 = |msg: &str| ModuleError::failed(msg.to_string()).with("elapsed", 0);
        let port = match p.port {
            Some(n) => Some(
                u16::try_from(n).map_err(|_| ModuleError::Params(format!("port {n} is not a TCP port")))?,
            ),
            None => None,
        };
        let regex = match &p.search_regex {
            Some(r) => Some(
                fancy_regex::Regex::new(&format!("(?m){r}"))
                    .map_err(|e| ModuleError::failed(format!("Invalid regular expression: {e}")))?,
            ),
            None => None,
        };
        if port.is_some() && p.path.is_some() {
            return Err(fail0(
                "port and path parameter can not both be passed to wait_for",
            ));
        }
        if p.path.is_some() && state == "stopped" {
            return Err(fail0(
                "state=stopped should only be used for checking a port in the wait_for module",
            ));
        }
        if p.path.is_some() && state == "drained" {
            return Err(fail0(
                "state=drained should only be used for checking a port in the wait_for module",
            ));
        }
        if p.exclude_hosts.is_some() && state != "drained" {
            return Err(fail0("exclude_hosts should only be with state=drained"));
        }
        let active: Vec<&str> =
            match &p.active_connection_states {
                Some(names) => {
                    let mut ids = Vec::new();
                    for n in names {
                        ids.push(tcp::state_id(n).ok_or_else(|| {
                            fail0(&format!("unknown active_connection_state ({n}) defined"))
                        })?);
                    }
                    ids
                }
                None => ACTIVE_STATES.iter().filter_map(|n| tcp::state_id(n)).collect(),
            };
        if port.is_some() && regex.is_some() && state != "drained" {
            return Err(ModuleError::failed(format!(
                "wait_for: search_regex on a port (port {}) needs to read from a socket, which playhook does not do with sh on {}; wait for the port, then check the answer with a command",
                port.unwrap_or_default(),
                ctx.host
            )));
        }
        let host = p.host.clone().unwrap_or_else(|| "127.0.0.1".into());
        let timeout = secs(p.timeout, 300);
        let sleep = secs(p.sleep, 1);
        let start = Instant::now();
        tokio::time::sleep(secs(p.delay, 0)).await;
        let end = start + timeout;

        let mut groups: Vec<Value> = Vec::new();
        let mut groupdict: IndexMap<String, Value> = IndexMap::new();
        let poll: Option<Poll> = match (&port, &p.path) {
            (Some(port), _) => {
                let ips = resolve(ctx, &host).await?;
                let excluded = match &p.exclude_hosts {
                    Some(hosts) => {
                        let mut all = Vec::new();
                        for h in hosts {
                            all.extend(resolve(ctx, h).await?);
                        }
                        all
                    }
                    None => Vec::new(),
                };
                if state != "drained" {
                    ensure_local(ctx, &host, &ips).await?;
                }
                Some(Poll::Port {
                    port: *port,
                    ips,
                    excluded,
                    active: active.clone(),
                })
            }
            (None, Some(path)) => Some(Poll::Path(path.clone())),
            _ if state == "drained" => {
                return Err(ModuleError::Params("wait_for: state=drained needs a port".into()));
            }
            _ => None,
        };
        let Some(poll) = poll else {
            tokio::time::sleep(end.saturating_duration_since(Instant::now())).await;
            return Ok(result(&state, &p, port, start, groups, groupdict));
        };
        loop {
            if Instant::now() >= end {
                let msg = p
                    .msg
                    .clone()
                    .unwrap_or_else(|| timeout_message(&state, &p, &host, port));
                return Err(ModuleError::failed(msg).with("elapsed", start.elapsed().as_secs()));
            }
            let found = match &poll {
                Poll::Port {
                    port,
                    ips,
                    excluded,
                    active,
                } => {
                    let out = ctx
                        .run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true")
                        .await?;
                    let sockets = tcp::parse(&String::from_utf8_lossy(&out.stdout));
                    let listening = sockets.iter().any(|s| tcp::listens_for(s, *port, ips));
                    let done = match state.as_str() {
                        "started" | "present" => listening,
                        "stopped" | "absent" => !listening,
                        _ => !sockets.iter().any(|s| {
                            s.local_port == *port
                                && active.contains(&s.state.as_str())
                                && !excluded.contains(&(s.family, s.remote_ip.clone()))
                                && tcp::local_matches(s, ips)
                        }),
                    };
                    if done { Found::Done } else { Found::NotYet }
                }
                Poll::Path(path) => {
                    let q = quote(path);
                    let read = if regex.is_some() && (state == "started" || state == "present") {
                        format!("cat -- {q} 2>/dev/null")
                    } else {
                        String::new()
                    };
                    let out = ctx
                        .run(format!("if [ -e {q} ]; then echo yes; {read}; else echo no; fi"))
                        .await?;
                    let text = String::from_utf8_lossy(&out.stdout);
                    let (exists, content) = text.split_once('\n').unwrap_or((&text, ""));
                    let exists = exists == "yes";
                    match state.as_str() {
                        "absent" => {
                            if exists {
                                Found::NotYet
                            } else {
                                Found::Done
                            }
                        }
                        _ if !exists => Found::NotYet,
                        _ => match &regex {
                            None => Found::Done,
                            Some(re) => match re.captures(content) {
                                Ok(Some(caps)) => {
                                    groups = caps
                                        .iter()
                                        .skip(1)
                                        .map(|m| {
                                            m.map(|m| Value::from(m.as_str())).unwrap_or(Value::from(()))
                                        })
                                        .collect();
                                    for name in re.capture_names().flatten() {
                                        let v = caps
                                            .name(name)
                                            .map(|m| Value::from(m.as_str()))
                                            .unwrap_or(Value::from(()));
                                        groupdict.insert(name.to_string(), v);
                                    }
                                    Found::Done
                                }
                                _ => Found::NotYet,
                            },
                        },
                    }
                }
            };
            if let Found::Done = found {
                let mut outcome = result(&state, &p, port, start, groups, groupdict);
                if let (Some(path), true) = (&p.path, ctx.result_seen) {
                    path_info(ctx, path, &mut outcome).await?;
                }
                return Ok(outcome);
            }
            tokio::time::sleep(sleep.min(end.saturating_duration_since(Instant::now()))).await;
        }
    }
}

enum Poll {
    Port {
        port: u16,
        ips: Vec<(Family, String)>,
        excluded: Vec<(Family, String)>,
        active: Vec<&'static str>,
    },
    Path(String),
}

fn result(
    state: &str,
    p: &Params,
    port: Option<u16>,
    start: Instant,
    groups: Vec<Value>,
    groupdict: IndexMap<String, Value>,
) -> Outcome {
    let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::from(()));
    Outcome::ok()
        .with("state", state)
        .with("port", port.map(Value::from).unwrap_or(Value::from(())))
        .with("search_regex", opt(&p.search_regex))
        .with("match_groups", Value::from(groups))
        .with("match_groupdict", map_value(groupdict))
        .with("path", opt(&p.path))
        .with("elapsed", start.elapsed().as_secs())
}

fn timeout_message(state: &str, p: &Params, host: &str, port: Option<u16>) -> String {
    let port_text = port.map(|n| n.to_string()).unwrap_or_else(|| "None".into());
    match (state, port, &p.path, &p.search_regex) {
        ("drained", _, _, _) => format!("Timeout when waiting for {host}:{port_text} to drain"),
        ("stopped" | "absent", Some(port), _, _) => {
            format!("Timeout when waiting for {host}:{port} to stop.")
        }
        ("stopped" | "absent", None, Some(path), _) => {
            format!("Timeout when waiting for {path} to be absent.")
        }
        (_, Some(port), _, _) => format!("Timeout when waiting for {host}:{port}"),
        (_, None, Some(path), Some(re)) => format!("Timeout when waiting for search string {re} in {path}"),
        (_, None, Some(path), None) => format!("Timeout when waiting for file {path}"),
        _ => format!("Timeout when waiting for {host}"),
    }
}

/// The addresses `host` stands for on the target (`getent ahosts` for names), in
/// `/proc/net` notation.
async fn resolve(ctx: &mut ModuleCtx<'_>, host: &str) -> Result<Vec<(Family, String)>, ModuleError> {
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let out = ctx.run(format!("getent ahosts {}", quote(host))).await?;
            let mut ips: Vec<IpAddr> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().next()?.parse().ok())
                .collect();
            ips.dedup();
            if ips.is_empty() {
                return Err(ModuleError::failed(format!(
                    "wait_for: cannot resolve host `{host}` on {}",
                    ctx.host
                )));
            }
            ips
        }
    };
    Ok(addrs.into_iter().flat_map(tcp::hex_forms).collect())
}

/// Refuses a `host` that is not an address of the target: its `/proc/net/tcp` says nothing
/// about other machines' ports.
async fn ensure_local(
    ctx: &mut ModuleCtx<'_>,
    host: &str,
    ips: &[(Family, String)],
) -> Result<(), ModuleError> {
    let loopback = ips
        .iter()
        .any(|(f, ip)| (*f == Family::V4 && ip.ends_with("7F")) || ip == "00000000000000000000000001000000");
    if loopback || ips.iter().any(|(_, ip)| ip == tcp::ANY_V4 || ip == tcp::ANY_V6) {
        return Ok(());
    }
    let out = ctx
        .run("cat /proc/net/fib_trie /proc/net/if_inet6 2>/dev/null; true")
        .await?;
    let local = local_addresses(&String::from_utf8_lossy(&out.stdout));
    let mine = local
        .into_iter()
        .flat_map(tcp::hex_forms)
        .any(|form| ips.contains(&form));
    if mine {
        return Ok(());
    }
    Err(ModuleError::failed(format!(
        "wait_for: host `{host}` is not an address of {}; playhook reads ports from the target's /proc/net/tcp, so it waits only for the target's own addresses",
        ctx.host
    )))
}

/// Local addresses from `/proc/net/fib_trie` (`/32 host LOCAL` entries) and
/// `/proc/net/if_inet6`.
fn local_addresses(text: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut last: Option<IpAddr> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(ip) = t.strip_prefix("|-- ") {
            last = ip.trim().parse().ok();
        } else if t.starts_with("/32 host LOCAL") {
            out.extend(last);
        } else if let Some(hex) = t.split_whitespace().next().filter(|h| h.len() == 32) {
            let bytes: Option<Vec<u8>> = (0..16)
                .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok())
                .collect();
            if let Some(Ok(b)) = bytes.map(<[u8; 16]>::try_from) {
                out.push(IpAddr::from(b));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses_come_from_fib_trie_and_if_inet6() {
        let text = "Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.0.0.5\n        /32 host LOCAL\n     |-- 10.0.0.255\n        /32 link BROADCAST\n\
                    fe800000000000000000000000000001 02 40 20 80 eth0\n";
        let got = local_addresses(text);
        assert_eq!(
            got,
            vec![
                "10.0.0.5".parse::<IpAddr>().expect("ip"),
                "fe80::1".parse().expect("ip")
            ]
        );
    }
}
