//! `community.docker.docker_compose_v2`: a Compose project brought up, stopped, restarted or
//! taken down with the `docker compose` CLI plugin on the target, as the collection drives it:
//! the same `docker compose` command lines (`up --detach`, `stop`, `restart`, `down`, with
//! `--dry-run` in check mode), `changed` read from Compose's progress events (JSON events from
//! Compose 2.29 on, plain progress lines before), and the project's `containers` and `images`
//! in the result. A `definition` is written as `compose.yaml` (JSON is YAML) into a private
//! temporary directory on the target. Without the plugin the task fails saying so.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::docker::{Docker, args, to_value};
use crate::connection::quote::quote;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DockerComposeV2;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
    Stopped,
    Restarted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    project_src: Option<String>,
    project_name: Option<String>,
    files: Option<Vec<String>>,
    definition: Option<minijinja::Value>,
    env_files: Option<Vec<String>>,
    profiles: Option<Vec<String>>,
    check_files_existing: Option<bool>,
    #[serde(default)]
    state: State,
    dependencies: Option<bool>,
    pull: Option<String>,
    build: Option<String>,
    recreate: Option<String>,
    renew_anon_volumes: Option<bool>,
    remove_images: Option<String>,
    remove_volumes: Option<bool>,
    remove_orphans: Option<bool>,
    timeout: Option<i64>,
    services: Option<Vec<String>>,
    wait: Option<bool>,
    wait_timeout: Option<i64>,
    ignore_build_events: Option<bool>,
    #[serde(alias = "docker_url")]
    docker_host: Option<String>,
}

/// Compose's statuses the collection counts as work being done (`DOCKER_STATUS_WORKING`).
const WORKING: &[&str] = &[
    "Creating",
    "Starting",
    "Restarting",
    "Stopping",
    "Killing",
    "Removing",
    "Recreate",
    "Pulling",
    "Building",
];
const PULL: &[&str] = &["Pulled", "Pulling"];
const BUILD: &[&str] = &["Built", "Building"];
/// Every status Compose reports (`DOCKER_STATUS_AND_WARNING`).
const STATUSES: &[&str] = &[
    "Started",
    "Healthy",
    "Exited",
    "Restarted",
    "Running",
    "Created",
    "Stopped",
    "Killed",
    "Removed",
    "Recreated",
    "Pulled",
    "Built",
    "Creating",
    "Starting",
    "Restarting",
    "Stopping",
    "Killing",
    "Removing",
    "Recreate",
    "Pulling",
    "Building",
    "Error",
    "Waiting",
    "Warning",
];

/// One progress event: resource type and id, and status.
#[derive(Debug, PartialEq, Eq)]
struct Event {
    what: String,
    id: String,
    status: String,
}

/// `parse_json_events`, for the fields `changed` and `actions` need.
fn json_events(stderr: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for line in stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('{') && l.ends_with('}'))
    {
        let Ok(data) = serde_json::from_str::<Json>(line) else {
            continue;
        };
        if data["tail"].as_bool().unwrap_or(false)
            || !data["error"].is_null() && data["error"] != json!(false)
        {
            out.push(Event {
                what: "unknown".into(),
                id: data["id"].as_str().unwrap_or_default().into(),
                status: "Error".into(),
            });
            continue;
        }
        let id = data["id"].as_str().unwrap_or_default();
        let mut status = data["status"].as_str().unwrap_or_default().to_string();
        let text = data["text"].as_str().unwrap_or_default().to_string();
        if !STATUSES.contains(&status.as_str()) && STATUSES.contains(&text.as_str()) {
            status = text;
        }
        let (what, id) = match id.split_once(' ') {
            Some((kind, rest)) => (kind.to_lowercase(), rest.to_string()),
            None => ("unknown".to_string(), id.to_string()),
        };
        out.push(Event { what, id, status });
    }
    out
}

/// `parse_events` for plain progress (`Container web  Started`), Compose before 2.29.
fn plain_events(stderr: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for line in stderr.lines() {
        let line = line.trim().trim_start_matches("DRY-RUN MODE -").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [
            kind @ ("Container" | "Network" | "Volume" | "Image"),
            id,
            status,
            ..,
        ] = words.as_slice()
        {
            if STATUSES.contains(status) {
                out.push(Event {
                    what: kind.to_lowercase(),
                    id: id.to_string(),
                    status: status.to_string(),
                });
            }
        }
    }
    out
}

/// `has_changes`.
fn has_changes(events: &[Event], ignore_pull: bool, ignore_build: bool) -> bool {
    events.iter().any(|e| {
        WORKING.contains(&e.status.as_str())
            && !(ignore_pull && PULL.contains(&e.status.as_str()))
            && !(ignore_build && BUILD.contains(&e.status.as_str()))
    })
}

/// `extract_actions`.
fn actions(events: &[Event]) -> Vec<Json> {
    events
        .iter()
        .filter(|e| WORKING.contains(&e.status.as_str()))
        .map(|e| json!({"what": e.what, "id": e.id, "status": e.status}))
        .collect()
}

/// The project as the module addresses it: the base `docker compose` arguments.
struct Project {
    base: Vec<String>,
    use_json: bool,
}

impl Project {
    fn command(&self, tail: &[&str], services: &[String]) -> Vec<String> {
        let mut a = self.base.clone();
        a.extend(tail.iter().map(|s| s.to_string()));
        a.push("--".into());
        a.extend(services.iter().cloned());
        a
    }
}

/// The plugin's version (`docker compose version --format json`), or the collection's error.
async fn compose_version(docker: &Docker, ctx: &mut ModuleCtx<'_>) -> Result<(u64, u64), ModuleError> {
    let ran = docker
        .run(ctx, &args(&["compose", "version", "--format", "json"]), None)
        .await?;
    let version = serde_json::from_str::<Json>(&ran.stdout)
        .ok()
        .and_then(|j| j["version"].as_str().map(str::to_string))
        .filter(|_| ran.rc == 0);
    let Some(version) = version else {
        let cli = ctx.run("command -v docker").await?;
        return Err(ModuleError::failed(format!(
            "Docker CLI {} does not have the compose plugin installed",
            String::from_utf8_lossy(&cli.stdout).trim()
        )));
    };
    let mut parts = version.trim_start_matches('v').split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u64>()
            .unwrap_or(0)
    });
    Ok((parts.next().unwrap_or(0), parts.next().unwrap_or(0)))
}

#[async_trait]
impl TypedModule for DockerComposeV2 {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_compose_v2")
        .collection(Collection::Docker)
        .fqcn_only();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.definition.is_some() == p.project_src.is_some() {
            return Err(ModuleError::Params(
                "docker_compose_v2: give exactly one of project_src and definition".into(),
            ));
        }
        if p.definition.is_some() && p.project_name.is_none() {
            return Err(ModuleError::Params(
                "docker_compose_v2: missing parameter(s) required by 'definition': project_name".into(),
            ));
        }
        let docker = Docker::new(p.docker_host.clone());
        let version = compose_version(&docker, ctx).await?;
        if version < (2, 18) {
            return Err(ModuleError::failed(format!(
                "Docker CLI has the compose plugin with version {}.{}; need version 2.18.0 or later",
                version.0, version.1
            )));
        }
        let scratch = match &p.definition {
            Some(def) => {
                let dir = ctx.run("umask 077; mktemp -d").await?;
                let dir = String::from_utf8_lossy(&dir.stdout).trim().to_string();
                let text = serde_json::to_string_pretty(&def)
                    .map_err(|e| ModuleError::Params(format!("definition: {e}")))?;
                let mut cmd = ctx.command(format!("cat > {}/compose.yaml", quote(&dir)));
                cmd.stdin = Some(text.into_bytes());
                ctx.conn.run(&cmd, None).await?;
                Some(dir)
            }
            None => None,
        };
        let result = run_project(&p, &docker, ctx, version, scratch.as_deref()).await;
        if let Some(dir) = &scratch {
            ctx.run(format!("rm -rf -- {}", quote(dir))).await?;
        }
        result
    }
}

async fn run_project(
    p: &Params,
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    version: (u64, u64),
    scratch: Option<&str>,
) -> Result<Outcome, ModuleError> {
    let src = scratch
        .map(str::to_string)
        .or_else(|| p.project_src.clone())
        .unwrap_or_default();
    let dir_ok = ctx.run(format!("test -d {}", quote(&src))).await?;
    if dir_ok.rc != 0 {
        return Err(ModuleError::failed(format!("\"{src}\" is not a directory")));
    }
    if let Some(files) = &p.files {
        for f in files {
            if ctx.run(format!("test -e {}/{}", quote(&src), quote(f))).await?.rc != 0 {
                return Err(ModuleError::failed(format!(
                    "Cannot find Compose file \"{f}\" relative to project directory \"{src}\""
                )));
            }
        }
    } else if p.check_files_existing.unwrap_or(true) {
        let any = "compose.yaml compose.yml docker-compose.yaml docker-compose.yml";
        let probe = format!(
            "cd {} && for f in {any}; do [ -e \"$f\" ] && exit 0; done; exit 1",
            quote(&src)
        );
        if ctx.run(probe).await?.rc != 0 {
            return Err(ModuleError::failed(format!(
                "\"{src}\" does not contain compose.yaml, compose.yml, docker-compose.yaml, or docker-compose.yml"
            )));
        }
    }
    let use_json = version >= (2, 29);
    let mut base = args(&["compose", "--ansi", "never", "--progress"]);
    base.push(if use_json { "json" } else { "plain" }.into());
    base.extend(["--project-directory".to_string(), src.clone()]);
    if let Some(name) = &p.project_name {
        base.extend(["--project-name".to_string(), name.clone()]);
    }
    for (flag, list) in [
        ("--file", &p.files),
        ("--env-file", &p.env_files),
        ("--profile", &p.profiles),
    ] {
        for v in list.iter().flatten() {
            base.extend([flag.to_string(), v.clone()]);
        }
    }
    let project = Project { base, use_json };
    let services = p.services.clone().unwrap_or_default();
    let check = ctx.check;
    let mut changed = false;
    let mut all_actions = Vec::new();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let mut step = |ran: &super::docker::Ran, ignore_pull: bool, ignore_build: bool| {
        let events = match project.use_json {
            true => json_events(&ran.stderr),
            false => plain_events(&ran.stderr),
        };
        changed |= has_changes(&events, ignore_pull, ignore_build);
        all_actions.extend(actions(&events));
        for (all, new) in [(&mut stdout, &ran.stdout), (&mut stderr, &ran.stderr)] {
            if !new.is_empty() {
                if !all.is_empty() {
                    all.push('\n');
                }
                all.push_str(new);
            }
        }
    };
    let ignore_build = p.ignore_build_events.unwrap_or(true);
    let up = |no_start: bool| -> Vec<String> {
        let mut t: Vec<String> = args(&["up", "--detach", "--no-color", "--quiet-pull"]);
        match p.pull.as_deref().unwrap_or("policy") {
            "policy" => {}
            other => t.extend(["--pull".to_string(), other.to_string()]),
        }
        if p.remove_orphans.unwrap_or(false) {
            t.push("--remove-orphans".into());
        }
        match p.recreate.as_deref().unwrap_or("auto") {
            "always" => t.push("--force-recreate".into()),
            "never" => t.push("--no-recreate".into()),
            _ => {}
        }
        if p.renew_anon_volumes.unwrap_or(false) {
            t.push("--renew-anon-volumes".into());
        }
        if !p.dependencies.unwrap_or(true) {
            t.push("--no-deps".into());
        }
        if let Some(s) = p.timeout {
            t.extend(["--timeout".to_string(), s.to_string()]);
        }
        match p.build.as_deref().unwrap_or("policy") {
            "always" => t.push("--build".into()),
            "never" => t.push("--no-build".into()),
            _ => {}
        }
        if p.wait.unwrap_or(false) {
            t.push("--wait".into());
            if let Some(s) = p.wait_timeout {
                t.extend(["--wait-timeout".to_string(), s.to_string()]);
            }
        }
        if no_start {
            t.push("--no-start".into());
        }
        if check {
            t.push("--dry-run".into());
        }
        let refs: Vec<&str> = t.iter().map(String::as_str).collect();
        project.command(&refs, &services)
    };
    let with_timeout = |verb: &str, deps: bool| -> Vec<String> {
        let mut t = vec![verb.to_string()];
        if deps && !p.dependencies.unwrap_or(true) {
            t.push("--no-deps".into());
        }
        if let Some(s) = p.timeout {
            t.extend(["--timeout".to_string(), s.to_string()]);
        }
        if check {
            t.push("--dry-run".into());
        }
        t
    };
    let failed = |ran: &super::docker::Ran, what: &str| ran.failure(&format!("docker compose {what} failed"));
    match p.state {
        State::Present => {
            let ran = docker.run(ctx, &up(false), None).await?;
            step(&ran, true, ignore_build);
            if ran.rc != 0 {
                return Err(failed(&ran, "up"));
            }
        }
        State::Stopped => {
            let ran = docker.run(ctx, &up(true), None).await?;
            step(&ran, true, ignore_build);
            if ran.rc != 0 {
                return Err(failed(&ran, "up"));
            }
            let ps = list(docker, ctx, &project, &["ps", "--format", "json", "--all"]).await?;
            let running = ps.iter().any(|c| {
                !matches!(
                    c["State"].as_str(),
                    Some("created" | "exited" | "stopped" | "killed")
                )
            });
            if running {
                let t = with_timeout("stop", false);
                let refs: Vec<&str> = t.iter().map(String::as_str).collect();
                let ran = docker.run(ctx, &project.command(&refs, &services), None).await?;
                step(&ran, false, false);
                if ran.rc != 0 {
                    return Err(failed(&ran, "stop"));
                }
            }
        }
        State::Restarted => {
            let t = with_timeout("restart", true);
            let refs: Vec<&str> = t.iter().map(String::as_str).collect();
            let ran = docker.run(ctx, &project.command(&refs, &services), None).await?;
            step(&ran, false, false);
            if ran.rc != 0 {
                return Err(failed(&ran, "restart"));
            }
        }
        State::Absent => {
            let mut t = vec!["down".to_string()];
            if p.remove_orphans.unwrap_or(false) {
                t.push("--remove-orphans".into());
            }
            if let Some(rmi) = &p.remove_images {
                t.extend(["--rmi".to_string(), rmi.clone()]);
            }
            if p.remove_volumes.unwrap_or(false) {
                t.push("--volumes".into());
            }
            if let Some(s) = p.timeout {
                t.extend(["--timeout".to_string(), s.to_string()]);
            }
            if check {
                t.push("--dry-run".into());
            }
            let refs: Vec<&str> = t.iter().map(String::as_str).collect();
            let ran = docker.run(ctx, &project.command(&refs, &services), None).await?;
            step(&ran, false, false);
            if ran.rc != 0 {
                return Err(failed(&ran, "down"));
            }
        }
    }
    let containers = list(
        docker,
        ctx,
        &project,
        &["ps", "--format", "json", "--all", "--no-trunc"],
    )
    .await?;
    let containers: Vec<Json> = containers.into_iter().map(normalize_container).collect();
    let images = list(docker, ctx, &project, &["images", "--format", "json"]).await?;
    let mut out = Outcome::changed(changed)
        .with("actions", to_value(&json!(all_actions)))
        .with("containers", to_value(&json!(containers)))
        .with("images", to_value(&json!(images)));
    if !stdout.is_empty() {
        out = out.with("stdout", stdout);
    }
    if !stderr.is_empty() {
        out = out.with("stderr", stderr);
    }
    Ok(out)
}

/// A `docker compose ps|images --format json` listing (one JSON document, or one per line).
async fn list(
    docker: &Docker,
    ctx: &mut ModuleCtx<'_>,
    project: &Project,
    tail: &[&str],
) -> Result<Vec<Json>, ModuleError> {
    let mut a = project.base.clone();
    a.extend(tail.iter().map(|s| s.to_string()));
    let ran = docker.run(ctx, &a, None).await?;
    if ran.rc != 0 {
        return Err(ran.failure(&format!("docker compose {}", tail[0])));
    }
    let text = ran.stdout.trim();
    if let Ok(doc) = serde_json::from_str::<Json>(text) {
        return Ok(match doc {
            Json::Array(items) => items,
            Json::Object(map) if tail[0] == "images" => map.into_iter().map(|(_, v)| v).collect(),
            other => vec![other],
        });
    }
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// `list_containers`: labels as a mapping, names and networks as lists.
fn normalize_container(mut c: Json) -> Json {
    let labels: serde_json::Map<String, Json> = c["Labels"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (k.to_string(), json!(v)),
            None => (part.to_string(), json!("")),
        })
        .collect();
    c["Labels"] = Json::Object(labels);
    let names = c
        .get("Names")
        .or(c.get("Name"))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    c["Names"] = json!(names.split(',').collect::<Vec<_>>());
    let networks = c["Networks"].as_str().unwrap_or_default().to_string();
    c["Networks"] = json!(networks.split(',').collect::<Vec<_>>());
    if c["Publishers"].is_null() {
        c["Publishers"] = json!([]);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_decide_changed() {
        let stderr = r#"{"id":"Network demo_default","status":"Creating"}
{"id":"Container demo-web-1","text":"Started"}
{"id":"Container demo-web-1","status":"Running"}"#;
        let events = json_events(stderr);
        assert_eq!(events[1].status, "Started");
        assert_eq!(events[0].what, "network");
        assert!(has_changes(&events, true, true));
        assert!(!has_changes(&events[1..], true, true));
        let plain = plain_events(" Container demo-web-1  Recreate\n Container demo-web-1  Started\n");
        assert!(has_changes(&plain, true, true));
        assert_eq!(actions(&plain).len(), 1);
    }
}
