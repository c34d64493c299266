//! The `docker` command line on the target, the one way the container modules talk to the
//! daemon: a [`Docker`] runs `docker ARGS` with the task's `become`/`environment` (and
//! `DOCKER_HOST` from a `docker_host` parameter), hands secrets and long values over standard
//! input, and reads `docker inspect` JSON — the same objects the Engine API returns, which is
//! what community.docker compares and registers.

use serde_json::Value as Json;

use crate::connection::Output;
use crate::connection::quote::{quote, quote_path};
use crate::modules::{ModuleCtx, ModuleError};

/// How to reach the daemon: `docker` with an optional `DOCKER_HOST`.
#[derive(Clone, Debug, Default)]
pub struct Docker {
    /// `docker_host` (`unix:///...`, `tcp://...`); the CLI's own default (or the task's
    /// `DOCKER_HOST` environment) when unset.
    pub host: Option<String>,
    /// The client configuration directory (`DOCKER_CONFIG`), `~/` expanded on the target.
    pub config_dir: Option<String>,
}

/// What a `docker` command printed, with its exit status.
pub struct Ran {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn from(out: Output) -> Ran {
        Ran {
            rc: out.rc,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The output as the failure text of `what`.
    pub fn failure(&self, what: &str) -> ModuleError {
        let detail = match self.stderr.trim() {
            "" => self.stdout.trim(),
            e => e,
        };
        ModuleError::failed(format!("{what}: {detail}"))
            .with("rc", self.rc)
            .with("stderr", self.stderr.clone())
    }
}

/// Exit status of a shell that did not find `docker`.
const NOT_FOUND: i32 = 127;

impl Docker {
    pub fn new(host: Option<String>) -> Docker {
        Docker {
            host,
            config_dir: None,
        }
    }

    /// Runs `docker ARGS` (each argument quoted), with `stdin` if given; fails only when the
    /// command cannot run at all (no `docker` on the target, or the connection broke).
    pub async fn run(
        &self,
        ctx: &mut ModuleCtx<'_>,
        args: &[String],
        stdin: Option<Vec<u8>>,
    ) -> Result<Ran, ModuleError> {
        let line: Vec<String> = args.iter().map(|a| quote(a)).collect();
        let config = match &self.config_dir {
            Some(dir) => format!("export DOCKER_CONFIG={}; ", quote_path(dir)),
            None => String::new(),
        };
        let script = format!(
            "command -v docker >/dev/null 2>&1 || exit {NOT_FOUND}; {config}exec docker {}",
            line.join(" ")
        );
        let mut cmd = ctx.command(script);
        if let Some(host) = &self.host {
            cmd.env.push(("DOCKER_HOST".into(), host.clone()));
        }
        cmd.stdin = stdin;
        let out = ctx.conn.run(&cmd, None).await?;
        if out.rc == NOT_FOUND && out.stderr.is_empty() {
            return Err(ModuleError::failed(
                "the `docker` command is not installed on the target (the community.docker \
                 modules drive the docker CLI): install the docker client (Debian: docker.io or \
                 docker-ce-cli)",
            ));
        }
        Ok(Ran::from(out))
    }

    /// Runs `docker ARGS` and fails the task naming `what` when it exits non-zero.
    pub async fn ok(&self, ctx: &mut ModuleCtx<'_>, what: &str, args: &[String]) -> Result<Ran, ModuleError> {
        self.ok_stdin(ctx, what, args, None).await
    }

    /// [`Docker::ok`] with standard input.
    pub async fn ok_stdin(
        &self,
        ctx: &mut ModuleCtx<'_>,
        what: &str,
        args: &[String],
        stdin: Option<Vec<u8>>,
    ) -> Result<Ran, ModuleError> {
        let ran = self.run(ctx, args, stdin).await?;
        if ran.rc != 0 {
            return Err(ran.failure(what));
        }
        Ok(ran)
    }

    /// `docker inspect --type KIND NAME`: the object, or `None` when there is none by that name.
    pub async fn inspect(
        &self,
        ctx: &mut ModuleCtx<'_>,
        kind: &str,
        name: &str,
    ) -> Result<Option<Json>, ModuleError> {
        let ran = self
            .run(ctx, &args(&["inspect", "--type", kind, "--", name]), None)
            .await?;
        if ran.rc != 0 {
            let err = ran.stderr.to_ascii_lowercase();
            if err.contains("no such") || err.contains("not found") {
                return Ok(None);
            }
            return Err(ran.failure(&format!("inspecting {kind} `{name}`")));
        }
        let parsed: Json = serde_json::from_str(&ran.stdout).map_err(|e| {
            ModuleError::failed(format!("docker inspect of {kind} `{name}` printed no JSON ({e})"))
        })?;
        Ok(parsed.as_array().and_then(|a| a.first()).cloned())
    }
}

/// `&str` arguments as owned strings.
pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A `serde_json` value as a template value.
pub fn to_value(json: &Json) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(json))
}

/// A `repository:tag` split as the collection's `parse_repository_tag` does (a digest after
/// `@`; a colon after the last slash is the tag); the tag is `None` when absent.
pub fn repository_tag(name: &str) -> (String, Option<String>) {
    if let Some((repo, digest)) = name.split_once('@') {
        return (repo.to_string(), Some(digest.to_string()));
    }
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), Some(tag.to_string())),
        _ => (name.to_string(), None),
    }
}

/// Whether `name` is an image ID (`sha256:<64 hex>`), as `is_image_name_id`.
pub fn is_image_id(name: &str) -> bool {
    name.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The name `docker` looks an image up by: `repo:tag` (tag `latest` when none), or the ID.
pub fn image_ref(name: &str) -> String {
    if is_image_id(name) {
        return name.to_string();
    }
    let (repo, tag) = repository_tag(name);
    match name.contains('@') {
        true => name.to_string(),
        false => format!("{repo}:{}", tag.unwrap_or_else(|| "latest".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(image_ref("busybox"), "busybox:latest");
        assert_eq!(image_ref("local/bb:1"), "local/bb:1");
        assert_eq!(image_ref("reg:5000/app"), "reg:5000/app:latest");
        assert_eq!(image_ref("reg:5000/app:2"), "reg:5000/app:2");
        assert_eq!(repository_tag("a@sha256:ff").1.as_deref(), Some("sha256:ff"));
        assert!(is_image_id(&format!("sha256:{}", "a".repeat(64))));
    }
}
