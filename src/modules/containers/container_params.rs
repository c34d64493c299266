//! `docker_container`'s parameters, as community.docker declares them (the options playhook
//! supports; any other is refused before the run), and their preprocessing into the values the
//! collection compares: the environment (`env_file` then `env`), published ports as port
//! bindings, volumes as binds, the healthcheck in nanoseconds.

use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::modules::ModuleError;
use crate::modules::params::value_to_text;

/// `state:`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Absent,
    Present,
    #[default]
    Started,
    Stopped,
    Healthy,
}

/// One entry of `networks:`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkParam {
    pub name: String,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    pub mac_address: Option<String>,
}

impl NetworkParam {
    /// The entry as the collection shows it in a diff.
    pub fn to_json(&self) -> Json {
        json!({
            "name": self.name,
            "ipv4_address": self.ipv4_address,
            "ipv6_address": self.ipv6_address,
            "aliases": self.aliases,
            "links": self.links,
            "mac_address": self.mac_address,
        })
    }
}

/// `healthcheck:`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthParam {
    pub test: Option<Value>,
    pub test_cli_compatible: Option<bool>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub retries: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub name: String,
    pub image: Option<String>,
    #[serde(default)]
    pub state: State,
    pub recreate: Option<bool>,
    pub restart: Option<bool>,
    pub pull: Option<Value>,
    pub pull_check_mode_behavior: Option<String>,
    pub restart_policy: Option<String>,
    pub restart_retries: Option<i64>,
    pub env: Option<IndexMap<String, Value>>,
    pub env_file: Option<String>,
    pub network_mode: Option<String>,
    pub networks: Option<Vec<NetworkParam>>,
    pub networks_cli_compatible: Option<bool>,
    #[serde(alias = "ports")]
    pub published_ports: Option<Vec<String>>,
    #[serde(alias = "exposed", alias = "expose")]
    pub exposed_ports: Option<Vec<String>>,
    pub publish_all_ports: Option<bool>,
    pub default_host_ip: Option<String>,
    pub volumes: Option<Vec<String>>,
    pub keep_volumes: Option<bool>,
    pub labels: Option<IndexMap<String, Value>>,
    pub command: Option<Value>,
    pub command_handling: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub healthcheck: Option<HealthParam>,
    pub healthy_wait_timeout: Option<f64>,
    pub log_driver: Option<String>,
    #[serde(alias = "log_opt")]
    pub log_options: Option<IndexMap<String, Value>>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub etc_hosts: Option<IndexMap<String, Value>>,
    pub comparisons: Option<IndexMap<String, String>>,
    pub detach: Option<bool>,
    pub interactive: Option<bool>,
    pub tty: Option<bool>,
    pub privileged: Option<bool>,
    pub init: Option<bool>,
    pub read_only: Option<bool>,
    pub cleanup: Option<bool>,
    pub output_logs: Option<bool>,
    pub stop_timeout: Option<i64>,
    #[serde(alias = "forcekill")]
    pub force_kill: Option<bool>,
    pub kill_signal: Option<String>,
    pub image_comparison: Option<String>,
    pub image_name_mismatch: Option<String>,
    pub image_label_mismatch: Option<String>,
    pub container_default_behavior: Option<String>,
    pub removal_wait_timeout: Option<f64>,
    #[serde(alias = "docker_url")]
    pub docker_host: Option<String>,
}

/// `pull:` after the collection's mapping (`true` = always, `false` = missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    Never,
    Missing,
    Always,
}

impl Params {
    /// `pull`, checked against the collection's choices.
    pub fn pull(&self) -> Result<Pull, ModuleError> {
        let Some(v) = &self.pull else {
            return Ok(Pull::Missing);
        };
        let text = crate::modules::params::value_to_text(v);
        match text.as_str() {
            "never" => Ok(Pull::Never),
            "missing" => Ok(Pull::Missing),
            "always" => Ok(Pull::Always),
            other => match crate::truthy::boolean(v).filter(|_| v.as_str().is_none()) {
                Some(true) => Ok(Pull::Always),
                Some(false) => Ok(Pull::Missing),
                None => Err(ModuleError::Params(format!(
                    "docker_container: value of pull must be one of: never, missing, always, True, False, got: {other}"
                ))),
            },
        }
    }

    /// `command` as a list (a string is split as a shell splits it, `command_handling: correct`).
    pub fn command_list(&self) -> Result<Option<Vec<String>>, ModuleError> {
        let Some(cmd) = &self.command else {
            return Ok(None);
        };
        if cmd.is_none() || cmd.is_undefined() {
            return Ok(None);
        }
        if let Some(text) = cmd.as_str() {
            return shlex_split(text).map(Some);
        }
        match cmd.try_iter() {
            Ok(items) => Ok(Some(items.map(|v| value_to_text(&v)).collect())),
            Err(_) => shlex_split(&value_to_text(cmd)).map(Some),
        }
    }
}

/// Python's `shlex.split` (POSIX mode, no comments).
pub fn shlex_split(text: &str) -> Result<Vec<String>, ModuleError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => {
                            return Err(ModuleError::Params(format!(
                                "command: no closing quotation in `{text}`"
                            )));
                        }
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => w.push(n),
                            Some(n) => {
                                w.push('\\');
                                w.push(n);
                            }
                            None => {
                                return Err(ModuleError::Params(format!(
                                    "command: no escaped character in `{text}`"
                                )));
                            }
                        },
                        Some(c) => w.push(c),
                        None => {
                            return Err(ModuleError::Params(format!(
                                "command: no closing quotation in `{text}`"
                            )));
                        }
                    }
                }
            }
            '\\' => match chars.next() {
                Some(n) => word.get_or_insert_with(String::new).push(n),
                None => {
                    return Err(ModuleError::Params(format!(
                        "command: no escaped character in `{text}`"
                    )));
                }
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    Ok(words)
}

/// An `env`/`env_file` value must be a string, as the collection requires.
pub fn env_text(name: &str, v: &Value) -> Result<String, ModuleError> {
    match v.as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(ModuleError::failed(format!(
            "Non-string value found for env option. Ambiguous env options must be wrapped in quotes to avoid them being interpreted. Key: {name}"
        ))),
    }
}

/// `parse_env_file`: `KEY=value` lines, `#` comments, blank lines skipped.
pub fn parse_env_file(path: &str, text: &str) -> Result<IndexMap<String, String>, ModuleError> {
    let mut env = IndexMap::new();
    for raw in text.split_inclusive('\n') {
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) => {
                env.insert(k.to_string(), v.to_string());
            }
            None => {
                return Err(ModuleError::failed(format!(
                    "Invalid line in environment file {path}:\n{line}"
                )));
            }
        }
    }
    Ok(env)
}

/// `convert_duration_to_nanosecond`: `1h2m3s4ms5us` (each unit optional, in this order).
pub fn duration_ns(text: &str) -> Result<i64, ModuleError> {
    const UNITS: &[(&str, i64)] = &[
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ];
    let bad = || ModuleError::failed(format!("Invalid time duration - {text}"));
    let mut rest = text;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let after = &rest[digits..];
        let unit_len = if after.starts_with("ms") || after.starts_with("us") {
            2
        } else {
            1
        };
        let unit = after.get(..unit_len).ok_or_else(bad)?;
        let idx = UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(bad)?;
        if idx < next_unit {
            return Err(bad());
        }
        next_unit = idx + 1;
        total += n * UNITS[idx].1;
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// The healthcheck as the daemon stores it (`Test`, `Interval`, ... in nanoseconds), or
/// `{"Test": ["NONE"]}` when it disables the image's.
pub fn healthcheck(h: &HealthParam) -> Result<Json, ModuleError> {
    let cli_compatible = h.test_cli_compatible.unwrap_or(false);
    let mut out = serde_json::Map::new();
    let test = h.test.as_ref().filter(|t| !t.is_none() && !t.is_undefined());
    let test_json: Option<Json> = match test {
        Some(t) if t.as_str().is_some_and(|s| !s.is_empty()) => Some(json!(["CMD-SHELL", value_to_text(t)])),
        Some(t) if t.as_str().is_none() => match t.try_iter() {
            Ok(items) => {
                let list: Vec<String> = items.map(|v| value_to_text(&v)).collect();
                (!list.is_empty()).then(|| json!(list))
            }
            Err(_) => Some(json!(["CMD-SHELL", value_to_text(t)])),
        },
        _ => None,
    };
    let Some(test_json) = test_json else {
        if test.is_none() && cli_compatible {
            // No test: the image's healthcheck is kept (test_cli_compatible).
            return healthcheck_times(out, h);
        }
        return Ok(json!({"Test": ["NONE"]}));
    };
    out.insert("Test".into(), test_json);
    healthcheck_times(out, h)
}

fn healthcheck_times(mut out: serde_json::Map<String, Json>, h: &HealthParam) -> Result<Json, ModuleError> {
    for (key, value) in [
        ("Interval", &h.interval),
        ("Timeout", &h.timeout),
        ("StartPeriod", &h.start_period),
        ("StartInterval", &h.start_interval),
    ] {
        if let Some(text) = value {
            let ns = duration_ns(text)?;
            if ns != 0 {
                out.insert(key.into(), json!(ns));
            }
        }
    }
    if let Some(r) = h.retries.filter(|r| *r != 0) {
        out.insert("Retries".into(), json!(r));
    }
    Ok(Json::Object(out))
}

/// One published port: container port and protocol, host address, host port (`""` = any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortBind {
    /// `80` or `80/udp`, as the collection keys it (`/tcp` added when comparing).
    pub container: String,
    pub host_ip: String,
    pub host_port: String,
}

/// `published_ports` as the collection parses them (`_preprocess_ports`), with `default_ip`
/// for entries that give no address.
pub fn published_ports(specs: &[String], default_ip: &str) -> Result<Vec<PortBind>, ModuleError> {
    let mut binds = Vec::new();
    for spec in specs {
        if spec == "all" {
            return Err(ModuleError::failed(
                "Specifying \"all\" in published_ports is no longer allowed. Set publish_all_ports to \"true\" instead to randomly assign port mappings for those not specified by published_ports.",
            ));
        }
        let parts = split_colon_ipv6(spec);
        let last = parts.last().cloned().unwrap_or_default();
        let (cport, proto) = match last.split_once('/') {
            Some((p, proto)) => (p.to_string(), proto.to_string()),
            None => (last.clone(), String::new()),
        };
        let cports = port_range(&cport)?;
        let hosts: Vec<(String, String)> = match parts.len() {
            1 => cports
                .iter()
                .map(|_| (default_ip.to_string(), String::new()))
                .collect(),
            2 if cports.len() == 1 => vec![(default_ip.to_string(), parts[0].clone())],
            2 => port_range(&parts[0])?
                .into_iter()
                .map(|p| (default_ip.to_string(), p.to_string()))
                .collect(),
            3 => {
                let mut ip = parts[0].clone();
                let v4 = ip.split('.').count() == 4
                    && ip
                        .split('.')
                        .all(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()));
                let v6 = ip.starts_with('[') && ip.ends_with(']');
                if !v4 && !v6 {
                    return Err(ModuleError::failed(format!(
                        "Bind addresses for published ports must be IPv4 or IPv6 addresses, not hostnames. Use the dig lookup to resolve hostnames. (Found hostname: {ip})"
                    )));
                }
                if v6 {
                    ip = ip[1..ip.len() - 1].to_string();
                }
                match (parts[1].is_empty(), cports.len()) {
                    (true, _) => cports.iter().map(|_| (ip.clone(), String::new())).collect(),
                    (false, 1) => vec![(ip.clone(), parts[1].clone())],
                    (false, _) => port_range(&parts[1])?
                        .into_iter()
                        .map(|p| (ip.clone(), p.to_string()))
                        .collect(),
                }
            }
            n => {
                return Err(ModuleError::failed(format!(
                    "Invalid port description \"{spec}\" - expected 1 to 3 colon-separated parts, but got {n}. Maybe you forgot to use square brackets ([...]) around an IPv6 address?"
                )));
            }
        };
        for ((host_ip, host_port), port) in hosts.into_iter().zip(cports) {
            let container = match proto.is_empty() {
                true => port.to_string(),
                false => format!("{port}/{proto}"),
            };
            binds.push(PortBind {
                container,
                host_ip,
                host_port,
            });
        }
    }
    Ok(binds)
}

/// The port bindings the daemon shows for `binds` (`HostConfig.PortBindings`).
pub fn port_bindings(binds: &[PortBind]) -> Json {
    let mut map: IndexMap<String, Vec<Json>> = IndexMap::new();
    for b in binds {
        let key = match b.container.contains('/') {
            true => b.container.clone(),
            false => format!("{}/tcp", b.container),
        };
        map.entry(key)
            .or_default()
            .push(json!({"HostIp": b.host_ip, "HostPort": b.host_port}));
    }
    serde_json::to_value(map).unwrap_or_default()
}

fn split_colon_ipv6(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut in_brackets = false;
    for c in text.chars() {
        match c {
            '[' => {
                in_brackets = true;
                cur.push(c);
            }
            ']' => {
                in_brackets = false;
                cur.push(c);
            }
            ':' if !in_brackets => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn port_range(text: &str) -> Result<Vec<u32>, ModuleError> {
    let bad = || ModuleError::failed(format!("Invalid port range: \"{text}\""));
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if b < a {
                return Err(bad());
            }
            Ok((a..=b).collect())
        }
        None => {
            Ok(vec![text.parse().map_err(|_| {
                ModuleError::failed(format!("Invalid port: \"{text}\""))
            })?])
        }
    }
}

/// `exposed_ports` and published container ports as `port/proto` strings.
pub fn exposed_ports(exposed: &[String], binds: &[PortBind]) -> Result<Vec<String>, ModuleError> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for spec in exposed {
        let spec = spec.trim();
        let (port, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
        for p in port_range(port).map_err(|_| ModuleError::failed(format!("Cannot parse port {spec:?}")))? {
            out.push((p, proto.to_string()));
        }
    }
    for b in binds {
        let (port, proto) = b.container.split_once('/').unwrap_or((&b.container, "tcp"));
        out.push((port.parse().unwrap_or_default(), proto.to_string()));
    }
    out.sort();
    out.dedup();
    Ok(out.into_iter().map(|(p, proto)| format!("{p}/{proto}")).collect())
}

/// A volume mode (`rw`, `ro,z`, ...), as `_is_volume_permissions`.
fn is_volume_mode(mode: &str) -> bool {
    mode.split(',').all(|m| {
        matches!(
            m,
            "rw" | "ro"
                | "z"
                | "Z"
                | "consistent"
                | "delegated"
                | "cached"
                | "rprivate"
                | "private"
                | "rshared"
                | "shared"
                | "rslave"
                | "slave"
                | "nocopy"
        )
    })
}

/// `volumes` split as the collection splits them: binds (`host:container:mode`, mode `rw`
/// when absent) and anonymous volumes (`/data`).
pub fn volumes(list: &[String]) -> Result<(Vec<String>, Vec<String>), ModuleError> {
    let mut binds = Vec::new();
    let mut anonymous = Vec::new();
    for vol in list {
        let parts: Vec<&str> = vol.split(':').collect();
        match parts.len() {
            3 => {
                if !is_volume_mode(parts[2]) {
                    return Err(ModuleError::failed(format!(
                        "Found invalid volumes mode: {}",
                        parts[2]
                    )));
                }
                binds.push(vol.clone());
            }
            2 if !is_volume_mode(parts[1]) => binds.push(format!("{}:{}:rw", parts[0], parts[1])),
            _ => anonymous.push(vol.clone()),
        }
    }
    Ok((binds, anonymous))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ns("1m30s").expect("ok"), 90_000_000_000);
        assert_eq!(duration_ns("500ms").expect("ok"), 500_000_000);
        assert_eq!(duration_ns("").expect("ok"), 0);
        assert!(duration_ns("30").is_err());
        assert!(duration_ns("1s1m").is_err());
    }

    #[test]
    fn ports_as_the_collection_binds_them() {
        let b = published_ports(
            &["8080:80".into(), "127.0.0.1::53/udp".into(), "9000".into()],
            "0.0.0.0",
        )
        .expect("ok");
        assert_eq!(
            port_bindings(&b),
            json!({
                "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
                "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
                "9000/tcp": [{"HostIp": "0.0.0.0", "HostPort": ""}],
            })
        );
        assert_eq!(
            exposed_ports(&[], &b).expect("ok"),
            ["53/udp", "80/tcp", "9000/tcp"]
        );
    }

    #[test]
    fn env_files_and_commands() {
        let env = parse_env_file("f", "# c\nA=1\n\nB = x=y \n").expect("ok");
        assert_eq!(env["A"], "1");
        assert_eq!(env["B "], " x=y");
        assert_eq!(
            shlex_split("sh -c 'sleep 1; echo \"a b\"'").expect("ok"),
            ["sh", "-c", "sleep 1; echo \"a b\""]
        );
        let (binds, anon) = volumes(&["/srv:/data".into(), "/cache".into(), "v:/x:ro".into()]).expect("ok");
        assert_eq!(binds, ["/srv:/data:rw", "v:/x:ro"]);
        assert_eq!(anon, ["/cache"]);
    }
}
