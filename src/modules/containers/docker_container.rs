//! `community.docker.docker_container`: a container kept as the task describes it, through the
//! `docker` CLI on the target, with the collection's semantics (`ContainerManager` in its
//! `module_container/module.py`): the container is inspected and compared option by option
//! with what the task wants (`container_want.rs`); a difference, a different image or
//! `recreate` stops, removes and creates it again; then it is started, restarted or stopped as
//! `state` says. `changed` is honest, check mode touches nothing and reports the same, `--diff`
//! shows the differing options, and the result's `container` is the `docker inspect` object.

use async_trait::async_trait;
use serde_json::{Value as Json, json};

use super::compare::{Differences, Mode, diff_text};
use super::container_create::create_command;
use super::container_params::{Params, Pull, State};
use super::container_want::{Modes, Wanted, extra_networks, network_differences};
use super::docker::{Docker, args, image_ref, is_image_id, repository_tag, to_value};
use crate::modules::{Collection, Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DockerContainer;

/// One run of the module: what it did so far, as the collection accumulates it.
struct Run<'p> {
    p: &'p Params,
    docker: Docker,
    check: bool,
    changed: bool,
    actions: Vec<Json>,
    tracker: Differences,
    legacy: Vec<Json>,
    image_different: bool,
    status: Option<i64>,
    failed_output: Option<String>,
}

#[async_trait]
impl TypedModule for DockerContainer {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_container").collection(Collection::Docker);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.state == State::Present && p.image.is_none() {
            return Err(ModuleError::Params(
                "docker_container: state is present but all of the following are missing: image".into(),
            ));
        }
        let mut run = Run {
            p: &p,
            docker: Docker::new(p.docker_host.clone()),
            check: ctx.check,
            changed: false,
            actions: Vec::new(),
            tracker: Differences::default(),
            legacy: Vec::new(),
            image_different: false,
            status: None,
            failed_output: None,
        };
        let facts = match p.state {
            State::Absent => {
                run.absent(ctx).await?;
                None
            }
            state => run.present(ctx, state).await?,
        };
        let mut out = Outcome::changed(run.changed);
        if ctx.check {
            out = out.with("actions", to_value(&json!(run.actions)));
        }
        if let Some(status) = run.status {
            out = out.with("status", status);
        }
        if ctx.diff {
            let (before, after) = run.tracker.before_after();
            let mut diff = json!({"before": before, "after": after});
            if !run.legacy.is_empty() {
                diff["differences"] = json!(run.legacy);
            }
            if run.image_different {
                diff["image_different"] = json!(true);
            }
            out.diff.push(Diff {
                before: diff_text(&before),
                after: diff_text(&after),
                ..Diff::default()
            });
            out = out.with("diff", to_value(&diff));
        }
        if let Some(facts) = facts.filter(|f| !f.is_null()) {
            out = out.with("container", to_value(&facts));
        }
        if let Some(msg) = run.failed_output {
            return Err(ModuleError::failed_with(msg, out));
        }
        Ok(out)
    }
}

fn is_running(c: &Json) -> bool {
    c["State"]["Running"].as_bool().unwrap_or(false) && !c["State"]["Ghost"].as_bool().unwrap_or(false)
}

fn id_of(c: &Json) -> String {
    c["Id"].as_str().unwrap_or_default().to_string()
}

impl Run<'_> {
    /// `present(state)`.
    async fn present(&mut self, ctx: &mut ModuleCtx<'_>, state: State) -> Result<Option<Json>, ModuleError> {
        let p = self.p;
        let modes = Modes::new(p)?;
        let env_file = match &p.env_file {
            Some(path) => Some(self.read_env_file(ctx, path).await?),
            None => None,
        };
        let wanted = Wanted::new(p, env_file.as_deref())?;
        for net in p.networks.iter().flatten() {
            if self.docker.inspect(ctx, "network", &net.name).await?.is_none() {
                return Err(ModuleError::failed(format!(
                    "Parameter error: network named {} could not be found. Does it exist?",
                    net.name
                )));
            }
        }
        let mut container = self.docker.inspect(ctx, "container", &p.name).await?;
        let was_running = container.as_ref().is_some_and(is_running);
        let image = self.image(ctx).await?;
        let removing = container
            .as_ref()
            .is_some_and(|c| c["State"]["Status"] == "removing");
        let mut created = false;
        match container.clone().filter(|_| !removing) {
            None => {
                let Some(name) = &p.image else {
                    return Err(ModuleError::failed(
                        "Cannot create container when image is not specified!",
                    ));
                };
                self.tracker.add("exists", json!(true), json!(false));
                if let Some(c) = self.create(ctx, &wanted, name).await? {
                    container = Some(c);
                }
                created = true;
            }
            Some(c) => {
                let differences = wanted.differences(p, &modes, &c, image.as_ref());
                let mut different = !differences.is_empty();
                let mut image_different = false;
                if modes.get("image") == Mode::Strict {
                    if let (Some(img), Some(have)) = (&image, c["Image"].as_str()) {
                        if let Some(want_id) = img["Id"].as_str().filter(|id| *id != have) {
                            self.tracker.add("image", json!(want_id), json!(have));
                            image_different = true;
                        }
                    }
                    let have_name = c["Config"]["Image"].as_str().unwrap_or_default();
                    if p.image_name_mismatch.as_deref() != Some("ignore")
                        && p.image.as_deref().is_some_and(|n| n != have_name)
                    {
                        different = true;
                        self.tracker.add("image_name", json!(p.image), json!(have_name));
                    }
                }
                if image_different || different || p.recreate.unwrap_or(false) {
                    if let Json::Array(items) = differences.legacy() {
                        self.legacy = items;
                    }
                    self.tracker.merge(differences);
                    self.image_different = image_different;
                    let image_to_use = p
                        .image
                        .clone()
                        .or_else(|| c["Image"].as_str().map(str::to_string))
                        .ok_or_else(|| {
                            ModuleError::failed(
                                "Cannot recreate container when image is not specified or cannot be extracted from current container!",
                            )
                        })?;
                    if is_running(&c) {
                        self.stop(ctx, &id_of(&c)).await?;
                    }
                    self.remove(ctx, &id_of(&c), false).await?;
                    if let Some(new) = self.create(ctx, &wanted, &image_to_use).await? {
                        container = Some(new);
                    }
                    created = true;
                }
            }
        }
        let Some(mut c) = container.filter(|c| !c.is_null()) else {
            return Ok(None);
        };
        c = self.update_networks(ctx, &modes, c, created).await?;
        let running = is_running(&c);
        if matches!(state, State::Started | State::Healthy) && !running {
            self.tracker.add("running", json!(true), json!(was_running));
            c = self.start(ctx, &id_of(&c), c.clone()).await?;
        } else if matches!(state, State::Started | State::Healthy) && p.restart.unwrap_or(false) {
            self.tracker.add("running", json!(true), json!(was_running));
            self.tracker.add("restarted", json!(true), json!(false));
            let id = id_of(&c);
            let t = p.stop_timeout.unwrap_or(10).to_string();
            self.actions
                .push(json!({"restarted": id, "timeout": p.stop_timeout}));
            self.changed = true;
            if !self.check {
                self.docker
                    .ok(
                        ctx,
                        "Error restarting container",
                        &args(&["restart", "-t", &t, &id]),
                    )
                    .await?;
                c = self.reinspect(ctx, &id, c).await?;
            }
        } else if state == State::Stopped && running {
            self.tracker.add("running", json!(false), json!(was_running));
            let id = id_of(&c);
            self.stop(ctx, &id).await?;
            c = self.reinspect(ctx, &id, c).await?;
        }
        if state == State::Healthy && !self.check {
            c = self.wait_healthy(ctx, &id_of(&c)).await?;
        }
        Ok(Some(c))
    }

    /// `absent()`.
    async fn absent(&mut self, ctx: &mut ModuleCtx<'_>) -> Result<(), ModuleError> {
        let Some(c) = self.docker.inspect(ctx, "container", &self.p.name).await? else {
            return Ok(());
        };
        let id = id_of(&c);
        if is_running(&c) {
            self.tracker.add("running", json!(false), json!(true));
            self.stop(ctx, &id).await?;
        }
        self.tracker.add("exists", json!(false), json!(true));
        self.remove(ctx, &id, false).await
    }

    /// The env file, read on the target.
    async fn read_env_file(&self, ctx: &mut ModuleCtx<'_>, path: &str) -> Result<String, ModuleError> {
        let out = ctx
            .run(format!("cat -- {}", crate::connection::quote::quote(path)))
            .await?;
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "docker_container: cannot read env_file {path}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `_get_image`: the wanted image, pulled when `pull` says so.
    async fn image(&mut self, ctx: &mut ModuleCtx<'_>) -> Result<Option<Json>, ModuleError> {
        let Some(name) = &self.p.image else {
            return Ok(None);
        };
        if is_image_id(name) {
            return match self.docker.inspect(ctx, "image", name).await? {
                Some(img) => Ok(Some(img)),
                None => Err(ModuleError::failed(format!("Cannot find image with ID {name}"))),
            };
        }
        let (repo, tag) = repository_tag(name);
        let tag = tag.unwrap_or_else(|| "latest".into());
        let reference = image_ref(name);
        let pull = self.p.pull()?;
        let image = self.docker.inspect(ctx, "image", &reference).await?;
        if image.is_none() && pull == Pull::Never {
            return Err(ModuleError::failed(format!(
                "Cannot find image with name {repo}:{tag}, and pull=never"
            )));
        }
        if image.is_some() && pull != Pull::Always {
            return Ok(image);
        }
        let pulled = format!("{repo}:{tag}");
        if self.check {
            if image.is_none() || self.p.pull_check_mode_behavior.as_deref() == Some("always") {
                self.changed = true;
                let mut action = json!({"pulled_image": pulled});
                if image.is_none() {
                    action["changed"] = json!(true);
                }
                self.actions.push(action);
            }
            return Ok(image);
        }
        self.docker
            .ok(
                ctx,
                &format!("Error pulling image {pulled}"),
                &args(&["pull", "--", &reference]),
            )
            .await?;
        let after = self.docker.inspect(ctx, "image", &reference).await?;
        let same = image
            .as_ref()
            .zip(after.as_ref())
            .is_some_and(|(a, b)| a["Id"] == b["Id"]);
        self.changed = !same;
        self.actions
            .push(json!({"pulled_image": pulled, "changed": !same}));
        Ok(after)
    }

    /// `container_create`: the new container's inspect object (`None` in check mode).
    async fn create(
        &mut self,
        ctx: &mut ModuleCtx<'_>,
        w: &Wanted,
        image: &str,
    ) -> Result<Option<Json>, ModuleError> {
        let cmd = create_command(self.p, w, image)?;
        self.actions.push(json!({"created": "Created container"}));
        self.changed = true;
        if self.check {
            return Ok(None);
        }
        let ran = self
            .docker
            .ok_stdin(ctx, "Error creating container", &cmd.args, cmd.stdin)
            .await?;
        let id = ran.stdout.lines().last().unwrap_or_default().trim().to_string();
        let c = self.docker.inspect(ctx, "container", &id).await?;
        Ok(c)
    }

    /// `container_start`, waiting for the end when `detach: false`.
    async fn start(&mut self, ctx: &mut ModuleCtx<'_>, id: &str, current: Json) -> Result<Json, ModuleError> {
        self.actions.push(json!({"started": id}));
        self.changed = true;
        if self.check {
            return Ok(current);
        }
        self.docker
            .ok(
                ctx,
                &format!("Error starting container {id}"),
                &args(&["start", id]),
            )
            .await?;
        if self.p.detach == Some(false) {
            let waited = self
                .docker
                .ok(ctx, "Error waiting for container", &args(&["wait", id]))
                .await?;
            let status: i64 = waited.stdout.trim().parse().unwrap_or(-1);
            self.status = Some(status);
            let logs = self
                .docker
                .ok(ctx, "Error reading container output", &args(&["logs", id]))
                .await?;
            let output = format!("{}{}", logs.stdout, logs.stderr);
            if self.p.cleanup.unwrap_or(false) {
                self.remove(ctx, id, true).await?;
            }
            let mut c = self
                .docker
                .inspect(ctx, "container", id)
                .await?
                .unwrap_or_else(|| json!({}));
            c["Output"] = json!(output);
            if status != 0 {
                self.failed_output = Some(output);
            }
            return Ok(c);
        }
        self.reinspect(ctx, id, current).await
    }

    /// `container_stop` (or `container_kill` with `force_kill`).
    async fn stop(&mut self, ctx: &mut ModuleCtx<'_>, id: &str) -> Result<(), ModuleError> {
        self.changed = true;
        if self.p.force_kill.unwrap_or(false) {
            self.actions
                .push(json!({"killed": id, "signal": self.p.kill_signal}));
            if !self.check {
                let mut a = args(&["kill"]);
                if let Some(sig) = &self.p.kill_signal {
                    a.extend(["--signal".to_string(), sig.clone()]);
                }
                a.push(id.to_string());
                self.docker
                    .ok(ctx, &format!("Error killing container {id}"), &a)
                    .await?;
            }
            return Ok(());
        }
        self.actions
            .push(json!({"stopped": id, "timeout": self.p.stop_timeout}));
        if !self.check {
            let mut a = args(&["stop"]);
            if let Some(t) = self.p.stop_timeout {
                a.extend(["-t".to_string(), t.to_string()]);
            }
            a.push(id.to_string());
            self.docker
                .ok(ctx, &format!("Error stopping container {id}"), &a)
                .await?;
        }
        Ok(())
    }

    /// `container_remove`.
    async fn remove(&mut self, ctx: &mut ModuleCtx<'_>, id: &str, force: bool) -> Result<(), ModuleError> {
        let volumes = !self.p.keep_volumes.unwrap_or(true);
        self.actions
            .push(json!({"removed": id, "volume_state": volumes, "link": false, "force": force}));
        self.changed = true;
        if self.check {
            return Ok(());
        }
        let mut a = args(&["rm"]);
        if volumes {
            a.push("-v".into());
        }
        if force {
            a.push("-f".into());
        }
        a.push(id.to_string());
        self.docker
            .ok(ctx, &format!("Error removing container {id}"), &a)
            .await?;
        Ok(())
    }

    async fn reinspect(
        &self,
        ctx: &mut ModuleCtx<'_>,
        id: &str,
        fallback: Json,
    ) -> Result<Json, ModuleError> {
        Ok(self
            .docker
            .inspect(ctx, "container", id)
            .await?
            .unwrap_or(fallback))
    }

    /// `update_networks`: connect to the wanted networks (again, when their settings differ),
    /// and with `comparisons: {networks: strict}` disconnect from the others.
    async fn update_networks(
        &mut self,
        ctx: &mut ModuleCtx<'_>,
        modes: &Modes,
        c: Json,
        created: bool,
    ) -> Result<Json, ModuleError> {
        let Some(wanted) = &self.p.networks else {
            return Ok(c);
        };
        let id = id_of(&c);
        let mut touched = false;
        if modes.get("networks") != Mode::Ignore || created {
            let diffs = network_differences(wanted, &c);
            if !diffs.is_empty() {
                let listed: Vec<Json> = diffs
                    .iter()
                    .map(|(n, have)| json!({"parameter": n.to_json(), "container": have}))
                    .collect();
                self.legacy.push(json!({"network_differences": listed}));
                self.changed = true;
            }
            for (net, have) in diffs {
                self.tracker
                    .add(&format!("network.{}", net.name), net.to_json(), have.clone());
                if !have.is_null() {
                    self.actions.push(json!({"removed_from_network": net.name}));
                    if !self.check {
                        self.docker
                            .ok(
                                ctx,
                                &format!("Error disconnecting container from network {}", net.name),
                                &args(&["network", "disconnect", &net.name, &id]),
                            )
                            .await?;
                    }
                }
                self.actions
                    .push(json!({"added_to_network": net.name, "network_parameters": net.to_json()}));
                if !self.check {
                    let mut a = args(&["network", "connect"]);
                    for (flag, v) in [("--ip", &net.ipv4_address), ("--ip6", &net.ipv6_address)] {
                        if let Some(v) = v {
                            a.extend([flag.to_string(), v.clone()]);
                        }
                    }
                    for alias in net.aliases.iter().flatten() {
                        a.extend(["--alias".to_string(), alias.clone()]);
                    }
                    for link in net.links.iter().flatten() {
                        a.extend(["--link".to_string(), link.clone()]);
                    }
                    a.extend([net.name.clone(), id.clone()]);
                    self.docker
                        .ok(
                            ctx,
                            &format!("Error connecting container to network {}", net.name),
                            &a,
                        )
                        .await?;
                }
                touched = true;
            }
        }
        if modes.get("networks") == Mode::Strict {
            let extra = extra_networks(wanted, &c);
            if !extra.is_empty() {
                let listed: Vec<Json> = extra.iter().map(|(_, j)| j.clone()).collect();
                self.legacy.push(json!({"purge_networks": listed}));
                self.changed = true;
            }
            for (name, info) in extra {
                self.tracker.add(&format!("network.{name}"), Json::Null, info);
                self.actions.push(json!({"removed_from_network": name}));
                if !self.check {
                    self.docker
                        .ok(
                            ctx,
                            &format!("Error disconnecting container from network {name}"),
                            &args(&["network", "disconnect", &name, &id]),
                        )
                        .await?;
                }
                touched = true;
            }
        }
        match touched && !self.check {
            true => self.reinspect(ctx, &id, c).await,
            false => Ok(c),
        }
    }

    /// `state: healthy`: waits until the healthcheck passes (or there is none).
    async fn wait_healthy(&self, ctx: &mut ModuleCtx<'_>, id: &str) -> Result<Json, ModuleError> {
        let max = self.p.healthy_wait_timeout.unwrap_or(300.0);
        let started = std::time::Instant::now();
        let mut delay = 1.0_f64;
        loop {
            let c = self.docker.inspect(ctx, "container", id).await?.ok_or_else(|| {
                ModuleError::failed(format!(
                    "Encontered vanished container while waiting for container \"{id}\""
                ))
            })?;
            let health = &c["State"]["Health"]["Status"];
            match health.as_str() {
                None | Some("healthy") => return Ok(c),
                Some("starting" | "unhealthy") => {}
                Some(other) => {
                    return Err(ModuleError::failed(format!(
                        "Encontered unexpected state \"{other}\" while waiting for container \"{id}\""
                    ))
                    .with("container", to_value(&c)));
                }
            }
            if max > 0.0 && started.elapsed().as_secs_f64() > max {
                return Err(ModuleError::failed(format!(
                    "Timeout of {max} seconds exceeded while waiting for container \"{id}\""
                ))
                .with("container", to_value(&c)));
            }
            tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
            delay = (delay * 1.1).min(10.0);
        }
    }
}
