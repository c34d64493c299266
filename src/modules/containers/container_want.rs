//! What a `docker_container` task wants, option by option, next to what `docker inspect` shows
//! of the container — community.docker's `get_expected_values` / `get_value` pairs for the
//! options playhook supports — and the comparison modes (`comparisons:`) that decide whether a
//! difference recreates the container.

use indexmap::IndexMap;
use serde_json::{Value as Json, json};

use super::compare::{Differences, Kind, Mode, matches};
use super::container_params::{
    self as cp, NetworkParam, Params, PortBind, env_text, exposed_ports, parse_env_file, published_ports,
};
use crate::modules::ModuleError;
use crate::modules::params::value_to_text;

/// The options compared, with their shape (which gives the default comparison).
const OPTIONS: &[(&str, Kind)] = &[
    ("image", Kind::Value),
    ("command", Kind::List),
    ("entrypoint", Kind::List),
    ("env", Kind::Set),
    ("etc_hosts", Kind::Set),
    ("labels", Kind::Dict),
    ("log_driver", Kind::Value),
    ("log_options", Kind::Dict),
    ("healthcheck", Kind::Dict),
    ("published_ports", Kind::Dict),
    ("exposed_ports", Kind::Set),
    ("publish_all_ports", Kind::Value),
    ("volumes", Kind::Set),
    ("volume_binds", Kind::Set),
    ("user", Kind::Value),
    ("working_dir", Kind::Value),
    ("hostname", Kind::Value),
    ("restart_policy", Kind::Value),
    ("restart_retries", Kind::Value),
    ("network_mode", Kind::Value),
    ("networks", Kind::Set),
    ("detach", Kind::Value),
    ("interactive", Kind::Value),
    ("tty", Kind::Value),
    ("privileged", Kind::Value),
    ("init", Kind::Value),
    ("read_only", Kind::Value),
    ("stop_timeout", Kind::Value),
];

/// Other names `comparisons:` accepts for an option.
const ALIASES: &[(&str, &str)] = &[
    ("ports", "published_ports"),
    ("exposed", "exposed_ports"),
    ("expose", "exposed_ports"),
    ("log_opt", "log_options"),
];

/// The comparison mode of every option, after `comparisons:`.
pub struct Modes(IndexMap<&'static str, Mode>);

impl Modes {
    /// Defaults, then `'*'`, then each named option (`_parse_comparisons`).
    pub fn new(p: &Params) -> Result<Modes, ModuleError> {
        let mut modes: IndexMap<&'static str, Mode> = OPTIONS
            .iter()
            .map(|(name, kind)| {
                let mode = match *name {
                    "stop_timeout" => Mode::Ignore,
                    _ => kind.default_mode(),
                };
                (*name, mode)
            })
            .collect();
        let Some(comparisons) = &p.comparisons else {
            return Ok(Modes(modes));
        };
        if let Some(all) = comparisons.get("*") {
            let mode = match Mode::parse(all) {
                Some(m @ (Mode::Strict | Mode::Ignore)) => m,
                _ => {
                    return Err(ModuleError::failed(
                        "The wildcard can only be used with comparison modes 'strict' and 'ignore'!",
                    ));
                }
            };
            for (name, m) in modes.iter_mut() {
                if *name == "networks" && p.networks.is_none() {
                    continue;
                }
                *m = mode;
            }
        }
        for (key, value) in comparisons {
            if key == "*" {
                continue;
            }
            let main = ALIASES
                .iter()
                .find(|(alias, _)| alias == key)
                .map(|(_, main)| *main)
                .unwrap_or(key.as_str());
            let Some((name, kind)) = OPTIONS.iter().find(|(n, _)| *n == main && *n != "volume_binds") else {
                return Err(ModuleError::failed(format!(
                    "Unknown module option '{key}' in comparisons dict!"
                )));
            };
            let mode = Mode::parse(value)
                .ok_or_else(|| ModuleError::failed(format!("Unknown comparison mode '{value}'!")))?;
            if mode == Mode::AllowMorePresent && *kind == Kind::Value {
                return Err(ModuleError::failed(format!(
                    "Option '{key}' is a value and not a set/list/dict, so its comparison cannot be allow_more_present"
                )));
            }
            modes.insert(name, mode);
        }
        let volumes = modes["volumes"];
        modes.insert("volume_binds", volumes);
        Ok(Modes(modes))
    }

    pub fn get(&self, name: &str) -> Mode {
        self.0.get(name).copied().unwrap_or(Mode::Strict)
    }
}

/// The task's wanted configuration, preprocessed.
pub struct Wanted {
    /// The final environment (`env_file` then `env`), in order.
    pub env: IndexMap<String, String>,
    pub binds: Vec<PortBind>,
    pub exposed: Vec<String>,
    pub volume_binds: Vec<String>,
    pub anonymous_volumes: Vec<String>,
    pub command: Option<Vec<String>>,
    pub healthcheck: Option<Json>,
    pub network_mode: Option<String>,
    pub labels: Option<IndexMap<String, String>>,
    pub log_options: Option<IndexMap<String, String>>,
    pub etc_hosts: Option<Vec<String>>,
    pub detach: Option<bool>,
    pub interactive: Option<bool>,
    pub privileged: Option<bool>,
    pub init: Option<bool>,
    pub read_only: Option<bool>,
    pub tty: Option<bool>,
}

fn text_map(map: &IndexMap<String, minijinja::Value>) -> IndexMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), value_to_text(v))).collect()
}

impl Wanted {
    /// Preprocesses the parameters; `env_file_text` is the env file's contents read on the target.
    pub fn new(p: &Params, env_file_text: Option<&str>) -> Result<Wanted, ModuleError> {
        let mut env = IndexMap::new();
        if let (Some(path), Some(text)) = (&p.env_file, env_file_text) {
            env.extend(parse_env_file(path, text)?);
        }
        for (k, v) in p.env.iter().flatten() {
            env.insert(k.clone(), env_text(k, v)?);
        }
        let default_ip = p.default_host_ip.clone().unwrap_or_else(|| "0.0.0.0".into());
        let binds = published_ports(p.published_ports.as_deref().unwrap_or_default(), &default_ip)?;
        let exposed = exposed_ports(p.exposed_ports.as_deref().unwrap_or_default(), &binds)?;
        let (volume_binds, anonymous_volumes) = cp::volumes(p.volumes.as_deref().unwrap_or_default())?;
        let cli_compatible = p.networks_cli_compatible.unwrap_or(true);
        let network_mode = p.network_mode.clone().or_else(|| {
            p.networks
                .as_ref()
                .filter(|n| cli_compatible && !n.is_empty())
                .map(|n| n[0].name.clone())
        });
        let compat = p.container_default_behavior.as_deref() == Some("compatibility");
        let default = |v: Option<bool>, d: bool| v.or(compat.then_some(d));
        Ok(Wanted {
            env,
            binds,
            exposed,
            volume_binds,
            anonymous_volumes,
            command: p.command_list()?,
            healthcheck: p.healthcheck.as_ref().map(cp::healthcheck).transpose()?,
            network_mode,
            labels: p.labels.as_ref().map(text_map),
            log_options: p.log_options.as_ref().map(text_map),
            etc_hosts: p.etc_hosts.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}:{}", value_to_text(v)))
                    .collect()
            }),
            detach: default(p.detach, true),
            interactive: default(p.interactive, false),
            privileged: default(p.privileged, false),
            init: default(p.init, false),
            read_only: default(p.read_only, false),
            tty: default(p.tty, false),
        })
    }

    /// The expected value of each option the task sets (plus those the image implies), as
    /// `get_expected_values` computes it against the wanted image.
    fn expected(&self, p: &Params, image: Option<&Json>) -> IndexMap<&'static str, Json> {
        let img = |key: &str| image.and_then(|i| i["Config"].get(key)).filter(|v| !v.is_null());
        let mut e: IndexMap<&'static str, Json> = IndexMap::new();
        if let Some(cmd) = &self.command {
            let cmd = match (cmd.is_empty(), img("Cmd")) {
                (true, Some(c)) => c.clone(),
                _ => json!(cmd),
            };
            e.insert("command", cmd);
        }
        if let Some(ep) = &p.entrypoint {
            e.insert("entrypoint", json!(ep));
        }
        let mut env: IndexMap<String, String> = IndexMap::new();
        for item in img("Env").and_then(Json::as_array).into_iter().flatten() {
            if let Some((k, v)) = item.as_str().and_then(|s| s.split_once('=')) {
                env.insert(k.into(), v.into());
            }
        }
        env.extend(self.env.clone());
        e.insert(
            "env",
            json!(env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()),
        );
        if let Some(hosts) = &self.etc_hosts {
            e.insert("etc_hosts", json!(hosts));
        }
        if let Some(labels) = &self.labels {
            let mut all: IndexMap<String, Json> = IndexMap::new();
            if p.image_label_mismatch.as_deref() != Some("fail") {
                for (k, v) in img("Labels").and_then(Json::as_object).into_iter().flatten() {
                    all.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in labels {
                all.insert(k.clone(), json!(v));
            }
            e.insert("labels", json!(all));
        }
        if let Some(driver) = &p.log_driver {
            e.insert("log_driver", json!(driver));
            if let Some(opts) = &self.log_options {
                e.insert("log_options", json!(opts));
            }
        }
        if let Some(h) = &self.healthcheck {
            e.insert("healthcheck", h.clone());
        }
        if p.published_ports.is_some() {
            e.insert("published_ports", cp::port_bindings(&self.binds));
        }
        let mut exposed: Vec<String> = img("ExposedPorts")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| normalize_port(k))
            .collect();
        exposed.extend(self.exposed.iter().cloned());
        exposed.sort();
        exposed.dedup();
        e.insert("exposed_ports", json!(exposed));
        if let Some(all) = p.publish_all_ports {
            e.insert("publish_all_ports", json!(all));
        }
        let mut vols = serde_json::Map::new();
        if let Some(image_vols) = img("Volumes").and_then(Json::as_object) {
            vols.extend(image_vols.clone());
        }
        for v in &self.anonymous_volumes {
            vols.insert(v.clone(), json!({}));
        }
        if !vols.is_empty() {
            e.insert("volumes", Json::Object(vols));
        }
        e.insert("volume_binds", json!(self.volume_binds));
        for (name, v) in [
            ("user", &p.user),
            ("working_dir", &p.working_dir),
            ("hostname", &p.hostname),
        ] {
            if let Some(v) = v {
                e.insert(name, json!(v));
            }
        }
        if let Some(policy) = &p.restart_policy {
            e.insert("restart_policy", json!(policy));
            if let Some(r) = p.restart_retries {
                e.insert("restart_retries", json!(r));
            }
        }
        if let Some(mode) = &self.network_mode {
            e.insert("network_mode", json!(mode));
        }
        for (name, v) in [
            ("detach", self.detach),
            ("interactive", self.interactive),
            ("tty", self.tty),
            ("privileged", self.privileged),
            ("init", self.init),
            ("read_only", self.read_only),
        ] {
            if let Some(v) = v {
                e.insert(name, json!(v));
            }
        }
        if let Some(t) = p.stop_timeout {
            e.insert("stop_timeout", json!(t));
        }
        e
    }

    /// The options whose container value does not match the expected one
    /// (`has_different_configuration`), each with the task's and the container's value.
    pub fn differences(
        &self,
        p: &Params,
        modes: &Modes,
        container: &Json,
        image: Option<&Json>,
    ) -> Differences {
        let mut diffs = Differences::default();
        for (name, expected) in self.expected(p, image) {
            let kind = OPTIONS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, k)| *k)
                .unwrap_or(Kind::Value);
            let active = container_value(name, container);
            if matches(Some(&expected), active.as_ref(), modes.get(name), kind) {
                continue;
            }
            if name == "network_mode" && expected == json!("default") && active == Some(json!("bridge")) {
                continue;
            }
            let (mut p_shown, mut c_shown) = (expected, active.unwrap_or(Json::Null));
            if kind == Kind::Set {
                sort_list(&mut p_shown);
                sort_list(&mut c_shown);
            }
            diffs.add(name, p_shown, c_shown);
        }
        diffs
    }
}

fn sort_list(v: &mut Json) {
    if let Json::Array(a) = v {
        a.sort_by_key(|x| x.to_string());
    }
}

/// `80` → `80/tcp`.
fn normalize_port(port: &str) -> String {
    match port.contains('/') {
        true => port.to_string(),
        false => format!("{port}/tcp"),
    }
}

/// What `docker inspect` shows of an option (`get_value`), `None` when absent.
fn container_value(name: &str, c: &Json) -> Option<Json> {
    let config = &c["Config"];
    let host = &c["HostConfig"];
    let get = |v: &Json| Some(v.clone()).filter(|v| !v.is_null());
    match name {
        "command" => get(&config["Cmd"]),
        "entrypoint" => get(&config["Entrypoint"]),
        "env" => get(&config["Env"]),
        "etc_hosts" => get(&host["ExtraHosts"]),
        "labels" => get(&config["Labels"]),
        "log_driver" => get(&host["LogConfig"]["Type"]),
        "log_options" => get(&host["LogConfig"]["Config"]),
        "healthcheck" => match &config["Healthcheck"] {
            Json::Null => Some(json!({"Test": ["NONE"]})),
            h if h["Test"] == json!(["NONE"]) => Some(json!({"Test": ["NONE"]})),
            h => Some(h.clone()),
        },
        "published_ports" => get(&host["PortBindings"]),
        "exposed_ports" => {
            let mut out = Vec::new();
            for key in config["ExposedPorts"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                let norm = normalize_port(key);
                let (port, proto) = norm.rsplit_once('/').unwrap_or((&norm, "tcp"));
                match port
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
                {
                    Some((a, b)) => out.extend((a..=b).map(|p| format!("{p}/{proto}"))),
                    None => out.push(format!("{port}/{proto}")),
                }
            }
            Some(json!(out))
        }
        "publish_all_ports" => get(&host["PublishAllPorts"]),
        "volumes" => get(&config["Volumes"]),
        "volume_binds" => get(&host["Binds"]),
        "user" => get(&config["User"]),
        "working_dir" => get(&config["WorkingDir"]),
        "hostname" => get(&config["Hostname"]),
        "restart_policy" => get(&host["RestartPolicy"]["Name"]),
        "restart_retries" => get(&host["RestartPolicy"]["MaximumRetryCount"]),
        "network_mode" => get(&host["NetworkMode"]),
        "detach" => Some(json!(
            !(config["AttachStderr"].as_bool().unwrap_or(false)
                && config["AttachStdout"].as_bool().unwrap_or(false))
        )),
        "interactive" => Some(json!(config["OpenStdin"].as_bool().unwrap_or(false))),
        "tty" => get(&config["Tty"]),
        "privileged" => get(&host["Privileged"]),
        "init" => get(&host["Init"]),
        "read_only" => get(&host["ReadonlyRootfs"]),
        "stop_timeout" => get(&config["StopTimeout"]),
        _ => None,
    }
}

/// `has_network_differences`: each wanted network the container is not on, or is on with other
/// addresses, aliases or links; with the container's side as the collection reports it.
pub fn network_differences(wanted: &[NetworkParam], container: &Json) -> Vec<(NetworkParam, Json)> {
    let connected = &container["NetworkSettings"]["Networks"];
    let mut out = Vec::new();
    for net in wanted {
        let info = &connected[&net.name];
        if info.is_null() {
            out.push((net.clone(), Json::Null));
            continue;
        }
        let ipam = &info["IPAMConfig"];
        let mut diff = false;
        if let Some(ip) = net.ipv4_address.as_deref().filter(|s| !s.is_empty()) {
            diff |= ipam["IPv4Address"].as_str() != Some(ip);
        }
        if let Some(ip) = net.ipv6_address.as_deref().filter(|s| !s.is_empty()) {
            diff |= ipam["IPv6Address"].as_str() != Some(ip);
        }
        if let Some(aliases) = net.aliases.as_ref().filter(|a| !a.is_empty()) {
            diff |= !matches(
                Some(&json!(aliases)),
                Some(&info["Aliases"]),
                Mode::AllowMorePresent,
                Kind::Set,
            );
        }
        if let Some(links) = net.links.as_ref().filter(|l| !l.is_empty()) {
            let expected: Vec<String> = links
                .iter()
                .map(|l| match l.split_once(':') {
                    Some((a, b)) => format!("{a}:{b}"),
                    None => format!("{l}:{l}"),
                })
                .collect();
            diff |= !matches(
                Some(&json!(expected)),
                Some(&info["Links"]),
                Mode::AllowMorePresent,
                Kind::Set,
            );
        }
        if let Some(mac) = net.mac_address.as_deref().filter(|s| !s.is_empty()) {
            diff |= info["MacAddress"].as_str() != Some(&mac.replace('-', ":"));
        }
        if diff {
            out.push((
                net.clone(),
                json!({
                    "name": net.name,
                    "ipv4_address": ipam["IPv4Address"],
                    "ipv6_address": ipam["IPv6Address"],
                    "aliases": info["Aliases"],
                    "links": info["Links"],
                    "mac_address": info["MacAddress"],
                }),
            ));
        }
    }
    out
}

/// `has_extra_networks`: networks the container is on that the task does not name.
pub fn extra_networks(wanted: &[NetworkParam], container: &Json) -> Vec<(String, Json)> {
    container["NetworkSettings"]["Networks"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !wanted.iter().any(|w| &w.name == *name))
        .map(|(name, cfg)| (name.clone(), json!({"name": name, "id": cfg["NetworkID"]})))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(args: Json) -> Params {
        crate::modules::params::parse(
            "docker_container",
            &minijinja::Value::from(minijinja::value::Serde(&args)),
        )
        .expect("params")
    }

    fn container() -> Json {
        json!({
            "Config": {"Env": ["PATH=/bin", "A=1", "EXTRA=x"], "Cmd": ["sleep", "1"], "Labels": {"a": "b", "c": "d"},
                       "AttachStdout": false, "AttachStderr": false, "Image": "img"},
            "HostConfig": {"Binds": null, "NetworkMode": "host", "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}},
        })
    }

    fn differing(args: Json) -> Vec<String> {
        let p = params(args);
        let w = Wanted::new(&p, None).expect("wanted");
        let modes = Modes::new(&p).expect("modes");
        w.differences(&p, &modes, &container(), None).names()
    }

    #[test]
    fn defaults_allow_more_in_sets_and_dicts() {
        let base = json!({"name": "c", "env": {"A": "1"}, "labels": {"a": "b"}, "command": ["sleep", "1"],
                          "network_mode": "host", "restart_policy": "always", "detach": true});
        assert!(differing(base.clone()).is_empty());
        let mut strict = base.clone();
        strict["comparisons"] = json!({"env": "strict"});
        assert_eq!(differing(strict), ["env"]);
        let mut all = base.clone();
        all["comparisons"] = json!({"*": "strict"});
        assert_eq!(differing(all), ["env", "labels"]);
        let mut changed = base;
        changed["command"] = json!("sleep 2");
        changed["env"] = json!({"A": "2"});
        assert_eq!(differing(changed), ["command", "env"]);
    }

    #[test]
    fn comparisons_are_checked() {
        let bad = |c: Json| Modes::new(&params(json!({"name": "c", "comparisons": c}))).is_err();
        assert!(bad(json!({"*": "allow_more_present"})));
        assert!(bad(json!({"user": "allow_more_present"})));
        assert!(bad(json!({"nonsense": "strict"})));
        assert!(!bad(json!({"ports": "strict", "env": "ignore"})));
    }
}
