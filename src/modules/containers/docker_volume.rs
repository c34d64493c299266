//! `community.docker.docker_volume`: a named volume with its driver, driver options and labels,
//! through `docker volume` on the target, as the collection's `DockerVolumeManager` keeps it
//! (an existing volume with other options is recreated only with `recreate: options-changed`
//! or `always`).

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

pub struct DockerVolume;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Recreate {
    Always,
    #[default]
    Never,
    OptionsChanged,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "name")]
    volume_name: String,
    driver: Option<String>,
    #[serde(alias = "driver_opts")]
    driver_options: Option<IndexMap<String, Value>>,
    labels: Option<IndexMap<String, Value>>,
    #[serde(default)]
    recreate: Recreate,
    #[serde(default)]
    state: State,
    #[serde(alias = "docker_url")]
    docker_host: Option<String>,
}

/// A parameter mapping as the strings Docker stores.
fn texts(map: &Option<IndexMap<String, Value>>) -> IndexMap<String, String> {
    map.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), value_to_text(v)))
        .collect()
}

#[async_trait]
impl TypedModule for DockerVolume {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_volume").collection(Collection::Docker);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let docker = Docker::new(p.docker_host.clone());
        let driver = p.driver.clone().unwrap_or_else(|| "local".into());
        let opts = texts(&p.driver_options);
        let labels = texts(&p.labels);
        let mut existing = docker.inspect(ctx, "volume", &p.volume_name).await?;
        let mut tracker = Differences::default();
        let mut actions: Vec<String> = Vec::new();
        let mut changed = false;
        let mut legacy: Option<Vec<String>> = None;
        let name = &p.volume_name;
        tracker.add(
            "exists",
            json!(p.state == State::Present),
            json!(existing.is_some()),
        );
        let remove = |changed: &mut bool, actions: &mut Vec<String>| {
            actions.push(format!("Removed volume {name}"));
            *changed = true;
        };
        if p.state == State::Present {
            let mut diffs = Differences::default();
            let mut names = Vec::new();
            if let Some(v) = &existing {
                if v["Driver"].as_str() != Some(&driver) {
                    diffs.add("driver", json!(driver), v["Driver"].clone());
                    names.push("driver".to_string());
                }
                for (k, want) in &opts {
                    let have = &v["Options"][k];
                    if have.as_str() != Some(want) || want.is_empty() {
                        diffs.add(&format!("driver_options.{k}"), json!(want), have.clone());
                        names.push(format!("driver_options.{k}"));
                    }
                }
                for (k, want) in &labels {
                    let have = &v["Labels"][k];
                    if have.as_str() != Some(want) {
                        diffs.add(&format!("labels.{k}"), json!(want), have.clone());
                        names.push(format!("labels.{k}"));
                    }
                }
            }
            let recreate = match p.recreate {
                Recreate::Always => true,
                Recreate::OptionsChanged => !diffs.is_empty(),
                Recreate::Never => false,
            };
            if recreate && existing.is_some() {
                if !ctx.check {
                    docker
                        .ok(ctx, "Error removing volume", &args(&["volume", "rm", name]))
                        .await?;
                }
                remove(&mut changed, &mut actions);
                existing = None;
            }
            if existing.is_none() {
                if !ctx.check {
                    let mut a = args(&["volume", "create", "--driver", &driver]);
                    for (k, v) in &opts {
                        a.extend(["--opt".to_string(), format!("{k}={v}")]);
                    }
                    for (k, v) in &labels {
                        a.extend(["--label".to_string(), format!("{k}={v}")]);
                    }
                    a.extend(["--".to_string(), name.clone()]);
                    docker.ok(ctx, "Error creating volume", &a).await?;
                }
                actions.push(format!("Created volume {name} with driver {driver}"));
                changed = true;
            }
            legacy = Some(names);
            tracker.merge(diffs);
        } else if existing.is_some() {
            if !ctx.check {
                docker
                    .ok(ctx, "Error removing volume", &args(&["volume", "rm", name]))
                    .await?;
            }
            remove(&mut changed, &mut actions);
        }
        let mut out = Outcome::changed(changed);
        // The collection drops `actions` from a present volume's result outside check mode.
        if ctx.check || p.state == State::Absent {
            out = out.with("actions", to_value(&json!(actions)));
        }
        if p.state == State::Present {
            let facts = docker.inspect(ctx, "volume", name).await?.unwrap_or(Json::Null);
            out = out.with("volume", to_value(&facts));
        }
        Ok(with_diff(out, ctx.diff, ctx.check, legacy, &tracker))
    }
}
