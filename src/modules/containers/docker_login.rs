//! `community.docker.docker_login`: registry credentials in the Docker client configuration
//! (`config_path`, `~/.docker/config.json`), through `docker login` / `docker logout` on the
//! target, as the collection's `LoginManager` keeps them: nothing happens when the stored
//! credentials are the task's (unless `reauthorize`); otherwise the daemon checks them and they
//! are stored. The password travels only on `docker login --password-stdin`'s standard input:
//! never in a process's arguments, environment, or the result. In check mode the login is
//! checked against a throwaway configuration directory, so nothing is stored.

use async_trait::async_trait;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::docker::{Docker, args, to_value};
use crate::connection::quote::quote_path;
use crate::modules::params::state::State;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct DockerLogin;

/// Docker Hub, the collection's default `registry_url`.
const DEFAULT_REGISTRY: &str = "https://index.docker.io/v1/";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "registry", alias = "url")]
    registry_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    #[serde(alias = "reauth")]
    reauthorize: Option<bool>,
    #[serde(default)]
    state: State,
    #[serde(alias = "dockercfg_path")]
    config_path: Option<String>,
    #[serde(alias = "docker_url")]
    docker_host: Option<String>,
}

/// The stored user and password for `registry` in a client configuration file's text.
fn stored(config: &str, registry: &str) -> Option<(String, String)> {
    let json: Json = serde_json::from_str(config).ok()?;
    let entry = &json["auths"][registry];
    let auth = entry["auth"].as_str()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(auth).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

#[async_trait]
impl TypedModule for DockerLogin {
    type Params = Params;
    const SPEC: Spec = Spec::host("docker_login").collection(Collection::Docker);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let registry = p.registry_url.clone().unwrap_or_else(|| DEFAULT_REGISTRY.into());
        let config_path = p
            .config_path
            .clone()
            .unwrap_or_else(|| "~/.docker/config.json".into());
        let Some(config_dir) = config_path.strip_suffix("/config.json").map(str::to_string) else {
            return Err(ModuleError::Params(format!(
                "docker_login: config_path `{config_path}`: the docker CLI keeps its configuration in a file named config.json; give a path ending in /config.json"
            )));
        };
        let read = ctx
            .run(format!("cat -- {} 2>/dev/null || true", quote_path(&config_path)))
            .await?;
        let current = stored(&String::from_utf8_lossy(&read.stdout), &registry);
        let mut docker = Docker::new(p.docker_host.clone());
        if p.state == State::Absent {
            let changed = current.is_some();
            if changed && !ctx.check {
                docker.config_dir = Some(config_dir);
                docker
                    .ok(
                        ctx,
                        &format!("Logging out of {registry} failed"),
                        &args(&["logout", &registry]),
                    )
                    .await?;
            }
            return Ok(Outcome::changed(changed).with("login_result", to_value(&json!({}))));
        }
        let (Some(user), Some(password)) = (&p.username, &p.password) else {
            return Err(ModuleError::Params(
                "docker_login: state is present but any of the following are missing: username, password"
                    .into(),
            ));
        };
        let reauth = p.reauthorize.unwrap_or(false);
        let same = current
            .as_ref()
            .is_some_and(|(u, pw)| u == user && pw == password);
        if same && !reauth {
            let result = json!({"serveraddress": registry, "username": user});
            return Ok(Outcome::ok().with("login_result", to_value(&result)));
        }
        // Check mode: the daemon checks the credentials, stored in a throwaway directory.
        let scratch = match ctx.check {
            true => {
                let out = ctx.run("mktemp -d").await?;
                Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
            }
            false => None,
        };
        docker.config_dir = Some(scratch.clone().unwrap_or(config_dir));
        let login = docker
            .run(
                ctx,
                &args(&["login", "--username", user, "--password-stdin", &registry]),
                Some(password.as_bytes().to_vec()),
            )
            .await;
        if let Some(dir) = &scratch {
            ctx.run(format!("rm -rf -- {}", quote_path(dir))).await?;
        }
        let login = login?;
        if login.rc != 0 {
            let why = login.stderr.trim().replace(password.as_str(), "********");
            return Err(ModuleError::failed(format!(
                "Logging into {registry} for user {user} failed - {why}"
            )));
        }
        let status = login
            .stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("Login Succeeded");
        let result = json!({"IdentityToken": "", "Status": status.trim()});
        Ok(Outcome::changed(true).with("login_result", to_value(&result)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_credentials_are_read() {
        let config = r#"{"auths": {"127.0.0.1:5000": {"auth": "dTpwOnc="}}}"#;
        assert_eq!(stored(config, "127.0.0.1:5000"), Some(("u".into(), "p:w".into())));
        assert_eq!(stored(config, "other"), None);
        assert_eq!(stored("", "other"), None);
    }
}
