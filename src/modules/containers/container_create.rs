//! The `docker create` command line for a `docker_container` task: every supported option as
//! the CLI flag that makes the daemon store what community.docker would have sent through the
//! Engine API (explicit `0.0.0.0` host addresses, `:rw` on binds, `-a stdin` so a `detach: true`
//! container is not attached, booleans given explicitly). The environment travels on standard
//! input as an env file, so its values never appear in a process's arguments.

use serde_json::Value as Json;

use super::container_params::Params;
use super::container_want::Wanted;
use crate::modules::ModuleError;

/// The arguments after `docker`, and the env file to feed on standard input.
pub struct CreateCommand {
    pub args: Vec<String>,
    pub stdin: Option<Vec<u8>>,
}

/// Whether `docker`'s env-file reader gives back exactly `key=value`.
fn env_file_safe(key: &str, value: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('#')
        && !key.chars().any(char::is_whitespace)
        && !value.contains('\n')
        && !value.contains('\r')
}

/// `docker create` for the task, creating the container from `image`.
pub fn create_command(p: &Params, w: &Wanted, image: &str) -> Result<CreateCommand, ModuleError> {
    let mut a: Vec<String> = vec!["create".into(), "--name".into(), p.name.clone()];
    // `--flag=value` (booleans) is one argument, `--flag value` two.
    let mut flag = |name: &str, value: &str| match name.ends_with('=') {
        true => a.push(format!("{name}{value}")),
        false => {
            a.push(name.to_string());
            a.push(value.to_string());
        }
    };
    // The collection attaches stdout and stderr unless `detach: true`; `-a stdin` alone
    // leaves them detached (the CLI attaches both when no `-a` is given).
    match w.detach {
        Some(true) => flag("-a", "stdin"),
        _ => {
            flag("-a", "stdout");
            flag("-a", "stderr");
        }
    }
    let mut env_file = String::new();
    for (k, v) in &w.env {
        if env_file_safe(k, v) {
            env_file.push_str(&format!("{k}={v}\n"));
        } else {
            flag("--env", &format!("{k}={v}"));
        }
    }
    for host in w.etc_hosts.iter().flatten() {
        flag("--add-host", host);
    }
    for (k, v) in w.labels.iter().flatten() {
        flag("--label", &format!("{k}={v}"));
    }
    if let Some(driver) = &p.log_driver {
        flag("--log-driver", driver);
        for (k, v) in w.log_options.iter().flatten() {
            flag("--log-opt", &format!("{k}={v}"));
        }
    }
    if let Some(h) = &w.healthcheck {
        health_flags(h, &mut flag)?;
    }
    for b in &w.binds {
        let ip = match b.host_ip.contains(':') {
            true => format!("[{}]", b.host_ip),
            false => b.host_ip.clone(),
        };
        flag("--publish", &format!("{ip}:{}:{}", b.host_port, b.container));
    }
    for port in p.exposed_ports.iter().flatten() {
        flag("--expose", port.trim());
    }
    if p.publish_all_ports == Some(true) {
        flag("--publish-all=", "true");
    }
    for v in w.volume_binds.iter().chain(&w.anonymous_volumes) {
        flag("--volume", v);
    }
    if let Some(u) = &p.user {
        flag("--user", u);
    }
    if let Some(d) = &p.working_dir {
        flag("--workdir", d);
    }
    if let Some(h) = &p.hostname {
        flag("--hostname", h);
    }
    if let Some(policy) = &p.restart_policy {
        let value = match p.restart_retries {
            Some(r) if policy == "on-failure" => format!("{policy}:{r}"),
            _ => policy.clone(),
        };
        flag("--restart", &value);
    }
    if let Some(mode) = &w.network_mode {
        flag("--network", mode);
        if let Some(first) = p.networks.iter().flatten().next().filter(|n| &n.name == mode) {
            if let Some(ip) = &first.ipv4_address {
                flag("--ip", ip);
            }
            if let Some(ip) = &first.ipv6_address {
                flag("--ip6", ip);
            }
            for alias in first.aliases.iter().flatten() {
                flag("--network-alias", alias);
            }
            for link in first.links.iter().flatten() {
                flag("--link", link);
            }
        }
    }
    if let Some(t) = p.stop_timeout {
        flag("--stop-timeout", &t.to_string());
    }
    for (name, v) in [
        ("--interactive", w.interactive),
        ("--tty", w.tty),
        ("--privileged", w.privileged),
        ("--init", w.init),
        ("--read-only", w.read_only),
    ] {
        if let Some(v) = v {
            a.push(format!("{name}={v}"));
        }
    }
    if let Some(ep) = &p.entrypoint {
        match ep.as_slice() {
            [one] => {
                a.push("--entrypoint".into());
                a.push(one.clone());
            }
            _ => {
                return Err(ModuleError::failed(format!(
                    "docker_container: entrypoint {ep:?}: the docker CLI sets an entrypoint of exactly one word; \
                     give the program as entrypoint and its arguments in command"
                )));
            }
        }
    }
    let stdin = (!env_file.is_empty()).then(|| {
        a.push("--env-file".into());
        a.push("/dev/stdin".into());
        env_file.into_bytes()
    });
    a.push("--".into());
    a.push(image.to_string());
    if let Some(cmd) = &w.command {
        a.extend(cmd.iter().cloned());
    }
    Ok(CreateCommand { args: a, stdin })
}

/// The healthcheck flags for the daemon's `Healthcheck` object.
fn health_flags(h: &Json, flag: &mut impl FnMut(&str, &str)) -> Result<(), ModuleError> {
    let test: Vec<&str> = h["Test"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    match test.as_slice() {
        ["NONE"] => {
            flag("--no-healthcheck=", "true");
            return Ok(());
        }
        ["CMD-SHELL", cmd] => flag("--health-cmd", cmd),
        [] => {}
        other => {
            return Err(ModuleError::failed(format!(
                "docker_container: healthcheck test {other:?}: the docker CLI sets a shell command \
                 (give test as a string, or [\"CMD-SHELL\", \"...\"]) or none ([\"NONE\"])"
            )));
        }
    }
    for (key, name) in [
        ("Interval", "--health-interval"),
        ("Timeout", "--health-timeout"),
        ("StartPeriod", "--health-start-period"),
        ("StartInterval", "--health-start-interval"),
    ] {
        if let Some(ns) = h[key].as_i64() {
            flag(name, &format!("{ns}ns"));
        }
    }
    if let Some(r) = h["Retries"].as_i64() {
        flag("--health-retries", &r.to_string());
    }
    Ok(())
}
