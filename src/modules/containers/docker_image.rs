//! `community.docker.docker_image`: an image present (pulled, loaded from an archive, built from
//! a directory with a Dockerfile, or required to exist already) or absent, and optionally
//! archived to a file, through the `docker` CLI on the target, as the collection's
//! `ImageManager` does it: an image that exists is left alone unless `force_source`; an archive
//! is written again only when it holds another image or name.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::docker::{Docker, args, is_image_id, repository_tag, to_value};
use crate::connection::quote::quote;
use crate::modules::params::state::State;
use crate::modules::params::value_to_text;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DockerImage;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Build,
    Load,
    Pull,
    Local,
}

/// `build:`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    path: String,
    dockerfile: Option<String>,
    nocache: Option<bool>,
    pull: Option<bool>,
    rm: Option<bool>,
    args: Option<IndexMap<String, Value>>,
    target: Option<String>,
    network: Option<String>,
    labels: Option<IndexMap<String, Value>>,
    etc_hosts: Option<IndexMap<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    tag: Option<String>,
    source: Option<Source>,
    #[serde(default)]
    state: State,
    build: Option<Build>,
    load_path: Option<String>,
    archive_path: Option<String>,
    force_source: Option<bool>,
    force_absent: Option<bool>,
    #[serde(alias = "docker_url")]
    docker_host: Option<String>,
}

/// What the module did so far.
struct Done {
    changed: bool,
    actions: Vec<String>,
    image: Json,
    stdout: Option<String>,
}

#[async_trait]
impl TypedModule for DockerImage {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_image").collection(Collection::Docker);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let docker = Docker::new(p.docker_host.clone());
        // A tag in the name wins over `tag`.
        let (mut name, mut tag) = (p.name.clone(), p.tag.clone().unwrap_or_else(|| "latest".into()));
        if !is_image_id(&name) {
            if let (repo, Some(t)) = repository_tag(&p.name) {
                name = repo;
                tag = t;
            }
        }
        let full = match is_image_id(&name) {
            true => name.clone(),
            false => format!("{name}:{tag}"),
        };
        let mut done = Done {
            changed: false,
            actions: Vec::new(),
            image: json!({}),
            stdout: None,
        };
        let image = docker.inspect(ctx, "image", &full).await?;
        match p.state {
            State::Absent => {
                if image.is_some() {
                    if !ctx.check {
                        let mut a = args(&["image", "rm"]);
                        if p.force_absent.unwrap_or(false) {
                            a.push("--force".into());
                        }
                        a.push(full.clone());
                        docker
                            .ok(ctx, &format!("Error removing image {full}"), &a)
                            .await?;
                    }
                    done.changed = true;
                    done.actions.push(format!("Removed image {full}"));
                    done.image = json!({"state": "Deleted"});
                }
            }
            State::Present => {
                let Some(source) = p.source else {
                    return Err(ModuleError::Params(
                        "docker_image: state is present but all of the following are missing: source".into(),
                    ));
                };
                if image.is_none() || p.force_source.unwrap_or(false) {
                    present(&p, source, &docker, ctx, &full, &mut done).await?;
                    if !ctx.check && image.as_ref().is_some_and(|i| i["Id"] == done.image["Id"]) {
                        done.changed = false;
                    }
                } else {
                    done.image = image.clone().unwrap_or_default();
                }
                if let Some(path) = &p.archive_path {
                    archive(&docker, ctx, path, &full, &mut done).await?;
                }
            }
        }
        let mut out = Outcome::changed(done.changed)
            .with("actions", to_value(&json!(done.actions)))
            .with("image", to_value(&done.image));
        if let Some(stdout) = done.stdout {
            out = out.with("stdout", stdout);
        }
        Ok(out)
    }
}

/// Builds, loads, pulls or checks for the image.
async fn present(
    p: &Params,
    source: Source,
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    full: &str,
    done: &mut Done,
) -> Result<(), ModuleError> {
    match source {
        Source::Build => {
            let Some(build) = &p.build else {
                return Err(ModuleError::Params(
                    "docker_image: source is build but all of the following are missing: build".into(),
                ));
            };
            let dir = ctx.run(format!("test -d {}", quote(&build.path))).await?;
            if dir.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "Requested build path {} could not be found or you do not have access.",
                    build.path
                )));
            }
            done.actions
                .push(format!("Built image {full} from {}", build.path));
            done.changed = true;
            if !ctx.check {
                let mut a = args(&["build", "--tag", full]);
                if let Some(f) = &build.dockerfile {
                    a.extend([
                        "--file".to_string(),
                        format!("{}/{f}", build.path.trim_end_matches('/')),
                    ]);
                }
                for (flag, on) in [("--no-cache", build.nocache), ("--pull", build.pull)] {
                    if on == Some(true) {
                        a.push(flag.into());
                    }
                }
                a.push(format!("--rm={}", build.rm.unwrap_or(true)));
                a.push(format!("--force-rm={}", build.rm.unwrap_or(true)));
                for (k, v) in build.args.iter().flatten() {
                    a.extend(["--build-arg".to_string(), format!("{k}={}", value_to_text(v))]);
                }
                for (k, v) in build.labels.iter().flatten() {
                    a.extend(["--label".to_string(), format!("{k}={}", value_to_text(v))]);
                }
                for (k, v) in build.etc_hosts.iter().flatten() {
                    a.extend(["--add-host".to_string(), format!("{k}:{}", value_to_text(v))]);
                }
                if let Some(t) = &build.target {
                    a.extend(["--target".to_string(), t.clone()]);
                }
                if let Some(n) = &build.network {
                    a.extend(["--network".to_string(), n.clone()]);
                }
                a.push(build.path.clone());
                let ran = run_build(docker, ctx, &a).await?;
                if ran.rc != 0 {
                    return Err(ModuleError::failed(format!(
                        "Error building {} - message: {}, logs: {}",
                        p.name,
                        ran.stderr.trim(),
                        ran.stdout.trim()
                    )));
                }
                done.stdout = Some(ran.stdout.trim_end().to_string());
                done.image = docker.inspect(ctx, "image", full).await?.unwrap_or(Json::Null);
            }
        }
        Source::Load => {
            let Some(path) = &p.load_path else {
                return Err(ModuleError::Params(
                    "docker_image: source is load but all of the following are missing: load_path".into(),
                ));
            };
            let file = ctx.run(format!("test -f {}", quote(path))).await?;
            if file.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "Error loading image {full}. Specified path {path} does not exist."
                )));
            }
            done.actions.push(format!("Loaded image {full} from {path}"));
            done.changed = true;
            if !ctx.check {
                docker
                    .ok(
                        ctx,
                        &format!("Error loading image {full}"),
                        &args(&["load", "--input", path]),
                    )
                    .await?;
                done.image = docker.inspect(ctx, "image", full).await?.ok_or_else(|| {
                    ModuleError::failed(format!("The archive {path} did not contain the image {full}"))
                })?;
            }
        }
        Source::Pull => {
            if is_image_id(&p.name) {
                return Err(ModuleError::failed(format!(
                    "Image name must not be an image ID for source=pull; got: {}",
                    p.name
                )));
            }
            done.actions.push(format!("Pulled image {full}"));
            done.changed = true;
            if !ctx.check {
                docker
                    .ok(
                        ctx,
                        &format!("Error pulling image {full}"),
                        &args(&["pull", "--", full]),
                    )
                    .await?;
                done.image = docker.inspect(ctx, "image", full).await?.unwrap_or(Json::Null);
            }
        }
        Source::Local => {
            if docker.inspect(ctx, "image", full).await?.is_none() {
                return Err(ModuleError::failed(format!(
                    "Cannot find the image {full} locally."
                )));
            }
        }
    }
    Ok(())
}

/// `docker build` with the classic builder (`DOCKER_BUILDKIT=0`), as the Engine API's build.
async fn run_build(
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    a: &[String],
) -> Result<super::docker::Ran, ModuleError> {
    ctx.via.env.push(("DOCKER_BUILDKIT".into(), "0".into()));
    let ran = docker.run(ctx, a, None).await;
    ctx.via.env.pop();
    ran
}

/// The image ID and names an archive written by `docker save` holds (its `manifest.json`).
fn archived(manifest: &str) -> Option<(String, Vec<String>)> {
    let json: Json = serde_json::from_str(manifest).ok()?;
    let entry = json.as_array()?.first()?;
    let config = entry["Config"].as_str()?;
    let hex = config
        .trim_start_matches("blobs/sha256/")
        .trim_end_matches(".json")
        .to_string();
    let tags = entry["RepoTags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    Some((format!("sha256:{hex}"), tags))
}

/// `archive_image`: writes `docker save` of the image to `path` unless it already holds it.
async fn archive(
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    path: &str,
    full: &str,
    done: &mut Done,
) -> Result<(), ModuleError> {
    let Some(image) = docker.inspect(ctx, "image", full).await? else {
        return Ok(());
    };
    let id = image["Id"].as_str().unwrap_or_default().to_string();
    let read = ctx
        .run(format!("tar -xOf {} manifest.json 2>/dev/null", quote(path)))
        .await?;
    let exists = ctx.run(format!("test -e {}", quote(path))).await?.rc == 0;
    let msg = |reason: &str| format!("Archived image {full} to {path}, {reason}");
    let action = match (exists, archived(&String::from_utf8_lossy(&read.stdout))) {
        (false, _) => Some(msg("since none present")),
        (true, None) => Some(msg("overwriting an unreadable archive file")),
        (true, Some((have, tags))) if have == id && tags == [full.to_string()] => None,
        (true, Some((have, tags))) => Some(msg(&format!(
            "overwriting archive with image {} named {}",
            have.trim_start_matches("sha256:"),
            tags.join(", ")
        ))),
    };
    done.changed = action.is_some();
    if let Some(action) = action {
        done.actions.push(action);
        if !ctx.check {
            docker
                .ok(
                    ctx,
                    &format!("Error writing image archive {path}"),
                    &args(&["save", "--output", path, full]),
                )
                .await?;
        }
    }
    done.image = image;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_manifests() {
        let m = r#"[{"Config":"abc.json","RepoTags":["local/bb:1"],"Layers":[]}]"#;
        assert_eq!(
            archived(m),
            Some(("sha256:abc".into(), vec!["local/bb:1".into()]))
        );
        let m = r#"[{"Config":"blobs/sha256/def","RepoTags":["a:b"]}]"#;
        assert_eq!(archived(m).map(|a| a.0), Some("sha256:def".into()));
    }
}
