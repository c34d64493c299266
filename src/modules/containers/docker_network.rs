//! `community.docker.docker_network`: a network with its driver, options, IPAM pools,
//! `internal` flag and labels, and the containers connected to it, through `docker network` on
//! the target, as the collection's `DockerNetworkManager` keeps it: a network whose settings
//! differ (or `force`) is removed and created again.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::compare::{Differences, with_diff};
use super::docker::{Docker, args, to_value};
use crate::modules::params::state::State;
use crate::modules::params::value_to_text;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DockerNetwork;

/// One `ipam_config` pool.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    subnet: Option<String>,
    iprange: Option<String>,
    gateway: Option<String>,
    aux_addresses: Option<IndexMap<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "network_name")]
    name: String,
    #[serde(alias = "containers")]
    connected: Option<Vec<String>>,
    #[serde(default)]
    state: State,
    driver: Option<String>,
    driver_options: Option<IndexMap<String, Value>>,
    force: Option<bool>,
    #[serde(alias = "incremental")]
    appends: Option<bool>,
    ipam_driver: Option<String>,
    ipam_config: Option<Vec<Pool>>,
    enable_ipv6: Option<bool>,
    internal: Option<bool>,
    attachable: Option<bool>,
    labels: Option<IndexMap<String, Value>>,
    #[serde(alias = "docker_url")]
    docker_host: Option<String>,
}

fn texts(map: &Option<IndexMap<String, Value>>) -> IndexMap<String, String> {
    map.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), value_to_text(v)))
        .collect()
}

/// The names of the containers on a network.
fn connected_names(net: &Json) -> Vec<String> {
    net["Containers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, c)| c["Name"].as_str().map(str::to_string))
        .collect()
}

/// `has_different_config`.
fn differences(p: &Params, driver: &str, net: &Json) -> Differences {
    let mut d = Differences::default();
    if net["Driver"].as_str() != Some(driver) {
        d.add("driver", json!(driver), net["Driver"].clone());
    }
    let opts = texts(&p.driver_options);
    if !opts.is_empty() {
        match net["Options"].as_object().filter(|o| !o.is_empty()) {
            None => d.add("driver_options", json!(opts), net["Options"].clone()),
            Some(have) => {
                for (k, v) in &opts {
                    if have.get(k).and_then(Json::as_str) != Some(v) {
                        d.add(
                            &format!("driver_options.{k}"),
                            json!(v),
                            have.get(k).cloned().unwrap_or(Json::Null),
                        );
                    }
                }
            }
        }
    }
    if let Some(ipam) = &p.ipam_driver {
        if net["IPAM"]["Driver"].as_str() != Some(ipam) {
            d.add("ipam_driver", json!(ipam), net["IPAM"].clone());
        }
    }
    if let Some(pools) = p.ipam_config.as_ref().filter(|c| !c.is_empty()) {
        let have: Vec<IndexMap<String, Json>> = net["IPAM"]["Config"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                c.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        let key = match k.as_str() {
                            "AuxiliaryAddresses" => "aux_addresses".to_string(),
                            other => other.to_lowercase(),
                        };
                        (key, v.clone())
                    })
                    .collect()
            })
            .collect();
        if have.is_empty() {
            d.add("ipam_config", pools_json(pools), net["IPAM"]["Config"].clone());
        } else {
            for (idx, pool) in pools.iter().enumerate() {
                let want = pool_json(pool);
                let wanted: Vec<(&String, &Json)> = want.iter().filter(|(_, v)| !v.is_null()).collect();
                let found = have
                    .iter()
                    .find(|h| wanted.iter().all(|(k, v)| h.get(*k) == Some(*v)))
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in wanted {
                    if found.get(k) != Some(v) {
                        d.add(
                            &format!("ipam_config[{idx}].{k}"),
                            v.clone(),
                            found.get(k).cloned().unwrap_or(Json::Null),
                        );
                    }
                }
            }
        }
    }
    for (name, want, key) in [
        ("enable_ipv6", p.enable_ipv6, "EnableIPv6"),
        ("internal", p.internal, "Internal"),
        ("attachable", p.attachable, "Attachable"),
    ] {
        if let Some(w) = want {
            if net[key].as_bool().unwrap_or(false) != w {
                d.add(name, json!(w), net[key].clone());
            }
        }
    }
    let labels = texts(&p.labels);
    if !labels.is_empty() {
        match net["Labels"].as_object().filter(|o| !o.is_empty()) {
            None => d.add("labels", json!(labels), net["Labels"].clone()),
            Some(have) => {
                for (k, v) in &labels {
                    if have.get(k).and_then(Json::as_str) != Some(v) {
                        d.add(
                            &format!("labels.{k}"),
                            json!(v),
                            have.get(k).cloned().unwrap_or(Json::Null),
                        );
                    }
                }
            }
        }
    }
    d
}

fn pool_json(pool: &Pool) -> IndexMap<String, Json> {
    let aux = pool.aux_addresses.as_ref().map(|m| {
        json!(
            m.iter()
                .map(|(k, v)| (k.clone(), value_to_text(v)))
                .collect::<IndexMap<_, _>>()
        )
    });
    IndexMap::from([
        ("subnet".to_string(), json!(pool.subnet)),
        ("iprange".to_string(), json!(pool.iprange)),
        ("gateway".to_string(), json!(pool.gateway)),
        ("aux_addresses".to_string(), aux.unwrap_or(Json::Null)),
    ])
}

fn pools_json(pools: &[Pool]) -> Json {
    json!(pools.iter().map(pool_json).collect::<Vec<_>>())
}

/// What the module did so far.
#[derive(Default)]
struct Done {
    changed: bool,
    actions: Vec<String>,
    tracker: Differences,
}

#[async_trait]
impl TypedModule for DockerNetwork {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_network").collection(Collection::Docker);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let docker = Docker::new(p.docker_host.clone());
        let driver = p.driver.clone().unwrap_or_else(|| "bridge".into());
        let mut existing = docker.inspect(ctx, "network", &p.name).await?;
        let mut done = Done::default();
        let mut legacy: Option<Vec<String>> = None;
        let connected = match (&p.connected, &existing) {
            (Some(c), _) if !c.is_empty() => c.clone(),
            (_, Some(net)) => connected_names(net),
            _ => Vec::new(),
        };
        done.tracker.add(
            "exists",
            json!(p.state == State::Present),
            json!(existing.is_some()),
        );
        if p.state == State::Absent {
            if let Some(net) = &existing {
                remove(&docker, ctx, &p.name, net, &mut done).await?;
            }
        } else {
            let diffs = match &existing {
                Some(net) => differences(&p, &driver, net),
                None => Differences::default(),
            };
            if let Some(net) = existing
                .clone()
                .filter(|_| p.force.unwrap_or(false) || !diffs.is_empty())
            {
                remove(&docker, ctx, &p.name, &net, &mut done).await?;
                existing = None;
            }
            if existing.is_none() {
                if !ctx.check {
                    docker
                        .ok(ctx, "Error creating network", &create_args(&p, &driver))
                        .await?;
                    existing = docker.inspect(ctx, "network", &p.name).await?;
                }
                done.actions
                    .push(format!("Created network {} with driver {driver}", p.name));
                done.changed = true;
            }
            let on = existing.as_ref().map(connected_names).unwrap_or_default();
            for name in &connected {
                if on.contains(name) || docker.inspect(ctx, "container", name).await?.is_none() {
                    continue;
                }
                if !ctx.check {
                    docker
                        .ok(
                            ctx,
                            &format!("Error connecting container {name}"),
                            &args(&["network", "connect", &p.name, name]),
                        )
                        .await?;
                }
                done.actions.push(format!("Connected container {name}"));
                done.changed = true;
                done.tracker
                    .add(&format!("connected.{name}"), json!(true), json!(false));
            }
            if !p.appends.unwrap_or(false) {
                for name in on.iter().filter(|n| !connected.contains(n)) {
                    disconnect(&docker, ctx, &p.name, name, &mut done).await?;
                }
            }
            legacy = Some(diffs.names());
            done.tracker.merge(diffs);
        }
        let mut out = Outcome::changed(done.changed);
        if ctx.check || p.state == State::Absent {
            out = out.with("actions", to_value(&json!(done.actions)));
        }
        if p.state == State::Present {
            let facts = docker
                .inspect(ctx, "network", &p.name)
                .await?
                .unwrap_or(Json::Null);
            out = out.with("network", to_value(&facts));
        }
        Ok(with_diff(out, ctx.diff, ctx.check, legacy, &done.tracker))
    }
}

/// `docker network create` for the task.
fn create_args(p: &Params, driver: &str) -> Vec<String> {
    let mut a = args(&["network", "create", "--driver", driver]);
    for (k, v) in texts(&p.driver_options) {
        a.extend(["--opt".to_string(), format!("{k}={v}")]);
    }
    if let Some(d) = &p.ipam_driver {
        a.extend(["--ipam-driver".to_string(), d.clone()]);
    }
    for pool in p.ipam_config.iter().flatten() {
        for (flag, v) in [
            ("--subnet", &pool.subnet),
            ("--ip-range", &pool.iprange),
            ("--gateway", &pool.gateway),
        ] {
            if let Some(v) = v {
                a.extend([flag.to_string(), v.clone()]);
            }
        }
        for (k, v) in pool.aux_addresses.iter().flatten() {
            a.extend(["--aux-address".to_string(), format!("{k}={}", value_to_text(v))]);
        }
    }
    if p.enable_ipv6 == Some(true) {
        a.push("--ipv6".into());
    }
    if p.internal == Some(true) {
        a.push("--internal".into());
    }
    if p.attachable == Some(true) {
        a.push("--attachable".into());
    }
    for (k, v) in texts(&p.labels) {
        a.extend(["--label".to_string(), format!("{k}={v}")]);
    }
    a.extend(["--".to_string(), p.name.clone()]);
    a
}

/// `remove_network`: every container is disconnected first.
async fn remove(
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    name: &str,
    net: &Json,
    done: &mut Done,
) -> Result<(), ModuleError> {
    for c in connected_names(net) {
        disconnect(docker, ctx, name, &c, done).await?;
    }
    if !ctx.check {
        docker
            .ok(
                ctx,
                &format!("Error removing network {name}"),
                &args(&["network", "rm", name]),
            )
            .await?;
    }
    done.actions.push(format!("Removed network {name}"));
    done.changed = true;
    Ok(())
}

async fn disconnect(
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    network: &str,
    container: &str,
    done: &mut Done,
) -> Result<(), ModuleError> {
    if !ctx.check {
        docker
            .ok(
                ctx,
                &format!("Error disconnecting container {container}"),
                &args(&["network", "disconnect", "--force", network, container]),
            )
            .await?;
    }
    done.actions.push(format!("Disconnected container {container}"));
    done.changed = true;
    done.tracker
        .add(&format!("connected.{container}"), json!(false), json!(true));
    Ok(())
}
